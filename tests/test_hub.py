"""The course on a real JupyterHub with real UNIX users and the nbgrader exchange.

The module provisions a hub (``deploy/hub/provision.py``) in a temporary folder with one
instructor, two students and a guest (UNIX accounts it creates and removes), starts
JupyterHub with ``deploy/hub/jupyterhub_config.py`` on free local ports, and starts the
user servers through the hub's REST API.  Every step then goes through the servers'
own APIs, each called with a token of the user whose server it is (what JupyterLab
calls): the instructor releases exercise 1 with the formgrader; the students fetch and
submit with the assignment list; the instructor collects, autogrades (in the grading
sandbox), and releases feedback; the students fetch their feedback.  A last step logs a
student in with headless Chromium and finds exercise 1 in the Assignments list.

Needs root (accounts, and LocalProcessSpawner runs servers as their users), bubblewrap,
Node.js with ``deploy/hub/node_modules`` (``make hub-proxy``) and, for the browser step,
Chromium.  Without them the tests are skipped with the reason, and ``DLPHYS_STRICT=1``
(set by ``.ci/run``) makes that a failure.  Times and the idle server's memory are
written to ``_build/hub-report.txt``; the screenshot to ``_build/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests
from test_book import chromium_problem
from test_grading import STRICT, sandbox, submission

REPO = Path(__file__).resolve().parents[1]
HUB_DIR = REPO / "deploy" / "hub"
sys.path.insert(0, str(HUB_DIR))
import provision  # noqa: E402

EXERCISE = "01_fundamentals"
COURSE = provision.COURSE_ID
PREFIX = "dlt"  # the test's accounts: dlt-prof, dlt-alice, ...
ROSTER = {f"{PREFIX}-prof": "instructor", f"{PREFIX}-alice": "student",
          f"{PREFIX}-bob": "student", f"{PREFIX}-guest": "guest"}
PROF, ALICE, BOB, GUEST = ROSTER
OUTSIDER = f"{PREFIX}-outsider"  # a UNIX account that is not on the roster
REPORT = REPO / "_build" / "hub-report.txt"
SCREENSHOTS = REPO / "_build" / "screenshots"


def missing_prerequisite() -> str | None:
    if os.geteuid() != 0:
        return ("the hub test creates UNIX accounts and runs JupyterHub as root; run it as "
                "root (sudo make test), as CI does")
    if not (HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return "the hub's proxy is not installed: run `make hub-proxy` (needs Node.js and npm)"
    if shutil.which("node") is None:
        return "Node.js is missing (the hub's proxy, configurable-http-proxy, runs on it)"
    if any(provision.user_exists(name) for name in [*ROSTER, OUTSIDER]):
        return f"accounts named {PREFIX}-* exist already; remove them (userdel -r)"
    reason = sandbox.unavailable_reason()
    if reason:
        return f"the grading sandbox is not available: {reason}"
    return None


def require(problem: str | None) -> None:
    if problem:
        message = f"hub test not run: {problem}"
        if STRICT:
            pytest.fail(message + " (DLPHYS_STRICT=1 makes this a failure)", pytrace=False)
        pytest.skip(message)


def free_port_triple() -> int:
    """A port p with p, p + 1 and p + 2 free (the proxy, the hub's API, the proxy's API)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 65000:
            continue
        try:
            for offset in (1, 2):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError("no three free consecutive ports")


def as_user(hub, name: str, code: str) -> subprocess.CompletedProcess:
    """Run Python ``code`` as the UNIX user ``name`` (what that user could do in a terminal)."""
    python = hub.root / "venv" / "bin" / "python"
    return subprocess.run(["runuser", "-u", name, "--", str(python), "-c", code],
                          capture_output=True, text=True, cwd="/")


