"""Sphinx extension: the book's execution cache keys a chapter by everything its outputs depend on.

Jupyter Book 1 (myst-nb with jupyter-cache, ``execute_notebooks: cache``) hashes a
notebook's code cells and its ``kernelspec`` metadata only, and Sphinx re-reads a
page only when its source file changed.  A chapter's outputs (figures, printed
numbers, the glued numbers in its prose) also depend on the ``dlphys`` modules it
imports and on ``DLPHYS_FAST``; without this extension a change of either shows
the old outputs.

For every notebook that the book executes this extension computes an *execution
key*:

* ``dlphys``: a hash of the sources of the ``dlphys`` modules the notebook imports,
  followed transitively inside the package (a module's parent packages count, since
  importing ``dlphys.data.ising`` runs ``dlphys/__init__.py`` and
  ``dlphys/data/__init__.py``; a module that imports by computed name counts its
  whole package; non-Python files of the package count for every notebook);
* ``DLPHYS_FAST`` (normalised as ``dlphys.fast_mode`` reads it) and ``KERAS_BACKEND``.

and

1. on ``source-read`` writes it into the notebook's ``metadata.kernelspec`` (in
   memory only; the file is not touched).  jupyter-cache hashes ``kernelspec``
   together with the code cells (``create_hashed_notebook``), and myst-nb hashes,
   executes and caches that in-memory notebook, so a changed key is a cache miss
   and the notebook is executed again;
2. on ``env-get-outdated`` tells Sphinx to re-read every executed notebook whose key
   differs from the one it was last read with (Sphinx would otherwise keep the old
   page, since the notebook file did not change);
3. on ``build-finished`` writes ``.dlphys_execution.json`` into the HTML output:
   the key, the module list and myst-nb's execution record (succeeded, run time in
   seconds) of every executed page, so that the HTML checks (``tests/test_book.py``)
   can tell a stale or fast-mode build from a current full-mode one.

A notebook whose last execution failed is re-read (and so re-executed) by the next
build even when nothing changed, so that its failure is reported again.

The ``dlphys`` package hashed is the one the notebook's kernel imports: it is
located (without importing it) by the Python that runs the build, in the
notebook's folder, with the build's environment (``PYTHONPATH`` included) -- the
way the kernel finds it.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path, PurePosixPath

PACKAGE = "dlphys"
METADATA_KEY = "dlphys_execution_key"
STAMP = ".dlphys_execution.json"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


# --------------------------------------------------------------------------- the key

def mode_key(environ=None) -> dict[str, str]:
    """The environment variables that change a chapter's outputs, normalised."""
    environ = os.environ if environ is None else environ
    fast = environ.get("DLPHYS_FAST", "0").strip().lower()
    fast = "1" if fast in _TRUE else "0" if fast in _FALSE else fast
    return {"DLPHYS_FAST": fast, "KERAS_BACKEND": environ.get("KERAS_BACKEND", "")}


@cache
def _package_dir(cwd: str, pythonpath: str) -> str:
    """Folder of the ``dlphys`` package a kernel started in ``cwd`` imports ('' if none)."""
    code = (f"import importlib.util as u; s = u.find_spec({PACKAGE!r}); "
            "print(s.submodule_search_locations[0] if s and s.submodule_search_locations "
            "else '')")
    try:
        out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                             text=True, timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return str(Path(out).resolve()) if out else ""


def package_dir(notebook_dir: Path) -> Path | None:
    found = _package_dir(str(Path(notebook_dir).resolve()), os.environ.get("PYTHONPATH", ""))
    return Path(found) if found else None


class ModuleGraph:
    """The modules of one ``dlphys`` package folder and what each imports inside it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.files: dict[str, Path] = {}      # module name -> file
        self.data_files: list[Path] = []      # non-Python files of the package
        for path in sorted(self.root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            rel = path.relative_to(self.root)
            if path.suffix == ".py":
                parts = [PACKAGE, *rel.with_suffix("").parts]
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                self.files[".".join(parts)] = path
            elif path.suffix not in (".pyc", ".pyo"):
                self.data_files.append(path)
        self.imports = {name: self._imports_of(name, path) for name, path in self.files.items()}

    def _is_package(self, name: str) -> bool:
        return self.files.get(name, Path()).name == "__init__.py"

    def subpackage_modules(self, package: str) -> set[str]:
        return {m for m in self.files if m == package or m.startswith(package + ".")}

    def _imports_of(self, name: str, path: Path) -> set[str]:
        package = name if self._is_package(name) else name.rpartition(".")[0]
        try:
            tree = ast.parse(path.read_text(encoding="utf8"))
        except (SyntaxError, UnicodeDecodeError):
            return set(self.files)            # unreadable: depend on everything
        found = imports_in(tree, package)
        if uses_dynamic_import(tree):
            found |= self.subpackage_modules(package)
        return found

    def resolve(self, names) -> set[str]:
        """Modules of the package that importing ``names`` runs (transitive closure)."""
        todo = [n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")]
        done: set[str] = set()
        while todo:
            name = todo.pop()
            for candidate in (name, *_parents(name)):
                if candidate in self.files and candidate not in done:
                    done.add(candidate)
                    todo.extend(self.imports[candidate])
        return done

    def digest(self, modules) -> str:
        sha = hashlib.sha256()
        files = sorted({self.files[m] for m in modules} | set(self.data_files))
        for path in files:
            sha.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            sha.update(hashlib.sha256(path.read_bytes()).digest())
        return sha.hexdigest()[:20]


def _parents(name: str):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def imports_in(tree: ast.AST, package: str = "") -> set[str]:
    """Absolute names of the ``dlphys`` modules (or module attributes) ``tree`` imports.

    ``from dlphys.data import ising`` gives ``dlphys.data`` and ``dlphys.data.ising``
    (the second one only matters when it is a module); relative imports are
    resolved against ``package``.
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {n for n in found if n == PACKAGE or n.startswith(PACKAGE + ".")}


