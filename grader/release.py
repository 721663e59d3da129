"""Generate the student version of every exercise (``make release``).

Runs ``nbgrader generate_assignment`` for each ``exercises/NN_slug`` (writing
``grader/release/NN_slug/``) and copies the student notebooks to
``book/exercises/`` where the book shows them.  Usage::

    python grader/release.py [NN_slug ...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

GRADER = Path(__file__).resolve().parent
REPO = GRADER.parent
BIN = Path(sys.executable).parent


def all_exercises() -> list[str]:
    return sorted(p.name for p in (REPO / "exercises").glob("[0-9]*")
                  if (p / f"{p.name}.ipynb").exists())


def release(exercises: list[str]) -> None:
    # nbgrader runs `alembic` from PATH when it opens the gradebook
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    book = REPO / "book" / "exercises"
    book.mkdir(parents=True, exist_ok=True)
    for exercise in exercises:
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", exercise, "--force",
                        "--log-level=WARN"], cwd=GRADER, env=env, check=True)
        student = GRADER / "release" / exercise / f"{exercise}.ipynb"
        shutil.copyfile(student, book / student.name)
        print(f"released {exercise}: {student.relative_to(REPO)}")


def main(argv: list[str]) -> None:
    known = all_exercises()
    unknown = sorted(set(argv) - set(known))
    if unknown:
        sys.exit(f"unknown exercise(s) {unknown}; known: {known}")
    release(argv or known)


if __name__ == "__main__":
    main(sys.argv[1:])
