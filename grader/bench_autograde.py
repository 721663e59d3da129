"""Benchmark of the sandboxed autograder: overhead per notebook and a class-sized batch.

    python grader/bench_autograde.py [--exercise 01_fundamentals] [--students 30] [--jobs 2]

(`make bench-grading`.)  In a temporary course folder it

1. grades one reference submission with and without the sandbox
   (``DLPHYS_GRADE_UNSANDBOXED=1``) and prints the difference: the sandbox's
   overhead per notebook;
2. grades ``--students`` copies of the reference solution with ``--jobs`` students at
   a time and prints the wall time of the batch and per submission.

Exercises run in the mode of ``DLPHYS_FAST`` (unset: full mode, as students run
them).  Nothing in the course's own ``grader/`` folder is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

GRADER_DIR = Path(__file__).resolve().parent
REPO_DIR = GRADER_DIR.parent
NBGRADER = Path(sys.executable).parent / "nbgrader"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def reference_submission(exercise: str, root: Path) -> nbformat.NotebookNode:
    """The student version with every solution cell filled from the source."""
    source = nbformat.read(REPO_DIR / "exercises" / exercise / f"{exercise}.ipynb", 4)
    release = nbformat.read(root / "release" / exercise / f"{exercise}.ipynb", 4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if line.strip() not in MARKERS)
        for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return release


def run(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=GRADER_DIR, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(command[:3])} ... failed (exit status {result.returncode}):\n"
                 f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", default="01_fundamentals")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    env = dict(os.environ, PATH=f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    autograde = [sys.executable, str(GRADER_DIR / "autograde.py"), args.exercise]
    with tempfile.TemporaryDirectory(prefix="dlphys-bench-") as tmp:
        root = Path(tmp) / "course"
        root.mkdir()
        run([str(NBGRADER), "generate_assignment", args.exercise, "--force",
             f"--CourseDirectory.root={root}"], env)
        notebook = reference_submission(args.exercise, root)

        def submit(student):
            folder = root / "submitted" / student / args.exercise
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, folder / f"{args.exercise}.ipynb")

        submit("overhead")
        seconds = {}
        for label, extra in (("sandboxed", {}), ("unsandboxed", {"DLPHYS_GRADE_UNSANDBOXED": "1"})):
            # nbgrader skips a student whose autograded folder exists: grade afresh each time
            shutil.rmtree(root / "autograded" / "overhead", ignore_errors=True)
            seconds[label] = run(autograde + ["--root", str(root)], {**env, **extra})
        print(f"one submission of {args.exercise}: {seconds['sandboxed']:.1f} s in the sandbox, "
              f"{seconds['unsandboxed']:.1f} s without; overhead "
              f"{seconds['sandboxed'] - seconds['unsandboxed']:+.1f} s per notebook", flush=True)
        (root / "submitted" / "overhead").rename(root / "overhead-done")
        for i in range(args.students):
            submit(f"student{i:03d}")
        batch = run(autograde + ["--root", str(root), "--jobs", str(args.jobs)], env)
        print(f"{args.students} submissions, {args.jobs} at a time: {batch / 60:.1f} min "
              f"({batch / args.students:.1f} s per submission)")


if __name__ == "__main__":
    main()