class Hub:
    """A running hub: its URL, an admin token, the users' tokens, its log."""

    def __init__(self, root: Path, exchange: Path):
        self.root, self.exchange = root, exchange
        self.port = free_port_triple()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(16)
        self.tokens: dict[str, str] = {}
        self.log = root / "state" / "hub.log"
        self.times: dict[str, float] = {}
        env = dict(os.environ, DLPHYS_HUB_ROOT=str(root),
                   DLPHYS_HUB_PORT=str(self.port), DLPHYS_HUB_ADMIN_TOKEN=self.admin_token,
                   DLPHYS_FAST="1")
        start = time.perf_counter()
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [str(root / "venv" / "bin" / "jupyterhub"), "-f",
                 str(HUB_DIR / "jupyterhub_config.py")],
                cwd=root / "state", env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.wait_for(lambda: self.api("GET", "/").ok, "the hub to answer", 60)
        self.times["hub start"] = time.perf_counter() - start

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])

    def wait_for(self, condition, what: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited while waiting for {what}:\n"
                                     f"{self.log_tail()}")
            try:
                if condition():
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_tail()}")

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                timeout=60, **kwargs)

    def start_server(self, name: str) -> float:
        start = time.perf_counter()
        response = self.api("POST", f"/users/{name}/server")
        assert response.status_code in (201, 202), response.text
        self.wait_for(lambda: (lambda user: user["server"] and not user["pending"])(
            self.api("GET", f"/users/{name}").json()), f"the server of {name}", 150)
        response = self.api("POST", f"/users/{name}/tokens",
                            json={"note": "test_hub", "expires_in": 3600})
        assert response.status_code == 201, response.text
        self.tokens[name] = response.json()["token"]
        return time.perf_counter() - start

    def server(self, name: str, method: str, path: str, token_of: str | None = None,
               **kwargs) -> requests.Response:
        """Call ``name``'s server with the token of ``token_of`` (default: ``name``)."""
        token = self.tokens[token_of or name]
        return requests.request(method, f"{self.url}/user/{name}{path}",
                                headers={"Authorization": f"token {token}"}, timeout=600,
                                **kwargs)

    def assignment_action(self, name: str, action: str) -> dict:
        """What the Assignments tab does: fetch, submit or fetch_feedback."""
        response = self.server(name, "POST", f"/assignments/{action}",
                               json={"course_id": COURSE, "assignment_id": EXERCISE})
        assert response.ok, response.text
        return response.json()

    def login(self, name: str, password: str) -> requests.Response:
        """Log in through the hub's login form, as a browser does."""
        session = requests.Session()
        form = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = form.text.split('name="_xsrf" value="')[1].split('"')[0]
        return session.post(f"{self.url}/hub/login?next=/hub/home",
                            data={"username": name, "password": password, "_xsrf": xsrf},
                            timeout=60, allow_redirects=False)

    def formgrader(self, method: str, path: str, **kwargs) -> dict:
        response = self.server(PROF, method, f"/formgrader/api{path}", **kwargs)
        assert response.ok, f"formgrader {path}: {response.status_code} {response.text[:2000]}"
        result = response.json()
        if isinstance(result, dict) and result.get("success") is False:
            raise AssertionError(f"formgrader {path} failed:\n{result.get('log', result)[-3000:]}")
        return result

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def remove_accounts(created_group: bool):
    for name in [*ROSTER, OUTSIDER]:
        if provision.user_exists(name):
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    time.sleep(0.5)
    for name in [*ROSTER, OUTSIDER]:
        if provision.user_exists(name):
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        for cgroup in Path("/sys/fs/cgroup").glob(f"*/dlphys-hub-{name}"):
            try:
                cgroup.rmdir()
            except OSError:
                pass
    if created_group:
        subprocess.run(["groupdel", provision.instructors_group()], capture_output=True)


