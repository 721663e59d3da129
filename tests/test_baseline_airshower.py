"""Tests of the classical air-shower reconstruction (lateral-distribution + front fit)."""

from __future__ import annotations

import numpy as np
import pytest

from dlphys.baselines import airshower as fit
from dlphys.data import airshower
from dlphys.metrics import opening_angle_deg


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("airshower")))
    calibration_set = airshower.load(5000, seed=11)
    test_set = airshower.load(4000, seed=12)
    clean_set = airshower.load(1500, seed=13, noise_free=True)
    mp.undo()
    calibration = fit.calibrate(calibration_set)
    return calibration_set, test_set, clean_set, calibration


def _synthetic(n=60, seed=0):
    """Events that follow the fit's own model exactly: Auger LDF and a spherical front."""
    rng = np.random.default_rng(seed)
    zenith = np.arccos(np.sqrt(rng.uniform(0.3, 1.0, n)))
    azimuth = rng.uniform(0, 2 * np.pi, n)
    axis = np.column_stack([np.sin(zenith) * np.cos(azimuth), np.sin(zenith) * np.sin(azimuth),
                            np.cos(zenith)])
    core = rng.uniform(-1200, 1200, (n, 2))
    s1000 = 10 ** rng.uniform(1.5, 3.0, n)
    radius = rng.uniform(8e3, 25e3, n)
    pos = np.concatenate([airshower.STATION_POSITIONS_M.reshape(-1, 2), np.zeros((81, 1))], 1)
    d = pos[None] - np.concatenate([core, np.zeros((n, 1))], 1)[:, None]
    along = np.sum(d * axis[:, None], axis=-1)
    r = np.sqrt(np.sum(d**2, axis=-1) - along**2)
    signal = s1000[:, None] * airshower.lateral_shape(r, fit.LDF_BETA, fit.LDF_GAMMA)
    origin = np.concatenate([core, np.zeros((n, 1))], 1) + radius[:, None] * axis
    time_ns = np.linalg.norm(pos[None] - origin[:, None], axis=-1) / airshower.C_M_PER_NS
    triggered = signal >= airshower.TRIGGER_THRESHOLD_VEM
    time_ns -= np.where(triggered, time_ns, np.inf).min(axis=1, keepdims=True)
    shape = (n, 9, 9)
    data = airshower.AirShowerData(
        signal=np.where(triggered, signal, 0).reshape(shape),
        arrival_time=np.where(triggered, time_ns, 0).reshape(shape),
        triggered=triggered.reshape(shape), log10_energy=np.full(n, 19.0),
        energy_eev=np.full(n, 10.0), axis=axis, zenith_rad=zenith, azimuth_rad=azimuth,
        core_m=core, xmax=np.full(n, 750.0), mass_number=np.ones(n, dtype=np.int64))
    return data, s1000, radius


def test_fit_recovers_exact_model_parameters():
    data, s1000, radius = _synthetic()
    calibration = fit.Calibration(energy_coefficients=np.array([19.0, 0, 0, 0, 0, 0, 0.0]),
                                  floor_coefficients=np.zeros(11),
                                  curvature_energy_coefficients=np.zeros(11),
                                  core_shift_coefficients=np.zeros(4), n_events=0)
    rec = fit.reconstruct(data, calibration)
    assert rec.converged.all()
    np.testing.assert_allclose(rec.s1000_vem, s1000, rtol=2e-3)
    np.testing.assert_allclose(rec.core_m, data.core_m, atol=2.0)
    # with 4 stations the curvature rests on its prior; from 5 on the front is determined
    many = rec.n_stations >= 5
    assert many.sum() > 40
    assert opening_angle_deg(rec.axis[many], data.axis[many]).max() < 0.03
    np.testing.assert_allclose(rec.front_radius_m[many], radius[many], rtol=0.05)
    np.testing.assert_allclose(rec.zenith_rad[many], data.zenith_rad[many], atol=5e-4)


def test_noise_free_events_are_reconstructed_closely(samples):
    _, _, clean, calibration = samples
    rec = fit.reconstruct(clean, calibration)
    report = fit.resolution_report(clean, rec)
    assert report["converged_fraction"] > 0.99
    assert report["angular_resolution_deg"] < 0.3
    assert report["core_resolution_m"] < 80  # limited by the early-late asymmetry
    assert report["energy_resolution"] < 0.09  # what is left: Xmax and mass


def test_resolution_on_default_like_sample(samples):
    _, test, _, calibration = samples
    rec = fit.reconstruct(test, calibration)
    floor = fit.floor_energy_eev(test, rec, calibration)
    report = fit.resolution_report(test, rec, floor)
    assert report["converged_fraction"] > 0.98
    assert abs(report["energy_bias"]) < 0.03
    assert 0.05 < report["energy_resolution"] < 0.15
    assert 0.2 < report["angular_resolution_deg"] < 1.0
    assert 20 < report["core_resolution_m"] < 100
    # the floor knows the true Xmax: better than the fit, but not perfect
    assert report["floor_energy_resolution"] < report["energy_resolution"] - 0.004
    assert report["floor_energy_resolution"] > 0.04
    # shapes and units of the result
    n = len(test)
    assert rec.axis.shape == (n, 3) and rec.core_m.shape == (n, 2)
    assert rec.energy_eev.shape == rec.converged.shape == (n,)
    ok = rec.converged
    np.testing.assert_allclose(np.linalg.norm(rec.axis[ok], axis=1), 1.0)
    np.testing.assert_allclose(rec.energy_eev[ok], 10 ** (rec.log10_energy[ok] - 18))


