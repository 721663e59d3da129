"""Hostile submissions against the grading sandbox, graded as an instructor grades.

One batch of exercise 1 goes through ``grader/autograde.py`` (what ``make autograde``
runs): an honest student first, one submission per attack, a malformed notebook, and
an honest student last.  The attacks are the ones an instructor met (gradebook
edits, reading the solutions, overwriting a classmate, killing the grader, a
detached process, a memory bomb, a fork bomb, an output flood, IPython input
transformers, patched test helpers).  The test asserts every score, the ``flagged``
marks, the honest students' full marks, unchanged sources, gradebook and classmates'
files, feedback without solution code, and no process left behind.

Needs bubblewrap (Linux); without it the test is skipped with a reason, unless
``DLPHYS_STRICT=1`` (set by ``.ci/run``) makes that a failure.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from test_grading import GRADER, REPO, STRICT, meta, nbgrader, sandbox, submission

EXERCISE = "01_fundamentals"
MARKER = "dlphys-hostile-daemon-7f3a"  # in the command line of the detached process

# attack code, put into the first solution cell of an otherwise blank submission
ATTACKS = {
    "gradebook_edit": """
import os, sqlite3
here = os.path.abspath(".")
candidates = [os.path.join(here, *[".."] * k, "gradebook.db") for k in range(6)]
candidates.append("{grader}/gradebook.db")  # where `make autograde` keeps the class's
hits = [p for p in candidates if os.path.exists(p)]
for path in hits:
    try:
        db = sqlite3.connect(path)
        db.execute("UPDATE grade SET manual_score = 99")
        db.commit()
    except sqlite3.Error as error:
        print(path, "not changed:", error)
print("gradebooks found:", hits)
""",
    "read_solutions": """
import glob, os
found = []
for k in range(8):
    base = os.path.abspath(os.path.join(".", *[".."] * k))
    found += glob.glob(os.path.join(base, "exercises", "*", "*.ipynb"))
for path in found:
    print(open(path).read())
print("sources found:", len(found))
""",
    "overwrite_classmate": """
import glob, os
targets = glob.glob(os.path.abspath("../../../submitted/*/*/*.ipynb"))
targets += glob.glob(os.path.abspath("../../*/*/*.ipynb"))
written = []
for path in targets:
    if "overwrite_classmate" in path:
        continue
    try:
        open(path, "w").write("{}")
        written.append(path)
    except OSError as err:
        pass
print("overwritten:", written)
""",
    "kill_grader": """
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
try:
    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
except OSError as err:
    print("killpg:", err)
print("still alive")
""",
    "detached_process": f"""
import subprocess, sys
code = ("import time, pathlib; time.sleep(4); "
        "[pathlib.Path(p).write_text('pwned') for p in ('{{grader}}/pwned', '/tmp/pwned')]")
