"""Grader-side integrity checks of autograded notebooks (nbgrader preprocessors).

The sandbox (``sandbox.py``) keeps a submission away from files, processes and the
network.  What it cannot stop is cheating *inside* the kernel: code that patches
IPython's input transformers or execution hooks, the assertion helpers, builtins or
modules, so that the tests run but check nothing.  These preprocessors, run by the
grader process around nbgrader's ``Execute``, catch it without relying on how the
cheat is spelled:

1. :class:`InstrumentTests` gives every autograded test cell a random per-grading
   *canary*: the cell prints it after its last statement.  A test cell that ends
   without an error but without its canary did not run its own code (a
   transformer replaced or cut it): the cell is turned into an error, so it scores
   zero, and the submission is flagged.  It also puts a *probe* before the first
   and after the last cell, which records the kernel's hooks (input and AST
   transformers, event callbacks, trace functions, ``showtraceback``, builtins, the
   testing helpers); any difference flags the submission.
2. :class:`CappedExecute` is nbgrader's ``Execute`` with a cap on the output kept
   per notebook, so a flood of output cannot exhaust the grader or bloat feedback.
3. :class:`VerifyIntegrity` checks canaries and probes, removes the probes and the
   canary lines, and scans the submitted code (its syntax tree) for the hooks and
   modules such cheats use.
4. :class:`FlagTampering` (after ``SaveAutoGrades``) sets nbgrader's ``flagged`` on
   the submitted notebook and writes the reasons to
   ``<course>/integrity/<assignment>/<student>.json``.

Limits: a kernel controls its own memory, so a cheat written against this very file
(reproducing canaries and probe output) can pass the in-kernel checks; the code scan
and the flag for manual review are the backstop.  See the instructors' page.
"""

from __future__ import annotations

import ast
import json
import secrets
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer

RESOURCE_KEY = "dlphys_integrity"
PROBE_TAG = "dlphys-integrity-probe"
MARKER = "\x1edlphys-"

#: attributes and modules whose use in submitted code is reported (manual review)
SUSPICIOUS_ATTRIBUTES = {
    "input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
    "ast_transformers", "events", "register_magics", "showtraceback", "_showtraceback",
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell",
    "settrace", "setprofile", "__builtins__", "excepthook", "set_custom_exc",
}
SUSPICIOUS_MODULES = {"builtins", "ctypes", "gc", "inspect", "sqlite3", "nbgrader",
                      "nbformat", "signal", "resource"}

PROBE_CODE = '''\
def _dlphys_probe(marker):
    import builtins, json, sys
    import numpy.testing
    ip = get_ipython()
    def name(obj):
        obj = getattr(obj, "__func__", obj)
        qualname = getattr(obj, "__qualname__", type(obj).__name__)
        return f"{getattr(obj, '__module__', '?')}.{qualname}"
    def foreign(callbacks):
        return sorted(name(c) for c in callbacks
                      if not name(c).startswith(("IPython.", "ipykernel.", "matplotlib")))
    testing = numpy.testing
    state = {
        "input_transformers_cleanup": [name(t) for t in ip.input_transformers_cleanup],
        "input_transformers_post": [name(t) for t in ip.input_transformers_post],
        "ast_transformers": [name(t) for t in ip.ast_transformers],
        "events": {k: foreign(v) for k, v in ip.events.callbacks.items()},
        "trace": name(sys.gettrace()) if sys.gettrace() else None,
        "profile": name(sys.getprofile()) if sys.getprofile() else None,
        "showtraceback": name(ip.showtraceback), "run_cell": name(ip.run_cell),
        "excepthook": name(sys.excepthook) if sys.excepthook is not sys.__excepthook__ else None,
        "builtins": sorted(k for k, v in vars(builtins).items()
                           if callable(v) and getattr(v, "__module__", "builtins") != "builtins"
                           and not isinstance(v, type)),
        "testing": {k: name(getattr(testing, k)) for k in
                    ("assert_allclose", "assert_array_equal", "assert_equal")},
    }
    print(marker + json.dumps(state, sort_keys=True))
_dlphys_probe(%r)
del _dlphys_probe
'''


def _canary_line(token: str) -> str:
    return f"\nprint({MARKER + 'ran-' + token!r})"


def _stream_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream")


def _strip_marker_lines(cell) -> None:
    if cell.cell_type != "code":
        return
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and MARKER in output.get("text", ""):
            # split("\n"), not splitlines(): the marker's \x1e counts as a line break there
            text = "\n".join(line for line in output["text"].split("\n") if MARKER not in line)
            if not text.strip():
                continue
            output["text"] = text
        kept.append(output)
    cell["outputs"] = kept


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class InstrumentTests(NbGraderPreprocessor):
    """Canary in every autograded test cell; a state probe before and after the notebook."""

    def preprocess(self, nb, resources):
        state = {"tokens": {}, "sources": {}, "probe": secrets.token_hex(8)}
        for index, cell in enumerate(nb.cells):
            if _is_test(cell):
                token = secrets.token_hex(8)
                state["tokens"][str(index + 1)] = token  # index after the first probe
                state["sources"][str(index + 1)] = cell.source
                cell.source = cell.source + _canary_line(token)
        marker = f"{MARKER}probe-{state['probe']}:"
        for position in (0, len(nb.cells) + 1):
            probe = nbformat.v4.new_code_cell(PROBE_CODE % marker)
            probe.metadata["tags"] = [PROBE_TAG]
            nb.cells.insert(position, probe)
        resources[RESOURCE_KEY] = state
        return nb, resources


