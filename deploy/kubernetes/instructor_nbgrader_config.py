"""nbgrader configuration of the instructors' servers on Kubernetes, on top of
/etc/jupyter/nbgrader_config.py.  The hub points JUPYTER_CONFIG_PATH of an instructor's
server at this folder (/opt/dlphys/instructor-config in the image; hub.extraConfig in
deploy/kubernetes/values.yaml), which also enables the formgrader.

The course folder is the instructor's clone of the course repository, ~/dlphys (or
$DLPHYS_COURSE_DIR): its grader/nbgrader_config.py is loaded, so the formgrader and every
nbgrader command work on that course (gradebook, releases, submissions) with the course's
own settings: the grading sandbox, and the collect step that takes a submission folder only
from the student it names (the students' uids have names in an instructor's container:
dlphys-entrypoint).
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

_course = Path(os.environ.get("DLPHYS_COURSE_DIR", "~/dlphys")).expanduser()
_course_config = _course / "grader" / "nbgrader_config.py"
if _course_config.is_file():
    load_subconfig(str(_course_config))  # noqa: F821  (provided like get_config)
