"""Tests of the air-shower simulator: contract, geometry and physics validation."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from scipy import stats

from dlphys.data import airshower


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A default-like sample and its noise-free twin (same showers, same seed)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("airshower")))
    noisy = airshower.load(6000, seed=5)
    clean = airshower.load(6000, seed=5, noise_free=True)
    mp.undo()
    return noisy, clean


def _geometry(data):
    """Distance to the axis and Delta X of every station, computed independently."""
    pos = np.concatenate([airshower.STATION_POSITIONS_M.reshape(-1, 2),
                          np.zeros((81, 1))], axis=1)
    core = np.concatenate([data.core_m, np.zeros((len(data), 1))], axis=1)
    d = pos[None] - core[:, None]
    axis = data.axis[:, None, :]
    r = np.linalg.norm(np.cross(d, np.broadcast_to(axis, d.shape)), axis=-1)
    height = np.sum(d * axis, axis=-1) * axis[..., 2]  # height of the station's shower plane
    depth = airshower.GROUND_DEPTH_G_CM2 * np.exp(-height / airshower.SCALE_HEIGHT_M)
    delta_x = depth / axis[..., 2] - data.xmax[:, None]
    return r, delta_x


# ------------------------------------------------------------------ contract

def test_default_load_signature():
    sig = inspect.signature(airshower.load)
    assert sig.parameters["n"].default == 100_000
    assert sig.parameters["log10_energy_range"].default == (18.5, 20.0)
    assert sig.parameters["zenith_max_deg"].default == 60.0
    assert sig.parameters["noise_free"].default is False


def test_deterministic_and_cached(cache, tmp_path_factory, monkeypatch):
    a = airshower.load(200, seed=3)
    assert len(list(cache.glob("airshower-*.npz"))) == 1
    b = airshower.load(200, seed=3)  # from the cache
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("fresh")))
    c = airshower.load(200, seed=3)  # generated again
    for field in ("signal", "arrival_time", "triggered", "xmax", "core_m", "axis"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        np.testing.assert_array_equal(getattr(a, field), getattr(c, field))
    d = airshower.load(200, seed=4)
    assert not np.array_equal(a.signal, d.signal)


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0), "n"),
    (dict(n=2.5), "n"),
    (dict(seed=-1), "seed"),
    (dict(log10_energy_range=(19.5, 19.0)), "log10_energy_range"),
    (dict(log10_energy_range=(16.0, 19.0)), "log10_energy_range"),
    (dict(log10_energy_range=(18.5,)), "log10_energy_range"),
    (dict(zenith_max_deg=80.0), "zenith_max_deg"),
    (dict(masses=()), "masses"),
    (dict(masses=(1, 1)), "masses"),
    (dict(masses=(1, 57)), "masses"),
    (dict(masses=(1.5,)), "masses"),
    (dict(noise_free="yes"), "noise_free"),
    (dict(signal_scale_vem=0.0), "signal_scale_vem"),
])
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        airshower.load(**{"n": 10, **kwargs})
    assert list(cache.iterdir()) == []


def test_station_grid():
    pos = airshower.STATION_POSITIONS_M
    assert pos.shape == (9, 9, 2)
    np.testing.assert_array_equal(pos[4, 4], [0.0, 0.0])
    np.testing.assert_allclose(np.diff(pos[..., 0], axis=1), airshower.SPACING_M)
    np.testing.assert_allclose(np.diff(pos[..., 1], axis=0), airshower.SPACING_M)
    assert not pos.flags.writeable


def test_fields_shapes_dtypes_units(sample):
    data, _ = sample
    n = len(data)
    assert data.signal.shape == data.arrival_time.shape == data.triggered.shape == (n, 9, 9)
    assert data.signal.dtype == data.arrival_time.dtype == np.float32
    assert data.triggered.dtype == bool
    assert data.axis.shape == (n, 3) and data.core_m.shape == (n, 2)
    assert data.mass_number.dtype == np.int64
    assert set(np.unique(data.mass_number)) == {1, 4, 14, 56}
    # signals: zero where untriggered, at least the threshold where triggered
    assert np.all(data.signal[~data.triggered] == 0)
    assert np.all(data.signal[data.triggered] >= airshower.TRIGGER_THRESHOLD_VEM)
    assert np.all(data.arrival_time[~data.triggered] == 0)
    # times: relative to the earliest triggered station, in ns (17 km diagonal < 60 us)
    first = np.where(data.triggered, data.arrival_time, np.inf).reshape(n, -1).min(axis=1)
    np.testing.assert_array_equal(first[data.n_triggered > 0], 0.0)
    assert data.arrival_time.min() >= 0 and data.arrival_time.max() < 60_000
    # direction: unit vector matching zenith and azimuth
    np.testing.assert_allclose(np.linalg.norm(data.axis, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(data.axis[:, 2], np.cos(data.zenith_rad))
    np.testing.assert_allclose(np.arctan2(data.axis[:, 1], data.axis[:, 0]) % (2 * np.pi),
                               data.azimuth_rad, atol=1e-9)
    np.testing.assert_allclose(data.energy_eev, 10 ** (data.log10_energy - 18))
    assert np.all(np.abs(data.core_m) <= airshower.SPACING_M)
    assert np.mean(data.n_triggered >= 3) > 0.99  # almost every event is reconstructible


# ------------------------------------------------------------------ physics

def test_primary_distributions(sample):
    data, _ = sample
    cos2_min = np.cos(np.radians(60.0)) ** 2
    # dN/dtheta ~ sin(theta) cos(theta)  <=>  cos^2(theta) uniform
    assert stats.kstest(np.cos(data.zenith_rad) ** 2, "uniform",
                        args=(cos2_min, 1 - cos2_min)).pvalue > 1e-3
    assert stats.kstest(data.azimuth_rad, "uniform", args=(0, 2 * np.pi)).pvalue > 1e-3
    assert stats.kstest(data.log10_energy, "uniform", args=(18.5, 1.5)).pvalue > 1e-3
    assert data.zenith_rad.max() <= np.radians(60.0)


def test_xmax_by_mass_and_elongation_rate():
    """EPOS-LHC (De Domenico et al. 2013): 806 (p) / 710 (Fe) g/cm^2 at 10 EeV, 55 per decade."""
    rng = np.random.default_rng(0)
    n = 200_000
    p19 = airshower.sample_xmax(rng, np.full(n, 19.0), np.ones(n))
    p20 = airshower.sample_xmax(rng, np.full(n, 20.0), np.ones(n))
    fe19 = airshower.sample_xmax(rng, np.full(n, 19.0), np.full(n, 56))
    fe20 = airshower.sample_xmax(rng, np.full(n, 20.0), np.full(n, 56))
    assert abs(p19.mean() - 806) < 5 and abs(fe19.mean() - 710) < 5
    assert abs(p19.std() - 57) < 4 and abs(fe19.std() - 18) < 2.5
    assert abs((p20.mean() - p19.mean()) - 55) < 4
    assert abs((fe20.mean() - fe19.mean()) - 55) < 4
    assert stats.skew(p19) > 0.5  # the exponential tail of deep proton showers
    # the sampler matches the exact moments of the generalised Gumbel law
    mean, spread = airshower.xmax_mean_and_spread(19.0, 1)
    assert abs(p19.mean() - mean) < 4 * spread / np.sqrt(n)


def test_xmax_in_the_data_follows_the_model(sample):
    data, _ = sample
    mean, spread = airshower.xmax_mean_and_spread(data.log10_energy, data.mass_number)
    pull = (data.xmax - mean) / spread
    for a in (1, 56):
        sel = data.mass_number == a
        assert abs(pull[sel].mean()) < 4 / np.sqrt(sel.sum())
        assert abs(pull[sel].std() - 1) < 0.1
    # deeper showers for lighter primaries
    means = [data.xmax[data.mass_number == a].mean() for a in (1, 4, 14, 56)]
    assert np.all(np.diff(means) < 0)


def test_noise_free_signal_and_time_follow_the_model(sample):
    _, clean = sample
    r, delta_x = _geometry(clean)
    em, mu = airshower.expected_signal(r, delta_x, clean.xmax[:, None],
                                       clean.log10_energy[:, None], clean.mass_number[:, None])
    expected = (em + mu).reshape(clean.signal.shape)
    trig = clean.triggered
    np.testing.assert_allclose(clean.signal[trig], expected[trig], rtol=1e-5)
    np.testing.assert_array_equal(trig, expected >= airshower.TRIGGER_THRESHOLD_VEM)
    # spherical front: time differences between two triggered stations of an event
    # equal the path differences from the virtual origin on the axis
    cos_t = np.cos(clean.zenith_rad)
    radius = airshower.SCALE_HEIGHT_M * np.log(
        airshower.GROUND_DEPTH_G_CM2 / (airshower.FRONT_ORIGIN_FRACTION * clean.xmax * cos_t)
    ) / cos_t
    origin = np.concatenate([clean.core_m, np.zeros((len(clean), 1))], axis=1) \
        + radius[:, None] * clean.axis
    pos = np.concatenate([airshower.STATION_POSITIONS_M.reshape(-1, 2), np.zeros((81, 1))], 1)
    path = np.linalg.norm(pos[None] - origin[:, None], axis=-1).reshape(clean.signal.shape)
    t_model = path / airshower.C_M_PER_NS
    first = np.where(trig, t_model, np.inf).min(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(clean.arrival_time[trig], (t_model - first)[trig], atol=0.05)


def test_front_is_curved_and_times_follow_the_direction(sample):
    _, clean = sample
    # stations upstream (towards the source) are hit first
    pos = airshower.STATION_POSITIONS_M
    upstream = np.einsum("ijk,nk->nij", pos, clean.axis[:, :2])
    for i in range(50):
        trig = clean.triggered[i]
        if trig.sum() >= 4 and clean.zenith_rad[i] > np.radians(30):
            rho = stats.spearmanr(upstream[i][trig], clean.arrival_time[i][trig])[0]
            assert rho < -0.8


def test_signal_at_1000_m_scales_with_energy_as_configured(cache):
    """d lg S / d lg E = 1 for the e.m. part, beta_HM = 0.9 for muons (no Xmax spread: iron)."""
    data = airshower.load(3000, seed=6, masses=(56,), zenith_max_deg=25.0, noise_free=True)
    r, delta_x = _geometry(data)
    r = r.reshape(data.signal.shape)
    near = data.triggered & (r > 700) & (r < 1400)
    lg_e = np.broadcast_to(data.log10_energy[:, None, None], r.shape)[near]
    design = np.column_stack([np.ones_like(lg_e), lg_e, np.log10(r[near] / 1000),
                              np.log10((r[near] + 700) / 1700),
                              delta_x.reshape(r.shape)[near] / 1000])
    coef = np.linalg.lstsq(design, np.log10(data.signal[near]), rcond=None)[0]
    em, mu = airshower.expected_signal(1000.0, delta_x.reshape(r.shape)[near],
                                       56, lg_e, 56)
    configured = 1.0 - (1.0 - airshower.HEITLER_MATTHEWS_BETA) * np.mean(mu / (em + mu))
    assert abs(coef[1] - configured) < 0.02
    # and the overall scale: about 50 VEM at 1000 m for 10 EeV
    s1000 = 10 ** (coef[0] + 19 * coef[1])
    assert 30 < s1000 < 80


def test_signal_falls_with_zenith_like_the_constant_intensity_cut():
    """Mean S(1000) of the mass mixture against Auger's CIC curve 1 + 0.95x - 1.4x^2 - 1.1x^3."""
    rng = np.random.default_rng(1)
    theta = np.radians([0, 20, 38, 50, 60])
    mass = np.array([1, 4, 14, 56])[rng.integers(0, 4, 40_000)]
    xmax = airshower.sample_xmax(rng, 19.0, mass)
    dx = airshower.GROUND_DEPTH_G_CM2 / np.cos(theta)[:, None] - xmax
    em, mu = airshower.expected_signal(1000.0, dx, xmax, 19.0, mass)
    s = (em + mu).mean(axis=1)
    x = np.cos(theta) ** 2 - np.cos(np.radians(38)) ** 2
    cic = 1 + 0.95 * x - 1.4 * x**2 - 1.1 * x**3
    np.testing.assert_allclose(s / s[2], cic, rtol=0.04)
    # beyond 20 deg the muonic fraction grows with zenith angle (the e.m. part is absorbed)
    muon_fraction = (mu / (em + mu)).mean(axis=1)
    assert np.all(np.diff(muon_fraction[1:]) > 0.03) and muon_fraction[-1] > 0.75
    # heavier primaries: more muons, larger signal at 38 deg
    fe, p = mass == 56, mass == 1
    assert (em + mu)[2, fe].mean() > (em + mu)[2, p].mean()


