"""Check deploy/kubernetes/values.yaml against the Zero to JupyterHub chart, offline.

    .venv/bin/python deploy/kubernetes/check.py --chart DIR [--values FILE]

DIR is the chart folder ``jupyterhub/``: of a checkout of the chart's repository
(jupyterhub/zero-to-jupyterhub-k8s, which has values.schema.yaml) or of a packaged chart
(``helm pull jupyterhub/jupyterhub --version 4.4.0 --untar``, which has values.schema.json).

1. schema: the chart's defaults (DIR/values.yaml) merged with the values as Helm merges
   them, validated against the chart's JSON schema; every error is printed with the key's
   path (an unknown key is named).
2. hub.extraConfig: every snippet is Python that compiles.
3. helm lint and helm template on a copy of the chart (with values.schema.json written
   into it when the chart has only the YAML schema, so that Helm checks the schema too):
   with the ``helm`` command if it is on PATH, else with Helm's Go SDK where the Python
   package helm-python-sdk (module ``helm_python``) is installed, else skipped with a line
   that says so.

Exit status: 0 when every check that ran passed (and helm ran, with --require-helm),
1 otherwise, 2 for bad arguments.  --schema-only skips step 3.  Needs PyYAML and
jsonschema (both in the course's .venv).
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_VALUES = HERE / "values.yaml"
RELEASE = "dlphys"
NAMESPACE = "dlphys"


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def coalesce(defaults, values):
    """Helm's merge of user values into chart defaults: maps merge key by key, anything
    else replaces the default, and a null removes the key."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return copy.deepcopy(values)
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def find_schema(chart: Path) -> Path | None:
    for name in ("values.schema.json", "values.schema.yaml"):
        if (chart / name).is_file():
            return chart / name
    return None


def schema_errors(values: dict, chart: Path) -> list[str]:
    """The schema's complaints about the chart's defaults merged with ``values``."""
    schema_path = find_schema(chart)
    if schema_path is None:
        return [f"no values.schema.json or values.schema.yaml in {chart}"]
    schema = load_yaml(schema_path)  # JSON is YAML
    defaults = load_yaml(chart / "values.yaml") if (chart / "values.yaml").is_file() else {}
    merged = coalesce(defaults or {}, values)
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft7Validator)
    validator = validator_class(schema)
    errors = []
    for error in sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        errors.append(f"{where}: {error.message}")
    return errors


def extra_config_errors(values: dict) -> list[str]:
    snippets = (values.get("hub") or {}).get("extraConfig") or {}
    errors = []
    for key, source in sorted(snippets.items()):
        try:
            compile(source, f"hub.extraConfig.{key}", "exec")
        except SyntaxError as err:
            errors.append(f"hub.extraConfig.{key}, line {err.lineno}: {err.msg}")
    return errors


def chart_description(chart: Path) -> str:
    meta = load_yaml(chart / "Chart.yaml") if (chart / "Chart.yaml").is_file() else {}
    text = (f"{meta.get('name', '?')} {meta.get('version', '?')} "
            f"(appVersion {meta.get('appVersion', '?')})")
    try:
        commit = subprocess.run(["git", "-C", str(chart), "rev-parse", "HEAD"],
                                capture_output=True, text=True)
    except OSError:  # no git
        commit = None
    if commit is not None and commit.returncode == 0:
        text += f", commit {commit.stdout.strip()}"
    return f"{text} at {chart}"


def chart_copy(chart: Path, workdir: Path) -> Path:
    """A copy of the chart that Helm validates against the schema (Helm reads only JSON)."""
    target = workdir / chart.name
    shutil.copytree(chart, target, ignore=shutil.ignore_patterns(".git"))
    if not (target / "values.schema.json").is_file() and (target / "values.schema.yaml").is_file():
        schema = load_yaml(target / "values.schema.yaml")
        (target / "values.schema.json").write_text(json.dumps(schema, indent=1) + "\n")
    return target


def summarize(manifests: dict[str, str]) -> tuple[str, list[str]]:
    """What the rendered manifests hold (their objects by kind), and the files that are
    not YAML.  NOTES.txt is text for the person who installs, not a manifest."""
    kinds = Counter()
    errors = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as err:
            errors.append(f"{path}: not YAML ({err})")
            continue
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind"):
                kinds[doc["kind"]] += 1
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    return f"{sum(kinds.values())} objects ({listed})", errors


def report_template(manifests: dict[str, str]) -> list[str]:
    summary, errors = summarize(manifests)
    for error in errors:
        show("template", error)
    print(f"helm template: {'FAILED' if errors else 'OK'}, {summary}")
    return ["helm template"] if errors else []


def show(prefix: str, text: str) -> None:
    """Print a tool's message, every line of it under ``prefix``."""
    for line in str(text).strip().splitlines():
        if line.strip():
            print(f"  {prefix} | {line}")


