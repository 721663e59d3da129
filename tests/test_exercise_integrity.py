"""No exercise ships its answers: a solution is neither importable from ``dlphys``
nor copied from a lecture.

For every exercise source notebook (``exercises/*/*.ipynb``, found by glob, so
new exercises are checked as soon as they exist):

1. the names of the functions and classes its solution cells define are not
   attributes of ``dlphys`` or of any of its submodules (a student could import
   them);
2. its solution code (what lies between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION``) does not appear in any lecture notebook.

Code is compared as a stream of Python tokens: comments, docstrings, imports,
blank lines and layout are dropped, and identifiers are renamed in order of first
appearance (attributes, keyword arguments, keywords and builtins keep their
names), so a copy with other variable names or other line breaks is still found.
It is a copy when

* a run of ``RUN_TOKENS`` tokens (about four lines of code) is also in a lecture,
* the whole body of a solution function (at least ``MIN_BODY_TOKENS`` tokens) is in
  a lecture, or
* the body of a solution function of at least ``MIN_SIMILAR_TOKENS`` tokens is, token
  by token, at least ``SIMILAR`` alike (``difflib`` ratio, every identifier counted
  as the same token) to the body of a function defined in a lecture: an adapted
  copy, such as the lecture's batched max pooling with the batch axis taken out.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib
import io
import json
import keyword
import pkgutil
import tokenize
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXERCISES = sorted(p for p in (REPO / "exercises").glob("*/*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
LECTURES = sorted((REPO / "lectures").glob("*.ipynb"))
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

#: tokens in a row that a solution may share with a lecture
RUN_TOKENS = 50
#: a solution function's body this long that appears whole in a lecture is a copy
MIN_BODY_TOKENS = 12
#: function bodies this alike (difflib ratio) are a copy ...
SIMILAR = 0.8
#: ... when the solution's body has at least this many tokens
MIN_SIMILAR_TOKENS = 25
#: names that are never renamed: keywords, builtins and the usual module aliases
LITERAL_NAMES = set(keyword.kwlist) | set(dir(builtins)) | {"np", "keras", "plt", "scipy",
                                                            "math", "self"}
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def python_source(text: str) -> str:
    """Cell source with IPython magics and shell escapes blanked out (line numbers kept)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in text.splitlines())


def solution_cells(notebook: Path) -> list[tuple[str, str]]:
    """(grade_id, source) of the code cells that hold a solution."""
    found = []
    for cell in cells(notebook):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            found.append((meta.get("grade_id", "?"), python_source(source(cell))))
    return found


def solution_lines(text: str) -> set[int]:
    """Line numbers (1-based) between the solution markers; the whole cell without markers."""
    lines = text.splitlines()
    if not any(line.strip() == BEGIN for line in lines):
        return set(range(1, len(lines) + 1))
    inside, chosen = False, set()
    for number, line in enumerate(lines, start=1):
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside:
            chosen.add(number)
    return chosen


def logical_lines(text: str) -> list[list[tokenize.TokenInfo]]:
    """The tokens of each logical line, without comments and layout."""
    lines, current = [], []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in SKIPPED:
                continue
            if token.type == tokenize.NEWLINE:
                if current:
                    lines.append(current)
                current = []
            else:
                current.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a cell that does not tokenise to the end: compare what it has
    if current:
        lines.append(current)
    return lines


def is_boilerplate(line: list[tokenize.TokenInfo]) -> bool:
    """Imports, docstrings and bare string expressions, the exercise's placeholder."""
    first = line[0].string
    if first in ("import", "from") or all(t.type == tokenize.STRING for t in line):
        return True
    return [t.string for t in line[:3]] == ["raise", "NotImplementedError", "("]


def classify(line: list[tokenize.TokenInfo]) -> list[tuple[bool, str]]:
    """(renamable, text) per token: identifiers other than attributes, keyword arguments,
    keywords and builtins are renamable."""
    out, depth = [], 0
    for i, token in enumerate(line):
        text = token.string
        if token.type == tokenize.OP:
            depth += text in "([{"
            depth -= text in ")]}"
        after_dot = i > 0 and line[i - 1].string == "."
        keyword_argument = (depth > 0 and i + 1 < len(line) and line[i + 1].string == "="
                            and token.type == tokenize.NAME)
        renamable = (token.type == tokenize.NAME and text not in LITERAL_NAMES
                     and not after_dot and not keyword_argument)
        out.append((renamable, text))
    return out


