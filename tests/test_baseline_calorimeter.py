"""Tests of the software-compensation reference for the pion energy (lecture 6)."""

from __future__ import annotations

import numpy as np
import pytest

from dlphys.baselines import calorimeter as baseline
from dlphys.data import calorimeter as calo


def two_density_showers(n, rng):
    """Toy showers: a dense EM core seen fully and a diffuse hadronic halo seen with h/e = 1/1.6."""
    energy = rng.uniform(10.0, 100.0, n)
    em_fraction = rng.uniform(0.1, 0.9, n)
    deposit = np.zeros((n, 16, 16, 4))
    deposit[:, 8, 8, 0] = em_fraction * energy                     # one dense cell
    deposit[:, :, :, 3] = ((1 - em_fraction) * energy / 1.6 / 256)[:, None, None]  # spread thin
    return deposit, energy


def test_energy_density_is_per_cell_volume():
    deposit = np.zeros((1, 16, 16, 4))
    deposit[0, 3, 4, :] = 1.0
    density = baseline.energy_density(deposit)
    volumes = (1.6 * 1.6) * np.diff(calo.LAYER_EDGES_X0) * calo.X0_MM / 10
    np.testing.assert_allclose(density[0, 3, 4], 1.0 / volumes)
    assert np.count_nonzero(density) == 4


def test_recovers_the_weights_of_a_two_density_calorimeter():
    rng = np.random.default_rng(1)
    deposit, energy = two_density_showers(400, rng)
    dense = baseline.energy_density(deposit)[:, 8, 8, 0].min()
    diffuse = baseline.energy_density(deposit)[:, 0, 0, 3].max()
    assert diffuse < dense
    model = baseline.fit_software_compensation(deposit, energy,
                                               density_edges=[np.sqrt(dense * diffuse)])
    # dense cells get weight 1, diffuse ones e/h = 1.6: the energies are exact
    np.testing.assert_allclose(model.weights, [1.6, 1.0], rtol=1e-9)
    np.testing.assert_allclose(model.energy(deposit), energy, rtol=1e-9)
    visible = deposit.sum(axis=(1, 2, 3))
    assert np.std(visible / energy) > 0.05           # the plain sum is far off


def test_one_bin_is_the_calibrated_sum():
    rng = np.random.default_rng(2)
    deposit, energy = two_density_showers(300, rng)
    model = baseline.fit_software_compensation(deposit, energy, bins=1)
    visible = deposit.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(model.energy(deposit), visible / np.mean(visible / energy))


def test_compensates_simulated_pions(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    monkeypatch.setenv("DLPHYS_NO_PROGRESS", "1")
    showers = calo.load(4000, particle="pion", energy_range_gev=(10, 100), seed=3)
    deposit = showers.energy_deposit
    keep = calo.total_energy(deposit) / calo.SAMPLING_FRACTION > 1.0   # interacting pions
    deposit, energy = deposit[keep], showers.energy_gev[keep]
    train, test = slice(0, len(energy) // 2), slice(len(energy) // 2, None)
    model = baseline.fit_software_compensation(deposit[train], energy[train], bins=6)
    assert np.mean(model.energy(deposit[train]) / energy[train]) == pytest.approx(1.0)
    # dense (electromagnetic) cells are weighted less than diffuse (hadronic) ones
    assert model.weights[0] > 1.5 * model.weights[-1]
    visible = calo.total_energy(deposit)
    calibrated = visible / np.mean(visible[train] / energy[train])

    def spread(prediction):
        response = prediction[test] / energy[test]
        return np.std(response) / np.mean(response)

    assert spread(model.energy(deposit)) < 0.97 * spread(calibrated)


def test_bad_arguments():
    deposit, energy = two_density_showers(10, np.random.default_rng(3))
    with pytest.raises(ValueError, match="bins"):
        baseline.fit_software_compensation(deposit, energy, bins=0)
    with pytest.raises(ValueError, match="energy_gev"):
        baseline.fit_software_compensation(deposit, energy[:5])
    with pytest.raises(ValueError, match="energy_gev"):
        baseline.fit_software_compensation(deposit, -energy)
    with pytest.raises(ValueError, match="energy_deposit"):
        baseline.fit_software_compensation(deposit[..., :3], energy)
    with pytest.raises(ValueError, match="increasing"):
        baseline.fit_software_compensation(deposit, energy, density_edges=[2.0, 1.0])
    with pytest.raises(ValueError, match="no cell"):
        baseline.fit_software_compensation(np.zeros_like(deposit), energy)
