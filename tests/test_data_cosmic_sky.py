"""Tests of the cosmic-ray sky simulator and the pair-count baseline."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dlphys.baselines import cosmic_sky as baseline
from dlphys.data import cosmic_sky as sky
from dlphys.metrics import opening_angle_deg, roc_auc


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


# ---------------------------------------------------------------- determinism and arguments


def test_load_is_deterministic_and_seeded(cache, tmp_path_factory, monkeypatch):
    first = sky.load(n=40, n_rays=60, seed=3)
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("other")))
    second = sky.load(n=40, n_rays=60, seed=3)  # regenerated in an empty cache
    for field in ("directions", "energy_eev", "is_signal_set", "from_source", "source_index",
                  "source_directions"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    assert not np.array_equal(first.directions, sky.load(n=40, n_rays=60, seed=4).directions)


def test_fields_shapes_and_labels(cache):
    data = sky.load(n=200, n_rays=100, signal_fraction=0.2, n_sources=2, seed=1)
    assert len(data) == 200
    assert data.directions.shape == (200, 100, 3) and data.directions.dtype == np.float32
    assert data.energy_eev.shape == (200, 100) and data.energy_eev.dtype == np.float32
    assert data.is_signal_set.dtype == bool and data.is_signal_set.sum() == 100
    assert data.from_source.shape == (200, 100) and data.from_source.dtype == bool
    np.testing.assert_array_equal(data.from_source, data.source_index >= 0)
    assert data.source_index.max() == 1
    # isotropic skies have no source rays and no sources
    assert not data.from_source[~data.is_signal_set].any()
    assert np.isnan(data.source_directions[~data.is_signal_set]).all()
    # signal skies: a binomial number of source rays, mean signal_fraction * n_rays
    per_set = data.from_source[data.is_signal_set].sum(axis=1)
    assert per_set.mean() == pytest.approx(20, abs=4 * np.sqrt(100 * 0.2 * 0.8 / 100))
    # source rays are spread over the set, not at its start
    assert data.from_source[data.is_signal_set][:, 50:].sum() > 0.3 * per_set.sum()
    np.testing.assert_allclose(np.linalg.norm(data.directions, axis=-1), 1.0, atol=1e-6)
    assert data.coherent_deflection_deg == pytest.approx(sky.COHERENT_DEG_EEV * 6 / 40)
    assert data.random_deflection_deg == pytest.approx(sky.RANDOM_DEG_EEV * 6 / 40)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=1), "n"),
        (dict(n_rays=1), "n_rays"),
        (dict(n_rays=2.5), "n_rays"),
        (dict(signal_fraction=1.5), "signal_fraction"),
        (dict(signal_fraction=float("nan")), "signal_fraction"),
        (dict(n_sources=0), "n_sources"),
        (dict(charge=0), "charge"),
        (dict(energy_range_eev=(0.0, 300.0)), "energy_range_eev"),
        (dict(spectral_index=1.0), "spectral_index"),
        (dict(energy_range_eev=(40.0, 40.0)), "energy_range_eev"),
        (dict(energy_range_eev=(2000.0, 5000.0)), "energy_range_eev"),
        (dict(seed=-2), "seed"),
        (dict(n=200_000, n_rays=1000), "n \\* n_rays"),
    ],
)
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        sky.load(**kwargs)
    assert list(cache.iterdir()) == []


# ---------------------------------------------------------------- physics


def test_background_is_isotropic(cache):
    data = sky.load(n=100, n_rays=500, signal_fraction=0.0, seed=2)
    u = data.directions.reshape(-1, 3).astype(float)
    n = len(u)
    # the mean vector of isotropic unit vectors vanishes; each component has variance 1/3
    assert np.all(np.abs(u.mean(axis=0)) < 4 / np.sqrt(3 * n))
    # cos(theta) and phi are uniform
    assert stats.kstest(u[:, 2], "uniform", args=(-1, 2)).pvalue > 1e-3
    phi = np.arctan2(u[:, 1], u[:, 0])
    assert stats.kstest(phi, "uniform", args=(-np.pi, 2 * np.pi)).pvalue > 1e-3
    # the second moments are isotropic too: <u u^T> = I / 3
    np.testing.assert_allclose(u.T @ u / n, np.eye(3) / 3, atol=4 * np.sqrt(4 / 45 / n))


def test_energies_follow_the_power_law(cache):
    data = sky.load(n=100, n_rays=500, spectral_index=3.0, seed=5)
    energy = data.energy_eev.ravel().astype(float)
    assert energy.min() >= 40.0 * (1 - 1e-6) and energy.max() <= 300.0 * (1 + 1e-6)
    cdf = lambda e: sky.energy_cdf(e, 40.0, 3.0, 300.0)  # noqa: E731
    assert stats.kstest(energy, cdf).pvalue > 1e-3
    # integral spectrum of E^-3: (E^-2 - Emax^-2) / (Emin^-2 - Emax^-2) above E
    above = (80.0**-2 - 300.0**-2) / (40.0**-2 - 300.0**-2)
    assert (energy > 80).mean() == pytest.approx(above, abs=0.01)
    # without the upper end: maximum-likelihood index 1 + n / sum ln(E / E_min)
    steep = sky.load(n=100, n_rays=500, spectral_index=4.0, energy_range_eev=(40.0, 10_000.0),
                     seed=5).energy_eev.ravel().astype(float)
    gamma = 1 + len(steep) / np.log(steep / 40.0).sum()
    assert gamma == pytest.approx(4.0, abs=4 * 3 / np.sqrt(len(steep)))
    # source rays have the same spectrum as the background
    src = sky.load(n=400, n_rays=500, signal_fraction=0.5, seed=6)
    assert stats.ks_2samp(src.energy_eev[src.from_source],
                          src.energy_eev[~src.from_source]).pvalue > 1e-3


def test_coherent_deflection_is_exactly_z_over_e():
    rng = np.random.default_rng(0)
    source = sky.isotropic_directions(rng, (1000,))
    e1, _ = sky._tangent_basis(source)
    energy = rng.uniform(40, 200, 1000)
    arrival = sky.deflect(source, e1, energy, charge=3)
    np.testing.assert_allclose(opening_angle_deg(arrival, source),
                               sky.COHERENT_DEG_EEV * 3 / energy, rtol=1e-9)
    # the rays of one source line up on a great circle, ordered by energy
    np.testing.assert_allclose(np.einsum("ij,ij->i", arrival, np.cross(source, e1)), 0,
                               atol=1e-12)


def test_deflection_of_source_rays_scales_as_one_over_energy(cache):
    data = sky.load(n=400, n_rays=200, signal_fraction=0.25, seed=7)
    sel = data.from_source
    sets, rays = np.nonzero(sel)
    source = data.source_directions[sets, data.source_index[sets, rays]]
    angle = opening_angle_deg(data.directions[sets, rays], source)
    energy = data.energy_eev[sets, rays].astype(float)
    # log(angle) against log(E): slope -1
    slope = np.polyfit(np.log(energy), np.log(angle), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    # mean of angle * E / Z: the coherent constant, raised by about 6 % by the random part
    constant = np.mean(angle * energy / data.charge)
    assert constant == pytest.approx(1.06 * sky.COHERENT_DEG_EEV, rel=0.05)


# ---------------------------------------------------------------- baseline


def test_pair_counts_of_isotropic_skies_match_expectation(cache):
    data = sky.load(n=300, n_rays=500, signal_fraction=0.0, seed=8)
    counts = baseline.pair_counts(data.directions, data.energy_eev, [5.0, 10.0], 40.0)[:, 0]
    for j, angle in enumerate([5.0, 10.0]):
        expected = baseline.expected_isotropic_pairs(500, angle)
        # Poisson-like spread of the pair count, sqrt(expected), over 300 skies
        assert counts[:, j].mean() == pytest.approx(expected, abs=5 * np.sqrt(expected / 300))
    # a brute-force count for one sky
    u = data.directions[0].astype(float)
    brute = np.sum(np.triu(u @ u.T > np.cos(np.deg2rad(10.0)), k=1))
    assert counts[0, 1] == brute


def test_baseline_detects_sources_and_not_isotropy(cache):
    train = sky.load(n=400, seed=11)
    statistic = baseline.fit_pair_count(train.directions, train.energy_eev, train.is_signal_set)
    assert 2.0 <= statistic.max_angle_deg <= 30.0
    test = sky.load(n=600, seed=12)
    auc = roc_auc(test.is_signal_set, statistic.score(test.directions, test.energy_eev))
    assert 0.65 < auc < 0.92
    # without sources both halves are isotropic: no separation (AUC error about 0.024)
    null = sky.load(n=600, signal_fraction=0.0, seed=13)
    fixed = baseline.PairCountStatistic(max_angle_deg=10.0, min_energy_eev=40.0)
    null_auc = roc_auc(null.is_signal_set, fixed.score(null.directions, null.energy_eev))
    assert null_auc == pytest.approx(0.5, abs=0.09)
    with pytest.raises(ValueError, match="is_signal_set"):
        baseline.fit_pair_count(test.directions[:5], test.energy_eev[:5], np.zeros(5, bool))