def helm_cli(helm: str, chart: Path, values_path: Path, kube_version: str) -> list[str]:
    """Run helm lint and helm template; print what they say, return the failures."""
    failures = []
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True)
    print(f"helm: {helm} {version.stdout.strip()}")
    lint = subprocess.run([helm, "lint", str(chart), "-f", str(values_path),
                           "--kube-version", kube_version], capture_output=True, text=True)
    show("lint", lint.stdout + lint.stderr)
    print(f"helm lint: {'OK' if lint.returncode == 0 else 'FAILED'}")
    if lint.returncode != 0:
        failures.append("helm lint")
    template = subprocess.run([helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE,
                               "-f", str(values_path), "--kube-version", kube_version],
                              capture_output=True, text=True)
    if template.returncode == 0:
        failures += report_template({"helm template": template.stdout})
    else:
        show("template", template.stderr)
        print("helm template: FAILED")
        failures.append("helm template")
    return failures


def helm_sdk(chart: Path, values: dict, kube_version: str) -> list[str]:
    """The same two checks with Helm's Go SDK through helm-python-sdk (not the helm CLI)."""
    from importlib.metadata import version

    import helm_python

    print(f"helm: not on PATH; Helm {helm_python.helm_sdk_version()} Go SDK through "
          f"helm-python-sdk {version('helm-python-sdk')} (helm_python.lint, Chart.render)")
    failures = []
    try:
        report = helm_python.lint(chart, values, kube_version=f"v{kube_version.lstrip('v')}")
    except helm_python.HelmError as err:
        report = {"errors": [str(err)]}
    severities = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
    for message in report.get("messages", []):
        show("lint", f"[{severities.get(message.get('severity'), '?')}] "
                     f"{message.get('path', '')}: {message.get('error', '')}")
    lint_failed = bool(report.get("errors")) or any(
        m.get("severity") == 3 for m in report.get("messages", []))
    for error in report.get("errors", []):
        show("lint", error)
    print(f"helm lint: {'FAILED' if lint_failed else 'OK'}")
    if lint_failed:
        failures.append("helm lint")
    try:
        with helm_python.Chart.load(chart) as loaded:
            rendered = loaded.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except helm_python.HelmError as err:
        show("template", err)
        print("helm template: FAILED")
        failures.append("helm template")
    else:
        failures += report_template(rendered)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chart", type=Path, required=True,
                        help="the chart folder jupyterhub/ of z2jh (checked out or untarred)")
    parser.add_argument("--values", type=Path, default=DEFAULT_VALUES,
                        help=f"the values file to check (default: {DEFAULT_VALUES})")
    parser.add_argument("--kube-version", default="1.32.0",
                        help="Kubernetes version helm lint/template assume (default: 1.32.0)")
    helm_options = parser.add_mutually_exclusive_group()
    helm_options.add_argument("--require-helm", action="store_true",
                              help="fail when neither helm nor helm-python-sdk is available")
    helm_options.add_argument("--schema-only", action="store_true",
                              help="check the schema and hub.extraConfig only, not with helm")
    args = parser.parse_args(argv)

    chart = args.chart.resolve()
    if not (chart / "Chart.yaml").is_file():
        parser.error(f"{chart} is not a chart folder (no Chart.yaml)")
    values = load_yaml(args.values)
    if not isinstance(values, dict):
        print(f"FAIL: {args.values} is not a mapping of values")
        return 1
    print(f"values: {args.values}")
    print(f"chart: {chart_description(chart)}")
    failures = []

    errors = schema_errors(values, chart)
    schema_name = find_schema(chart).name if find_schema(chart) else "no schema"
    for error in errors:
        show("schema", error)
    print(f"schema ({schema_name}): {f'FAILED, {len(errors)} errors' if errors else 'OK'}")
    if errors:
        failures.append("schema")

    errors = extra_config_errors(values)
    for error in errors:
        show("extraConfig", error)
    print(f"hub.extraConfig compiles: {'FAILED' if errors else 'OK'}")
    if errors:
        failures.append("hub.extraConfig")

    helm = shutil.which("helm")
    try:
        import helm_python  # noqa: F401
    except ImportError:
        helm_python = None
    with tempfile.TemporaryDirectory(prefix="dlphys-z2jh-") as workdir:
        if args.schema_only:
            print("helm: not run (--schema-only)")
        elif helm:
            failures += helm_cli(helm, chart_copy(chart, Path(workdir)), args.values,
                                 args.kube_version)
        elif helm_python is not None:
            failures += helm_sdk(chart_copy(chart, Path(workdir)), values, args.kube_version)
        else:
            print("helm: not on PATH (nor helm-python-sdk installed): "
                  "helm lint and helm template SKIPPED, the schema was checked")
            if args.require_helm:
                failures.append("helm (missing)")

    print(f"RESULT: {'FAIL (' + ', '.join(failures) + ')' if failures else 'PASS'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