def uses_dynamic_import(tree: ast.AST) -> bool:
    """True when the code imports by computed name (``importlib.import_module``, ``__import__``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                return True
    return False


def _code_of(cell_source: str) -> str:
    """A code cell without IPython magics and shell escapes (which ``ast`` cannot parse)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in cell_source.splitlines())


@cache
def _graph(root: str, stamp: tuple) -> ModuleGraph:
    return ModuleGraph(Path(root))


def module_graph(root: Path) -> ModuleGraph:
    """The (memoised) graph of a package folder; rebuilt when a file in it changed."""
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                         for p in Path(root).rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts))
    return _graph(str(root), stamp)


def notebook_modules(notebook: dict, graph: ModuleGraph) -> set[str]:
    """The ``dlphys`` modules that running ``notebook`` imports."""
    names: set[str] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(_code_of(source))
        except SyntaxError:
            if PACKAGE in source:
                return set(graph.files)       # cannot tell: the whole package
            continue
        names |= imports_in(tree)
        if uses_dynamic_import(tree) and PACKAGE in source:
            return set(graph.files)
    return graph.resolve(names)


def execution_key(notebook: dict, notebook_dir: Path, environ=None) -> tuple[dict, list[str]]:
    """(key, modules) of a notebook run in ``notebook_dir`` with the current environment."""
    root = package_dir(notebook_dir)
    if root is None:
        key = {"dlphys": "not importable"}
        modules: list[str] = []
    else:
        graph = module_graph(root)
        modules = sorted(notebook_modules(notebook, graph))
        key = {"dlphys": graph.digest(modules)}
    key.update(mode_key(environ))
    return key, modules


def keyed(notebook: dict, key: dict) -> dict:
    """A copy of ``notebook`` with ``key`` in its kernelspec (what the cache hashes)."""
    notebook = copy.deepcopy(notebook)
    notebook.setdefault("metadata", {}).setdefault("kernelspec", {})[METADATA_KEY] = key
    return notebook


# --------------------------------------------------------------------------- Sphinx

def _is_executed(app, docname: str) -> bool:
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".ipynb" or app.config.nb_execution_mode in ("off", None):
        return False
    posix = PurePosixPath(path.resolve().as_posix())
    return not any(posix.match(p) for p in app.config.nb_execution_excludepatterns or ())


def _current(app, docname: str) -> tuple[dict, list[str]]:
    """Key of a document in this build, computed once per build."""
    memo = app.__dict__.setdefault("_dlphys_execution_keys", {})
    if docname not in memo:
        path = Path(app.env.doc2path(docname))
        notebook = json.loads(path.read_text(encoding="utf8"))
        memo[docname] = execution_key(notebook, path.parent)
    return memo[docname]


def _records(env) -> dict:
    if not hasattr(env, "dlphys_execution_keys"):
        env.dlphys_execution_keys = {}
    return env.dlphys_execution_keys


def on_source_read(app, docname: str, source: list[str]) -> None:
    if not _is_executed(app, docname):
        return
    notebook = json.loads(source[0])
    if "name" not in notebook.get("metadata", {}).get("kernelspec", {}):
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            f"{docname}: the notebook has no kernelspec, so its execution cannot be keyed "
            f"by the dlphys sources and DLPHYS_FAST", location=docname)
        return
    key, modules = _current(app, docname)
    source[0] = json.dumps(keyed(notebook, key), ensure_ascii=False)
    _records(app.env)[docname] = {"key": key, "modules": modules,
                                  "source": Path(app.env.doc2path(docname, False)).as_posix()}


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    outdated = []
    for docname, record in sorted(_records(env).items()):
        if docname in added or docname in changed or docname in removed:
            continue
        if docname not in env.found_docs or not _is_executed(app, docname):
            continue
        key, _ = _current(app, docname)
        if key != record["key"]:
            what = ", ".join(k for k in key if key[k] != record["key"].get(k))
            logger.info(f"[dlphys] {docname}: {what} changed, re-reading (and re-executing)")
            outdated.append(docname)
        elif not (_execution(env, docname) or {}).get("succeeded", True):
            # a failed execution is not cached; without this an unchanged notebook would
            # keep its failed page, and a second build would pass without a warning
            logger.info(f"[dlphys] {docname}: its last execution failed, re-executing")
            outdated.append(docname)
    return outdated


def _execution(env, docname: str) -> dict | None:
    """myst-nb's record of the last execution of a document (None if none)."""
    return getattr(env, "nb_metadata", {}).get(docname, {}).get("exec_data")


def on_env_purge_doc(app, env, docname: str) -> None:
    _records(env).pop(docname, None)


def on_env_merge_info(app, env, docnames, other) -> None:
    _records(env).update({d: r for d, r in _records(other).items() if d in docnames})


def on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    records = {}
    for docname, record in sorted(_records(app.env).items()):
        if docname in app.env.found_docs:
            execution = _execution(app.env, docname) or {}
            records[docname] = {**record, "execution": {
                k: execution.get(k) for k in ("method", "succeeded", "runtime", "error")}}
    Path(app.outdir, STAMP).write_text(json.dumps({"docs": records}, indent=1) + "\n",
                                       encoding="utf8")


def setup(app):
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-merge-info", on_env_merge_info)
    app.connect("build-finished", on_build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
