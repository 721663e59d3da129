"""The nbgrader pipeline of every exercise, as an instructor runs it.

For each exercise, in a temporary course directory (the repository's
``grader/nbgrader_config.py`` with its root moved there):

1. generate the student version from the source notebook;
2. collect three submissions: the reference solution, the blank student version,
   and a *wrong* one: the deliberately wrong answer of ``grading_cases.py`` in its
   solution cell, plus an extra cell that never returns, inserted before the first
   solution cell (so every graded part comes after it);
3. autograde them in one batch and check the scores: the reference gets full marks,
   the blank version zero, and the wrong one loses exactly the points of the tests
   its wrong answer fails -- which also proves that the per-cell timeout cut the
   hanging cell and that grading went on with every cell after it;
4. generate feedback and export the grades to CSV.

The reference submission runs the same code as the source notebook (solutions,
visible and hidden tests), so this test is also the check that every exercise
runs and passes its own tests (the exercise sources are not run by nbval as well).
Each exercise's code is executed twice (reference and wrong submission).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_cases import WRONG_ANSWERS

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"
EXERCISES = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir()
                   and (p / f"{p.name}.ipynb").exists())
NBGRADER = Path(sys.executable).parent / "nbgrader"
#: per-cell limit during these tests: longer than any fast-mode cell, short enough
#: that the hanging submission does not stall the suite
CELL_TIMEOUT_S = int(os.environ.get("DLPHYS_TEST_CELL_TIMEOUT", "90"))  # raise on a slow machine
HANG = ("import time\n"
        "while True:  # never returns: the grading timeout must cut it\n"
        "    time.sleep(0.5)\n")
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


sys.path.insert(0, str(GRADER))
import sandbox  # noqa: E402

#: why the grading sandbox cannot run here (None: it can)
SANDBOX_MISSING = sandbox.unavailable_reason()
STRICT = os.environ.get("DLPHYS_STRICT") == "1"


def nbgrader(*args, root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLPHYS_FAST="1", DLPHYS_GRADING_TIMEOUT=str(CELL_TIMEOUT_S))
    if SANDBOX_MISSING:
        if STRICT:
            pytest.fail(f"DLPHYS_STRICT=1 and the grading sandbox is missing: {SANDBOX_MISSING}")
        # the pipeline's guarantees are still checked, without the sandbox (the hostile
        # suite, which needs it, is skipped with the reason)
        env[sandbox.UNSANDBOXED_VARIABLE] = "1"
    result = subprocess.run(
        [str(NBGRADER), *args, f"--CourseDirectory.root={root}"],
        cwd=GRADER, env=env, capture_output=True, text=True)
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output}"
    return result


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
               replace: dict[str, str] | None = None, fill: bool = True):
    """The release notebook with solution cells filled from the source (or replaced)."""
    for grade_id in replace or {}:
        assert any(meta(c).get("grade_id") == grade_id for c in source.cells), \
            f"no solution cell {grade_id!r} in the source notebook"
    solutions = {meta(c)["grade_id"]: strip_markers(c.source)
                 for c in source.cells if meta(c).get("solution")}
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = meta(cell).get("grade_id")
        if replace and grade_id in replace:
            cell.source = replace[grade_id]
        elif fill and meta(cell).get("solution"):
            cell.source = solutions[grade_id]
    return notebook


def test_every_exercise_has_a_wrong_answer():
    assert EXERCISES, "no exercises found"
    missing = sorted(set(EXERCISES) - set(WRONG_ANSWERS))
    assert not missing, f"add a WrongAnswer for {missing} to tests/grading_cases.py"


def test_configured_timeout_applies_to_nbgrader_executor(monkeypatch):
    """The value in nbgrader_config.py reaches the class that runs the cells."""
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    for env, expected in [(None, 300), ("45", 45)]:
        if env is None:
            monkeypatch.delenv("DLPHYS_GRADING_TIMEOUT", raising=False)
        else:
            monkeypatch.setenv("DLPHYS_GRADING_TIMEOUT", env)
        config = PyFileConfigLoader("nbgrader_config.py", path=str(GRADER)).load_config()
        assert Execute(config=config).timeout == expected


@pytest.mark.notebooks
@pytest.mark.parametrize("exercise", EXERCISES)
def test_grading_pipeline(exercise, tmp_path):
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    nbgrader("generate_assignment", exercise, "--force", root=root)
    release_path = root / "release" / exercise / f"{exercise}.ipynb"
    release = nbformat.read(release_path, as_version=4)
    source = nbformat.read(REPO / "exercises" / exercise / f"{exercise}.ipynb", as_version=4)

    # the student version hides every solution and every hidden test
    text = release_path.read_text()
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
        assert secret not in text, f"student version of {exercise} shows {secret!r}"
    assert "raise NotImplementedError" in text

    wrong = WRONG_ANSWERS[exercise]
    submissions = {
        "reference": submission(release, source),
        "blank": release,
        "wrong": with_hanging_cell(
            submission(release, source, replace={wrong.solution_cell: wrong.code})),
    }
    for student, notebook in submissions.items():
        folder = root / "submitted" / student / exercise
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{exercise}.ipynb")

    nbgrader("autograde", exercise, "--create", root=root)

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        def scores(student):
            nb = gradebook.find_submission_notebook(exercise, exercise, student)
            return nb.code_score, nb.max_code_score

        def test_score(student, grade_id):
            return gradebook.find_grade(grade_id, exercise, exercise, student).score

        def points(grade_id):
            return gradebook.find_grade(grade_id, exercise, exercise, "reference").max_score

        full, maximum = scores("reference")
        assert maximum >= 3, "an exercise needs several autograded points"
        assert full == maximum, f"reference solution scored {full}/{maximum}"
        assert scores("blank")[0] == 0
        lost = sum(points(g) for g in wrong.failing_tests)
        assert 0 < lost < maximum
        score = scores("wrong")[0]
        assert score == maximum - lost, (
            f"wrong submission (with a hanging cell): {score}, expected {maximum - lost}: "
            f"either the wrong answer fails other tests than {wrong.failing_tests}, or "
            f"grading did not go on after the hanging cell")
        for grade_id in wrong.failing_tests:
            assert test_score("wrong", grade_id) == 0

    graded = nbformat.read(root / "autograded" / "wrong" / exercise / f"{exercise}.ipynb", 4)
    hung = [c for c in graded.cells if c.cell_type == "code" and c.source == HANG]
    assert len(hung) == 1, "the hanging cell is missing from the autograded notebook"
    errors = [o.get("ename", "") for o in hung[0].outputs if o.get("output_type") == "error"]
    assert any("Timeout" in e for e in errors), f"timeout not recorded (errors: {errors})"
    after = graded.cells[graded.cells.index(hung[0]) + 1:]
    assert all(c.get("execution_count") for c in after if c.cell_type == "code"), \
        "cells after the hanging one were not executed"

    nbgrader("generate_feedback", exercise, root=root)
    for student in submissions:
        assert (root / "feedback" / student / exercise / f"{exercise}.html").exists()
    grades_csv = tmp_path / "grades.csv"
    nbgrader("export", f"--to={grades_csv}", root=root)
    with open(grades_csv) as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == set(submissions)
    assert float(rows["blank"]["raw_score"]) == 0


def with_hanging_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with a cell that never returns just before its first solution cell."""
    first = next(i for i, c in enumerate(notebook.cells) if meta(c).get("solution"))
    notebook.cells.insert(first, nbformat.v4.new_code_cell(HANG))
    return notebook
