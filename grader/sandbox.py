"""The grading sandbox: every kernel that ``nbgrader autograde`` starts runs in bubblewrap.

nbgrader executes student code with the grader's permissions.  ``nbgrader_config.py``
therefore makes every autograded notebook run on the kernelspec ``dlphys-sandbox``,
whose command is ``python grader/sandbox.py launch {connection_file}``.  The launcher
starts ipykernel inside ``bwrap`` (Linux namespaces), where the kernel

* sees the file system read-only: the Python environment, ``dlphys`` and the
  dataset cache (a cache miss is generated in memory), and only its own folder
  ``autograded/<student>/<assignment>/`` writable;
* does not see the exercise sources (solutions, hidden tests), the rest of the
  course folder (gradebook, releases, other students' submissions, feedback), the
  repository's ``.git``, ``/tmp``, the grader's home or other kernels' connection files;
* has no network (the kernel talks to nbgrader over Unix sockets: ``ipc`` transport),
  its own PID namespace (it cannot see or signal the grader; when the kernel ends,
  every process it started is killed), no capabilities, and, when the grader is
  root, runs as an unprivileged user;
* runs under the limits of ``grader/sandbox.toml`` (memory, CPU time, processes,
  file size; the wall-clock limit is enforced here, the output cap by
  ``integrity.CappedExecute``).

Commands::

    python grader/sandbox.py check            # exit 0 if the sandbox works here, else say why
    python grader/sandbox.py install          # install the kernelspec into this environment
    python grader/sandbox.py launch CONN.json # what the kernelspec runs (nbgrader calls it)
"""

from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

GRADER_DIR = Path(__file__).resolve().parent
REPO_DIR = GRADER_DIR.parent
LIMITS_FILE = GRADER_DIR / "sandbox.toml"
KERNEL_NAME = "dlphys-sandbox"
#: paths (os.pathsep-separated) the kernel must not see; set by nbgrader_config.py
HIDE_VARIABLE = "DLPHYS_SANDBOX_HIDE"
#: the documented override: grade without a sandbox (trusted submissions only)
UNSANDBOXED_VARIABLE = "DLPHYS_GRADE_UNSANDBOXED"
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
                "Fedora: `sudo dnf install bubblewrap`), or, only for submissions you trust, "
                f"set {UNSANDBOXED_VARIABLE}=1 to grade without a sandbox")


def load_limits(path: Path = LIMITS_FILE) -> dict:
    """The limits of ``grader/sandbox.toml``, checked."""
    with open(path, "rb") as fh:
        limits = tomllib.load(fh)
    numbers = ("memory_gib", "cpu_seconds", "wall_seconds", "processes", "file_size_mib",
               "output_mib")
    for key in numbers:
        value = limits.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{path}: {key} must be a positive number, got {value!r}")
    if not isinstance(limits.get("sandbox_user"), str):
        raise ValueError(f"{path}: sandbox_user must be a user name")
    return limits


def unavailable_reason() -> str | None:
    """None if bubblewrap runs here, else a sentence saying what is missing."""
    if not sys.platform.startswith("linux"):
        return f"the grading sandbox needs Linux (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (`bwrap`) is not installed"
    probe = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "true"]
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        return (f"bubblewrap cannot create namespaces here ({result.stderr.strip()}); "
                "unprivileged user namespaces may be disabled (sysctl "
                "kernel.unprivileged_userns_clone=1)")
    return None


