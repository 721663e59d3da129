"""Set up one course server for JupyterHub (run as root; ``make hub`` runs it).

    python deploy/hub/provision.py --root /srv/dlphys-hub --roster deploy/hub/roster.csv
                                   [--exchange DIR] [--set-passwords] [--generate-data]

What it makes, all under ``--root`` but the exchange:

* one UNIX account per line of the roster (``username,role`` with role ``student``,
  ``instructor`` or ``guest``), homes mode 0700; instructors in the UNIX group
  ``<course>-instructors``.  Existing accounts are kept as they are.
  ``--set-passwords`` gives every account it creates a random password, written to
  ``state/passwords.txt`` (mode 0600) and printed, for a demo;
* ``venv/``: the course's pinned environment for the hub, the user servers and their
  kernels, on a Python every user can run (a venv made under root's home, e.g. with
  pyenv, is not).  Its packages are those of the course's ``.venv`` (hard links where
  the file system allows, else copies; ``make venv`` installs them), with ``dlphys``
  installed from the course copy, and nbgrader's settings (course, exchange, roster
  check) in ``etc/jupyter/nbgrader_config.py``; remade on every run;
* ``course/``: the instructors' copy of the course (exercise sources with solutions,
  ``grader/``), group ``<course>-instructors``, mode 2770: students cannot read it.
  Made once; a second run leaves it (and its gradebook) alone;
* ``jupyter/student`` and ``jupyter/instructor``: each role's Jupyter settings
  (copied from ``deploy/hub/jupyter``): the formgrader only for instructors, only the
  course kernel for students;
* ``data/``: the dataset cache the kernels read (``DLPHYS_DATA``), read-only for users
  (a miss is generated in memory); ``--generate-data`` fills it once with every default
  dataset (``python -m dlphys.data generate``);
* the nbgrader exchange (``exchange_root`` of ``hub.toml`` unless ``--exchange``),
  mode 1777, with the course's folder in it owned by the instructors' group.
"""

from __future__ import annotations

import argparse
import csv
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HUB_DIR = Path(__file__).resolve().parent
REPO = HUB_DIR.parents[1]
SETTINGS = tomllib.loads((HUB_DIR / "hub.toml").read_text())
COURSE_ID = SETTINGS["course_id"]
ROLES = ("student", "instructor", "guest")
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
#: the Pythons tried for the hub's environment, in order (any user must be able to run it)
SYSTEM_PYTHONS = ("/usr/bin/python3.11", "/usr/local/bin/python3.11")
#: what the instructors' course copy holds (the rest of the repository stays out)
COURSE_PARTS = ("dlphys", "exercises", "grader", "pyproject.toml", "README.md")
#: generated files in those parts, never copied
GENERATED = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", "release",
                                   "submitted", "autograded", "feedback", "source",
                                   "gradebook.db", "grades.csv", ".nbgrader.log", ".kernelspec")


def instructors_group() -> str:
    return f"{COURSE_ID}-instructors"


def read_roster(path: Path) -> list[tuple[str, str]]:
    """``[(username, role)]`` from the roster CSV; a clear error for every bad line."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or set(rows[0]) != {"username", "role"}:
        raise SystemExit(f"{path}: the roster needs the header 'username,role' and one line "
                         "per user")
    roster, seen = [], set()
    for line, row in enumerate(rows, start=2):
        name, role = row["username"].strip(), row["role"].strip()
        if not USERNAME.match(name):
            raise SystemExit(f"{path}, line {line}: {name!r} is not a valid UNIX user name "
                             "(lower case letters, digits, _ and -, starting with a letter)")
        if role not in ROLES:
            raise SystemExit(f"{path}, line {line}: role {role!r} is not one of {ROLES}")
        if name in seen:
            raise SystemExit(f"{path}, line {line}: {name} is listed twice")
        seen.add(name)
        roster.append((name, role))
    return roster


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], check=True, **kwargs)


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def create_accounts(roster, state: Path, set_passwords: bool) -> dict[str, str]:
    """The UNIX accounts of the roster; returns the passwords it set."""
    group = instructors_group()
    if subprocess.run(["getent", "group", group], capture_output=True).returncode != 0:
        run("groupadd", group)
    passwords = {}
    for name, role in roster:
        if not user_exists(name):
            run("useradd", "--create-home", "--shell", "/bin/bash", "--user-group", name)
            if set_passwords:
                passwords[name] = secrets.token_urlsafe(9)
                run("chpasswd", input=f"{name}:{passwords[name]}\n", text=True)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
        if role == "instructor":
            run("usermod", "--append", "--groups", group, name)
    if passwords:
        lines = "".join(f"{name} {password}\n" for name, password in passwords.items())
        target = state / "passwords.txt"
        target.touch(mode=0o600)
        with open(target, "a") as fh:
            fh.write(lines)
    return passwords


def runs_for_everyone(python: str) -> bool:
    """Can the unprivileged user ``nobody`` start this Python?"""
    probe = subprocess.run(["runuser", "-u", "nobody", "--", python, "-c", "pass"],
                           capture_output=True)
    return probe.returncode == 0


def system_python() -> str:
    for python in SYSTEM_PYTHONS:
        if Path(python).exists() and runs_for_everyone(python):
            return python
    raise SystemExit(f"none of {SYSTEM_PYTHONS} exists or can be run by every user; install "
                     "Python 3.11 system-wide (Debian: apt-get install python3.11-venv)")


def link_tree(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` as hard links (a plain copy across file systems)."""
    target.mkdir(parents=True, exist_ok=True)
    linked = subprocess.run(["cp", "-al", f"{source}/.", str(target)], capture_output=True)
    if linked.returncode != 0:
        run("cp", "-a", f"{source}/.", target)


