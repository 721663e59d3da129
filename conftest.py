"""Test-suite set-up shared by all tests (at the repository root, so that it also
applies to ``pytest lectures/NN_slug.ipynb`` and ``pytest exercises/NN_slug``).

* Notebooks run in fast mode (``DLPHYS_FAST=1``) unless the caller set it.
* The virtual environment's ``bin/`` goes first on ``PATH``: nbgrader calls
  ``alembic`` and ``jupyter`` from there.
* With pytest-xdist (``-n 2``) the suite uses ``--dist loadgroup`` (pyproject's
  addopts; ``-n 0`` runs without workers) and every test is put in the group of its
  file, so a file runs on one worker: nbval makes one test item per cell, and all
  cells of one notebook must run in order in one kernel. The
  exceptions are the grading pipelines and the torch-backend runs (minutes each),
  which get a group per parameter, so that both workers share them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

os.environ.setdefault("DLPHYS_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
if str(BIN) not in os.environ.get("PATH", "").split(os.pathsep)[:1]:
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The grading sandbox's kernelspec is installed once, by the controlling process,
    where the sandbox works."""
    if not hasattr(config, "workerinput"):
        sys.path.insert(0, str(REPO / "grader"))
        import sandbox

        if sandbox.unavailable_reason() is None:
            sandbox.install_kernelspec()


#: parametrised tests of minutes each: every parameter gets its own xdist group
LONG_RUNNING = ("test_grading_pipeline", "test_lecture_runs_on_the_torch_backend")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark nbval's notebook cells, so that ``-m "not notebooks"`` selects the quick tests;
    give every test its xdist group."""
    for item in items:
        if ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.notebooks)
        long_running = getattr(item, "originalname", "") in LONG_RUNNING
        group = item.name if long_running else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