def stream(text: str, keep: set[int] | None = None) -> list[tuple[bool, str]]:
    """The comparable token stream of some code (only lines in ``keep``, if given);
    each logical line ends with a separator token."""
    tokens = []
    for line in logical_lines(text):
        if keep is not None and line[0].start[0] not in keep:
            continue
        if is_boilerplate(line):
            continue
        tokens.extend(classify(line))
        tokens.append((False, "<newline>"))
    return tokens


def canonical(tokens) -> tuple[str, ...]:
    """Identifiers renamed in order of first appearance."""
    names: dict[str, str] = {}
    return tuple(names.setdefault(text, f"<name{len(names)}>") if renamable else text
                 for renamable, text in tokens)


def runs(tokens, length: int) -> set[tuple[str, ...]]:
    return {canonical(tokens[i:i + length]) for i in range(len(tokens) - length + 1)}


@cache
def lecture_streams() -> dict[str, list[list[tuple[bool, str]]]]:
    """Per lecture, the token stream of each code cell."""
    return {lecture.stem: [stream(python_source(source(cell)))
                           for cell in cells(lecture) if cell["cell_type"] == "code"]
            for lecture in LECTURES}


@cache
def lecture_runs() -> dict[tuple[str, ...], str]:
    """Every run of RUN_TOKENS tokens of every lecture, with the lecture it comes from."""
    found = {}
    for name, cell_streams in lecture_streams().items():
        for tokens in cell_streams:
            for run in runs(tokens, RUN_TOKENS):
                found.setdefault(run, name)
    return found


def collapsed(tokens) -> list[str]:
    """Every identifier the same token: for comparing bodies that were edited a little."""
    return ["<name>" if renamable else text for renamable, text in tokens]


def function_bodies(text: str, keep: set[int] | None = None):
    """(name, token stream of the body) of every function in some code."""
    bodies = []
    for name, node in defined_names(text, methods=True):
        if isinstance(node, ast.ClassDef):
            continue
        lines = set(range(node.body[0].lineno, node.end_lineno + 1))
        body = stream(text, lines if keep is None else lines & keep)
        if body:
            bodies.append((name, body))
    return bodies


@cache
def lecture_bodies() -> list[tuple[str, str, list[str]]]:
    """(lecture, function, collapsed body) of every function defined in a lecture."""
    return [(lecture.stem, name, collapsed(body))
            for lecture in LECTURES for cell in cells(lecture) if cell["cell_type"] == "code"
            for name, body in function_bodies(python_source(source(cell)))]


def lecture_containing(body) -> str | None:
    """The lecture in which this token sequence (renamed) appears, if any."""
    target, n = canonical(body), len(body)
    for name, cell_streams in lecture_streams().items():
        for tokens in cell_streams:
            if any(canonical(tokens[i:i + n]) == target for i in range(len(tokens) - n + 1)):
                return name
    return None


def similar_lecture_function(body) -> tuple[str, str, float] | None:
    """The lecture function most like this body, if it is at least SIMILAR alike."""
    target = collapsed(body)
    best = None
    for lecture, name, other in lecture_bodies():
        matcher = difflib.SequenceMatcher(None, target, other, autojunk=False)
        if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
            continue
        ratio = matcher.ratio()
        if ratio >= SIMILAR and (best is None or ratio > best[2]):
            best = (lecture, name, ratio)
    return best