@pytest.fixture(scope="module")
def hub():
    require(missing_prerequisite())
    group_existed = subprocess.run(["getent", "group", provision.instructors_group()],
                                   capture_output=True).returncode == 0
    root = Path(tempfile.mkdtemp(prefix="dlphys-hub-"))
    exchange = Path(tempfile.mkdtemp(prefix="dlphys-exchange-"))
    running = None
    try:
        roster = root / "roster.csv"
        roster.write_text("username,role\n" + "".join(f"{n},{r}\n" for n, r in ROSTER.items()))
        start = time.perf_counter()
        provision.provision(root, roster, exchange, set_passwords=True)
        provision_s = time.perf_counter() - start
        subprocess.run(["useradd", "--create-home", OUTSIDER], check=True)
        running = Hub(root, exchange)
        running.times["provision"] = provision_s
        for name in ROSTER:
            running.times[f"server start {name}"] = running.start_server(name)
        running.formgrader("POST", f"/assignment/{EXERCISE}/assign")
        running.formgrader("POST", f"/assignment/{EXERCISE}/release")
        yield running
    finally:
        if running is not None:
            running.stop()
            REPORT.parent.mkdir(exist_ok=True)
            REPORT.write_text("".join(f"{k}: {v:.1f}\n" if isinstance(v, float) else
                                      f"{k}: {v}\n" for k, v in running.times.items()))
        remove_accounts(created_group=not group_existed)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(exchange, ignore_errors=True)


def processes_of(name: str) -> dict[int, bytes]:
    """{pid: command line} of the processes the UNIX user ``name`` runs."""
    uid, found = pwd.getpwnam(name).pw_uid, {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.stat().st_uid == uid:
                found[int(proc.name)] = (proc / "cmdline").read_bytes()
        except OSError:
            continue
    return found


def server_process(name: str) -> int:
    """PID of ``name``'s jupyterhub-singleuser process."""
    for pid, command in processes_of(name).items():
        if b"jupyterhub-singleuser" in command:
            return pid
    raise AssertionError(f"no server process of {name}")


def cgroup_value(pid: int, controller: str, key: str) -> int:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controllers == "" and controller == ""):
            base = Path("/sys/fs/cgroup") / (controller if controllers else "")
            return int((base / path.lstrip("/") / key).read_text().split()[0])
    raise AssertionError(f"process {pid} is in no {controller} cgroup")


def test_servers_run_as_their_users_within_the_limits(hub):
    settings = provision.SETTINGS["limits"]
    for name in ROSTER:
        pid = server_process(name)
        assert Path(f"/proc/{pid}").stat().st_uid == pwd.getpwnam(name).pw_uid
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():
            memory = cgroup_value(pid, "", "memory.max")
        else:
            memory = cgroup_value(pid, "memory", "memory.limit_in_bytes")
            quota = cgroup_value(pid, "cpu", "cpu.cfs_quota_us")
            period = cgroup_value(pid, "cpu", "cpu.cfs_period_us")
            assert quota / period == pytest.approx(settings["cpus"])
        assert memory == 4 * 2**30 if settings["memory"] == "4G" else memory > 0
    pid = server_process(ALICE)
    rss_kib = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("VmRSS:")).split()[1])
    hub.times["idle student server RSS (MiB)"] = rss_kib / 1024
    # the idle culler runs as a hub service
    services = hub.api("GET", "/services").json()
    assert "idle-culler" in services and services["idle-culler"]["pid"], services


def test_each_role_sees_its_own_tools_and_no_one_elses_server(hub):
    assert hub.server(PROF, "GET", "/formgrader/api/assignments").ok
    assert hub.server(ALICE, "GET", "/formgrader/api/assignments").status_code == 404
    assert hub.server(ALICE, "GET", f"/assignments?course_id={COURSE}").ok
    # a student's token opens neither a classmate's nor the instructor's server
    assert hub.server(ALICE, "GET", "/api/contents", token_of=BOB).status_code == 403
    assert hub.server(PROF, "GET", "/api/contents", token_of=ALICE).status_code == 403
    # students see only the course kernel, not the grading sandbox's
    kernels = hub.server(ALICE, "GET", "/api/kernelspecs").json()["kernelspecs"]
    assert set(kernels) == {"python3"}

def test_only_the_roster_logs_in_with_its_unix_password(hub):
    passwords = dict(line.split() for line in
                     (hub.root / "state" / "passwords.txt").read_text().splitlines())
    accepted = hub.login(ALICE, passwords[ALICE])
    assert accepted.status_code == 302 and "/hub/home" in accepted.headers["Location"]
    assert hub.login(ALICE, passwords[ALICE] + "x").status_code == 403
    # a UNIX account with a valid password, but not on the roster
    subprocess.run(["chpasswd"], input=f"{OUTSIDER}:{passwords[BOB]}\n", text=True, check=True)
    assert hub.login(OUTSIDER, passwords[BOB]).status_code == 403


