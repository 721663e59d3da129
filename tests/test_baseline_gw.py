"""Tests of the gravitational-wave baselines (matched filter, Wiener filter) and the overlap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import hilbert

from dlphys.baselines import gw as bgw
from dlphys.data import gw
from dlphys.metrics import overlap


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    monkeypatch.setenv("DLPHYS_NO_PROGRESS", "1")
    return tmp_path


@pytest.fixture(scope="module")
def bank():
    return bgw.template_bank()


# ---------------------------------------------------------------- overlap


def _rotate(x, phase):
    """Rotate the phase of every frequency component of ``x`` by ``phase``."""
    return np.real(hilbert(x, axis=-1) * np.exp(1j * phase))


def test_overlap_of_shifted_and_rotated_signal_is_one(cache):
    signal = gw.load(n=6, snr_range=(10.0, 10.0), seed=7).signal.astype(float)
    moved = _rotate(np.roll(signal, 137, axis=-1), 1.1)
    np.testing.assert_allclose(overlap(signal, moved), 1.0, atol=1e-6)
    assert overlap(signal[0], 3.0 * signal[0], maximise=False) == pytest.approx(1.0)
    # without maximisation a 90-degree rotation is orthogonal
    assert abs(overlap(signal[0], _rotate(signal[0], np.pi / 2), maximise=False)) < 1e-3
    assert overlap(signal[0], -signal[0], maximise=False) == pytest.approx(-1.0)


def test_overlap_of_unrelated_series_is_small_and_bounded():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 50, 2048))
    o = overlap(a, b)
    assert o.shape == (50,)
    assert np.all((o >= 0) & (o <= 1))
    assert o.mean() < 0.1  # max over 2048 lags of |z| / sqrt(T) is about 0.085
    assert overlap(np.zeros(16), a[0, :16]) == 0.0
    assert overlap(a[:, :64], a[0, :64]).shape == (50,)  # broadcasting
    with pytest.raises(ValueError, match="a and b"):
        overlap(a[0], a[0, :100])


# ---------------------------------------------------------------- matched filter


def test_matched_filter_recovers_injected_snr(cache):
    data = gw.load(n=300, snr_range=(12.0, 12.0), seed=21)
    strain = data.strain.astype(float)
    recovered = bgw.matched_filter_snr(strain, data.signal)
    # maximised over phase and time: a small upward bias of ~1/(2 rho) plus the peak search
    assert recovered.mean() / 12.0 == pytest.approx(1.0, abs=0.05)
    assert recovered.mean() > 12.0
    # at the true lag the in-phase output is unbiased with unit noise
    in_phase = bgw.snr_series(strain, data.signal)[:, 0].real
    assert in_phase.mean() == pytest.approx(12.0, abs=3 / np.sqrt(300))
    assert in_phase.std() == pytest.approx(1.0, rel=0.15)
    # a single segment gives a float
    assert isinstance(bgw.matched_filter_snr(strain[0], data.signal[0]), float)


def test_matched_filter_noise_normalisation(cache):
    noise = gw.load(n=400, snr_range=(0.0, 0.0), seed=22).strain.astype(float)
    template = gw.load(n=1, snr_range=(10.0, 10.0), seed=23).signal[0]
    z = bgw.snr_series(noise, template)[:, ::400]  # lags far apart: nearly independent
    assert z.real.var() == pytest.approx(1.0, rel=0.12)
    assert z.imag.var() == pytest.approx(1.0, rel=0.12)
    assert abs(np.mean(z.real * z.imag)) < 0.1


def test_template_bank_fits_signals_and_finds_parameters(cache, bank):
    data = gw.load(n=120, snr_range=(15.0, 15.0), seed=24)
    clean = bgw.matched_filter(data.signal, bank)
    fitting_factor = clean.snr / data.snr
    assert fitting_factor.mean() > 0.96
    assert np.all(fitting_factor <= 1.0 + 1e-4)
    noisy = bgw.matched_filter(data.strain, bank)
    assert (noisy.snr / data.snr).mean() == pytest.approx(1.0, abs=0.05)
    assert np.mean(np.abs(noisy.coalescence_time - data.coalescence_time) < 0.005) > 0.9
    assert np.mean(np.abs(noisy.chirp_mass / data.chirp_mass - 1) < 0.1) > 0.8
    # the best-fit waveform is close to the clean signal
    assert overlap(bgw.reconstruct(noisy, bank), data.signal, maximise=False).mean() > 0.9


def test_reconstruct_with_exact_template_returns_the_signal(cache):
    data = gw.load(n=3, snr_range=(10.0, 10.0), seed=25)
    signal = data.signal.astype(float)
    exact = bgw.TemplateBank(
        mass1=data.mass1, mass2=data.mass2, chirp_mass=data.chirp_mass,
        templates=np.roll(signal, -40, axis=-1) / data.snr[:, None],
        spectra=np.fft.rfft(np.roll(signal, -40, axis=-1) / data.snr[:, None], axis=-1),
        reference_time=0.75, sample_rate_hz=2048, duration_s=1.0)
    result = bgw.matched_filter(signal, exact)
    np.testing.assert_array_equal(result.template_index, [0, 1, 2])
    np.testing.assert_array_equal(result.lag, 40)
    np.testing.assert_allclose(result.snr, data.snr, rtol=1e-5)
    np.testing.assert_allclose(bgw.reconstruct(result, exact), signal, atol=1e-4)


def test_detection_beats_the_noise_background(cache, bank):
    noise_only = gw.load(n=150, snr_range=(0.0, 0.0), seed=26)
    with_signal = gw.load(n=150, snr_range=(10.0, 10.0), seed=27)
    background = bgw.matched_filter(noise_only.strain, bank).snr
    foreground = bgw.matched_filter(with_signal.strain, bank).snr
    threshold = background.max()
    assert 3.5 < np.median(background) < 6.0  # max of ~10^5 correlated chi_2 trials
    assert np.mean(foreground > threshold) > 0.9


# ---------------------------------------------------------------- Wiener filter


def test_wiener_filter_improves_overlap_with_clean_signal(cache):
    train = gw.load(n=1000, seed=28)
    test = gw.load(n=200, seed=29)
    wiener = bgw.WienerFilter.fit(train.signal, train.sample_rate_hz)
    assert np.all((wiener.gain >= 0) & (wiener.gain < 1))
    assert np.all(wiener.gain[:20] == 0)  # below 20 Hz
    denoised = wiener(test.strain)
    assert denoised.shape == test.strain.shape
    raw = overlap(test.strain, test.signal, maximise=False)
    filtered = overlap(denoised, test.signal, maximise=False)
    assert filtered.mean() > raw.mean() + 0.1
    assert np.mean(filtered > raw) > 0.95
    np.testing.assert_allclose(bgw.wiener_denoise(test.strain, train.signal, 2048), denoised)
