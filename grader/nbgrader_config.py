"""nbgrader configuration of the course.  Run every nbgrader command from this folder
(the Makefile does: ``make release``, ``make autograde EX=...``, ...).

Layout: the exercise *sources* stay where the course keeps them
(``exercises/NN_slug/NN_slug.ipynb``, solutions and hidden tests included); nbgrader
writes ``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and
``gradebook.db`` in this folder, all git-ignored.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

GRADER_DIR = Path(__file__).resolve().parent
REPO_DIR = GRADER_DIR.parent

c.CourseDirectory.course_id = "dlphys"
c.CourseDirectory.root = str(GRADER_DIR)
# An absolute path: nbgrader joins it to the root, which leaves it unchanged.
c.CourseDirectory.source_directory = str(REPO_DIR / "exercises")

# Per-cell execution limit while autograding, in seconds.  A submission whose cell
# runs longer is interrupted, the cell is recorded as an error (that part scores
# zero) and grading goes on with the next cell and the next student.  The class
# that executes is nbgrader's ``Execute`` preprocessor: it declares its own
# ``timeout`` trait (default 30 s), so it is set on that class.
c.Execute.timeout = int(os.environ.get("DLPHYS_GRADING_TIMEOUT", "300"))
c.Execute.interrupt_on_timeout = True