def test_a_class_releases_submits_grades_and_gets_feedback(hub):
    inbound = hub.exchange / COURSE / "inbound"

    for name in (ALICE, BOB):
        listed = hub.assignment_action(name, "fetch")["value"]
        assert [a["status"] for a in listed if a["assignment_id"] == EXERCISE] == ["fetched"]
    home = {name: Path(pwd.getpwnam(name).pw_dir) for name in ROSTER}
    fetched = home[ALICE] / EXERCISE / f"{EXERCISE}.ipynb"
    release = nbformat.read(fetched, as_version=4)
    source = nbformat.read(REPO / "exercises" / EXERCISE / f"{EXERCISE}.ipynb", as_version=4)

    # Alice submits twice: first the blank notebook, then the reference solution
    hub.assignment_action(ALICE, "submit")
    time.sleep(1.1)
    as_alice = pwd.getpwnam(ALICE)
    nbformat.write(submission(release, source), fetched)
    os.chown(fetched, as_alice.pw_uid, as_alice.pw_gid)
    hub.assignment_action(ALICE, "submit")
    alice_folders = sorted(p.name for p in inbound.iterdir() if p.name.startswith(ALICE))
    assert len(alice_folders) == 2, "nbgrader keeps every submission in the exchange"

    # the deadline falls between Alice's submissions and Bob's
    time.sleep(1.1)
    deadline = dt.datetime.now(dt.UTC)
    hub.formgrader("PUT", f"/assignment/{EXERCISE}",
                   json={"duedate_notimezone": deadline.strftime("%Y-%m-%dT%H:%M:%S"),
                         "duedate_timezone": "UTC"})
    time.sleep(1.1)
    hub.assignment_action(BOB, "submit")  # the blank notebook, late

    # Bob cannot list the inbound, read Alice's home, or pass off a folder as hers
    alice_newest = inbound / alice_folders[-1]
    probe = as_user(hub, BOB, f"""
import os, shutil
try:
    os.listdir({str(inbound)!r}); print("LISTED")
except PermissionError:
    pass
try:
    os.listdir({str(home[ALICE])!r}); print("READ HOME")
except PermissionError:
    pass
try:
    open({str(alice_newest / f'{EXERCISE}.ipynb')!r}, "w").write("{{}}"); print("OVERWROTE")
except PermissionError:
    pass
forged = {str(inbound / f'{ALICE}+{EXERCISE}+2099-01-01 00:00:00.000000 UTC+forged')!r}
os.mkdir(forged)
shutil.copyfile({str(home[BOB] / EXERCISE / f'{EXERCISE}.ipynb')!r},
                os.path.join(forged, {f'{EXERCISE}.ipynb'!r}))
open(os.path.join(forged, "timestamp.txt"), "w").write("2099-01-01 00:00:00.000000 UTC")
""")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == "", f"Bob could: {probe.stdout.split()}"

    collected = hub.formgrader("POST", f"/assignment/{EXERCISE}/collect")
    assert "belongs to" in collected["log"], collected["log"]
    start = time.perf_counter()
    sandboxed = []
    for name in (ALICE, BOB):
        with ThreadPoolExecutor(1) as pool:  # watch the instructor's processes meanwhile
            grading = pool.submit(hub.formgrader, "POST",
                                  f"/submission/{EXERCISE}/{name}/autograde")
            while not grading.done():
                sandboxed += [c for c in processes_of(PROF).values() if c.startswith(b"bwrap")]
                time.sleep(0.2)
            grading.result()
    assert sandboxed, "the student kernels did not run in the bubblewrap sandbox"
    hub.times["autograde 2 submissions (s)"] = time.perf_counter() - start
    hub.formgrader("POST", f"/assignment/{EXERCISE}/generate_feedback")
    hub.formgrader("POST", f"/assignment/{EXERCISE}/release_feedback")

    submissions = {s["student"]: s for s in hub.formgrader("GET", f"/submissions/{EXERCISE}")}
    # the autograded points; the written answers are graded by hand
    assert submissions[ALICE]["code_score"] == submissions[ALICE]["max_code_score"] > 0
    assert submissions[BOB]["code_score"] == 0
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{hub.root / 'course' / 'grader' / 'gradebook.db'}") as gb:
        assert gb.find_submission(EXERCISE, ALICE).total_seconds_late == 0
        assert gb.find_submission(EXERCISE, BOB).total_seconds_late > 0

    for name in (ALICE, BOB):
        hub.assignment_action(name, "fetch_feedback")
        feedback = list((home[name] / EXERCISE / "feedback").rglob("*.html"))
        assert len(feedback) == 1, f"{name} fetched {feedback}"
        # each student's feedback shows their own score
        score = re.search(r"Score: ([0-9.]+) / ([0-9.]+)", feedback[0].read_text())
        assert score and float(score[1]) == submissions[name]["score"], score
    # the feedback folder lets a student fetch only with their own submission's key
    assert as_user(hub, BOB, f"import os; os.listdir({str(hub.exchange / COURSE / 'feedback')!r})"
                   ).returncode != 0


