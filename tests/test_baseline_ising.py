"""Tests of the exact Ising references (Kaufman, enumeration) and the Bayes phase classifier."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from dlphys.baselines import ising as exact
from dlphys.data import ising

TC = ising.CRITICAL_TEMPERATURE
TEMPERATURES = np.array([0.3, 1.0, 1.8, 2.2, TC, 2.3, 3.0, 5.0, 20.0, 100.0])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    monkeypatch.setenv("DLPHYS_NO_PROGRESS", "1")
    return tmp_path


# ---------------------------------------------------------------- exact thermodynamics


@pytest.mark.parametrize("L", [2, 3, 4])
def test_kaufman_matches_enumeration(L):
    brute = exact.enumerate_exact(L, TEMPERATURES)
    np.testing.assert_allclose(exact.log_partition_function(L, TEMPERATURES),
                               brute.log_partition_function, rtol=1e-12)
    np.testing.assert_allclose(exact.exact_energy_per_spin(L, TEMPERATURES),
                               brute.energy_per_spin, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(exact.exact_specific_heat_per_spin(L, TEMPERATURES),
                               brute.specific_heat_per_spin, rtol=1e-9, atol=1e-12)


def test_enumeration_limits():
    brute = exact.enumerate_exact(4, [0.2, 1000.0])
    n = 16
    # two ground states at low T; all 2^16 states equally likely at high T
    assert brute.log_partition_function[0] == pytest.approx(2 * n / 0.2 + math.log(2), rel=1e-12)
    assert brute.log_partition_function[1] == pytest.approx(n * math.log(2), rel=1e-4)
    assert brute.abs_magnetization[0] == pytest.approx(1.0, abs=1e-12)
    assert brute.magnetization_squared[1] == pytest.approx(1 / n, rel=1e-2)
    assert brute.energy_per_spin[0] == pytest.approx(-2.0)


@pytest.mark.parametrize("L, energy", [(8, -1.4916), (16, -1.4531), (32, -1.4337), (64, -1.4239)])
def test_energy_at_tc_matches_literature(L, energy):
    assert exact.exact_energy_per_spin(L, TC) == pytest.approx(energy, abs=6e-5)


def test_large_lattice_limits_and_stability():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = exact.exact_energy_per_spin(128, TEMPERATURES)
        c = exact.exact_specific_heat_per_spin(128, TEMPERATURES)
        log_z = exact.log_partition_function(128, [0.1, 100.0])
    assert np.all(np.isfinite(e)) and np.all(np.isfinite(c)) and np.all(c > 0)
    assert np.all(np.diff(e) > 0)  # energy rises with temperature
    n = 128**2
    assert log_z[0] == pytest.approx(2 * n / 0.1 + math.log(2), abs=1e-6)
    assert log_z[1] / n == pytest.approx(math.log(2) + 2 * math.log(math.cosh(0.01)), abs=1e-7)
    # the exact energy at Tc approaches Onsager's -sqrt(2) from below as L grows
    e_tc = [exact.exact_energy_per_spin(L, TC) for L in (16, 32, 64, 128)]
    assert np.all(np.diff(e_tc) > 0) and e_tc[-1] < -math.sqrt(2)
    # specific heat at Tc diverges like (8/pi) Kc^2 ln L (Ferdinand & Fisher 1969)
    slope = (exact.exact_specific_heat_per_spin(128, TC)
             - exact.exact_specific_heat_per_spin(64, TC)) / math.log(2)
    assert slope == pytest.approx(8 / math.pi / TC**2, rel=0.01)


def test_low_temperature_series_at_l32():
    """ln Z of the 32 x 32 lattice against its exact low-temperature series.

    Z = e^(2NK) sum_k g_k x^(2k), x = e^(-2K), g_k the number of states 2k above the
    ground state; the first coefficients for 32 x 32 are from Beale's exact density of
    states (Beale 1996).
    """
    n = 32 * 32
    g = {0: 2, 2: 2048, 3: 4096, 4: 1057792, 5: 4218880, 6: 371621888, 7: 2191790080,
         8: 100903637504}
    assert g[4] == n**2 + 9 * n and g[5] == 4 * n**2 + 24 * n
    for t in (0.5, 0.6):
        k = 1 / t
        series = sum(count * math.exp(-4 * k * level) for level, count in g.items())
        assert exact.log_partition_function(32, t) - 2 * n * k == pytest.approx(
            math.log(series), abs=2e-12)


def test_derivatives_match_finite_differences():
    beta, h = 1 / 2.3, 1e-4
    for L in (16, 64):
        def log_z(b, L=L):
            return exact.log_partition_function(L, 1 / b)
        u = -(log_z(beta + h) - log_z(beta - h)) / (2 * h) / L**2
        c = (log_z(beta + h) - 2 * log_z(beta) + log_z(beta - h)) / h**2 * beta**2 / L**2
        assert exact.exact_energy_per_spin(L, 1 / beta) == pytest.approx(u, abs=1e-5)
        assert exact.exact_specific_heat_per_spin(L, 1 / beta) == pytest.approx(c, rel=1e-3)


def test_exact_functions_validate():
    with pytest.raises(ValueError, match="L"):
        exact.log_partition_function(1, 2.0)
    with pytest.raises(ValueError, match="temperature"):
        exact.exact_energy_per_spin(8, -1.0)
    with pytest.raises(ValueError, match="L"):
        exact.enumerate_exact(5, 2.0)


# ---------------------------------------------------------------- Bayes classifier


def test_bayes_probability_monotone_and_stable():
    grid = ising.DEFAULT_TEMPERATURES
    for L in (16, 64):
        energy = np.linspace(-2 * L * L, 0, 2001)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            p = exact.bayes_phase_probability(energy, L, grid)
        assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
        assert np.all(np.diff(p) >= -1e-12)
        assert p[0] < 1e-4 and p[-1] > 1 - 1e-4
    # priors shift the decision towards the favoured phase
    e = -1.44 * 32 * 32
    hot_prior = np.where(np.array(grid) > TC, 10.0, 1.0)
    assert (exact.bayes_phase_probability(e, 32, grid, priors=hot_prior)
            > exact.bayes_phase_probability(e, 32, grid))
    with pytest.raises(ValueError, match="priors"):
        exact.bayes_phase_probability(e, 32, grid, priors=[1.0, 2.0])


def test_bayes_accuracy_matches_exact_expectation_at_l4(cache):
    """L = 4: the expected Bayes accuracy follows from the density of states."""
    grid = np.array(ising.DEFAULT_TEMPERATURES)
    levels, counts = np.unique(ising.energy(exact.all_configurations(4)), return_counts=True)
    p_e = counts * np.exp(-levels / grid[:, None] - exact.log_partition_function(4, grid)[:, None])
    hot = grid > TC
    expected = np.maximum(p_e[hot].sum(0), p_e[~hot].sum(0)).sum() / len(grid)
    data = ising.load(L=4, n_per_temperature=200, seed=6)
    acc = exact.bayes_accuracy(data.spins, data.temperature)
    assert abs(acc - expected) < 3 * math.sqrt(expected * (1 - expected) / len(data))


def test_bayes_accuracy_grows_with_lattice_size(cache):
    accuracies = []
    for L in (8, 16, 32):
        data = ising.load(L=L, n_per_temperature=40, seed=7)
        accuracies.append(exact.bayes_accuracy(data.spins, data.temperature,
                                               grid_temperatures=ising.DEFAULT_TEMPERATURES))
    assert 0.5 < accuracies[0] < accuracies[1] < accuracies[2] < 1.0
