"""The checks of tests/test_book.py can fail: their detectors, and what happens without a build.

tests/test_book.py needs the full-mode build of ``make book`` and runs in ``make
check-book``; this file runs in ``make test`` and builds nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import test_book

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text", [
    "WARNING:tensorflow:5 out of the last 5 calls to <function f> triggered tf.function "
    "retracing. Tracing is expensive",
    "/x.py:3: UserWarning: the figure layout has changed\n  warnings.warn(",
    "lib.py:1: DeprecationWarning: `np.bool` is deprecated",
    "Warning: the fit did not converge",
    "W0000 00:00:1796167318.913040   27461 some.cc:52] something odd",
    "Traceback (most recent call last):\n  File ...",
])
def test_warnings_are_found(text):
    assert test_book.warnings_in("epoch 1\n" + text + "\nmore output")


@pytest.mark.parametrize("text", [
    "validation MSE 1.17e-03 s^2 = 1.30 x noise floor",
    "model                 test MSE [s^2]  / sigma^2\nKeras network    1.468e-03   1.63",
    "no warnings were raised",
])
def test_ordinary_output_is_not_a_warning(text):
    assert not test_book.warnings_in(text)


@pytest.mark.parametrize("text", ["| a | b |\n|---|---|\n| 1 | 2 |", "|:--|--:|",
                                  "a | b\n--- | ---\n1 | 2", "| --- | --- |"])
def test_raw_markdown_tables_are_found(text):
    assert test_book.MARKDOWN_TABLE.search(text)


@pytest.mark.parametrize("text", ["a | b", "----------", "x  |  y\n1  |  2", "+----+----+"])
def test_aligned_text_is_not_a_markdown_table(text):
    assert not test_book.MARKDOWN_TABLE.search(text)


def test_output_text_reads_cell_outputs_outside_tables():
    page = ('<p>prose |---| here</p>'
            '<div class="cell_output docutils container"><pre>printed |---| table</pre>'
            '<table><tr><td>|---|</td></tr></table><img src="x.png"></div>'
            '<div class="cell_input"><pre>code</pre></div>')
    assert test_book.output_text(page) == "printed |---| table"


def run_book_checks(html: Path, strict: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DLPHYS_STRICT"}
    env["DLPHYS_BOOK_HTML"] = str(html)
    if strict:
        env["DLPHYS_STRICT"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-n", "0", "-q", "-rs",
                           str(REPO / "tests" / "test_book.py"), "-k", "front_matter"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("strict", [True, False])
def test_without_a_built_book_the_checks_fail_or_skip_never_pass(tmp_path, strict):
    result = run_book_checks(tmp_path / "no-such-build", strict)
    output = result.stdout + result.stderr
    assert "make book" in output
    if strict:
        assert result.returncode == 1 and "1 error" in output, output[-2000:]
    else:
        assert result.returncode == 0 and "1 skipped" in output and "passed" not in output


def test_a_build_without_the_execution_record_is_not_checked(tmp_path):
    (tmp_path / "index.html").write_text("<html></html>")
    result = run_book_checks(tmp_path, strict=True)
    assert result.returncode == 1 and "execution record" in result.stdout + result.stderr
