"""Tests of the calorimeter shower simulator, its observables and the cut-based baseline."""

from __future__ import annotations

import numpy as np
import pytest

from dlphys.baselines import calorimeter as baseline
from dlphys.data import calorimeter as calo
from dlphys.metrics import roc_auc


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def electrons_by_energy():
    """1500 electrons at each of five energies (GeV)."""
    energies = np.array([10.0, 20.0, 40.0, 70.0, 100.0])
    images = calo.simulate(np.repeat(energies, 1500), "electron", seed=11)
    return energies, images.reshape(len(energies), 1500, *images.shape[1:])


@pytest.fixture(scope="module")
def mixed_sample(tmp_path_factory):
    """6000 electrons and pions, log-uniform in 10-100 GeV (a fresh cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("calo")))
    try:
        yield calo.load(n=6000, seed=5)
    finally:
        mp.undo()


# ---------------------------------------------------------------- determinism and arguments


def test_load_is_deterministic_and_seeded(cache, tmp_path_factory, monkeypatch):
    first = calo.load(n=300, seed=3)
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("other")))
    second = calo.load(n=300, seed=3)  # regenerated in an empty cache
    for field in ("energy_deposit", "energy_gev", "is_electron", "impact_mm",
                  "first_interaction_x0", "em_fraction"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    assert not np.array_equal(first.energy_deposit, calo.load(n=300, seed=4).energy_deposit)
    energies = np.linspace(10, 100, 50)
    np.testing.assert_array_equal(calo.simulate(energies, "pion", seed=2),
                                  calo.simulate(energies, "pion", seed=2))
    assert not np.array_equal(calo.simulate(energies, "pion", seed=2),
                              calo.simulate(energies, "pion", seed=3))


def test_fields_shapes_units(cache):
    data = calo.load(n=400, seed=1)
    assert len(data) == 400
    assert data.energy_deposit.shape == (400, 16, 16, 4)
    assert data.energy_deposit.dtype == np.float32
    assert np.all(data.energy_deposit >= 0)
    assert np.all((data.energy_gev >= 10) & (data.energy_gev <= 100))
    assert 0.4 < data.is_electron.mean() < 0.6
    np.testing.assert_array_equal(data.label, data.is_electron.astype(int))
    ele = data.is_electron
    assert np.all(np.isnan(data.first_interaction_x0[ele]))
    assert np.all(data.em_fraction[ele] == 1.0)
    pion_start = data.first_interaction_x0[~ele]
    assert np.all(np.isinf(pion_start) | ((pion_start >= 0) & (pion_start < 25)))
    assert np.all(np.abs(data.impact_mm) <= 8.0)
    assert data.layer_edges_x0 == (0.0, 5.0, 10.0, 15.0, 25.0)
    assert data.cell_size_mm == 16.0 and 0.45 < data.cell_size_moliere < 0.55
    electrons = calo.load(n=50, particle="electron", energy_range_gev=(20.0, 30.0))
    assert electrons.is_electron.all()
    assert np.all((electrons.energy_gev >= 20) & (electrons.energy_gev <= 30))
    assert not calo.load(n=50, particle="pion").is_electron.any()


def test_material_constants_match_the_pdg_mixture_rules():
    # 2 mm Pb + 3 mm LAr: X0 = 13.2 mm, R_M = 31.6 mm, Ec = 8.9 MeV, lambda_I = 34 cm
    assert calo.X0_MM == pytest.approx(13.2, abs=0.1)
    assert calo.MOLIERE_RADIUS_MM == pytest.approx(31.6, abs=0.3)
    assert calo.CRITICAL_ENERGY_GEV == pytest.approx(8.9e-3, abs=0.1e-3)
    assert calo.INTERACTION_LENGTH_MM == pytest.approx(336, abs=3)
    # Moliere radius = X0 * Es / Ec with Es = 21.2 MeV, as for any material
    assert calo.MOLIERE_RADIUS_MM == pytest.approx(calo.X0_MM * 0.0212 / calo.CRITICAL_ENERGY_GEV,
                                                   rel=0.01)
    assert 0.10 <= calo.STOCHASTIC_TERM <= 0.11
    assert calo.SAMPLING_FRACTION == pytest.approx(0.14, abs=0.005)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=0), "n"),
        (dict(n=2.5), "n"),
        (dict(particle="muon"), "particle"),
        (dict(energy_range_gev=(100.0, 10.0)), "energy_range_gev[1]"),
        (dict(energy_range_gev=(0.5, 10.0)), "energy_range_gev[0]"),
        (dict(energy_range_gev=(10.0, float("nan"))), "energy_range_gev[1]"),
        (dict(energy_range_gev=10.0), "energy_range_gev"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        calo.load(**kwargs)
    assert list(cache.iterdir()) == []


def test_simulate_rejects_bad_input():
    with pytest.raises(ValueError, match="energy_gev"):
        calo.simulate(np.array([0.1, 10.0]))
    with pytest.raises(ValueError, match="energy_gev"):
        calo.simulate(np.ones((2, 2)) * 10)
    with pytest.raises(ValueError, match="particle"):
        calo.simulate(np.array([10.0]), "kaon")
    with pytest.raises(ValueError, match="particle"):
        calo.simulate(np.array([10.0, 20.0]), np.array([True]))


def test_cached_load_gives_the_same_arrays(cache):
    first = calo.load(n=100, seed=9)
    assert len(list(cache.glob("calorimeter-v*.npz"))) == 1
    np.testing.assert_array_equal(first.energy_deposit, calo.load(n=100, seed=9).energy_deposit)


def test_time_per_shower_is_measured():
    seconds = calo.time_per_shower(n=200, particle="pion")
    assert 0 < seconds < 0.05


# ---------------------------------------------------------------- observables


def test_observables_on_hand_made_images():
    image = np.zeros((2, 16, 16, 4), dtype=np.float32)
    image[0, 3, 4, 2] = 2.0                      # one cell in layer 3 (10-15 X0)
    image[1, 3, 4, 0] = 1.0                      # two cells 32 mm apart in x
    image[1, 5, 4, 3] = 1.0
    np.testing.assert_allclose(calo.total_energy(image), [2.0, 2.0])
    np.testing.assert_allclose(calo.layer_energies(image), [[0, 0, 2, 0], [1, 0, 0, 1]])
    np.testing.assert_allclose(calo.shower_depth(image), [12.5, 0.5 * (2.5 + 20.0)])
    np.testing.assert_allclose(calo.lateral_width(image), [0.0, 16.0])
    assert np.isnan(calo.shower_depth(np.zeros((16, 16, 4)))[0])
    corr = calo.layer_correlations(np.random.default_rng(0).random((50, 16, 16, 4)))
    assert corr.shape == (4, 4)
    np.testing.assert_allclose(np.diag(corr), 1.0)


# ---------------------------------------------------------------- electromagnetic physics


def test_electron_depth_grows_one_radiation_length_per_efold(electrons_by_energy):
    energies, images = electrons_by_energy
    depth = np.array([calo.shower_depth(x).mean() for x in images])
    # configured law: <t> = a/b = t_max + 1/b = ln(E/Ec) - 0.5 + 2
    law = np.log(energies / calo.CRITICAL_ENERGY_GEV) + 1.5
    slope = np.polyfit(np.log(energies), depth, 1)[0]
    assert slope == pytest.approx(1.0, abs=0.1)
    # layer binning and leakage shift the measured mean depth by less than 0.3 X0
    np.testing.assert_allclose(depth, law, atol=0.3)


def test_electron_resolution_follows_the_stochastic_term(electrons_by_energy):
    energies, images = electrons_by_energy
    total = np.array([calo.total_energy(x) for x in images])
    relative = total.std(axis=1) / total.mean(axis=1)
    # (sigma/E)^2 = a^2/E + b^2/E^2 + c^2: stochastic, noise and constant (leakage) terms
    design = np.stack([1 / energies, 1 / energies**2, np.ones_like(energies)], axis=1)
    coefficients = np.linalg.lstsq(design, relative**2, rcond=None)[0]
    stochastic = np.sqrt(coefficients[0])
    assert stochastic == pytest.approx(calo.STOCHASTIC_TERM, rel=0.15)
    assert relative[0] > relative[-1]


def test_electron_response_and_containment(electrons_by_energy):
    energies, images = electrons_by_energy
    visible = np.array([calo.total_energy(x).mean() for x in images])
    response = visible / (calo.SAMPLING_FRACTION * energies)
    # documented containment: 95-99 % (lateral leakage about 1.5 %, zero suppression, back)
    assert np.all((response > 0.95) & (response < 0.99))
    # about 90 % of the energy lies within a Moliere radius: the central 4 x 4 cells
    # (+-32 mm, +-1 R_M, around an impact within 8 mm of the centre) hold 85-97 %
    central = np.array([x[:, 6:10, 6:10].sum(axis=(1, 2, 3)).mean() for x in images]) / visible
    assert np.all((central > 0.85) & (central < 0.97))


# ---------------------------------------------------------------- hadronic physics


def test_pions_are_deeper_wider_and_lower(mixed_sample):
    data = mixed_sample
    ele, pio = data.is_electron, ~data.is_electron
    interacting = pio & np.isfinite(data.first_interaction_x0)
    depth = calo.shower_depth(data.energy_deposit)
    width = calo.lateral_width(data.energy_deposit)
    assert np.nanmean(depth[interacting]) > np.nanmean(depth[ele]) + 2.0
    assert np.nanmean(width[interacting]) > np.nanmean(width[ele]) + 3.0
    response = calo.total_energy(data.energy_deposit) / (calo.SAMPLING_FRACTION * data.energy_gev)
    # non-compensation and leakage: pions show a smaller, more fluctuating response
    assert response[pio].mean() < 0.5 * response[ele].mean()
    spread = [response[sel].std() / response[sel].mean() for sel in (ele, interacting)]
    assert spread[1] > 5 * spread[0]


def test_pion_interaction_depth_and_em_fraction(mixed_sample):
    data = mixed_sample
    start = data.first_interaction_x0[~data.is_electron]
    n = len(start)
    # exponential law on the interaction-length scale: survival exp(-25 X0 / lambda_I)
    survival = np.exp(-25.0 / calo.INTERACTION_LENGTH_X0)
    passing = np.isinf(start).mean()
    assert passing == pytest.approx(survival, abs=4 * np.sqrt(survival * (1 - survival) / n))
    early = (start < 5).mean()
    expected = 1 - np.exp(-5.0 / calo.INTERACTION_LENGTH_X0)
    assert early == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / n))
    # Groom's mean electromagnetic fraction, 1 - (E / 1 GeV)^(0.83 - 1)
    energy = data.energy_gev[~data.is_electron][np.isfinite(start)]
    f_em = data.em_fraction[~data.is_electron][np.isfinite(start)]
    groom = 1 - energy ** (calo.GROOM_M - 1)
    assert np.mean(f_em - groom) == pytest.approx(0.0, abs=4 * 0.16 / np.sqrt(len(f_em)))
    high = energy > 50
    assert f_em[high].mean() > f_em[~high].mean() + 0.05


# ---------------------------------------------------------------- baseline


def test_cut_based_baseline_separates_but_is_not_perfect(mixed_sample):
    data = mixed_sample
    half = len(data) // 2
    model = baseline.fit_likelihood(data.energy_deposit[:half], data.is_electron[:half])
    scores = model.score(data.energy_deposit[half:])
    labels = data.is_electron[half:]
    auc = roc_auc(labels, scores)
    assert 0.97 < auc < 0.999
    rejection = baseline.rejection_at_efficiency(labels, scores, 0.9)
    assert 10 < rejection < 1000
    assert baseline.rejection_at_efficiency(labels, scores, 0.95) <= rejection
    # shuffled labels carry no information
    shuffled = np.random.default_rng(0).permutation(labels)
    assert roc_auc(shuffled, scores) == pytest.approx(0.5, abs=0.05)
    with pytest.raises(ValueError, match="bins"):
        baseline.fit_likelihood(data.energy_deposit[:10], data.is_electron[:10], bins=1)
    with pytest.raises(ValueError, match="is_electron"):
        baseline.fit_likelihood(data.energy_deposit[:10], np.ones(10, bool))
