"""Autograde every submission of one exercise, each student in the sandbox, and summarise.

    python grader/autograde.py 01_fundamentals [--root COURSE_DIR] [--jobs N]

(`make autograde EX=01_fundamentals` runs this.)  Submissions are read from
``<root>/submitted/<student>/<exercise>/``; ``<root>`` defaults to this folder.  Every
student is graded by an ``nbgrader autograde --student`` process of its own, so a
submission that breaks nbgrader itself costs only that student; kernels run in the
bubblewrap sandbox of ``sandbox.py`` (refused where it is missing, unless
``DLPHYS_GRADE_UNSANDBOXED=1``).  Only these grader processes write the gradebook.
At the end a summary lists every student as graded (score), failed (with the
reason) or flagged (with the integrity report's reasons).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sandbox

GRADER_DIR = Path(__file__).resolve().parent
NBGRADER = Path(sys.executable).parent / "nbgrader"
_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b.*")


def failure_reason(output: str) -> str:
    """The last exception line of nbgrader's log, or its last error message."""
    lines = [line.strip() for line in output.splitlines()]
    errors = [line for line in lines if _ERROR_LINE.match(line)]
    if errors:
        return errors[-1][:300]
    logged = [line for line in lines if "| ERROR]" in line]
    return logged[-1][:300] if logged else "nbgrader failed without a message"


def thread_limits(jobs: int) -> dict:
    """Thread counts for kernels graded ``jobs`` at a time: the cores shared out, so that
    parallel kernels do not oversubscribe the CPU (settings already in the environment win)."""
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    limits = {"OMP_NUM_THREADS": threads, "TF_NUM_INTRAOP_THREADS": threads,
              "TF_NUM_INTEROP_THREADS": "1"}
    return {name: value for name, value in limits.items() if name not in os.environ}


def grade_student(exercise: str, student: str, root: Path, jobs: int = 1) -> dict:
    """Run nbgrader for one student; return its status."""
    command = [str(NBGRADER), "autograde", exercise, f"--student={student}", "--create",
               f"--CourseDirectory.root={root}"]
    env = dict(os.environ, PATH=f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if jobs > 1:
        env.update(thread_limits(jobs))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=GRADER_DIR, env=env, capture_output=True, text=True)
    output = f"{result.stdout}\n{result.stderr}"
    failed = result.returncode != 0 or "There was an error processing assignment" in output
    return {"student": student, "seconds": time.perf_counter() - start,
            "failed": failure_reason(output) if failed else None}


def gradebook_rows(exercise: str, root: Path, statuses: list[dict]) -> list[dict]:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for status in statuses:
            row = dict(status, score=None, max_score=None, flagged=False, reasons=[])
            try:
                submission = gb.find_submission(exercise, status["student"])
            except MissingEntry:
                rows.append(row)
                continue
            row["score"], row["max_score"] = submission.score, submission.max_score
            row["flagged"] = any(nb.flagged for nb in submission.notebooks)
            report = root / "integrity" / exercise / f"{status['student']}.json"
            if report.exists():
                row["reasons"] = json.loads(report.read_text())["reasons"]
            rows.append(row)
    return rows


def summary(rows: list[dict]) -> str:
    lines = [f"{'student':24s} {'score':>13s}  status"]
    for row in rows:
        score = ("-" if row["score"] is None
                 else f"{row['score']:g} / {row['max_score']:g}")
        if row["failed"]:
            status = f"FAILED: {row['failed']}"
        elif row["flagged"]:
            status = "FLAGGED: " + "; ".join(row["reasons"][:3])
        else:
            status = "graded"
        lines.append(f"{row['student']:24s} {score:>13s}  {status}")
    graded = sum(not r["failed"] for r in rows)
    failed = sum(bool(r["failed"]) for r in rows)
    flagged = sum(bool(r["flagged"]) for r in rows)
    lines.append(f"{len(rows)} submissions: {graded} graded, {failed} failed, {flagged} flagged "
                 f"for manual review (reasons in integrity/<exercise>/<student>.json)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise")
    parser.add_argument("--root", type=Path, default=GRADER_DIR, help="course directory")
    parser.add_argument("--jobs", type=int, default=1, help="students graded at once")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if os.environ.get(sandbox.UNSANDBOXED_VARIABLE, "0") == "1":
        print(f"warning: {sandbox.UNSANDBOXED_VARIABLE}=1: grading WITHOUT the sandbox; "
              "student code runs with your permissions", file=sys.stderr)
    else:
        reason = sandbox.unavailable_reason()
        if reason:
            print(f"Refusing to grade: {reason}.\nTo grade, {sandbox.INSTALL_HINT}.",
                  file=sys.stderr)
            return 2
        sandbox.install_kernelspec()
    submitted = root / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{args.exercise}") if p.is_dir())
    if not students:
        print(f"no submissions of {args.exercise} under {submitted}/<student>/{args.exercise}/",
              file=sys.stderr)
        return 2
    print(f"grading {len(students)} submissions of {args.exercise} "
          f"({args.jobs} at a time)...", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        statuses = list(pool.map(lambda s: grade_student(args.exercise, s, root, args.jobs),
                                 students))
    print(summary(gradebook_rows(args.exercise, root, statuses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
