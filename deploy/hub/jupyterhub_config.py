"""JupyterHub for one course server: ``make hub`` (or, as root,
``jupyterhub -f deploy/hub/jupyterhub_config.py`` after ``deploy/hub/provision.py``).

* users log in with their UNIX password (PAM); who may log in is the roster that
  provision.py read (``<root>/state/roster.csv``); every user's server runs as that UNIX
  user (LocalProcessSpawner), in the course environment ``<root>/venv``;
* the roster's students form the hub group ``nbgrader-<course>``, its instructors
  ``formgrade-<course>``: nbgrader's JupyterHubAuthPlugin reads them, so only students
  on the roster fetch and submit; guests may log in and work, but not submit;
* instructors get the formgrader (on the shared course copy ``<root>/course``), students
  the assignment list only (the role's settings in ``<root>/jupyter/<role>``);
* every user server (with its kernels) runs in a cgroup of its own with the memory and
  CPU limits of ``hub.toml``; an idle-culler service stops servers left idle.

Environment: DLPHYS_HUB_ROOT (default /srv/dlphys-hub), DLPHYS_HUB_IP (127.0.0.1: this
machine only; 0.0.0.0 to serve a room, behind TLS), DLPHYS_HUB_PORT (8000; the hub's
API and the proxy's use the next two ports), DLPHYS_HUB_ADMIN_TOKEN
(optional: a ``course-admin`` service with this token, allowed to manage users and
servers, for scripts and the tests).
"""

import os
import sys
from pathlib import Path

HUB_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(HUB_DIR))
sys.path.insert(0, str(HUB_DIR.parents[1] / "grader"))

from jupyterhub.spawner import LocalProcessSpawner  # noqa: E402
from provision import COURSE_ID, SETTINGS, read_roster  # noqa: E402
from sandbox import Cgroup  # noqa: E402

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

ROOT = Path(os.environ.get("DLPHYS_HUB_ROOT", "/srv/dlphys-hub"))
STATE = ROOT / "state"
VENV_BIN = ROOT / "venv" / "bin"
IP = os.environ.get("DLPHYS_HUB_IP", "127.0.0.1")
PORT = int(os.environ.get("DLPHYS_HUB_PORT", "8000"))
if not (STATE / "roster.csv").exists():
    sys.exit(f"{ROOT} is not provisioned: run deploy/hub/provision.py --root {ROOT} first "
             "(make hub does)")
ROSTER = read_roster(STATE / "roster.csv")
STUDENTS = [name for name, role in ROSTER if role == "student"]
INSTRUCTORS = [name for name, role in ROSTER if role == "instructor"]
STUDENT_GROUP, INSTRUCTOR_GROUP = f"nbgrader-{COURSE_ID}", f"formgrade-{COURSE_ID}"

# ------------------------------------------------------------------ network and state
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{PORT + 1}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.command = [str(HUB_DIR / "node_modules" / ".bin" /
                                       "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")

# ------------------------------------------------------------------ who may log in
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {name for name, _ in ROSTER}
c.JupyterHub.load_groups = {STUDENT_GROUP: {"users": STUDENTS},
                            INSTRUCTOR_GROUP: {"users": INSTRUCTORS}}
roles = [
    # the server's token may read its user's groups: nbgrader's roster check needs it
    {"name": "server", "scopes": ["inherit"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]
services = [{
    "name": "idle-culler",
    "command": [str(VENV_BIN / "python"), "-m", "jupyterhub_idle_culler",
                f"--timeout={SETTINGS['culler']['timeout']}",
                f"--cull-every={SETTINGS['culler']['every']}"],
}]
if os.environ.get("DLPHYS_HUB_ADMIN_TOKEN"):
    services.append({"name": "course-admin", "api_token": os.environ["DLPHYS_HUB_ADMIN_TOKEN"]})
    roles.append({"name": "course-admin", "services": ["course-admin"],
                  "scopes": ["admin:users", "admin:servers", "tokens", "list:users",
                             "read:users", "read:groups", "list:services", "read:services"]})
c.JupyterHub.load_roles = roles
c.JupyterHub.services = services


# ------------------------------------------------------------------ the user servers
class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that puts each user server in a cgroup with the course's memory
    and CPU limits, and gives it the course environment and its role's settings."""

    cgroup = None

    def role(self) -> str:
        groups = {group.name for group in self.user.groups}
        if INSTRUCTOR_GROUP in groups:
            return "instructor"
        return "student"  # guests too: they get the student's view, and cannot submit

    def get_env(self):
        env = super().get_env()
        env.update(
            PATH=f"{VENV_BIN}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
            DLPHYS_HUB_ROOT=str(ROOT), DLPHYS_DATA=str(ROOT / "data"),
            JUPYTER_CONFIG_PATH=str(ROOT / "jupyter" / self.role()),
        )
        return env

    async def start(self):
        self.cgroup = Cgroup(f"dlphys-hub-{self.user.name}", memory_bytes=self.mem_limit,
                             cpus=self.cpu_limit)
        if not self.cgroup.ok:
            self.log.warning("no cgroup for %s: the memory and CPU limits are not enforced",
                             self.user.name)
        return await super().start()

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        cgroup = self.cgroup

        def preexec():
            if cgroup is not None and cgroup.ok:
                cgroup.enter()
            become_user()
        return preexec

    async def stop(self, now=False):
        await super().stop(now=now)
        if self.cgroup is not None:
            self.cgroup.remove()


c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = ["LANG", "LC_ALL", "DLPHYS_FAST", "TF_CPP_MIN_LOG_LEVEL"]
c.Spawner.mem_limit = SETTINGS["limits"]["memory"]
c.Spawner.cpu_limit = float(SETTINGS["limits"]["cpus"])
# a server imports JupyterLab and nbgrader: give a loaded machine time
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
