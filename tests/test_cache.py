"""The dataset cache as a class shares it: location, permissions, concurrent first use."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dlphys.data import _cache

REPO = Path(__file__).resolve().parents[1]


def test_repository_cache_is_recognised_by_its_marker(monkeypatch):
    monkeypatch.delenv("DLPHYS_DATA", raising=False)
    assert (REPO / "datasets" / _cache.REPO_MARKER).is_file()
    assert _cache.cache_dir() == REPO / "datasets" / "cache"


def test_unrelated_datasets_folder_is_not_used(tmp_path, monkeypatch):
    """Installed into site-packages, ``../datasets`` is some other package: use the user cache."""
    unrelated = tmp_path / "site-packages" / "datasets"
    unrelated.mkdir(parents=True)
    monkeypatch.setattr(_cache, "_REPO_DATASETS", unrelated)
    monkeypatch.delenv("DLPHYS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _cache.cache_dir() == tmp_path / "xdg" / "dlphys"
    assert not (unrelated / "cache").exists()


def test_home_cache_without_xdg(tmp_path, monkeypatch):
    monkeypatch.setattr(_cache, "_REPO_DATASETS", tmp_path / "nowhere")
    monkeypatch.delenv("DLPHYS_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _cache.cache_dir() == tmp_path / "home" / ".cache" / "dlphys"


def test_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path / "shared" / "course"))
    assert _cache.cache_dir() == tmp_path / "shared" / "course"
    assert _cache.cache_dir().is_dir()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_honour_the_umask(tmp_path, monkeypatch, umask, mode):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    old = os.umask(umask)
    try:
        _cache.cached("toy", 1, {"umask": umask}, lambda: {"x": np.arange(3)})
    finally:
        os.umask(old)
    path = _cache.cache_path("toy", 1, {"umask": umask})
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_read_only_cache_still_gives_data(tmp_path, monkeypatch):
    if os.geteuid() == 0:
        # root ignores file permissions; simulate the write failure a student would get
        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "read-only course cache")
        monkeypatch.setattr(_cache.tempfile, "mkstemp", refuse)
    else:
        tmp_path.chmod(0o555)
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    try:
        with pytest.warns(UserWarning, match="read-only cache"):
            arrays = _cache.cached("toy", 1, {}, lambda: {"x": np.arange(4)})
    finally:
        tmp_path.chmod(0o755)
    np.testing.assert_array_equal(arrays["x"], np.arange(4))
    assert not _cache.cache_path("toy", 1, {}).exists()


def test_missing_cache_on_a_read_only_file_system(tmp_path, monkeypatch):
    """As in the grading sandbox: the cache folder cannot even be created."""
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path / "never" / "created"))
    real_mkdir = Path.mkdir

    def read_only_mkdir(self, *args, **kwargs):
        if str(self).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    with pytest.warns(UserWarning, match="read-only cache"):
        arrays = _cache.cached("toy", 1, {}, lambda: {"x": np.arange(2)})
    np.testing.assert_array_equal(arrays["x"], [0, 1])


def test_concurrent_first_use_generates_once(tmp_path):
    """Six students open the same missing dataset at once: one generates, all get it."""
    log = tmp_path / "generations.log"
    script = textwrap.dedent(f"""
        import os, sys, time
        import numpy as np
        from dlphys.data import _cache

        def generate():
            with open({str(log)!r}, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(1.0)
            return {{"x": np.arange(100_000, dtype=np.float64)}}

        arrays = _cache.cached("shared", 1, {{"n": 100_000}}, generate)
        assert arrays["x"].sum() == np.arange(100_000).sum()
        print("ok")
    """)
    env = {**os.environ, "DLPHYS_DATA": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "ok"
        assert "regenerating" not in err
    assert len(log.read_text().split()) == 1
    files = [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")]
    assert files == [_cache.cache_path("shared", 1, {"n": 100_000}).name]


def test_grading_sandbox_reads_the_cache_silently(tmp_path, monkeypatch):
    """nbgrader scores any stderr output of a test cell as a failure: no warning there."""
    import warnings

    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path / "missing"))
    monkeypatch.setenv("DLPHYS_SANDBOX", "1")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    monkeypatch.setattr(_cache.tempfile, "mkstemp", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.EROFS, "Read-only file system")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrays = _cache.cached("toy", 1, {}, lambda: {"x": np.arange(3)})
    np.testing.assert_array_equal(arrays["x"], np.arange(3))
