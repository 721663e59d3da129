"""Tests of the 2D Ising simulator: interface, determinism, and equilibrium physics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dlphys.baselines.ising import (
    all_configurations,
    exact_energy_per_spin,
    exact_specific_heat_per_spin,
    log_partition_function,
)
from dlphys.data import ising


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    monkeypatch.setenv("DLPHYS_NO_PROGRESS", "1")
    return tmp_path


# ---------------------------------------------------------------- interface


def test_fields_shapes_dtypes_and_values(cache):
    data = ising.load(L=8, temperatures=(1.5, 3.0), n_per_temperature=25, seed=0)
    assert len(data) == 50 and data.L == 8
    assert data.spins.shape == (50, 8, 8) and data.spins.dtype == np.int8
    assert set(np.unique(data.spins)) == {-1, 1}
    assert data.temperature.dtype == np.float64
    np.testing.assert_array_equal(data.temperature, np.repeat([1.5, 3.0], 25))
    assert data.chain.dtype == np.int32 and data.chain.shape == (50,)
    # ceil(25 / SAMPLES_PER_CHAIN) chains per temperature, none shared between temperatures
    chains_per_t = -(-25 // ising.SAMPLES_PER_CHAIN)
    assert len(np.unique(data.chain[:25])) == chains_per_t
    assert not set(data.chain[:25]) & set(data.chain[25:])
    assert np.bincount(data.chain).max() <= ising.SAMPLES_PER_CHAIN
    np.testing.assert_array_equal(data.is_hot, data.temperature > ising.CRITICAL_TEMPERATURE)
    with pytest.raises(AttributeError):
        data.L = 4  # frozen


def test_same_seed_identical_different_seed_differs(cache, tmp_path_factory, monkeypatch):
    kwargs = dict(L=6, temperatures=(2.0, 2.5), n_per_temperature=30)
    first = ising.load(**kwargs, seed=1)
    # regenerate from scratch in an empty cache: bit-identical, not just re-read
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("fresh")))
    again = ising.load(**kwargs, seed=1)
    np.testing.assert_array_equal(first.spins, again.spins)
    np.testing.assert_array_equal(first.chain, again.chain)
    other = ising.load(**kwargs, seed=2)
    assert not np.array_equal(first.spins, other.spins)


@pytest.mark.parametrize("kwargs, name", [
    (dict(L=1), "L"),
    (dict(L=129), "L"),
    (dict(L=16.0), "L"),
    (dict(L="32"), "L"),
    (dict(temperatures=()), "temperatures"),
    (dict(temperatures=2.0), "temperatures"),
    (dict(temperatures="hot"), "temperatures"),
    (dict(temperatures=(2.0, 0.05)), "temperatures"),
    (dict(temperatures=(2.0, 101.0)), "temperatures"),
    (dict(temperatures=(float("nan"),)), "temperatures"),
    (dict(temperatures=(-1.0,)), "temperatures"),
    (dict(n_per_temperature=0), "n_per_temperature"),
    (dict(n_per_temperature=2.5), "n_per_temperature"),
    (dict(L=128, n_per_temperature=1_000_000), "n_per_temperature"),
    (dict(temperatures=np.full((2, 2), 2.0)), "temperatures"),
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
])
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        ising.load(**kwargs)
    assert list(cache.iterdir()) == []


def test_swendsen_wang_validates_and_keeps_input():
    rng = np.random.default_rng(0)
    start = np.ones((3, 4, 4), dtype=np.int8)
    with pytest.raises(ValueError, match="spins"):
        ising.swendsen_wang(np.zeros((3, 4, 4)), 2.0, 1, rng)
    with pytest.raises(ValueError, match="n_sweeps"):
        ising.swendsen_wang(start, 2.0, -1, rng)
    history = ising.swendsen_wang(start, [1.0, 2.0, 3.0], 6, rng, record_every=2)
    assert history.shape == (3, 3, 4, 4) and history.dtype == np.int8
    assert np.all(start == 1)


def test_energy_and_magnetization_helpers():
    L = 6
    up = np.ones((L, L), dtype=np.int8)
    checkerboard = np.where(np.add.outer(np.arange(L), np.arange(L)) % 2 == 0, 1, -1)
    assert ising.energy(up) == -2 * L * L
    assert ising.energy(checkerboard) == 2 * L * L
    assert ising.magnetization(-up) == -1.0 and ising.magnetization(checkerboard) == 0.0
    batch = np.stack([up, checkerboard, -up])
    np.testing.assert_array_equal(ising.energy(batch), [-72, 72, -72])
    # one flipped spin breaks four bonds: energy rises by 8
    flipped = up.copy()
    flipped[2, 3] = -1
    assert ising.energy(flipped) == -2 * L * L + 8
    # periodic: translating a configuration does not change its energy
    rng = np.random.default_rng(0)
    s = rng.choice([-1, 1], size=(L, L))
    assert ising.energy(np.roll(s, (2, 5), axis=(0, 1))) == ising.energy(s)


def test_spontaneous_magnetization():
    tc = ising.CRITICAL_TEMPERATURE
    assert tc == pytest.approx(2.269185314, abs=1e-9)
    t = np.linspace(0.5, 2.26, 50)
    m = ising.spontaneous_magnetization(t)
    assert np.all(np.diff(m) < 0) and m[0] == pytest.approx(1.0, abs=1e-6)
    assert ising.spontaneous_magnetization(tc + 0.01) == 0.0
    # critical exponent beta = 1/8: m ~ (Tc - T)^(1/8) close to Tc
    eps = np.array([1e-6, 1e-5])
    slope = np.diff(np.log(ising.spontaneous_magnetization(tc - eps))) / np.diff(np.log(eps))
    assert slope[0] == pytest.approx(0.125, abs=1e-3)


# ---------------------------------------------------------------- physics


@pytest.mark.parametrize("L, temperature", [(3, 1.5), (3, 2.5), (4, 2.269)])
def test_sampler_reproduces_exact_energy_distribution(L, temperature):
    """Small lattices: the energy histogram of independent chains follows g(E) e^(-E/T) / Z."""
    states = all_configurations(L)
    levels, counts = np.unique(ising.energy(states), return_counts=True)
    p_exact = counts * np.exp(-levels / temperature - log_partition_function(L, temperature))
    assert p_exact.sum() == pytest.approx(1.0, rel=1e-12)
    rng = np.random.default_rng(11)
    n_chains = 4000
    start = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, L, L))
    final = ising.swendsen_wang(start, temperature, ising.BURN_IN_SWEEPS, rng)
    observed = np.array([(ising.energy(final) == e).sum() for e in levels])
    expected = n_chains * p_exact
    # pool rare levels so every expected count is >= 5
    keep = expected >= 5
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    obs, exp = (obs, exp) if exp[-1] > 0 else (obs[:-1], exp[:-1])
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert stats.chi2.sf(chi2, len(obs) - 1) > 1e-3


def jackknife_over_chains(values, chain, statistic):
    """Bias-corrected estimate and standard error of ``statistic(values)``, leaving out one chain
    at a time: correlated samples of one chain stay together, so the error includes the
    autocorrelation."""
    labels = np.unique(chain)
    n = len(labels)
    full = statistic(values)
    leave_out = np.array([statistic(values[chain != c]) for c in labels])
    estimate = n * full - (n - 1) * leave_out.mean()
    return estimate, np.sqrt((n - 1) / n * ((leave_out - leave_out.mean()) ** 2).sum())


@pytest.mark.parametrize("L", [16, 32])
def test_energy_and_specific_heat_agree_with_exact(cache, L):
    """Sampled energy per spin and specific heat vs Kaufman's exact values, within 3 sigma.

    Chains are independent (independent random starts); the standard errors come from a
    jackknife over whole chains.
    """
    temperatures = (1.8, 2.269, 3.0)
    data = ising.load(L=L, temperatures=temperatures, n_per_temperature=800, seed=3)
    for t in temperatures:
        sel = data.temperature == t
        e, chain = data.energy_per_spin[sel], data.chain[sel]
        checks = (("energy", np.mean, exact_energy_per_spin(L, t)),
                  ("specific heat", lambda x: L * L * np.var(x) / t**2,  # noqa: B023
                   exact_specific_heat_per_spin(L, t)))
        for name, statistic, exact in checks:
            estimate, se = jackknife_over_chains(e, chain, statistic)
            assert se < 0.1 * abs(exact), f"L={L} T={t} {name}: error {se} too large"
            assert abs(estimate - exact) < 3 * se, \
                f"L={L} T={t} {name}: {estimate:.5f} +- {se:.5f}, exact {exact:.5f}"


def test_ordered_and_disordered_phases(cache):
    data = ising.load(L=16, temperatures=(1.5, 3.5), n_per_temperature=400, seed=4)
    m = data.magnetization
    cold, hot = data.temperature == 1.5, data.temperature == 3.5
    # deep in the ordered phase |m| follows Onsager-Yang (finite-size effects ~ e^-L)
    assert np.abs(m[cold]).mean() == pytest.approx(ising.spontaneous_magnetization(1.5), abs=0.005)
    # cluster flips visit both magnetised states equally often
    assert 0.4 < np.mean(m[cold] > 0) < 0.6
    # disordered: |m| ~ sqrt(chi T / L^2) is small
    assert np.abs(m[hot]).mean() < 0.15
