"""Build the book in fast mode from a copy of the repository and check the HTML.

The copy keeps the repository's own build cache and generated folders out of the
way; data come from the shared dataset cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlphys.data import cache_dir

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LECTURES = sorted(p.stem for p in (REPO / "lectures").glob("[0-9]*.ipynb"))
EXERCISES = sorted(p.name for p in (REPO / "exercises").glob("[0-9]*") if p.is_dir())
IGNORE = shutil.ignore_patterns(".venv", "_build", ".git", "cache", "release", "submitted",
                                "autograded", "feedback", "gradebook.db",
                                ".ipynb_checkpoints", "__pycache__")


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    book = tmp_path_factory.mktemp("book") / "repo"
    shutil.copytree(REPO, book, ignore=IGNORE)
    shutil.rmtree(book / "book" / "exercises", ignore_errors=True)
    env = dict(os.environ, DLPHYS_FAST="1", DLPHYS_DATA=str(cache_dir()))
    release = subprocess.run([sys.executable, "grader/release.py"],
                             cwd=book, env=env, capture_output=True, text=True)
    assert release.returncode == 0, release.stdout + release.stderr
    build = subprocess.run([str(BIN / "jupyter-book"), "build", ".", "--path-output", "."],
                           cwd=book, env=env, capture_output=True, text=True)
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-5000:]
    assert "build succeeded" in log, log[-5000:]
    return book / "_build" / "html"


def page(html: Path, relative: str) -> str:
    path = html / relative
    assert path.exists(), f"missing page {relative}"
    return path.read_text()


@pytest.mark.notebooks
@pytest.mark.parametrize("lecture", LECTURES)
def test_lecture_page_is_executed_and_clean(html, lecture):
    text = page(html, f"lectures/{lecture}.html")
    assert re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.png"', text), "no executed figure"
    assert 'class="math notranslate nohighlight"' in text, "no rendered math"
    for bad in ("Traceback (most recent call last)", 'class="output traceback',
                "ansi-red-fg", "Error</span>", "NotImplementedError"):
        assert bad not in text, f"{lecture} shows {bad!r}"
    # TensorFlow/tqdm start-up noise (stderr) stays out of the page
    assert "oneDNN" not in text and "cuda" not in text.lower().replace("cudart", "")
    number = lecture.split("_")[0]
    assert re.search(rf'href="[^"]*exercises/{number}_[^"]+\.html"', text), "no exercise link"


@pytest.mark.notebooks
@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise_page_is_the_student_version(html, exercise):
    text = page(html, f"book/exercises/{exercise}.html")
    assert "YOUR CODE HERE" in text or "NotImplementedError" in text
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert secret not in text


@pytest.mark.notebooks
def test_front_matter_and_citations(html):
    for relative in ("index.html", "book/intro.html", "book/setup.html", "book/syllabus.html",
                     "book/instructors.html", "book/glossary.html", "book/bibliography.html"):
        page(html, relative)
    bibliography = page(html, "book/bibliography.html")
    assert "Goodfellow" in bibliography
    intro = page(html, "book/intro.html")
    assert "Erdmann" in intro, "citation in the intro did not resolve"