def test_students_not_on_the_roster_cannot_submit(hub):
    response = hub.server(GUEST, "POST", "/assignments/fetch",
                          json={"course_id": COURSE, "assignment_id": EXERCISE})
    assert response.ok
    assert not (Path(pwd.getpwnam(GUEST).pw_dir) / EXERCISE).exists(), response.text
    listed = hub.server(GUEST, "GET", f"/assignments?course_id={COURSE}").json()
    assert listed.get("value", []) == [] or not listed.get("success", True), listed
    # nor from a shell on the server, with nbgrader's own command
    work = Path(pwd.getpwnam(GUEST).pw_dir) / EXERCISE
    subprocess.run(["runuser", "-u", GUEST, "--", "mkdir", str(work)], check=True)
    terminal = dict(os.environ, JUPYTERHUB_USER=GUEST, JUPYTERHUB_API_TOKEN=hub.tokens[GUEST],
                    JUPYTERHUB_API_URL=f"http://127.0.0.1:{hub.port + 1}/hub/api")
    refused = subprocess.run(
        ["runuser", "-u", GUEST, "--", str(hub.root / "venv" / "bin" / "nbgrader"), "submit",
         EXERCISE, f"--course={COURSE}"],
        capture_output=True, text=True, cwd=work.parent, env=terminal)
    assert refused.returncode != 0
    assert "do not have access to this course" in refused.stdout + refused.stderr


def test_a_student_finds_the_exercise_in_the_browser(hub):
    binary, problem = chromium_problem()
    require(problem)
    from playwright.sync_api import sync_playwright

    password = dict(line.split() for line in
                    (hub.root / "state" / "passwords.txt").read_text().splitlines())[ALICE]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=binary, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(f"{hub.url}/hub/login")
            page.fill("input[name=username]", ALICE)
            page.fill("input[name=password]", password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(f"**/user/{ALICE}/lab**", timeout=90_000)
            page.get_by_text("Nbgrader", exact=True).click(timeout=60_000)
            page.get_by_text("Assignment List", exact=True).click()
            page.get_by_text(EXERCISE).first.wait_for(timeout=60_000)
            page.screenshot(path=str(SCREENSHOTS / "hub-assignment-list.png"))
        finally:
            browser.close()


@pytest.mark.parametrize("roster, message", [
    ("name,role\nalice,student\n", "header 'username,role'"),
    ("username,role\nAlice Smith,student\n", "line 2: 'Alice Smith' is not a valid UNIX user"),
    ("username,role\nalice,professor\n", "line 2: role 'professor' is not one of"),
    ("username,role\nalice,student\nalice,guest\n", "line 3: alice is listed twice"),
])
def test_a_bad_roster_is_refused_with_the_line_that_is_wrong(tmp_path, roster, message):
    path = tmp_path / "roster.csv"
    path.write_text(roster)
    with pytest.raises(SystemExit, match=re.escape(message)):
        provision.read_roster(path)
