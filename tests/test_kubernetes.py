"""The Kubernetes deployment (deploy/kubernetes): the Zero to JupyterHub values, the user
image and the checker, without a cluster, a chart or the network.

What a class relies on and what can drift: the limits, the culler, the exchange and the
groups must be those of deploy/hub/hub.toml (the one-server hub); the exchange must be a
ReadWriteMany claim; the image must install the course's own pinned set, torch's CPU wheel
first, and must not contain the exercise sources; the hub's pre-spawn hook must give
students their own uid and instructors the formgrader; the entry point must name a
student's uid jovyan (nbgrader names submissions after it); check.py must reject an unknown
key.  deploy/kubernetes/check.py --chart validates against the real chart.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "kubernetes"
HUB_TOML = REPO / "deploy" / "hub" / "hub.toml"
HUB_JUPYTER = REPO / "deploy" / "hub" / "jupyter"  # each role's settings, shared with the hub

# The keys the chart's values.schema.yaml allows, chart jupyterhub 4.4.0 (z2jh tag 4.4.0,
# commit 5c5f5df751588a68a7781ead01d0f62e88e2e72f): the top level, `singleuser` and `hub`.
# Update with the pinned chart version (README.md, values.yaml).
Z2JH_TOP_LEVEL_KEYS = {
    "cull", "custom", "debug", "enabled", "fullnameOverride", "global", "httpRoute", "hub",
    "imagePullSecret", "imagePullSecrets", "ingress", "nameOverride", "prePuller", "proxy",
    "rbac", "scheduling", "singleuser",
}
Z2JH_SINGLEUSER_KEYS = {
    "allowPrivilegeEscalation", "cloudMetadata", "cmd", "cpu", "defaultUrl", "events",
    "extraAnnotations", "extraContainers", "extraEnv", "extraFiles", "extraLabels",
    "extraNodeAffinity", "extraPodAffinity", "extraPodAntiAffinity", "extraPodConfig",
    "extraResource", "extraTolerations", "fsGid", "image", "initContainers", "lifecycleHooks",
    "memory", "networkPolicy", "networkTools", "nodeSelector", "podNameTemplate",
    "profileList", "serviceAccountName", "startTimeout", "storage", "uid",
}
Z2JH_HUB_KEYS = {
    "activeServerLimit", "allowNamedServers", "annotations", "args", "authenticatePrometheus",
    "baseUrl", "command", "concurrentSpawnLimit", "config", "consecutiveFailureLimit",
    "containerSecurityContext", "cookieSecret", "db", "deploymentStrategy", "existingSecret",
    "extraConfig", "extraContainers", "extraEnv", "extraFiles", "extraPodSpec",
    "extraVolumeMounts", "extraVolumes", "fsGid", "image", "initContainers", "labels",
    "lifecycle", "livenessProbe", "loadRoles", "namedServerLimitPerUser", "networkPolicy",
    "nodeSelector", "pdb", "podSecurityContext", "readinessProbe", "redirectToServer",
    "resources", "revisionHistoryLimit", "service", "serviceAccount", "services",
    "shutdownOnLogout", "templatePaths", "templateVars", "tolerations",
}


@pytest.fixture(scope="module")
def hub():
    with open(HUB_TOML, "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def values():
    data = yaml.safe_load((K8S / "values.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def dockerfile():
    return (K8S / "Dockerfile").read_text()


def items(entries):
    """z2jh accepts volumes, mounts and the like as a list or as a dict of named entries."""
    return list(entries.values()) if isinstance(entries, dict) else list(entries or [])


def byte_size(text) -> int:
    """KubeSpawner's reading of a memory size: K, M, G, T are powers of 1024."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", str(text))
    assert match, f"not a size KubeSpawner reads: {text!r}"
    return int(float(match[1]) * 1024 ** " KMGT".index(match[2] or " "))


