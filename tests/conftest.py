"""Test-suite set-up shared by all tests.

* Notebooks run in fast mode (``DLPHYS_FAST=1``) unless the caller set it.
* The virtual environment's ``bin/`` goes first on ``PATH``: nbgrader calls
  ``alembic`` and ``jupyter`` from there.
* With pytest-xdist the suite uses ``--dist loadfile``: nbval makes one test item
  per cell, and all cells of one notebook must run in order in one kernel, so
  each file goes to one worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

os.environ.setdefault("DLPHYS_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
if str(BIN) not in os.environ.get("PATH", "").split(os.pathsep)[:1]:
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"



def pytest_collection_modifyitems(config, items):
    """Mark nbval's notebook cells, so that ``-m "not notebooks"`` selects the quick tests."""
    for item in items:
        if ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.notebooks)
