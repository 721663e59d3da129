"""Unit tests of the dlphys core: modes, seeding, the dataset cache, metrics."""

from __future__ import annotations

import os

import numpy as np
import pytest

import dlphys
from dlphys import metrics
from dlphys.baselines.pendulum import fit_gravity
from dlphys.data import _cache, pendulum


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


def data_files(folder):
    """Names of the files in a cache folder, without the (empty) lock files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


# ---------------------------------------------------------------- modes and seeds

@pytest.mark.parametrize("value, expected", [("1", True), ("0", False), ("", False)])
def test_fast_mode_follows_environment(monkeypatch, value, expected):
    monkeypatch.setenv("DLPHYS_FAST", value)
    assert dlphys.fast_mode() is expected


def test_fast_mode_rejects_garbage(monkeypatch):
    monkeypatch.setenv("DLPHYS_FAST", "maybe")
    with pytest.raises(ValueError, match="DLPHYS_FAST"):
        dlphys.fast_mode()


def test_set_seed_makes_numpy_repeatable():
    a = dlphys.set_seed(7).normal(size=5), np.random.rand(3)
    b = dlphys.set_seed(7).normal(size=5), np.random.rand(3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="seed"):
        dlphys.set_seed(-1)


# ---------------------------------------------------------------- dataset cache

def test_cache_generates_once_then_reads(cache):
    calls = []

    def generate():
        calls.append(1)
        return {"x": np.arange(5.0)}

    first = _cache.cached("toy", 1, {"n": 5}, generate)
    second = _cache.cached("toy", 1, {"n": 5}, generate)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["x"], second["x"])
    assert data_files(cache) == [_cache.cache_path("toy", 1, {"n": 5}).name]


def test_cache_key_holds_version_and_arguments(cache):
    base = _cache.cache_path("toy", 1, {"n": 5, "seed": 0})
    assert base != _cache.cache_path("toy", 2, {"n": 5, "seed": 0})
    assert base != _cache.cache_path("toy", 1, {"n": 5, "seed": 1})
    assert base == _cache.cache_path("toy", 1, {"seed": 0, "n": np.int64(5)})
    assert "toy-v1-" in base.name


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_byte", "empty"])
def test_corrupt_cache_file_is_detected_and_regenerated(cache, damage):
    generate = lambda: {"x": np.linspace(0, 1, 1000)}  # noqa: E731
    path = _cache.cache_path("toy", 1, {})
    expected = _cache.cached("toy", 1, {}, generate)["x"]
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a flipped bit inside the stored array: only the checksum can see it
        data = bytearray(raw)
        offset = raw.index(np.linspace(0, 1, 1000)[500].tobytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="regenerating"):
        again = _cache.cached("toy", 1, {}, generate)["x"]
    np.testing.assert_array_equal(again, expected)
    with np.load(path) as npz:  # the file on disk was repaired
        np.testing.assert_array_equal(npz["x"], expected)


def test_interrupted_generation_leaves_no_file(cache):
    def generate():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _cache.cached("toy", 1, {}, generate)
    assert data_files(cache) == []


def test_write_is_atomic_no_temporary_left(cache, monkeypatch):
    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        _cache.cached("toy", 1, {}, lambda: {"x": np.ones(3)})
    assert data_files(cache) == []


def test_cache_dir_from_environment(cache):
    assert _cache.cache_dir() == cache


# ---------------------------------------------------------------- pendulum data

def test_pendulum_is_deterministic(cache):
    a = pendulum.load(n=100, seed=3)
    b = pendulum.load(n=100, seed=3)
    c = pendulum.load(n=100, seed=4)
    np.testing.assert_array_equal(a.period_s, b.period_s)
    assert not np.array_equal(a.period_s, c.period_s)
    assert len(a) == 100


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0), "n"), (dict(n=2.5), "n"), (dict(noise_s=-0.1), "noise_s"),
    (dict(max_amplitude_deg=179.0), "max_amplitude_deg"), (dict(seed=-3), "seed"),
    (dict(length_range_m=(2.0, 1.0)), r"length_range_m\[1\]"), (dict(g=float("nan")), "g"),
])
def test_pendulum_bad_argument_names_it_and_writes_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        pendulum.load(**kwargs)
    assert list(cache.iterdir()) == []


def test_pendulum_physics():
    # small-angle limit, and the known large-amplitude ratio T(90 deg)/T0 = 1.18034
    t0 = 2 * np.pi * np.sqrt(1.0 / pendulum.STANDARD_GRAVITY)
    assert pendulum.exact_period(1e-4, 1.0) == pytest.approx(t0, rel=1e-8)
    assert pendulum.exact_period(np.pi / 2, 1.0) / t0 == pytest.approx(1.18034, rel=1e-5)


def test_pendulum_noise_and_fit(cache):
    data = pendulum.load(n=20_000, noise_s=0.05, seed=1)
    residual = data.period_s - data.period_true_s
    assert np.std(residual) == pytest.approx(0.05, rel=0.03)
    exact = fit_gravity(data.amplitude_rad, data.length_m, data.period_s, model="exact")
    assert abs(exact.g - pendulum.STANDARD_GRAVITY) < 4 * exact.g_error
    small = fit_gravity(data.amplitude_rad, data.length_m, data.period_s, model="small_angle")
    assert small.g < exact.g - 10 * exact.g_error  # longer periods read as weaker gravity
    with pytest.raises(ValueError, match="model"):
        fit_gravity(data.amplitude_rad, data.length_m, data.period_s, model="cubic")


# ---------------------------------------------------------------- metrics

def test_roc_auc_matches_rank_statistic():
    rng = np.random.default_rng(0)
    labels = rng.random(2000) < 0.4
    scores = rng.normal(size=2000) + labels
    pos, neg = scores[labels], scores[~labels]
    mann_whitney = np.mean(pos[:, None] > neg[None, :])
    assert metrics.roc_auc(labels, scores) == pytest.approx(mann_whitney, abs=1e-9)
    assert metrics.roc_auc(labels, labels.astype(float)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc(np.ones(5), np.arange(5.0))


def test_opening_angle_and_resolution():
    z = np.array([0.0, 0.0, 1.0])
    tilted = np.array([np.sin(np.radians(2.0)), 0.0, np.cos(np.radians(2.0))])
    assert metrics.opening_angle_deg(z, tilted) == pytest.approx(2.0, rel=1e-9)
    assert metrics.opening_angle_deg(z, z) == pytest.approx(0.0, abs=1e-12)
    bias, resolution = metrics.bias_and_resolution([1.1, 0.9, 1.1, 0.9], [1, 1, 1, 1],
                                                    relative=True)
    assert bias == pytest.approx(0.0, abs=1e-12)
    assert resolution == pytest.approx(0.1)
    with pytest.raises(ValueError, match="same shape"):
        metrics.mse([1, 2], [1, 2, 3])


def test_binned_resolution():
    x = np.repeat([0.5, 1.5], 100)
    truth = np.ones(200)
    pred = truth + np.r_[np.tile([0.1, -0.1], 50), np.tile([0.2, -0.2], 50)]
    centres, bias, resolution, counts = metrics.binned_bias_and_resolution(
        x, pred, truth, bins=[0, 1, 2])
    np.testing.assert_allclose(centres, [0.5, 1.5])
    np.testing.assert_allclose(resolution, [0.1, 0.2])
    np.testing.assert_array_equal(counts, [100, 100])


def test_bootstrap_error_of_a_mean_and_of_a_paired_difference():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    y = x + 0.1 * rng.normal(size=2000)   # strongly correlated with x, event by event
    errors = metrics.bootstrap_error(lambda a, b: [a.mean(), b.mean(), b.mean() - a.mean()],
                                     x, y, n_resamples=400, seed=3)
    # the standard error of a mean is sigma / sqrt(n); the paired difference only 0.1 of it
    assert errors[0] == pytest.approx(1 / np.sqrt(2000), rel=0.15)
    assert errors[2] == pytest.approx(0.1 / np.sqrt(2000), rel=0.15)
    np.testing.assert_array_equal(
        errors, metrics.bootstrap_error(lambda a, b: [a.mean(), b.mean(), b.mean() - a.mean()],
                                        x, y, n_resamples=400, seed=3))
    with pytest.raises(ValueError, match="one row per event"):
        metrics.bootstrap_error(np.mean, x, y[:10])


def test_separation_power_limits_and_floor():
    bins = np.linspace(-5, 5, 41)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=20_000), rng.normal(size=20_000)
    assert metrics.separation_power(a, a, bins) == 0.0
    assert metrics.separation_power(a, a + 20, np.linspace(-5, 30, 141)) == pytest.approx(1.0)
    # two samples of one distribution: the floor, about (filled bins) / (2 n) in expectation
    floor = metrics.separation_power(a, b, bins)
    assert 0 < floor < 5 * 40 / (2 * 20_000)
    # a shift by a tenth of a standard deviation stands far above that floor
    assert metrics.separation_power(a, b + 0.1, bins) > 3 * floor
    # symmetric, and normalised: the sample sizes do not matter
    assert metrics.separation_power(b, a, bins) == pytest.approx(floor)
    assert metrics.separation_power(np.tile(a, 3), b, bins) == pytest.approx(floor)
    with pytest.raises(ValueError, match="sample_b has no finite value"):
        metrics.separation_power(a, [np.nan, 99.0], bins)
    with pytest.raises(ValueError, match="increasing"):
        metrics.separation_power(a, b, [1.0, 0.0])


def test_progress_bar_is_quiet_for_short_loops(capsys):
    assert sum(dlphys.progress(range(10), desc="short")) == 45
    assert "short" not in capsys.readouterr().err