def dockerfile_commands(text: str) -> list[str]:
    """The Dockerfile's instructions, one a line: comments dropped, continuations joined."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip()]


# ------------------------------------------------------------------ values.yaml


def test_values_use_only_keys_the_chart_knows(values):
    assert set(values) <= Z2JH_TOP_LEVEL_KEYS, set(values) - Z2JH_TOP_LEVEL_KEYS
    assert set(values["singleuser"]) <= Z2JH_SINGLEUSER_KEYS, (
        set(values["singleuser"]) - Z2JH_SINGLEUSER_KEYS)
    assert set(values["hub"]) <= Z2JH_HUB_KEYS, set(values["hub"]) - Z2JH_HUB_KEYS
    for section in values["hub"].get("config", {}):
        assert section[:1].isupper(), f"hub.config.{section}: not a Configurable class name"


def test_limits_are_those_of_hub_toml(values, hub):
    memory, cpu = values["singleuser"]["memory"], values["singleuser"]["cpu"]
    assert memory["limit"] == hub["limits"]["memory"]
    assert float(cpu["limit"]) == float(hub["limits"]["cpus"])
    assert 0 < byte_size(memory["guarantee"]) <= byte_size(memory["limit"])
    assert 0 < float(cpu["guarantee"]) <= float(cpu["limit"])


def test_culler_is_that_of_hub_toml(values, hub):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert cull["timeout"] == hub["culler"]["timeout"]
    assert cull["every"] == hub["culler"]["every"]


def test_exchange_is_the_readwritemany_claim_at_exchange_root(values, hub):
    storage = values["singleuser"]["storage"]
    mounts = [m for m in items(storage["extraVolumeMounts"])
              if m["mountPath"] == hub["exchange_root"]]
    assert len(mounts) == 1, f"no single volume mounted at {hub['exchange_root']}"
    volumes = [v for v in items(storage["extraVolumes"]) if v["name"] == mounts[0]["name"]]
    assert len(volumes) == 1
    claim = yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    assert claim["kind"] == "PersistentVolumeClaim"
    assert volumes[0]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert not mounts[0].get("readOnly")


def test_groups_and_roles_are_named_after_the_course(values, hub):
    course = hub["course_id"]
    students, instructors = f"nbgrader-{course}", f"formgrade-{course}"
    assert set(values["hub"]["config"]["JupyterHub"]["load_groups"]) == {students, instructors}
    roles = values["hub"]["loadRoles"]
    server = set(roles["server"]["scopes"])
    # JupyterHub's default for the role (replaced when the role is configured) ...
    assert {"users:activity!user", "access:servers!server"} <= server
    # ... the user's own groups, which nbgrader's JupyterHubAuthPlugin reads ...
    assert "read:users:groups!user" in server
    # ... and nothing wider than the students' group
    assert not {"inherit", "admin:users", "admin:groups", "groups", "users"} & server
    instructor_roles = [r for r in roles.values() if instructors in r.get("groups", [])]
    assert instructor_roles, f"no role for the group {instructors}"
    for role in instructor_roles:
        assert set(role["scopes"]) <= server, "the server tokens must be able to carry them"
        assert all(scope.endswith(f"!group={students}") for scope in role["scopes"])


def test_authenticator_placeholder_is_a_login_with_allowed_and_admin_users(values):
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"]
    assert "admin_users" in config["Authenticator"]
    assert config["Authenticator"]["allow_existing_users"] is True
    secrets = {"client_secret", "client_id"}
    for section in config.values():
        assert not secrets & set(section), "OAuth client credentials belong in secrets.yaml"


# ------------------------------------------------------------------ hub.extraConfig


def load_extra_config(values, image="registry.example.org/dlphys/user:1", mounts=None):
    c = Config()
    c.KubeSpawner.image = image
    c.KubeSpawner.init_containers = []
    if mounts is None:
        mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    c.KubeSpawner.volume_mounts = {"volume-{username}": {"name": "volume-{username}",
                                                         "mountPath": "/home/jovyan"},
                                   **{m["name"]: m for m in items(mounts)}}
    namespace = {"c": c}
    exec(compile(values["hub"]["extraConfig"]["dlphys"], "hub.extraConfig.dlphys", "exec"),
         namespace)
    return c, namespace


@pytest.fixture
def hub_db():
    """A JupyterHub database with students (alice, bob, odd:name) and an instructor (prof)."""
    from jupyterhub import orm

    db = orm.new_session_factory("sqlite://")()
    users = {name: orm.User(name=name) for name in ("prof", "alice", "bob", "odd:name")}
    db.add_all(users.values())
    db.add_all([orm.Group(name="nbgrader-dlphys", users=[users["alice"], users["bob"]]),
                orm.Group(name="formgrade-dlphys", users=[users["prof"]])])
    db.commit()
    yield db
    db.close()


def spawner(db, name, environment=None):
    from jupyterhub import orm

    orm_user = orm.User.find(db, name)
    user = SimpleNamespace(id=orm_user.id, name=name, db=db,
                           groups=[SimpleNamespace(name=g.name) for g in orm_user.groups])
    return SimpleNamespace(user=user, environment=dict(environment or {}), uid=1000, gid=None)


def test_extra_config_constants_are_those_of_hub_toml(values, hub):
    _, namespace = load_extra_config(values)
    assert namespace["COURSE_ID"] == hub["course_id"]
    assert namespace["EXCHANGE_ROOT"] == hub["exchange_root"]
    assert namespace["INSTRUCTORS"] == f"formgrade-{hub['course_id']}"
    assert namespace["INSTRUCTOR_UID"] == values["singleuser"]["uid"]
    assert namespace["USERS_GID"] == values["singleuser"]["fsGid"]


def test_pre_spawn_hook_gives_students_their_own_uid_and_instructors_the_formgrader(
        values, hub_db):
    c, namespace = load_extra_config(values)
    hook = c.KubeSpawner.pre_spawn_hook
    base = namespace["STUDENT_UID_BASE"]

    alice, bob = spawner(hub_db, "alice"), spawner(hub_db, "bob")
    hook(alice)
    hook(bob)
    assert alice.uid == base + alice.user.id != bob.uid
    assert alice.uid != namespace["INSTRUCTOR_UID"] and alice.gid == namespace["USERS_GID"]
    assert not {"JUPYTER_CONFIG_PATH", "DLPHYS_STUDENT_UIDS"} & set(alice.environment)

    prof = spawner(hub_db, "prof", {"OMP_NUM_THREADS": "1"})
    hook(prof)
    assert prof.uid == namespace["INSTRUCTOR_UID"]
    assert prof.environment["OMP_NUM_THREADS"] == "1"
    assert prof.environment["JUPYTER_CONFIG_PATH"] == namespace["INSTRUCTOR_CONFIG"]
    # the students' uids, for nbgrader collect; not the instructor, not a name with ":"
    assert prof.environment["DLPHYS_STUDENT_UIDS"] == (
        f"alice:{alice.uid} bob:{bob.uid}")

    # a former instructor, spawned again as a student, loses the formgrader
    prof.user.groups = [SimpleNamespace(name="nbgrader-dlphys")]
    hook(prof)
    assert not {"JUPYTER_CONFIG_PATH", "DLPHYS_STUDENT_UIDS"} & set(prof.environment)
    assert prof.uid == base + prof.user.id


def test_student_and_instructor_config_are_in_the_image(values, dockerfile):
    _, namespace = load_extra_config(values)
    target = namespace["INSTRUCTOR_CONFIG"]
    assert re.search(rf"^COPY deploy/hub/jupyter/instructor/ {re.escape(target)}/?$",
                     dockerfile, re.M), f"the image has no {target}"
    assert re.search(rf"^COPY deploy/kubernetes/instructor_nbgrader_config.py "
                     rf"{re.escape(target)}/nbgrader_config.py$", dockerfile, re.M)
    # the environment's config folder of the base image (sys.prefix is /usr/local), where
    # nbgrader's own files enable all its extensions
    assert re.search(r"^COPY deploy/hub/jupyter/student/ /usr/local/etc/jupyter/?$",
                     dockerfile, re.M)


NBGRADER_EXTENSIONS = ("formgrader", "assignment_list", "course_list", "validate_assignment")


def extensions_seen(tmp_path, monkeypatch, instructor: bool):
    """The nbgrader server and lab extensions a user server turns on, with the image's
    config folders and nbgrader's own enabling file (how Jupyter Server and JupyterLab
    merge them is what this runs)."""
    prefix = tmp_path / ("instructor" if instructor else "student") / "etc-jupyter"
    shutil.copytree(HUB_JUPYTER / "student", prefix)
    (prefix / "jupyter_server_config.d").mkdir()
    (prefix / "jupyter_server_config.d" / "nbgrader.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {
            f"nbgrader.server_extensions.{name}": True for name in NBGRADER_EXTENSIONS}}}))
    user = prefix.parent / "user"
    user.mkdir()
    path = [str(HUB_JUPYTER / "instructor")] if instructor else []
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", os.pathsep.join([*path, str(prefix)]))
    from jupyter_server.serverapp import ServerApp
    from jupyterlab_server.config import get_page_config

    app = ServerApp()
    app.load_config_file()
    app.find_server_extensions()
    server = {name.rsplit(".", 1)[-1]: enabled for name, enabled in app.jpserver_extensions.items()
              if name.startswith("nbgrader.")}
    disabled = {name.split(":", 1)[1] for name in get_page_config([], None)["disabledExtensions"]
                if name.startswith("@jupyter/nbgrader:")}
    return server, disabled


def test_formgrader_is_on_for_instructors_only(tmp_path, monkeypatch):
    server, disabled = extensions_seen(tmp_path, monkeypatch, instructor=False)
    assert server == {"formgrader": False, "course_list": False, "assignment_list": True,
                      "validate_assignment": True}
    assert disabled == {"formgrader", "create-assignment", "course-list"}
    server, disabled = extensions_seen(tmp_path, monkeypatch, instructor=True)
    assert server["formgrader"] is True and server["assignment_list"] is True
    assert disabled == set()


def test_exchange_init_container_runs_in_the_user_image_on_the_exchange(values, hub):
    c, _ = load_extra_config(values, image="registry.example.org/dlphys/user:42")
    (init,) = c.KubeSpawner.init_containers
    assert init["image"] == "registry.example.org/dlphys/user:42"
    exchange = [m for m in items(values["singleuser"]["storage"]["extraVolumeMounts"])
                if m["mountPath"] == hub["exchange_root"]][0]
    assert init["volumeMounts"] == [{"name": exchange["name"],
                                     "mountPath": hub["exchange_root"]}]
    shell, flag, script = init["command"]
    assert (shell, flag) == ("sh", "-c")
    assert "chmod 1777" in script and f"{hub['exchange_root']}" in script
    assert f"/{hub['course_id']}" in script
    # KubeSpawner formats every string of an init container ({username}, ...)
    for text in (script, init["name"], init["image"]):
        assert text.format() == text
    if shutil.which("sh"):
        assert subprocess.run(["sh", "-n", "-c", script]).returncode == 0


def test_extra_config_refuses_a_missing_exchange_mount(values):
    with pytest.raises(ValueError, match="no volume is mounted at"):
        load_extra_config(values, mounts=[])


# ------------------------------------------------------------------ the image


def test_nbgrader_config_of_the_image_is_that_of_hub_toml(hub, dockerfile):
    assert "COPY deploy/kubernetes/nbgrader_config.py /etc/jupyter/nbgrader_config.py" in (
        dockerfile)
    c = Config()
    exec(compile((K8S / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"),
         {"get_config": lambda: c})
    assert c.CourseDirectory.course_id == hub["course_id"]
    assert c.Exchange.root == hub["exchange_root"]
    assert c.Authenticator.plugin_class == "nbgrader.auth.JupyterHubAuthPlugin"


def test_instructor_nbgrader_config_loads_the_course_config(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "grader").mkdir(parents=True)
    (course / "grader" / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = 'the-course'\n")
    monkeypatch.setenv("DLPHYS_COURSE_DIR", str(course))
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("instructor_nbgrader_config.py", path=str(K8S))
    loaded = config.load_config()
    assert loaded.CourseDirectory.root == "the-course"


def test_dockerfile_installs_torch_cpu_first_then_the_repository_requirements(dockerfile):
    commands = dockerfile_commands(dockerfile)
    assert re.match(r"FROM python:3\.11(-|$)", commands[0]), commands[0]
    requirements = (REPO / "requirements.txt").read_text()
    (torch_pin,) = re.findall(r"^torch==\S+", requirements, re.M)
    torch = [i for i, cmd in enumerate(commands) if f"pip install {torch_pin}" in cmd]
    assert len(torch) == 1, f"no single `pip install {torch_pin}`"
    assert "--index-url https://download.pytorch.org/whl/cpu" in commands[torch[0]]
    copies = [re.fullmatch(r"COPY requirements\.txt (\S+)", cmd) for cmd in commands]
    (copy,) = [(i, m[1]) for i, m in enumerate(copies) if m]
    installs = [i for i, cmd in enumerate(commands) if f"pip install -r {copy[1]}" in cmd]
    assert len(installs) == 1, "the image must install the repository's requirements.txt"
    assert torch[0] < installs[0] and copy[0] < installs[0]
    package = [i for i, cmd in enumerate(commands) if "pip install --no-deps ." in cmd]
    assert package and package[0] > installs[0]
    # jupyterhub-singleuser and nbgrader come from the pinned set
    assert re.search(r"^jupyterhub==", requirements, re.M)
    assert re.search(r"^nbgrader==", requirements, re.M)
    assert commands[-1] == 'CMD ["jupyterhub-singleuser"]'


def test_image_holds_no_exercise_sources(dockerfile):
    commands = dockerfile_commands(dockerfile)
    sources = [cmd.split()[1:-1] for cmd in commands if cmd.startswith(("COPY", "ADD"))]
    allowed = ("requirements.txt", "pyproject.toml", "README.md", "dlphys", "lectures/",
               "deploy/kubernetes/", "deploy/hub/jupyter/")
    for paths in sources:
        for path in paths:
            assert path.startswith(allowed), f"the image copies {path}"
    ignore = [line.strip() for line in (K8S / "Dockerfile.dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*", "the build context starts from nothing"
    included = [line[1:] for line in ignore if line.startswith("!")]
    assert not [p for p in included if p.startswith(("exercises", "grader", ".", "datasets"))]


def test_entrypoint_names_a_students_uid_jovyan_and_copies_the_lectures(tmp_path):
    if shutil.which("sh") is None:
        pytest.skip("needs a POSIX shell")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    passwd = tmp_path / "passwd"
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "01_fundamentals.ipynb").write_text("{}")
    home = tmp_path / "home"
    home.mkdir()
    original = ("root:x:0:0:root:/root:/bin/bash\n"
                "jovyan:x:1000:100::/home/jovyan:/bin/bash\n")

    def run(uid, **extra):
        (fake_bin / "id").write_text(f"#!/bin/sh\necho {uid}\n")
        (fake_bin / "id").chmod(0o755)
        env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
               "DLPHYS_PASSWD": str(passwd), "DLPHYS_LECTURES": str(lectures),
               "HOME": str(home)}
        env.pop("DLPHYS_STUDENT_UIDS", None)
        env.update(extra)
        return subprocess.run(["sh", str(K8S / "entrypoint.sh"), "echo", "started", "ok"],
                              env=env, capture_output=True, text=True)

    passwd.write_text(original)
    result = run(1000)
    assert result.returncode == 0 and result.stdout == "started ok\n"
    assert passwd.read_text() == original
    assert (home / "lectures" / "01_fundamentals.ipynb").read_text() == "{}"

    (home / "lectures" / "01_fundamentals.ipynb").write_text("the student's work")
    result = run(10042)
    assert result.returncode == 0 and result.stdout == "started ok\n"
    assert "jovyan:x:10042:100::/home/jovyan:/bin/bash\n" in passwd.read_text()
    assert passwd.read_text().startswith("root:x:0:0:")
    assert (home / "lectures" / "01_fundamentals.ipynb").read_text() == "the student's work"

    # an instructor's server: the students' uids get their names (once; a name or uid that
    # is taken, a malformed entry and a glob are left out)
    passwd.write_text(original)
    students = "alice:10002 bob:10003 alice:10009 root:10010 eve:1000 mallory:x *:10011"
    for _ in range(2):
        result = run(1000, DLPHYS_STUDENT_UIDS=students)
        assert result.returncode == 0 and result.stdout == "started ok\n"
    assert passwd.read_text() == original + (
        "alice:x:10002:100::/nonexistent:/usr/sbin/nologin\n"
        "bob:x:10003:100::/nonexistent:/usr/sbin/nologin\n"
        "*:x:10011:100::/nonexistent:/usr/sbin/nologin\n")


# ------------------------------------------------------------------ check.py


def load_check():
    spec = importlib.util.spec_from_file_location("dlphys_k8s_check", K8S / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_chart(root: Path) -> Path:
    """A chart folder whose schema knows `hub` only, and requires hub.name, a default."""
    chart = root / "jupyterhub"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: fake\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("hub:\n  name: hub\n")
    (chart / "values.schema.yaml").write_text(yaml.safe_dump({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {"hub": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": {"type": "string"}, "replicas": {"type": "integer"}}}},
    }))
    return chart


def run_check(chart: Path, values_text: str, tmp_path: Path):
    values = tmp_path / "values.yaml"
    values.write_text(values_text)
    return subprocess.run([sys.executable, str(K8S / "check.py"), "--chart", str(chart),
                           "--values", str(values), "--schema-only"],
                          capture_output=True, text=True)


def test_check_rejects_an_unknown_key_and_names_it(tmp_path):
    chart = fake_chart(tmp_path)
    result = run_check(chart, "hub:\n  replicas: 2\nnotAKey: 1\n", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "notAKey" in result.stdout
    assert "RESULT: FAIL" in result.stdout

    result = run_check(chart, "hub:\n  replicas: 2\n  replcas: 3\n", tmp_path)
    assert result.returncode == 1 and "replcas" in result.stdout


def test_check_passes_values_the_schema_accepts_with_the_charts_defaults(tmp_path):
    chart = fake_chart(tmp_path)
    # hub.name is required: the chart's default provides it, as in a real install
    result = run_check(chart, "hub:\n  replicas: 2\n", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout
    # a null removes a default, as in Helm: then the requirement fails
    result = run_check(chart, "hub:\n  name: null\n", tmp_path)
    assert result.returncode == 1 and "'name' is a required property" in result.stdout


def test_check_reports_python_that_does_not_compile(tmp_path):
    check = load_check()
    errors = check.extra_config_errors({"hub": {"extraConfig": {"x": "def f(:\n"}}})
    assert errors and errors[0].startswith("hub.extraConfig.x")
    assert check.extra_config_errors({"hub": {"extraConfig": {"x": "c = 1\n"}}}) == []
