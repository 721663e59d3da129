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
# after a cell, wait this long for its last outputs (nbclient's default of 4 s is too short on
# a loaded 2-core machine)
c.Execute.iopub_timeout = 30


# ---------------------------------------------------------------- grading sandbox
# Every autograded kernel runs in bubblewrap (grader/sandbox.py, limits in
# grader/sandbox.toml) and the grader checks each notebook's integrity
# (grader/integrity.py).  `make autograde` refuses to grade where the sandbox is not
# available; DLPHYS_GRADE_UNSANDBOXED=1 is the explicit override (trusted code only).
import atexit  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

sys.path.insert(0, str(GRADER_DIR))
import integrity  # noqa: E402
import sandbox  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

SANDBOXED = os.environ.get(sandbox.UNSANDBOXED_VARIABLE, "0") != "1"
LIMITS = sandbox.load_limits()

c.Autograde.autograde_preprocessors = [
    integrity.InstrumentTests,
    integrity.CappedExecute,
    integrity.VerifyIntegrity,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
    integrity.FlagTampering,
]
# on a shared server, collect only submission folders owned by the student they name
c.ExchangeFactory.collect = "exchange_collect.OwnerCheckedCollect"
c.CappedExecute.output_limit_bytes = int(LIMITS["output_mib"] * 2**20)
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 100

if SANDBOXED:
    c.Execute.kernel_name = sandbox.KERNEL_NAME
    # no network in the sandbox: the kernel talks to nbgrader over Unix sockets, in a
    # folder of this nbgrader process's own
    _ipc_dir = tempfile.mkdtemp(prefix="dlphys-ipc-")
    atexit.register(shutil.rmtree, _ipc_dir, ignore_errors=True)
    c.AsyncKernelManager.transport = "ipc"
    c.AsyncKernelManager.ip = os.path.join(_ipc_dir, "kernel")
    os.environ[sandbox.HIDE_VARIABLE] = os.pathsep.join(
        [str(GRADER_DIR), str(REPO_DIR / "exercises"), str(REPO_DIR / ".git")])
