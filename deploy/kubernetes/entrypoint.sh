#!/bin/sh
# Entry point of the course's user image (deploy/kubernetes/Dockerfile: dlphys-entrypoint,
# started by tini).  Three steps, then it runs its arguments (jupyterhub-singleuser):
#
# 1. A student's server runs under a uid of its own (hub.extraConfig in values.yaml), which
#    /etc/passwd does not know.  The uid gets the name jovyan: nbgrader names a submission
#    after $JUPYTERHUB_USER when the user is called jovyan, and fails for a nameless uid
#    (so does Python's getpass).
# 2. In an instructor's server the hub lists the students' uids ($DLPHYS_STUDENT_UIDS,
#    "name:uid ..."): they become entries of /etc/passwd, so that nbgrader collect sees
#    whose each submission folder is.
#    /etc/passwd is writable by the group users for these two steps; it is the container's
#    own copy.
# 3. On the first start the lectures go to ~/lectures; the student's copy is never
#    overwritten (delete the folder to get the original back on the next start).
#
# DLPHYS_PASSWD and DLPHYS_LECTURES change the two paths (for tests/test_kubernetes.py).
set -f  # no globbing of the names in $DLPHYS_STUDENT_UIDS
passwd=${DLPHYS_PASSWD:-/etc/passwd}
lectures=${DLPHYS_LECTURES:-/opt/dlphys/lectures}

uid=$(id -u)
if ! grep -q "^[^:]*:[^:]*:$uid:" "$passwd" && [ -w "$passwd" ]; then
    entries=$(sed "s/^jovyan:\([^:]*\):[0-9]*:/jovyan:\1:$uid:/" "$passwd") &&
        printf '%s\n' "$entries" > "$passwd"
fi

if [ -n "${DLPHYS_STUDENT_UIDS:-}" ] && [ -w "$passwd" ]; then
    # name:uid pairs whose name and uid are both new; the first of duplicates wins
    students=$(printf '%s\n' $DLPHYS_STUDENT_UIDS | awk -F: '
        NR == FNR { names[$1]; uids[$3]; next }
        NF == 2 && $2 ~ /^[0-9]+$/ && !($1 in names) && !($2 in uids) {
            names[$1]; uids[$2]
            print $1 ":x:" $2 ":100::/nonexistent:/usr/sbin/nologin"
        }' "$passwd" -)
    if [ -n "$students" ]; then
        printf '%s\n' "$students" >> "$passwd"
    fi
fi

if [ -d "$lectures" ] && [ -n "$HOME" ] && [ ! -e "$HOME/lectures" ]; then
    cp -r "$lectures" "$HOME/lectures" ||
        echo "dlphys-entrypoint: could not copy the lectures to $HOME/lectures" >&2
fi

exec "$@"
