"""Packaging: what pyproject.toml declares, what requirements.txt pins, what the code imports.

* every range in ``pyproject.toml`` (dependencies and extras) is satisfied by the pin
  of that package in ``requirements.txt``, the set the Makefile installs;
* no torch requirement anywhere (an unpinned torch pulls GB of CUDA packages);
* every third-party module ``dlphys`` imports is a declared dependency, and every
  module a chapter or exercise imports comes with ``dlphys[lectures,graph]``;
* the Makefile refuses a Python other than 3.11 with a clear message.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
#: import name -> distribution name, where they differ
DISTRIBUTION = {"sklearn": "scikit-learn", "yaml": "pyyaml", "IPython": "ipython",
                "myst_nb": "myst-nb", "torch_geometric": "torch-geometric"}


def declared(extras=None) -> list[Requirement]:
    """Requirements of the base set and the given extras (all extras if None)."""
    optional = PROJECT.get("optional-dependencies", {})
    names = optional if extras is None else extras
    found = [Requirement(r) for r in PROJECT.get("dependencies", [])]
    todo, seen = list(names), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in map(Requirement, optional[extra]):
            if canonicalize_name(requirement.name) == canonicalize_name(PROJECT["name"]):
                todo.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


def pins() -> dict[str, str]:
    found = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"requirements.txt: {line} is not a pin"
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def test_extras_exist():
    assert {"lectures", "book", "test", "graph"} <= set(PROJECT["optional-dependencies"])


def test_the_pins_satisfy_every_declared_range():
    pinned = pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is declared but not pinned in requirements.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"pyproject.toml wants {requirement}, requirements.txt pins {name}=={pinned[name]}"


def test_no_torch_requirement():
    for requirement in declared():
        assert canonicalize_name(requirement.name) != "torch", \
            f"{requirement}: install the CPU torch first instead (see requirements.txt)"
    assert list(pins())[0] == "torch", "requirements.txt must pin torch first"


def third_party_imports(sources) -> set[str]:
    local = {"dlphys", "grading_cases"}
    found = set()
    for code in sources:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found - local if m not in sys.stdlib_module_names}


def requirements_closure(requirements) -> set[str]:
    """Canonical names of the requirements and, as installed, of everything they need."""
    todo = [canonicalize_name(r.name) for r in requirements]
    done: set[str] = set()
    while todo:
        name = todo.pop()
        if name in done:
            continue
        done.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return done


#: imported by dlphys only where a chapter asks for it (``set_seed(torch=True)``, the
#: graph helpers); installed first and by hand, since an unpinned torch pulls GB of CUDA
#: wheels, so no extra may declare it
INSTALLED_FIRST = {"torch"}


def test_dlphys_imports_only_declared_dependencies():
    sources = [p.read_text() for p in (REPO / "dlphys").rglob("*.py")]
    allowed = {canonicalize_name(r.name) for r in declared()} | INSTALLED_FIRST
    for module in sorted(third_party_imports(sources)):
        name = canonicalize_name(DISTRIBUTION.get(module, module))
        assert name in allowed, f"dlphys imports {module}, which pyproject.toml does not declare"


def notebook_code(pattern: str) -> list[str]:
    code = []
    for path in sorted(REPO.glob(pattern)):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                code.append("\n".join(line for line in source.splitlines()
                                      if not line.lstrip().startswith(("%", "!"))))
    return code


def test_chapters_need_only_what_the_lectures_and_graph_extras_install():
    available = requirements_closure(declared(extras=["lectures", "graph"]))
    code = notebook_code("lectures/*.ipynb") + notebook_code("exercises/*/*.ipynb")
    for module in sorted(third_party_imports(code)):
        if module == "torch":
            continue  # installed first, by hand (see book/setup.md)
        name = canonicalize_name(DISTRIBUTION.get(module, module))
        assert name in available, (f"a notebook imports {module}, which `pip install "
                                   f"dlphys[lectures,graph]` does not install")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_makefile_refuses_another_python(tmp_path):
    """Run in a scratch copy: the Makefile must stop before it creates any environment."""
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\necho 3.12\n")
    fake.chmod(0o755)
    result = subprocess.run(["make", f"PYTHON={fake}", "venv"], cwd=tmp_path,
                            capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "MAKEFLAGS"})
    assert result.returncode != 0
    assert "Python 3.11" in result.stdout + result.stderr
    assert "3.12" in result.stdout + result.stderr
    assert not (tmp_path / ".venv").exists()