def test_poisson_fluctuations_and_timing_jitter(sample):
    noisy, clean = sample
    # same showers: the truth agrees, the signals differ by counting noise
    np.testing.assert_array_equal(noisy.xmax, clean.xmax)
    both = noisy.triggered & clean.triggered
    mean = clean.signal[both].astype(float)
    sel = (mean > 20) & (mean < 60)
    pull = (noisy.signal[both][sel] - mean[sel]) / np.sqrt(mean[sel])
    assert abs(pull.mean()) < 0.05
    assert 0.7 < pull.std() < 1.1  # Poisson of muons (1 VEM) and e.m. particles (0.5 VEM)
    # timing jitter: tens of ns, smaller for large signals (event offsets removed)
    dt = (noisy.arrival_time - clean.arrival_time).astype(float)
    dt = dt - np.nanmedian(np.where(both, dt, np.nan).reshape(len(dt), -1), axis=1)[:, None, None]
    small = both & (noisy.signal < 10)
    large = both & (noisy.signal > 100)
    assert 5 < np.std(dt[large]) < 40
    assert np.std(dt[small]) > 4 * np.std(dt[large])


def test_trigger_efficiency_rises_with_energy(sample):
    data, clean = sample
    r, _ = _geometry(clean)
    r = r.reshape(data.signal.shape)
    ring = (r > 1800) & (r < 2600)
    efficiency, multiplicity = [], []
    for low in (18.5, 19.0, 19.5):
        sel = (data.log10_energy >= low) & (data.log10_energy < low + 0.5)
        efficiency.append(data.triggered[sel][ring[sel]].mean())
        multiplicity.append(data.n_triggered[sel].mean())
    assert efficiency[0] < 0.6 and efficiency[2] > 0.9
    assert np.all(np.diff(efficiency) > 0.1)
    assert np.all(np.diff(multiplicity) > 3)