def install_kernelspec() -> Path:
    """Install the ``dlphys-sandbox`` kernelspec into ``sys.prefix`` (the course venv)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = {
        "argv": [sys.executable, str(Path(__file__).resolve()), "launch", "{connection_file}"],
        "display_name": "Python 3 (dlphys grading sandbox)",
        "language": "python",
        # signals cannot cross the PID namespace: interrupt through the control channel
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    staging = GRADER_DIR / ".kernelspec"
    staging.mkdir(exist_ok=True)
    (staging / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    target = KernelSpecManager().install_kernel_spec(str(staging), KERNEL_NAME,
                                                     prefix=sys.prefix)
    shutil.rmtree(staging)
    return Path(target)


# ------------------------------------------------------------------ the launcher


def _sandbox_ids(limits: dict) -> tuple[int, int]:
    entry = pwd.getpwnam(limits["sandbox_user"])
    return entry.pw_uid, entry.pw_gid


def _drop_root(uid: int = 65534, gid: int = 65534) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _can_drop_root(uid: int) -> bool:
    """Can ``uid`` run this Python?  (Not where it lives in root's home, e.g. pyenv.)"""
    try:
        probe = subprocess.run([sys.executable, "-c", "import ipykernel"], capture_output=True,
                               preexec_fn=lambda: _drop_root(uid, uid))
    except OSError:
        return False
    return probe.returncode == 0


class Cgroup:
    """A cgroup (v1 or v2) that caps processes, memory and CPU; a root process creates it
    and puts a child into it with ``enter`` (from the child's ``preexec_fn``).

    The sandbox uses it for a root grader whose Python the sandbox user cannot run
    (RLIMIT_NPROC does not bind uid 0); the course's JupyterHub (deploy/hub) puts every
    user server into one.  ``ok`` says whether the limits are in force.
    """

    BASE = Path("/sys/fs/cgroup")

    def __init__(self, name: str, *, processes: int | None = None,
                 memory_bytes: int | None = None, cpus: float | None = None):
        period = 100_000  # microseconds
        quota = None if cpus is None else str(max(1000, int(cpus * period)))
        if (self.BASE / "cgroup.controllers").exists():  # v2: one hierarchy
            self.folders = [self.BASE / name]
            wanted = {"pids.max": processes, "memory.max": memory_bytes,
                      "cpu.max": None if quota is None else f"{quota} {period}"}
        else:  # v1: one hierarchy per controller
            controllers = [c for c, v in (("pids", processes), ("memory", memory_bytes),
                                          ("cpu", quota)) if v is not None]
            self.folders = [self.BASE / c / name for c in controllers]
            wanted = {"pids.max": processes, "memory.limit_in_bytes": memory_bytes,
                      "cpu.cfs_period_us": None if quota is None else period,
                      "cpu.cfs_quota_us": quota}
        files = {key: str(value) for key, value in wanted.items() if value is not None}
        self.ok = False
        try:
            for folder in self.folders:
                folder.mkdir(exist_ok=True)
            for key, value in files.items():
                written = [folder for folder in self.folders if (folder / key).exists()]
                if not written:
                    raise OSError(f"no cgroup controller has {key}")
                for folder in written:
                    (folder / key).write_text(value)
            self.ok = all((f / "cgroup.procs").exists() for f in self.folders)
        except OSError:
            self.ok = False

    def enter(self) -> None:
        """Move the calling process into the cgroup."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        """Remove the cgroup once its processes have gone (waits up to 5 s)."""
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def _sandbox_cgroup(limits: dict) -> Cgroup:
    """The cgroup of this launcher's kernel, after removing those of launchers that were killed."""
    stale_groups = [*Cgroup.BASE.glob("dlphys-sandbox-*"), *Cgroup.BASE.glob("*/dlphys-sandbox-*")]
    for stale in stale_groups:
        if not Path(f"/proc/{stale.name.rsplit('-', 1)[1]}").exists():
            try:
                stale.rmdir()
            except OSError:
                pass
    return Cgroup(f"dlphys-sandbox-{os.getpid()}", processes=int(limits["processes"]),
                  memory_bytes=int(limits["memory_gib"] * 2**30))


def _tasks_of(uid: int) -> int:
    """Processes and threads that ``uid`` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def _set_limits(limits: dict, uid: int) -> None:
    gib, mib = 1 << 30, 1 << 20
    memory = int(limits["memory_gib"] * gib)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    size = int(limits["file_size_mib"] * mib)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    tasks = int(limits["processes"]) + _tasks_of(uid)
    resource.setrlimit(resource.RLIMIT_NPROC, (tasks, tasks))


def _course_root(student_dir: Path) -> Path | None:
    """``<root>`` when the kernel's folder is ``<root>/autograded/<student>/<assignment>``."""
    parts = student_dir.parts
    if len(parts) >= 4 and parts[-3] == "autograded":
        return Path(*parts[:-3])
    return None


def _hidden_paths(student_dir: Path) -> list[Path]:
    hidden = [REPO_DIR / "exercises", REPO_DIR / ".git", GRADER_DIR]
    hidden += [Path(p) for p in os.environ.get(HIDE_VARIABLE, "").split(os.pathsep) if p]
    root = _course_root(student_dir)
    if root is not None:
        hidden.append(root)
    unique = []
    for path in hidden:
        path = path.resolve()
        if path.exists() and path not in unique and path != student_dir:
            unique.append(path)
    return unique


def bwrap_command(kernel_argv: list[str], student_dir: Path, ipc_dir: Path) -> list[str]:
    """The bubblewrap command line that runs ``kernel_argv`` in the sandbox."""
    from jupyter_core.paths import jupyter_runtime_dir

    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    emptied = [Path(p) for p in ("/tmp", "/var/tmp", "/dev/shm")]
    home = Path.home().resolve()
    if home != Path("/"):
        emptied.append(home)
    for path in emptied:
        args += ["--tmpfs", str(path)]
    # the environment and the course package stay visible, also where they lie in a
    # folder emptied above (a course checked out under /tmp or the grader's home)
    keep = [REPO_DIR, Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    for path in keep:
        if any(path.is_relative_to(folder) for folder in emptied):
            args += ["--ro-bind", str(path), str(path)]
    runtime = Path(jupyter_runtime_dir()).resolve()
    if runtime.is_dir() and not runtime.is_relative_to(home):
        args += ["--tmpfs", str(runtime)]  # other kernels' connection files and keys
    for path in _hidden_paths(student_dir):
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    args += ["--bind", str(student_dir), str(student_dir),
             "--bind", str(ipc_dir), str(ipc_dir),
             "--dir", "/tmp/home",
             "--setenv", "HOME", "/tmp/home",
             "--setenv", "MPLCONFIGDIR", "/tmp/home/.matplotlib",
             "--setenv", "IPYTHONDIR", "/tmp/home/.ipython",
             "--setenv", "JUPYTER_RUNTIME_DIR", str(ipc_dir),
             "--setenv", "DLPHYS_SANDBOX", "1",
             "--unsetenv", HIDE_VARIABLE,
             # the grader's PID means nothing in the kernel's PID namespace
             "--unsetenv", "JPY_PARENT_PID",
             "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
             "--chdir", str(student_dir), "--"]
    return args + kernel_argv


def _matplotlib_cache_copy(ipc_dir: Path, uid: int, gid: int) -> Path:
    """A writable matplotlib folder for the kernel holding the grader's font cache.

    Without it every kernel rebuilds the font cache and says so on stderr, which
    nbgrader would count as a failed test if it happened in a test cell.
    """
    cache = Path(os.environ.get("MPLCONFIGDIR") or
                 Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib")
    if not list(cache.glob("fontlist-*.json")):
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       capture_output=True, env={**os.environ, "MPLCONFIGDIR": str(cache)})
    target = ipc_dir / "matplotlib"
    target.mkdir(exist_ok=True)
    for font_list in cache.glob("fontlist-*.json"):
        shutil.copyfile(font_list, target / font_list.name)
    for path in (target, *target.iterdir()):
        os.chown(path, uid, gid)
    return target


def launch(connection_file: str) -> int:
    """Run ipykernel for ``connection_file`` in the sandbox; return its exit status."""
    limits = load_limits()
    info = json.loads(Path(connection_file).read_text())
    if info.get("transport") != "ipc" or not os.path.isabs(info.get("ip", "")):
        print("dlphys-sandbox: the kernel has no network, so it needs the ipc transport with "
              "an absolute socket path (nbgrader_config.py sets both)", file=sys.stderr)
        return 2
    ipc_dir = Path(info["ip"]).parent.resolve()
    student_dir = Path.cwd().resolve()
    as_root = os.geteuid() == 0
    uid, gid = _sandbox_ids(limits) if as_root else (os.getuid(), os.getgid())
    drop_root = as_root and _can_drop_root(uid)
    cgroup = _sandbox_cgroup(limits) if as_root and not drop_root else None
    if as_root and not drop_root:
        uid, gid = 0, 0  # without capabilities: only the bound folders are writable
        if not cgroup.ok:
            print("dlphys-sandbox: warning: no cgroup available, the process limit is not "
                  "enforced for a root grader", file=sys.stderr)
    if drop_root:  # the unprivileged sandbox user owns what the kernel may write
        for folder in (ipc_dir, student_dir):
            os.chown(folder, uid, gid)
            for path in folder.rglob("*"):
                os.chown(path, uid, gid, follow_symlinks=False)
    # the connection file lives in a folder the sandbox hides: give the kernel a copy
    connection = ipc_dir / f"{Path(connection_file).stem}-sandbox.json"
    shutil.copyfile(connection_file, connection)
    os.chmod(connection, 0o600)
    os.chown(connection, uid, gid)
    matplotlib_dir = _matplotlib_cache_copy(ipc_dir, uid, gid)
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection),
              "--HistoryManager.hist_file=:memory:"]
    command = bwrap_command(kernel, student_dir, ipc_dir)
    command[command.index("/tmp/home/.matplotlib")] = str(matplotlib_dir)

    def prepare():
        _set_limits(limits, uid)
        if cgroup is not None and cgroup.ok:
            cgroup.enter()
        if drop_root:
            _drop_root(uid, gid)

    child = subprocess.Popen(command, preexec_fn=prepare)

    def stop(signum, frame):
        child.kill()
    signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait(timeout=limits["wall_seconds"])
    except subprocess.TimeoutExpired:
        print(f"dlphys-sandbox: the kernel ran longer than wall_seconds = "
              f"{limits['wall_seconds']} s and was stopped", file=sys.stderr)
        child.kill()
        return child.wait()
    finally:
        connection.unlink(missing_ok=True)
        if cgroup is not None:
            cgroup.remove()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["launch"] and len(argv) == 2:
        return launch(argv[1])
    if argv == ["check"]:
        reason = unavailable_reason()
        if reason:
            print(f"The grading sandbox is not available: {reason}.\nTo grade, {INSTALL_HINT}.",
                  file=sys.stderr)
            return 1
        print("The grading sandbox (bubblewrap) works here.")
        return 0
    if argv == ["install"]:
        print(f"installed the kernelspec {KERNEL_NAME!r} in {install_kernelspec()}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