def defined_names(text: str, methods: bool = False) -> list[tuple[str, ast.AST]]:
    """Functions and classes defined at the top of a cell or inside its functions; with
    ``methods``, the methods of its classes too (they are not names one can import)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    found = []

    def visit(node, in_class=False):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                found.append((child.name, child))
                visit(child, in_class=True)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if methods or not in_class:
                    found.append((child.name, child))
                visit(child, in_class=False)
            else:
                visit(child, in_class)

    visit(tree)
    return found


@cache
def dlphys_attributes() -> dict[str, list[str]]:
    """Every attribute of dlphys and of each of its submodules, with where it lives."""
    import dlphys

    modules = ["dlphys"] + [info.name for info in pkgutil.walk_packages(dlphys.__path__, "dlphys.")
                            if not info.name.endswith("__main__")]
    attributes: dict[str, list[str]] = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        for attribute in dir(module):
            if not (attribute.startswith("__") and attribute.endswith("__")):
                attributes.setdefault(attribute, []).append(module_name)
    return attributes


def exercise_id(path: Path) -> str:
    return path.parent.name


def test_exercises_found():
    assert EXERCISES, "no exercise notebooks under exercises/"
    assert LECTURES, "no lecture notebooks under lectures/"


@pytest.mark.parametrize("notebook", EXERCISES, ids=exercise_id)
def test_solution_names_are_not_in_dlphys(notebook):
    attributes = dlphys_attributes()
    clashes = [f"{grade_id}: {name} (also dlphys: {', '.join(attributes[name])})"
               for grade_id, text in solution_cells(notebook)
               for name, _ in defined_names(text) if name in attributes]
    assert not clashes, ("a student could import these answers from the course package; "
                         "rename them or change the task:\n  " + "\n  ".join(clashes))


@pytest.mark.parametrize("notebook", EXERCISES, ids=exercise_id)
def test_solution_code_is_not_in_a_lecture(notebook):
    known = lecture_runs()
    copies = []
    for grade_id, text in solution_cells(notebook):
        keep = solution_lines(text)
        tokens = stream(text, keep)
        for i in range(len(tokens) - RUN_TOKENS + 1):
            lecture = known.get(canonical(tokens[i:i + RUN_TOKENS]))
            if lecture:
                shown = " ".join(t for _, t in tokens[i:i + RUN_TOKENS]).replace("<newline>", "⏎")
                copies.append(f"{grade_id}: {shown!r} is in lectures/{lecture}.ipynb")
                break
        for name, body in function_bodies(text, keep):
            lecture = lecture_containing(body) if len(body) >= MIN_BODY_TOKENS else None
            if lecture:
                copies.append(f"{grade_id}: the body of {name}() is in lectures/{lecture}.ipynb")
            elif len(body) >= MIN_SIMILAR_TOKENS:
                match = similar_lecture_function(body)
                if match:
                    lecture, other, ratio = match
                    copies.append(f"{grade_id}: {name}() is {ratio:.0%} alike {other}() of "
                                  f"lectures/{lecture}.ipynb")
    assert not copies, ("solution code that a student can copy from a lecture; change the "
                        "task or the solution:\n  " + "\n  ".join(copies))


def test_the_checks_see_a_copy():
    """The comparison finds a renamed, re-wrapped copy and ignores shared boilerplate."""
    original = ("def receptive_field(layers):\n"
                "    field, jump = 1, 1\n"
                "    for kernel_size, stride in layers:\n"
                "        field += (kernel_size - 1) * jump\n"
                "        jump *= stride\n"
                "    return field, jump\n")
    copy = ("import numpy as np\n"
            "def rf(stack):\n"
            "    '''docstring'''\n"
            "    size, step = 1, 1  # a comment\n"
            "    for k, s in stack:\n"
            "        size += (k - 1) \\\n"
            "                * step\n"
            "        step *= s\n"
            "    return size, step\n")
    assert canonical(stream(original)) == canonical(stream(copy))
    (_, body), = function_bodies(original)
    (_, edited), = function_bodies(copy.replace("return size, step", "return size"))
    alike = difflib.SequenceMatcher(None, collapsed(body), collapsed(edited)).ratio()
    assert alike >= SIMILAR
    (_, different), = function_bodies("def rf(stack):\n"
                                      "    return sum(k - 1 for k, _ in stack) + 1\n")
    assert difflib.SequenceMatcher(None, collapsed(body), collapsed(different)).ratio() < SIMILAR
    assert stream("import numpy as np\n'''text'''\nraise NotImplementedError()\n") == []
    text = "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\nz = 3\n"
    assert solution_lines(text) == {3}
    assert [name for name, _ in defined_names(
        "def f():\n    def g():\n        pass\nclass C:\n    def method(self):\n        pass\n")
    ] == ["f", "g", "C"]


@pytest.mark.parametrize("notebook", EXERCISES + LECTURES, ids=lambda p: p.stem)
def test_every_cell_has_an_id(notebook):
    """nbformat 4.5 cell ids: without them nbformat warns today and will refuse later."""
    cells = json.loads(notebook.read_text())["cells"]
    missing = [number for number, cell in enumerate(cells, start=1) if not cell.get("id")]
    assert not missing, f"{notebook.name}: cells {missing} have no id (run nbformat's normalize)"
