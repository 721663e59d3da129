"""The command line of the simulators: ``python -m dlphys.data generate|bench [NAME ...]``."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from dlphys.data import DATASETS


def cli(*args, data_dir, timeout=600) -> subprocess.CompletedProcess:
    env = dict(os.environ, DLPHYS_DATA=str(data_dir), DLPHYS_NO_PROGRESS="1")
    return subprocess.run([sys.executable, "-m", "dlphys.data", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_an_unknown_dataset_is_refused_with_the_choices(tmp_path):
    result = cli("generate", "pendulum", "no_such_data", data_dir=tmp_path)
    assert result.returncode == 2
    assert "no_such_data" in result.stderr
    for name in DATASETS:
        assert name in result.stderr
    assert files(tmp_path) == [], "nothing may be generated when an argument is wrong"


def test_an_unknown_command_is_refused_with_the_choices(tmp_path):
    result = cli("frobnicate", data_dir=tmp_path)
    assert result.returncode == 2
    assert "generate" in result.stderr and "bench" in result.stderr


def test_generate_writes_the_dataset_into_dlphys_data_and_prints_its_timing(tmp_path):
    result = cli("generate", "pendulum", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"pendulum\s+first load\s+[\d.]+ s\s+cached load\s+[\d.]+ s", result.stdout)
    written = [f for f in files(tmp_path) if f.startswith("pendulum") and f.endswith(".npz")]
    assert len(written) == 1, files(tmp_path)
    assert (tmp_path / written[0]).stat().st_size > 0
    # a second run finds it in the cache: nothing new is written
    before = {f: (tmp_path / f).stat().st_mtime_ns for f in written}
    again = cli("generate", "pendulum", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [f for f in files(tmp_path) if f.endswith(".npz")] == written
    assert {f: (tmp_path / f).stat().st_mtime_ns for f in written} == before


def test_bench_leaves_the_real_cache_untouched(tmp_path):
    real = tmp_path / "real-cache"
    real.mkdir()
    (real / "keep.txt").write_text("a file of the real cache\n")
    result = cli("bench", "pendulum", data_dir=real)
    assert result.returncode == 0, result.stderr
    assert re.search(r"pendulum\s+first load\s+[\d.]+ s", result.stdout)
    assert files(real) == ["keep.txt"]