class CappedExecute(Execute):
    """nbgrader's Execute, keeping at most ``output_limit_bytes`` of output per notebook."""

    output_limit_bytes = Integer(4 << 20, help="output kept per notebook, bytes").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes = 0
        self._output_capped = False
        return super().preprocess(nb, resources, km=km)

    def output(self, outs, msg, display_id, cell_index):
        self._output_bytes += len(json.dumps(msg.get("content", {}), default=str))
        if self._output_bytes > self.output_limit_bytes:
            if not self._output_capped:
                self._output_capped = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[grading: the notebook's output exceeded "
                         f"{self.output_limit_bytes / 2**20:g} MiB; the rest was dropped]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def scan_code(source: str) -> list[str]:
    """Uses of hooks, helpers and modules that in-kernel cheats rely on, one line each."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # IPython syntax (magics); the probes still apply
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRIBUTES:
            found.append(f"line {node.lineno}: uses .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in SUSPICIOUS_ATTRIBUTES:
            found.append(f"line {node.lineno}: uses {node.id}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""])
            for module in modules:
                if module.split(".")[0] in SUSPICIOUS_MODULES:
                    found.append(f"line {node.lineno}: imports {module}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"setattr", "exec", "eval", "compile", "__import__"}):
            found.append(f"line {node.lineno}: calls {node.func.id}()")
    return found


class VerifyIntegrity(NbGraderPreprocessor):
    """Check canaries and probes; restore the test cells; scan the submitted code."""

    def preprocess(self, nb, resources):
        state = resources.get(RESOURCE_KEY)
        if state is None:
            return nb, resources
        reasons = []
        probes = []
        for index, cell in enumerate(nb.cells):
            if PROBE_TAG in cell.metadata.get("tags", []):
                probes.append(self._probe_state(cell, state["probe"]))
                continue
            key = str(index)
            if key in state["tokens"]:
                self._check_test(cell, state["tokens"][key], reasons)
                cell.source = state["sources"][key]
            _strip_marker_lines(cell)
            if cell.cell_type == "code" and (is_solution(cell) or not is_grade(cell)):
                cell_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
                reasons += [f"code scan, {cell_id}, {hit}" for hit in scan_code(cell.source)]
        before, after = probes if len(probes) == 2 else (None, None)
        if before is None or after is None:
            reasons.append("integrity probe did not report (the kernel died, or its output "
                           "was capped or altered)")
        elif before != after:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            reasons.append(f"kernel hooks changed during the notebook: {', '.join(changed)}")
        nb.cells = [c for c in nb.cells if PROBE_TAG not in c.metadata.get("tags", [])]
        state["reasons"] = reasons
        return nb, resources

    @staticmethod
    def _probe_state(cell, probe_token):
        marker = f"{MARKER}probe-{probe_token}:"
        for line in _stream_text(cell).split("\n"):
            if line.startswith(marker):
                try:
                    return json.loads(line[len(marker):])
                except ValueError:
                    return None
        return None

    @staticmethod
    def _check_test(cell, token, reasons):
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ran = _stream_text(cell).count(MARKER + "ran-" + token) == 1
        if errored or ran:
            return
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        reasons.append(f"test cell {grade_id} finished without running its code (scored zero)")
        cell["outputs"] = [nbformat.v4.new_output(
            "error", ename="GradingIntegrityError",
            evalue="this test cell did not run its own code; the submission is flagged",
            traceback=["GradingIntegrityError: this test cell did not run its own code "
                       "(something in the notebook changed how cells execute); the "
                       "submission is flagged for manual review"])]


class FlagTampering(NbGraderPreprocessor):
    """Set nbgrader's ``flagged`` and write the reasons, from the grader process only."""

    def preprocess(self, nb, resources):
        state = resources.get(RESOURCE_KEY) or {}
        reasons = state.get("reasons", [])
        info = resources["nbgrader"]
        db_url = info["db_url"]
        with Gradebook(db_url) as gb:
            submitted = gb.find_submission_notebook(info["notebook"], info["assignment"],
                                                    info["student"])
            submitted.flagged = bool(reasons)
            gb.db.commit()
        if db_url.startswith("sqlite:///"):
            folder = Path(db_url[len("sqlite:///"):]).parent / "integrity" / info["assignment"]
            folder.mkdir(parents=True, exist_ok=True)
            report = {"student": info["student"], "notebook": info["notebook"],
                      "flagged": bool(reasons), "reasons": reasons}
            (folder / f"{info['student']}.json").write_text(json.dumps(report, indent=1) + "\n")
        return nb, resources
