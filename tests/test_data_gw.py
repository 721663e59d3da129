"""Tests of the gravitational-wave simulator: noise spectrum, whitening, chirp law, SNR."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import hilbert, welch

from dlphys.data import gw


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


def _band_average(freq, values, low, high, width_hz):
    """Average ``values`` in consecutive bands of ``width_hz`` between ``low`` and ``high``."""
    edges = np.arange(low, high + width_hz / 2, width_hz)
    index = np.digitize(freq, edges) - 1
    keep = (index >= 0) & (index < len(edges) - 1)
    sums = np.bincount(index[keep], weights=values[keep], minlength=len(edges) - 1)
    counts = np.bincount(index[keep], minlength=len(edges) - 1)
    return sums / counts


# ---------------------------------------------------------------- determinism and arguments


def test_load_is_deterministic_and_seeded(cache, tmp_path_factory, monkeypatch):
    first = gw.load(n=16, seed=3)
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("other")))
    second = gw.load(n=16, seed=3)  # regenerated in an empty cache
    for field in ("strain", "signal", "mass1", "mass2", "snr", "coalescence_time",
                  "coalescence_phase_rad", "distance_mpc"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    other = gw.load(n=16, seed=4)
    assert not np.array_equal(first.strain, other.strain)
    np.testing.assert_array_equal(gw.noise(3, seed=5), gw.noise(3, seed=5))
    assert not np.array_equal(gw.noise(3, seed=5), gw.noise(3, seed=6))


def test_load_fields_shapes_and_ranges(cache):
    data = gw.load(n=40, snr_range=(8.0, 20.0), mass_range_msun=(10.0, 50.0), seed=1)
    assert len(data) == 40
    assert data.strain.shape == data.signal.shape == (40, 2048)
    assert data.strain.dtype == data.signal.dtype == np.float32
    assert data.time.shape == (2048,) and data.time[-1] == pytest.approx(2047 / 2048)
    assert np.all((data.mass2 >= 10) & (data.mass2 <= data.mass1) & (data.mass1 <= 50))
    np.testing.assert_allclose(data.chirp_mass, gw.chirp_mass(data.mass1, data.mass2))
    assert np.all((data.snr >= 8) & (data.snr <= 20))
    assert np.all((data.coalescence_time >= 0.65) & (data.coalescence_time <= 0.95))
    # the norm of the clean whitened signal is its optimal SNR
    np.testing.assert_allclose(np.linalg.norm(data.signal.astype(float), axis=1), data.snr,
                               rtol=1e-5)
    # a fixed SNR, and SNR 0 gives pure noise
    np.testing.assert_array_equal(gw.load(n=4, snr_range=(10.0, 10.0)).snr, 10.0)
    quiet = gw.load(n=4, snr_range=(0.0, 0.0))
    assert np.all(quiet.signal == 0) and np.all(np.isinf(quiet.distance_mpc))


@pytest.mark.parametrize("kwargs, name", [
    (dict(n=0), "n"),
    (dict(n=2.5), "n"),
    (dict(duration_s=0.1), "duration_s"),
    (dict(duration_s=0.75001), "duration_s"),
    (dict(sample_rate_hz=100), "sample_rate_hz"),
    (dict(sample_rate_hz=1024), "sample_rate_hz"),  # ringdown of 10+10 above Nyquist
    (dict(snr_range=(-1.0, 5.0)), "snr_range"),
    (dict(snr_range=(20.0, 8.0)), "snr_range"),
    (dict(snr_range=(8.0, 9.0, 10.0)), "snr_range"),
    (dict(snr_range="high"), "snr_range"),
    (dict(mass_range_msun=(1.0, 50.0)), "mass_range_msun"),
    (dict(mass_range_msun=(10.0, 500.0)), "mass_range_msun"),
    (dict(mass_range_msun=(30.0, 20.0)), "mass_range_msun"),
    (dict(seed=-1), "seed"),
    (dict(n=200_000, duration_s=2.0), "n"),
])
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        gw.load(**kwargs)
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_segments=0), "n_segments"),
    (dict(duration_s=-1.0), "duration_s"),
    (dict(sample_rate_hz=10), "sample_rate_hz"),
    (dict(seed=-2), "seed"),
])
def test_noise_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gw.noise(**kwargs)


# ---------------------------------------------------------------- noise and whitening


def test_aligo_psd_matches_literature_values():
    f = np.linspace(20.0, 2000.0, 20_000)
    asd = np.sqrt(gw.aligo_psd(f))
    # Sathyaprakash & Schutz (2009): minimum about 1.8e-24 / sqrt(Hz) near 230 Hz
    assert asd.min() == pytest.approx(1.8e-24, rel=0.05)
    assert 180.0 < f[asd.argmin()] < 280.0
    assert gw.aligo_psd(215.0) == pytest.approx(1e-49 * (1 - 5 + 111 * 0.5 / 1.5))
    assert np.isinf(gw.aligo_psd(19.9)) and np.isfinite(gw.aligo_psd(20.0))


def test_noise_spectrum_matches_aligo_psd():
    fs = 4096
    strain = gw.noise(128, duration_s=4.0, sample_rate_hz=fs, seed=11)
    assert strain.shape == (128, 4 * fs)
    freq, psd = welch(strain, fs=fs, nperseg=fs, axis=-1)  # 1 Hz bins, ~900 averages
    psd = psd.mean(axis=0)
    sel = (freq >= 20) & (freq <= 1000)
    measured = _band_average(freq[sel], psd[sel], 20, 1000, 10.0)
    expected = _band_average(freq[sel], gw.aligo_psd(freq[sel]), 20, 1000, 10.0)
    ratio = measured / expected
    assert np.all(np.abs(ratio - 1) < 0.10), ratio[np.abs(ratio - 1) >= 0.10]
    assert abs(np.median(ratio) - 1) < 0.02


def test_whitened_noise_is_white_with_unit_variance():
    fs = 2048
    white = gw.whiten(gw.noise(200, duration_s=2.0, sample_rate_hz=fs, seed=12), fs)
    band_fraction = 1 - 2 * gw.LOW_FREQUENCY_CUTOFF_HZ / fs
    assert white.var() == pytest.approx(band_fraction, rel=0.01)
    assert white.var() == pytest.approx(1.0, abs=0.03)
    assert abs(white.mean()) < 0.01
    freq, psd = welch(white, fs=fs, nperseg=512, axis=-1)
    psd = psd.mean(axis=0)
    flat = psd[(freq >= 40) & (freq <= 960)] * fs / 2  # unit two-sided density -> 1
    assert np.all(np.abs(flat - 1) < 0.1)
    assert psd[freq < 12].max() * fs / 2 < 0.05  # below the cut-off: nothing
    # whitening is linear and keeps float32
    x32 = gw.noise(2, seed=1).astype(np.float32)
    assert gw.whiten(x32, fs).dtype == np.float32


def test_whitened_noise_in_load_has_the_right_variance(cache):
    data = gw.load(n=200, seed=2)
    residual = data.strain.astype(float) - data.signal
    assert residual.var() == pytest.approx(1 - 40 / 2048, rel=0.01)


# ---------------------------------------------------------------- the chirp


def test_chirp_frequency_follows_leading_order_law():
    fs = 8192
    mass1 = np.array([10.0, 30.0, 50.0, 36.0])
    mass2 = np.array([10.0, 25.0, 45.0, 29.0])
    t_c = 0.8
    h = gw.chirp_strain(mass1, mass2, t_c, 1.0, duration_s=1.0, sample_rate_hz=fs)
    analytic = hilbert(h, axis=-1)
    f_inst = np.diff(np.unwrap(np.angle(analytic), axis=-1), axis=-1) * fs / (2 * np.pi)
    t = (np.arange(h.shape[1] - 1) + 0.5) / fs
    mc = gw.chirp_mass(mass1, mass2)
    tau_isco = gw.time_to_coalescence(gw.isco_frequency(mass1 + mass2), mc)
    f_ring, _ = gw.ringdown(mass1, mass2)
    for i in range(len(mass1)):
        sel = (t > 0.2) & (t_c - t > 2 * tau_isco[i])
        expected = gw.inspiral_frequency(t_c - t[sel], mc[i])
        np.testing.assert_allclose(f_inst[i, sel], expected, rtol=0.01)
        # frequency rises monotonically through the merger to the ringdown frequency
        merge = (t > t_c - tau_isco[i]) & (t < t_c)
        assert np.all(np.diff(f_inst[i, merge]) > -0.01 * f_ring[i])
        after = (t > t_c + 0.0005) & (t < t_c + 0.004)
        np.testing.assert_allclose(f_inst[i, after], f_ring[i], rtol=0.02)
        # the amplitude peaks at the coalescence time
        assert abs(t[np.abs(analytic[i]).argmax()] - t_c) < 0.002


def test_chirp_amplitude_law_and_distance():
    fs = 8192
    h = gw.chirp_strain(30.0, 20.0, 0.9, 0.0, sample_rate_hz=fs, distance_mpc=400.0)[0]
    envelope = np.abs(hilbert(h))
    t = np.arange(len(h)) / fs
    mc = float(gw.chirp_mass(30.0, 20.0))
    sel = (t > 0.3) & (t < 0.75)
    f = gw.inspiral_frequency(0.9 - t[sel], mc)
    # h = (4/D) (G Mc / c^2)^(5/3) (pi f / c)^(2/3)
    mc_s = mc * gw.SOLAR_MASS_S
    expected = (4 * gw.SPEED_OF_LIGHT_M_S / (400.0 * gw.MEGAPARSEC_M)
                * mc_s ** (5 / 3) * (np.pi * f) ** (2 / 3))
    np.testing.assert_allclose(envelope[sel], expected, rtol=0.01)
    h2 = gw.chirp_strain(30.0, 20.0, 0.9, 0.0, sample_rate_hz=fs, distance_mpc=800.0)[0]
    np.testing.assert_allclose(h2, h / 2, rtol=1e-12, atol=1e-40)


def test_optimal_snr_and_distance_are_consistent(cache):
    data = gw.load(n=8, seed=5)
    h = gw.chirp_strain(data.mass1, data.mass2, data.coalescence_time,
                        data.coalescence_phase_rad, distance_mpc=data.distance_mpc)
    np.testing.assert_allclose(gw.optimal_snr(h, 2048), data.snr, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(gw.whiten(h, 2048), axis=-1), data.snr, rtol=1e-6)
    np.testing.assert_allclose(gw.whiten(h, 2048), data.signal, atol=1e-5 * data.snr.max())
    # Gpc-scale distances for SNR 8-20 binary black holes at design sensitivity
    assert np.all((data.distance_mpc > 300) & (data.distance_mpc < 30_000))


def test_snr_integral_matches_stationary_phase_approximation():
    """For a long inspiral, rho^2 = (5/6) pi^(-4/3) (c/D)^2 Mc^(5/3) int f^(-7/3) / S df."""
    fs, duration_s, t_c = 4096, 16.0, 15.0
    h = gw.chirp_strain(10.0, 10.0, t_c, 0.0, duration_s=duration_s, sample_rate_hz=fs)[0]
    mc = float(gw.chirp_mass(10.0, 10.0))
    f_isco = float(gw.isco_frequency(20.0))
    # keep only the inspiral between 40 Hz and 0.8 f_ISCO, with smooth edges
    t = np.arange(len(h)) / fs
    f = gw.inspiral_frequency(np.maximum(t_c - t, 1e-6), mc)
    window = np.clip((f - 40.0) / 5.0, 0, 1) * np.clip((0.8 * f_isco - f) / 5.0, 0, 1)
    rho = gw.optimal_snr(h * window, fs)
    grid = np.linspace(40.0, 0.8 * f_isco, 20_001)
    weight = np.clip((grid - 40.0) / 5.0, 0, 1) * np.clip((0.8 * f_isco - grid) / 5.0, 0, 1)
    c_over_d = gw.SPEED_OF_LIGHT_M_S / gw.MEGAPARSEC_M
    integral = np.trapezoid(weight**2 * grid ** (-7 / 3) / gw.aligo_psd(grid), grid)
    spa = np.sqrt(5 / 6 * np.pi ** (-4 / 3) * c_over_d**2
                  * (mc * gw.SOLAR_MASS_S) ** (5 / 3) * integral)
    assert rho == pytest.approx(spa, rel=0.02)