#: nbgrader's settings for every user of the hub, written into the hub environment
NBGRADER_CONFIG = """\
# written by deploy/hub/provision.py: nbgrader's settings for every user of the hub
from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
# the course roster is the hub group nbgrader-{course_id}: nbgrader asks the hub for the
# user's groups and refuses to fetch or submit for anyone else
c.Authenticator.plugin_class = JupyterHubAuthPlugin
"""


def make_environment(venv: Path, course_venv: Path, course: Path, exchange: Path) -> None:
    """The hub's environment: the course venv's packages on a system Python."""
    if not (course_venv / "bin" / "python").exists():
        raise SystemExit(f"{course_venv} does not exist: run `make venv` first")
    if venv.exists():
        shutil.rmtree(venv)
    run(system_python(), "-m", "venv", "--without-pip", venv)
    packages = "lib/python3.11/site-packages"
    link_tree(course_venv / packages, venv / packages)
    link_tree(course_venv / "share", venv / "share")
    link_tree(course_venv / "etc", venv / "etc")
    # the scripts (jupyterhub-singleuser, nbgrader, alembic, ...) name their Python
    old = str(course_venv / "bin")
    for script in (course_venv / "bin").iterdir():
        target = venv / "bin" / script.name
        if target.exists() or script.is_symlink() or not script.is_file():
            continue
        text = script.read_bytes()
        if text.startswith(b"#!") and old.encode() in text.split(b"\n", 1)[0]:
            target.write_bytes(text.replace(old.encode(), str(venv / "bin").encode(), 1))
            target.chmod(0o755)
    python = venv / "bin" / "python"
    # dlphys from the course copy, not the editable install that points into the checkout
    run(python, "-m", "pip", "uninstall", "--yes", "--quiet", "dlphys")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-warn-script-location", course, env=dict(os.environ, PIP_NO_CACHE_DIR="1"))
    shutil.rmtree(course / "build", ignore_errors=True)
    for info in course.glob("*.egg-info"):
        shutil.rmtree(info)
    (venv / "etc" / "jupyter" / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(course_id=COURSE_ID, exchange=str(exchange)))
    run(python, course / "grader" / "sandbox.py", "install", stdout=subprocess.DEVNULL)


def copy_course(course: Path) -> None:
    group = instructors_group()
    course.mkdir()
    for part in COURSE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, course / part, ignore=GENERATED)
        else:
            shutil.copyfile(source, course / part)
    run("chgrp", "-R", group, course)
    run("chmod", "-R", "u=rwX,g=rwX,o=", course)
    run("find", course, "-type", "d", "-exec", "chmod", "g+s", "{}", "+")


def make_exchange(exchange: Path) -> None:
    exchange.mkdir(parents=True, exist_ok=True)
    os.chown(exchange, 0, 0)
    os.chmod(exchange, 0o1777)  # nbgrader: everyone writes; the sticky bit keeps folders
    course = exchange / COURSE_ID
    course.mkdir(exist_ok=True)  # the instructors', before a student can take the name
    shutil.chown(course, "root", instructors_group())
    os.chmod(course, 0o2775)


def provision(root: Path, roster_file: Path, exchange: Path, set_passwords: bool = False,
              generate_data: bool = False, course_venv: Path = REPO / ".venv"
              ) -> dict[str, str]:
    """Everything the hub needs (see the module's docstring); returns new passwords."""
    if os.geteuid() != 0:
        raise SystemExit("provision.py creates UNIX accounts and a hub run as root: run it as "
                         "root (sudo make hub)")
    roster = read_roster(roster_file)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    state = root / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    passwords = create_accounts(roster, state, set_passwords)
    shutil.copyfile(roster_file, state / "roster.csv")  # what the hub reads
    course = root / "course"
    if not course.exists():
        copy_course(course)
    for name, role in roster:  # the formgrader wants the course inside the server's folder
        link = Path(pwd.getpwnam(name).pw_dir) / "course"
        if role == "instructor" and not link.exists():
            link.symlink_to(course)
    make_environment(root / "venv", course_venv, course, exchange)
    if (root / "jupyter").exists():
        shutil.rmtree(root / "jupyter")
    shutil.copytree(HUB_DIR / "jupyter", root / "jupyter")
    (root / "data").mkdir(mode=0o755, exist_ok=True)
    if generate_data:
        run(root / "venv" / "bin" / "python", "-m", "dlphys.data", "generate",
            env=dict(os.environ, DLPHYS_DATA=str(root / "data")))
    make_exchange(exchange)
    return passwords


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/srv/dlphys-hub"))
    parser.add_argument("--roster", type=Path, default=HUB_DIR / "roster.example.csv")
    parser.add_argument("--exchange", type=Path, default=Path(SETTINGS["exchange_root"]))
    parser.add_argument("--set-passwords", action="store_true",
                        help="give new accounts random passwords (printed; for a demo)")
    parser.add_argument("--generate-data", action="store_true",
                        help="fill the shared dataset cache with every default dataset")
    args = parser.parse_args(argv)
    passwords = provision(args.root.resolve(), args.roster, args.exchange.resolve(),
                          args.set_passwords, args.generate_data)
    for name, password in passwords.items():
        print(f"  new account {name}, password {password}")
    print(f"provisioned {args.root} (exchange {args.exchange})")


if __name__ == "__main__":
    sys.exit(main())