def test_resolution_improves_with_energy(samples):
    _, test, _, calibration = samples
    rec = fit.reconstruct(test, calibration)
    ok = rec.converged
    rel = (rec.energy_eev - test.energy_eev) / test.energy_eev
    angle = opening_angle_deg(np.where(ok[:, None], rec.axis, test.axis), test.axis)
    low = ok & (test.log10_energy < 19.0)
    high = ok & (test.log10_energy > 19.5)
    assert np.std(rel[high]) < 0.85 * np.std(rel[low])
    assert np.quantile(angle[high], 0.68) < 0.6 * np.quantile(angle[low], 0.68)


def test_energy_scale_depends_on_mass_without_xmax(samples):
    """Iron showers carry more muons: at equal energy the S1000-based fit overestimates them."""
    _, test, _, calibration = samples
    rec = fit.reconstruct(test, calibration)
    rel = (rec.energy_eev - test.energy_eev) / test.energy_eev
    ok = rec.converged
    iron = np.mean(rel[ok & (test.mass_number == 56)])
    proton = np.mean(rel[ok & (test.mass_number == 1)])
    assert iron - proton > 0.08
    floor = fit.floor_energy_eev(test, rec, calibration)
    rel_floor = (floor - test.energy_eev) / test.energy_eev
    gap_floor = (np.mean(rel_floor[ok & (test.mass_number == 56)])
                 - np.mean(rel_floor[ok & (test.mass_number == 1)]))
    assert gap_floor < 0.7 * (iron - proton)  # Xmax carries part of the mass information


def test_improved_reconstruction_uses_curvature_and_early_late_asymmetry(samples):
    """Curvature in the energy calibration and the early-late core shift: both must help."""
    _, test, _, calibration = samples
    rec = fit.reconstruct(test, calibration)
    better = fit.improved_reconstruction(rec, calibration)
    ok = rec.converged
    central = ok & (test.log10_energy > 18.75) & (test.log10_energy < 19.75)

    def energy_resolution(r, sel):
        return np.std(r.energy_eev[sel] / test.energy_eev[sel] - 1)

    def core_resolution(r):
        return np.quantile(np.linalg.norm(r.core_m[ok] - test.core_m[ok], axis=1), 0.68)

    assert energy_resolution(better, central) < energy_resolution(rec, central) - 0.001
    assert core_resolution(better) < 0.85 * core_resolution(rec)
    # the shift is along the shower's horizontal direction only, and grows with zenith
    moved = better.core_m[ok] - rec.core_m[ok]
    horizontal = rec.axis[ok, :2] / np.linalg.norm(rec.axis[ok, :2], axis=1, keepdims=True)
    np.testing.assert_allclose(moved[:, 0] * horizontal[:, 1] - moved[:, 1] * horizontal[:, 0],
                               0.0, atol=1e-6)
    inclined = rec.zenith_rad[ok] > np.radians(45)
    assert np.median(np.abs(moved[inclined])) > 3 * np.median(np.abs(moved[~inclined]))
    # direction, S1000 and the failed events are untouched
    np.testing.assert_array_equal(better.axis, rec.axis)
    assert np.isnan(better.energy_eev[~ok]).all()


def test_failed_events_are_flagged(samples):
    *_, calibration = samples
    data, _, _ = _synthetic(n=4, seed=1)
    signal = data.signal.copy()
    triggered = data.triggered.copy()
    signal[0], triggered[0] = 0, False  # nothing triggered
    keep = np.argsort(signal[1].ravel())[-2:]  # only two stations
    mask = np.zeros(81, dtype=bool)
    mask[keep] = True
    triggered[1] &= mask.reshape(9, 9)
    signal[1] = np.where(triggered[1], signal[1], 0)
    broken = airshower.AirShowerData(**{**data.__dict__, "signal": signal,
                                        "triggered": triggered})
    rec = fit.reconstruct(broken, calibration)
    assert not rec.converged[0] and not rec.converged[1]
    assert np.isnan(rec.energy_eev[:2]).all() and rec.converged[2:].all()
    assert list(rec.n_stations[:2]) == [0, 2]


def test_calibration_needs_events(samples):
    data, *_ = samples
    small = airshower.AirShowerData(**{k: (v[:5] if isinstance(v, np.ndarray) else v)
                                       for k, v in data.__dict__.items()})
    with pytest.raises(ValueError, match="calibration"):
        fit.calibrate(small)