subprocess.Popen([sys.executable, "-c", code, "{MARKER}"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
""",
    "memory_bomb": """
block = bytearray(6 * 2**30)
print("allocated", len(block))
""",
    "fork_bomb": f"""
import os, time
children = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            os.execv("/bin/sleep", ["{MARKER}-fork", "120"])
        children += 1
except OSError as err:
    print("fork stopped after", children, "children:", type(err).__name__)
""",
    "output_flood": """
import sys
for _ in range(300):
    sys.stdout.write("x" * 100_000 + "\\n")
""",
    "input_transformer": """
def skip_tests(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines
get_ipython().input_transformers_post.append(skip_tests)
""",
    "patched_helpers": """
import numpy as np
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
def softplus(x):
    return x
""",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def processes_with(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


@pytest.fixture(scope="module")
def sandbox_available():
    reason = sandbox.unavailable_reason()
    if reason:
        if STRICT:
            pytest.fail(f"DLPHYS_STRICT=1 and the grading sandbox is missing: {reason}")
        pytest.skip(f"grading sandbox unavailable ({reason}); install bubblewrap "
                    "(apt-get install bubblewrap) and run `make test` to include this test")


def test_autograde_refuses_without_sandbox(tmp_path):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no bwrap on PATH
    env.pop(sandbox.UNSANDBOXED_VARIABLE, None)
    result = subprocess.run([sys.executable, str(GRADER / "autograde.py"), EXERCISE,
                             "--root", str(tmp_path)], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "Refusing to grade" in result.stderr and "apt-get install bubblewrap" in result.stderr
    env[sandbox.UNSANDBOXED_VARIABLE] = "1"
    result = subprocess.run([sys.executable, str(GRADER / "autograde.py"), EXERCISE,
                             "--root", str(tmp_path)], env=env, capture_output=True, text=True)
    assert "WITHOUT the sandbox" in result.stderr
    assert "no submissions" in result.stderr


@pytest.mark.notebooks
def test_hostile_batch(sandbox_available, tmp_path):
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    nbgrader("generate_assignment", EXERCISE, "--force", root=root)
    release = nbformat.read(root / "release" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)
    source_path = REPO / "exercises" / EXERCISE / f"{EXERCISE}.ipynb"
    source = nbformat.read(source_path, as_version=4)
    first_solution = next(meta(c)["grade_id"] for c in source.cells
                          if meta(c).get("solution") and c.cell_type == "code")

    notebooks = {"a_honest_first": submission(release, source)}
    for name, code in ATTACKS.items():
        code = code.replace("{grader}", str(GRADER))
        notebooks[f"b_{name}"] = submission(release, source, fill=False,
                                            replace={first_solution: code})
    notebooks["z_honest_last"] = submission(release, source)
    for student, notebook in notebooks.items():
        folder = root / "submitted" / student / EXERCISE
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{EXERCISE}.ipynb")
    malformed = root / "submitted" / "c_malformed" / EXERCISE
    malformed.mkdir(parents=True)
    (malformed / f"{EXERCISE}.ipynb").write_text('{"cells": [ this is not json')

    protected = [source_path, root / "submitted" / "z_honest_last" / EXERCISE / f"{EXERCISE}.ipynb"]
    before = {path: digest(path) for path in protected}
    for leftover in (GRADER / "pwned", Path("/tmp/pwned")):
        leftover.unlink(missing_ok=True)

    env = dict(os.environ, DLPHYS_FAST="1", DLPHYS_GRADING_TIMEOUT="120")
    result = subprocess.run([sys.executable, str(GRADER / "autograde.py"), EXERCISE,
                             "--root", str(root)], cwd=GRADER, env=env,
                            capture_output=True, text=True)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    print(report)

    # every student is in the summary; only the malformed notebook failed
    table = result.stdout.split("\nstudent ", 1)[1].splitlines()[1:-1]
    lines = {line.split()[0]: line for line in table}
    assert set(lines) == set(notebooks) | {"c_malformed"}
    assert "FAILED" in lines["c_malformed"]
    assert sum("FAILED" in line for line in lines.values()) == 1, report

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        def flagged(student):
            return any(nb.flagged for nb in gb.find_submission(EXERCISE, student).notebooks)

        for honest in ("a_honest_first", "z_honest_last"):
            submitted = gb.find_submission(EXERCISE, honest)
            assert submitted.code_score == submitted.max_code_score > 0, honest
            assert not flagged(honest), honest
        for name in ATTACKS:
            student = f"b_{name}"
            score = gb.find_submission(EXERCISE, student).code_score
            # blank everywhere but the attack cell: no autograded points can be earned,
            # except by patching the helpers (which is flagged)
            if name == "patched_helpers":
                assert flagged(student)
            else:
                assert score == 0, f"{student} scored {score}"
            assert all(g.manual_score in (None, 0) for nb in
                       gb.find_submission(EXERCISE, student).notebooks for g in nb.grades), student
        assert flagged("b_input_transformer")
        assert not flagged("b_memory_bomb")

    # nothing outside a student's own folder changed
    assert {path: digest(path) for path in protected} == before
    # feedback shows no solution code and no source notebook
    nbgrader("generate_feedback", EXERCISE, root=root)
    hidden = [line for c in source.cells if meta(c).get("solution") and c.cell_type == "code"
              for line in c.source.splitlines() if len(line.strip()) > 25][:5]
    for student in notebooks:
        html = (root / "feedback" / student / EXERCISE / f"{EXERCISE}.html")
        text = html.read_text()
        assert "BEGIN SOLUTION" not in text, student
        assert html.stat().st_size < 8 * 2**20, f"{student}: feedback of {html.stat().st_size} B"
        if not student.endswith("honest_first") and not student.endswith("honest_last"):
            for line in hidden:
                assert line not in text, f"{student}'s feedback shows solution line {line!r}"
    graded = root / "autograded"
    assert "sources found: 0" in (graded / "b_read_solutions" / EXERCISE /
                                  f"{EXERCISE}.ipynb").read_text()
    assert "gradebooks found: []" in (graded / "b_gradebook_edit" / EXERCISE /
                                      f"{EXERCISE}.ipynb").read_text()
    assert "overwritten: []" in (graded / "b_overwrite_classmate" / EXERCISE /
                                 f"{EXERCISE}.ipynb").read_text()
    assert "still alive" in (graded / "b_kill_grader" / EXERCISE / f"{EXERCISE}.ipynb").read_text()
    assert "MemoryError" in (graded / "b_memory_bomb" / EXERCISE / f"{EXERCISE}.ipynb").read_text()
    assert "fork stopped after" in (graded / "b_fork_bomb" / EXERCISE /
                                    f"{EXERCISE}.ipynb").read_text()
    assert (graded / "b_output_flood" / EXERCISE / f"{EXERCISE}.ipynb").stat().st_size < 8 * 2**20

    # the detached process and the fork bomb's children died with their sandboxes
    time.sleep(6)
    assert processes_with(MARKER) == []
    assert not (GRADER / "pwned").exists() and not Path("/tmp/pwned").exists()


def test_sandbox_keeps_the_environment_visible_under_emptied_folders(tmp_path, monkeypatch):
    """A course checked out under /tmp (or the grader's home): the sandbox empties /tmp for
    the kernel but binds the course package and its virtual environment back, read-only,
    before it hides the exercises and the grader."""
    course = Path("/tmp") / "a-course-checkout"
    monkeypatch.setattr(sandbox, "REPO_DIR", course)
    monkeypatch.setattr(sandbox.sys, "prefix", str(course / ".venv"))
    student_dir, ipc_dir = tmp_path / "student", tmp_path / "ipc"
    args = sandbox.bwrap_command(["python"], student_dir, ipc_dir)
    pairs = list(zip(args[:-1], args[1:], strict=True))
    emptied = pairs.index(("--tmpfs", "/tmp"))
    for kept in (course, course / ".venv"):
        rebound = pairs.index(("--ro-bind", str(kept)))
        assert rebound > emptied and args[rebound + 2] == str(kept), kept
