"""The book's execution cache cannot go stale (``book/_ext/dlphys_execution_key.py``).

A tiny throwaway book in a temporary folder, with two tiny notebooks that import
two different modules of a small stand-in ``dlphys`` package put first on
``PYTHONPATH``, is built again and again with ``jupyter-book build``: every
notebook appends its name to a log when it runs, so the test sees exactly which
notebooks each build executed, and the pages show (and glue) the value they
read, so it sees that the pages are current.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXT = REPO / "book" / "_ext"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(EXT))
import dlphys_execution_key as key_ext  # noqa: E402


def notebook(name: str) -> dict:
    code = textwrap.dedent(f"""\
        import os
        with open(os.environ["EXECUTION_LOG"], "a") as log:
            log.write("{name}\\n")
        from myst_nb import glue
        from dlphys import {name}
        glue("{name}_value", {name}.VALUE, display=False)
        print("{name} printed", {name}.VALUE, "fast", os.environ.get("DLPHYS_FAST"))
        """)
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {},
             "source": f"# {name.title()}\n\nThe value is {{glue:text}}`{name}_value`.\n"},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": code},
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 4,
    }


@pytest.fixture
def tiny_book(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text(textwrap.dedent(f"""\
        title: tiny
        only_build_toc_files: true
        execute:
          execute_notebooks: cache
          timeout: 120
        sphinx:
          local_extensions:
            dlphys_execution_key: {EXT}
          config:
            nb_output_stderr: remove
        """))
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: alpha\n  - file: beta\n")
    (book / "intro.md").write_text("# Intro\n\nTwo chapters.\n")
    for name in ("alpha", "beta"):
        (book / f"{name}.ipynb").write_text(json.dumps(notebook(name)))
    package = tmp_path / "pkg" / "dlphys"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""stand-in for dlphys"""\n')
    (package / "_shared.py").write_text("OFFSET = 0\n")
    (package / "alpha.py").write_text("from ._shared import OFFSET\n\nVALUE = 1 + OFFSET\n")
    (package / "beta.py").write_text("VALUE = 10\n")
    log = tmp_path / "executions.log"
    log.touch()
    return book, package, log


def build(book: Path, log: Path, *, fast: str = "0") -> list[str]:
    """Build the book; return the names of the notebooks this build executed."""
    before = log.read_text().split()
    env = dict(os.environ, DLPHYS_FAST=fast, EXECUTION_LOG=str(log),
               PYTHONPATH=os.pathsep.join([str(book.parent / "pkg"),
                                           os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([str(BIN / "jupyter-book"), "build", ".", "--path-output", "."],
                            cwd=book, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "build succeeded" in output, output[-4000:]
    return sorted(log.read_text().split()[len(before):])


def page(book: Path, name: str) -> str:
    return (book / "_build" / "html" / f"{name}.html").read_text()


def stamp(book: Path) -> dict:
    return json.loads((book / "_build" / "html" / key_ext.STAMP).read_text())["docs"]


@pytest.mark.notebooks
def test_a_change_of_dlphys_or_of_the_mode_re_executes_what_depends_on_it(tiny_book):
    book, package, log = tiny_book

    assert build(book, log) == ["alpha", "beta"]
    assert "alpha printed 1 fast 0" in page(book, "alpha")
    assert stamp(book)["alpha"]["modules"] == ["dlphys", "dlphys._shared", "dlphys.alpha"]
    assert stamp(book)["beta"]["key"]["DLPHYS_FAST"] == "0"
    assert stamp(book)["beta"]["execution"]["succeeded"] is True

    # nothing changed: everything comes from the cache
    assert build(book, log) == []

    # a module that only alpha imports, through another dlphys module: alpha runs
    # again, its page and its glued number are new; beta comes from the cache
    (package / "_shared.py").write_text("OFFSET = 100\n")
    assert build(book, log) == ["alpha"]
    assert "alpha printed 101 fast 0" in page(book, "alpha")
    assert '<span class="pasted-text">101</span>' in page(book, "alpha")
    assert "beta printed 10 fast 0" in page(book, "beta")

    # the mode: both run again, in fast mode, and the record says so; and beta now
    # fails: a failed execution is not cached, so the next build tries it again
    (package / "beta.py").write_text("raise RuntimeError('broken simulator')\n")
    assert build(book, log, fast="1") == ["alpha", "beta"]
    assert "alpha printed 101 fast 1" in page(book, "alpha")
    assert stamp(book)["alpha"]["key"]["DLPHYS_FAST"] == "1"
    assert stamp(book)["beta"]["execution"]["succeeded"] is False
    assert build(book, log, fast="1") == ["beta"]


def test_the_key_follows_imports_inside_the_package():
    graph = key_ext.ModuleGraph(REPO / "dlphys")
    ising = graph.resolve({"dlphys.data.ising"})
    assert {"dlphys", "dlphys.data", "dlphys.data.ising", "dlphys.data._cache"} <= ising
    assert "dlphys.data.gw" not in ising and "dlphys.training" not in ising
    # importing a module runs the __init__ of every package above it
    assert graph.resolve({"dlphys.baselines.ising"}) >= {"dlphys", "dlphys.baselines"}
    # relative imports: `from . import progress` in dlphys.training is the package itself
    assert "dlphys.training" in graph.resolve({"dlphys.training"})
    assert "dlphys.data.airshower" in graph.resolve({"dlphys.plot"})
    # a module that imports by computed name depends on its whole package
    cli = graph.resolve({"dlphys.data.__main__"})
    assert {f"dlphys.data.{name}" for name in ("pendulum", "ising", "gw")} <= cli


def test_the_key_of_a_notebook():
    nb = notebook("alpha")
    nb["cells"][1]["source"] = ("%matplotlib inline\nimport numpy as np\n"
                                "from dlphys.data import ising\nfrom dlphys.plot import lattice\n")
    graph = key_ext.ModuleGraph(REPO / "dlphys")
    modules = key_ext.notebook_modules(nb, graph)
    assert {"dlphys.data.ising", "dlphys.plot", "dlphys"} <= modules
    assert "dlphys.data.gw" not in modules
    # a cell that cannot be parsed and mentions dlphys: the whole package
    nb["cells"][1]["source"] = "import dlphys\ndef (\n"
    assert key_ext.notebook_modules(nb, graph) == set(graph.files)
    # the mode as dlphys.fast_mode reads it
    assert key_ext.mode_key({"DLPHYS_FAST": "true"})["DLPHYS_FAST"] == "1"
    assert key_ext.mode_key({})["DLPHYS_FAST"] == "0"
    assert key_ext.mode_key({"DLPHYS_FAST": " Off "})["DLPHYS_FAST"] == "0"
    # the key goes into the kernelspec, which jupyter-cache hashes with the code cells
    import nbformat
    from jupyter_cache.cache.main import JupyterCacheBase

    hashed = JupyterCacheBase.create_hashed_notebook
    plain = nbformat.from_dict(notebook("alpha"))
    one = nbformat.from_dict(key_ext.keyed(notebook("alpha"), {"dlphys": "a"}))
    two = nbformat.from_dict(key_ext.keyed(notebook("alpha"), {"dlphys": "b"}))
    hashes = {hashed(None, nb)[1] for nb in (plain, one, two)}
    assert len(hashes) == 3
    nbformat.validate(one)
