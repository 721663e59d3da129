"""Gravitational waves from binary black-hole inspirals in Advanced-LIGO-like noise.

**Signal.**  A binary of component masses :math:`m_1, m_2` has the chirp mass
:math:`\\mathcal{M} = (m_1 m_2)^{3/5} / (m_1 + m_2)^{1/5}`.  At leading
post-Newtonian order the gravitational-wave frequency and phase at the time
:math:`\\tau = t_c - t` before coalescence are

.. math::

    f(\\tau) = \\frac{1}{\\pi} \\Big(\\frac{5}{256\\,\\tau}\\Big)^{3/8}
               \\Big(\\frac{G\\mathcal{M}}{c^3}\\Big)^{-5/8},
    \\qquad
    \\Phi(\\tau) = -2 \\Big(\\frac{5 G\\mathcal{M}}{c^3}\\Big)^{-5/8} \\tau^{5/8} + \\Phi_c,

and the strain of an optimally oriented source at distance :math:`D` is
:math:`h = (4/D) (G\\mathcal{M}/c^2)^{5/3} (\\pi f / c)^{2/3} \\cos\\Phi`
(amplitude :math:`\\propto \\mathcal{M}^{5/3} f^{2/3} / D`).  The inspiral stops
at the innermost stable circular orbit, :math:`f_\\mathrm{ISCO} = c^3 / (6^{3/2}
\\pi G M)`, reached the time :math:`\\tau_\\mathrm{ISCO}` before :math:`t_c`.  A
phenomenological merger then joins it smoothly to the ringdown: over
:math:`[t_c - \\tau_\\mathrm{ISCO}, t_c]` the frequency rises from
:math:`f_\\mathrm{ISCO}` to the quasi-normal-mode frequency :math:`f_\\mathrm{ring}`
and the amplitude to 1.5 times its ISCO value (cubic Hermite curves that match
the inspiral's value and slope and have zero slope at :math:`t_c`); after
:math:`t_c` the wave rings down at :math:`f_\\mathrm{ring}` with the envelope
:math:`\\operatorname{sech}((t - t_c)/\\tau_\\mathrm{ring})`.  Frequency,
amplitude and their first derivatives are continuous; the amplitude peaks at
:math:`t_c`.  The remnant's mass and spin come from the non-spinning fits of Pan
et al. (2011), the (2,2,0) quasi-normal-mode frequency and quality factor from
the fits of Berti, Cardoso & Will (2006).  This is a teaching model, not a
waveform calibrated to numerical relativity; the matched-filter templates in
:mod:`dlphys.baselines.gw` use the same model, so the matched filter is exactly
optimal for this data.

**Noise.**  Stationary Gaussian noise with the one-sided analytic Advanced LIGO
design spectrum of Sathyaprakash & Schutz (2009, Table 1), :func:`aligo_psd`,
which is cut off below 20 Hz.  The noise is drawn in the frequency domain: every
rfft bin is complex Gaussian with :math:`\\mathrm{E}|\\tilde n_k|^2 = S_h(f_k)\\,
f_s N / 2` (NumPy's unnormalised FFT, :math:`N` samples at rate :math:`f_s`);
below 20 Hz the generator uses the 20 Hz value :math:`S_h(20\\,\\mathrm{Hz})`
(a flat floor in place of the seismic wall), and the DC bin is zero.

**Whitening.**  :func:`whiten` divides each rfft bin by
:math:`\\sqrt{S_h(f_k) f_s / 2}` and keeps only 20 Hz <= f < f_s/2.  The whitened
noise is white with unit two-sided spectral density inside that band, so its
variance per sample is the kept fraction of the band,
:math:`1 - 2 \\cdot 20\\,\\mathrm{Hz} / f_s` (0.980 at 2048 Hz).  With this
convention the plain inner product of whitened series is the noise-weighted
inner product, :math:`\\sum_t a_t b_t = 4\\,\\mathrm{Re}\\int \\tilde a \\tilde
b^* / S_h\\, df`: the norm of a whitened clean signal is its optimal SNR,
:math:`\\rho^2 = 4\\int |\\tilde h|^2 / S_h\\, df`, and a unit-norm template
projected on whitened noise has unit variance.  FFT whitening is circular; the
segments here are periodic by construction (noise drawn in the frequency domain,
signals tapered to zero at both ends).

**Segments.**  Each segment (default 1 s at 2048 Hz) holds one injection:
component masses uniform in ``mass_range`` (default 10 to 50 solar masses each,
the bulk of the GWTC-1 binary black holes; ``mass1 >= mass2``), coalescence time
uniform in the last 0.35 to 0.05 s of the segment, phase uniform, and the
amplitude scaled to the drawn optimal SNR.  The signal starts at the beginning of
the segment with a 0.1 s sine-squared ramp (long, light binaries are already in
band there) and is tapered to zero over the last 20 ms.  Used by lecture 11 (a
recurrent denoising autoencoder in the spirit of Shen, George, Huerta & Zhao
2017).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import progress
from ._cache import cached
from ._validate import check_float, check_int, check_range, check_seed

VERSION = 1

#: G M_sun / c^3 in seconds (nominal solar mass parameter)
SOLAR_MASS_S = 4.925490947641267e-6
#: speed of light, m/s
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: one megaparsec in metres
MEGAPARSEC_M = 3.0856775814913673e22
#: the analytic Advanced LIGO spectrum is cut off below this frequency (Hz)
LOW_FREQUENCY_CUTOFF_HZ = 20.0
#: coalescence times are uniform in [duration_s - 0.35 s, duration_s - 0.05 s]
COALESCENCE_BEFORE_END_S = (0.35, 0.05)
#: length of the sine-squared ramp at the start of every signal, s
START_TAPER_S = 0.1
#: length of the taper at the end of every segment, s
END_TAPER_S = 0.02
#: peak amplitude of the merger relative to the inspiral amplitude at the ISCO
PEAK_TO_ISCO_AMPLITUDE = 1.5

_MAX_SAMPLES = 250_000_000  # n * samples per segment, about 1 GB per float32 array
_CHUNK = 500  # segments generated at a time (fixed, so results never depend on it)


@dataclass(frozen=True)
class GWData:
    """Whitened detector segments with one binary-black-hole injection each.

    ``n`` segments of ``T = duration_s * sample_rate_hz`` samples.

    Attributes:
        strain: whitened noisy strain, float32 ``(n, T)``; whitened noise plus
            ``signal`` (see the module docstring for the whitening convention).
        signal: the clean whitened signal, float32 ``(n, T)``; its Euclidean norm
            is the optimal SNR ``snr``.
        mass1: heavier component mass in solar masses, ``(n,)``.
        mass2: lighter component mass in solar masses, ``(n,)``.
        chirp_mass: chirp mass in solar masses, ``(n,)``.
        snr: optimal matched-filter SNR of the injection, ``(n,)``.
        coalescence_time: coalescence time (amplitude peak) in seconds from the
            segment start, ``(n,)``.
        coalescence_phase_rad: the phase constant :math:`\\Phi_c` of the
            inspiral, radians in [0, 2 pi), ``(n,)``.
        distance_mpc: distance in megaparsecs at which an optimally oriented
            source has this SNR in the design noise, ``(n,)`` (inf for SNR 0).
        sample_rate_hz: samples per second (Hz).
        duration_s: segment length in seconds.
    """

    strain: np.ndarray
    signal: np.ndarray
    mass1: np.ndarray
    mass2: np.ndarray
    chirp_mass: np.ndarray
    snr: np.ndarray
    coalescence_time: np.ndarray
    coalescence_phase_rad: np.ndarray
    distance_mpc: np.ndarray
    sample_rate_hz: int
    duration_s: float

    def __len__(self) -> int:
        return len(self.snr)

    @property
    def time(self) -> np.ndarray:
        """Sample times in seconds from the segment start, ``(T,)``."""
        return np.arange(self.strain.shape[-1]) / self.sample_rate_hz


# ------------------------------------------------------------------ physics


def aligo_psd(frequency_hz) -> np.ndarray:
    """One-sided Advanced LIGO design noise PSD in 1/Hz (Sathyaprakash & Schutz 2009).

    :math:`S_h(f) = 10^{-49} [x^{-4.14} - 5 x^{-2} + 111 (1 - x^2 + x^4/2) /
    (1 + x^2/2)]` with :math:`x = f / 215\\,\\mathrm{Hz}`; ``inf`` below 20 Hz
    (the cut-off), so ``1 / aligo_psd(f)`` is zero there.
    """
    f = np.asarray(frequency_hz, dtype=float)
    x = np.maximum(f, LOW_FREQUENCY_CUTOFF_HZ) / 215.0
    x2 = x * x
    psd = 1e-49 * (x ** -4.14 - 5.0 / x2 + 111.0 * (1.0 - x2 + 0.5 * x2 * x2) / (1.0 + 0.5 * x2))
    return np.where(f < LOW_FREQUENCY_CUTOFF_HZ, np.inf, psd)


def chirp_mass(mass1, mass2) -> np.ndarray:
    """Chirp mass :math:`(m_1 m_2)^{3/5} / (m_1 + m_2)^{1/5}` (units of the inputs)."""
    mass1 = np.asarray(mass1, dtype=float)
    mass2 = np.asarray(mass2, dtype=float)
    return (mass1 * mass2) ** 0.6 / (mass1 + mass2) ** 0.2


def inspiral_frequency(tau_s, chirp_mass_msun) -> np.ndarray:
    """Leading-order GW frequency in Hz at ``tau_s`` seconds before coalescence."""
    tau_s = np.asarray(tau_s, dtype=float)
    mc_s = np.asarray(chirp_mass_msun, dtype=float) * SOLAR_MASS_S
    return (5.0 / (256.0 * tau_s)) ** 0.375 * mc_s ** -0.625 / np.pi


def time_to_coalescence(frequency_hz, chirp_mass_msun) -> np.ndarray:
    """Inverse of :func:`inspiral_frequency`: seconds from frequency ``f`` to coalescence."""
    f = np.asarray(frequency_hz, dtype=float)
    mc_s = np.asarray(chirp_mass_msun, dtype=float) * SOLAR_MASS_S
    return 5.0 / 256.0 * mc_s ** (-5.0 / 3.0) * (np.pi * f) ** (-8.0 / 3.0)


def isco_frequency(total_mass_msun) -> np.ndarray:
    """GW frequency at the innermost stable circular orbit, :math:`c^3/(6^{3/2}\\pi G M)`, Hz."""
    return 1.0 / (6.0 ** 1.5 * np.pi * np.asarray(total_mass_msun, dtype=float) * SOLAR_MASS_S)


def remnant(mass1, mass2) -> tuple[np.ndarray, np.ndarray]:
    """Final mass (solar masses) and dimensionless spin of the merged black hole.

    Non-spinning fits of Pan et al., Phys. Rev. D 84, 124052 (2011):
    :math:`M_f/M = 1 + (\\sqrt{8/9} - 1)\\eta - 0.4333\\eta^2 - 0.4392\\eta^3`,
    :math:`a_f = \\sqrt{12}\\eta - 3.871\\eta^2 + 4.028\\eta^3`, with the symmetric
    mass ratio :math:`\\eta = m_1 m_2 / M^2`.
    """
    mass1 = np.asarray(mass1, dtype=float)
    mass2 = np.asarray(mass2, dtype=float)
    total = mass1 + mass2
    eta = mass1 * mass2 / total**2
    final_mass = total * (1.0 + (np.sqrt(8.0 / 9.0) - 1.0) * eta - 0.4333 * eta**2
                          - 0.4392 * eta**3)
    final_spin = np.sqrt(12.0) * eta - 3.871 * eta**2 + 4.028 * eta**3
    return final_mass, final_spin


def ringdown(mass1, mass2) -> tuple[np.ndarray, np.ndarray]:
    """Frequency (Hz) and e-folding time (s) of the (2,2,0) quasi-normal mode of the remnant.

    Fits of Berti, Cardoso & Will, Phys. Rev. D 73, 064030 (2006):
    :math:`2\\pi f M_f = 1.5251 - 1.1568 (1 - a_f)^{0.1292}`,
    :math:`Q = 0.7 + 1.4187 (1 - a_f)^{-0.4990}`, damping time :math:`Q / (\\pi f)`.
    """
    final_mass, final_spin = remnant(mass1, mass2)
    frequency = (1.5251 - 1.1568 * (1.0 - final_spin) ** 0.1292) / (
        2.0 * np.pi * final_mass * SOLAR_MASS_S)
    quality = 0.7 + 1.4187 * (1.0 - final_spin) ** -0.4990
    return frequency, quality / (np.pi * frequency)


def _window(n_samples: int, sample_rate_hz: float, start_s) -> np.ndarray:
    """Sine-squared ramp from ``start_s`` over START_TAPER_S, and the end taper; (k, T)."""
    t = np.arange(n_samples) / sample_rate_hz
    start_s = np.atleast_1d(np.asarray(start_s, dtype=float))[:, None]
    ramp = np.clip((t - start_s) / START_TAPER_S, 0.0, 1.0)
    end = np.clip((n_samples / sample_rate_hz - t) / END_TAPER_S, 0.0, 1.0)
    return np.sin(0.5 * np.pi * ramp) ** 2 * np.sin(0.5 * np.pi * end) ** 2


def chirp_strain(
    mass1,
    mass2,
    coalescence_time,
    coalescence_phase=0.0,
    *,
    duration_s: float = 1.0,
    sample_rate_hz: int = 2048,
    distance_mpc=1.0,
    start_time=0.0,
) -> np.ndarray:
    """Strain of an optimally oriented binary black hole, float64 ``(n, T)``.

    The inspiral-merger-ringdown model of the module docstring, sampled at
    ``t = k / sample_rate_hz`` for ``k < duration_s * sample_rate_hz``, with the sine-squared
    ramp starting at ``start_time`` seconds (zero before) and the end taper.
    Masses in solar masses, ``coalescence_time`` in seconds from the segment start,
    ``coalescence_phase`` (:math:`\\Phi_c`) in radians; all broadcast to ``(n,)``.
    """
    m1, m2, tc, phase_c, dist, start = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float))
          for v in (mass1, mass2, coalescence_time, coalescence_phase, distance_mpc,
                    start_time)))
    n_samples = int(round(duration_s * sample_rate_hz))
    t = np.arange(n_samples) / sample_rate_hz
    mc_s = chirp_mass(m1, m2) * SOLAR_MASS_S
    f_isco = isco_frequency(m1 + m2)
    f_ring, tau_ring = ringdown(m1, m2)
    tau_isco = time_to_coalescence(f_isco, mc_s / SOLAR_MASS_S)
    scale = 4.0 * SPEED_OF_LIGHT_M_S / (dist * MEGAPARSEC_M) * mc_s ** (5.0 / 3.0)
    amp_isco = scale * (np.pi * f_isco) ** (2.0 / 3.0)
    phase_isco = -2.0 * (5.0 * mc_s) ** -0.625 * tau_isco**0.625 + phase_c

    col = (slice(None), None)
    tau = tc[col] - t
    # inspiral, evaluated with tau clipped at the ISCO (used where tau > tau_isco)
    root8 = np.sqrt(np.sqrt(np.sqrt(np.maximum(tau, tau_isco[col]))))  # tau^(1/8)
    phase = -2.0 * (5.0 * mc_s[col]) ** -0.625 * root8**5 + phase_c[col]
    amplitude = (scale * (5.0 / 256.0) ** 0.25 * mc_s ** (-5.0 / 12.0))[col] / root8**2
    # merger: s runs from 0 at the ISCO to 1 at coalescence
    s = np.clip(1.0 - tau / tau_isco[col], 0.0, 1.0)
    s2 = s * s
    s3 = s2 * s
    s4 = s2 * s2
    f0, f1, amp0 = f_isco[col], f_ring[col], amp_isco[col]
    # cubic Hermite: value f0 and slope (3/8) f0 / tau_isco at s=0, value f1 and slope 0 at s=1
    merger_cycles = tau_isco[col] * (f0 * (0.5 * s4 - s3 + s) + 0.375 * f0 * (
        0.25 * s4 - 2.0 / 3.0 * s3 + 0.5 * s2) + f1 * (s3 - 0.5 * s4))
    merger = (tau <= tau_isco[col]) & (tau >= 0.0)
    phase = np.where(merger, phase_isco[col] + 2.0 * np.pi * merger_cycles, phase)
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = s3 - 2.0 * s2 + s
    h01 = 3.0 * s2 - 2.0 * s3
    amplitude = np.where(merger, amp0 * (h00 + 0.25 * h10 + PEAK_TO_ISCO_AMPLITUDE * h01),
                         amplitude)
    # ringdown
    phase_peak = phase_isco + 2.0 * np.pi * tau_isco * (f_isco * (0.5 + 0.375 / 12.0)
                                                        + 0.5 * f_ring)
    after = np.maximum(-tau, 0.0)
    ring = tau < 0.0
    phase = np.where(ring, phase_peak[col] + 2.0 * np.pi * f1 * after, phase)
    amplitude = np.where(
        ring, PEAK_TO_ISCO_AMPLITUDE * amp0 / np.cosh(np.minimum(after / tau_ring[col], 700.0)),
        amplitude)
    return amplitude * np.cos(phase) * _window(n_samples, sample_rate_hz, start)


# ------------------------------------------------------------------ noise and whitening


def analysis_band(n_samples: int, sample_rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """rfft frequencies and the mask of the whitening band 20 Hz <= f < f_s / 2."""
    freq = np.fft.rfftfreq(n_samples, 1.0 / sample_rate_hz)
    return freq, (freq >= LOW_FREQUENCY_CUTOFF_HZ) & (freq < 0.5 * sample_rate_hz)


def _whitening_factor(n_samples: int, sample_rate_hz: float) -> np.ndarray:
    """Per-rfft-bin factor 1 / sqrt(S_h f_s / 2) inside the band, 0 outside."""
    freq, band = analysis_band(n_samples, sample_rate_hz)
    factor = np.zeros_like(freq)
    factor[band] = 1.0 / np.sqrt(aligo_psd(freq[band]) * sample_rate_hz / 2.0)
    return factor


def _noise_spectrum(rng: np.random.Generator, n_segments: int, n_samples: int,
                    sample_rate_hz: float) -> np.ndarray:
    """rfft of coloured noise: E|X_k|^2 = S_h f_s N / 2, S_h(f < 20 Hz) := S_h(20 Hz)."""
    freq = np.fft.rfftfreq(n_samples, 1.0 / sample_rate_hz)
    psd = aligo_psd(np.maximum(freq, LOW_FREQUENCY_CUTOFF_HZ))
    sigma = np.sqrt(psd * sample_rate_hz * n_samples / 4.0)  # per real / imaginary part
    sigma[0] = 0.0
    draws = rng.standard_normal((n_segments, len(freq), 2))
    spectrum = sigma * (draws[..., 0] + 1j * draws[..., 1])
    if n_samples % 2 == 0:  # the Nyquist bin is real and carries the full variance
        spectrum[:, -1] = np.sqrt(2.0) * sigma[-1] * draws[:, -1, 0]
    return spectrum


def _check_segment(duration_s, sample_rate_hz) -> tuple[float, int, int]:
    sample_rate_hz = check_int("sample_rate_hz", sample_rate_hz, 512, 16384)
    duration_s = check_float("duration_s", duration_s, 0.5, 64.0)
    n_samples = duration_s * sample_rate_hz
    if abs(n_samples - round(n_samples)) > 1e-6:
        raise ValueError(f"duration_s * sample_rate_hz must be a whole number of samples, "
                         f"got duration_s={duration_s} at sample_rate_hz={sample_rate_hz}")
    return duration_s, sample_rate_hz, int(round(n_samples))


def noise(
    n_segments: int = 1,
    *,
    duration_s: float = 1.0,
    sample_rate_hz: int = 2048,
    seed: int = 0,
) -> np.ndarray:
    """Coloured (not whitened) Gaussian detector noise in strain units, float64 ``(n, T)``.

    Drawn in the frequency domain from :func:`aligo_psd` (the 20 Hz value below
    20 Hz, no DC); stationary and periodic over the segment.  Not cached.

    Args:
        n_segments: number of segments.
        duration_s: segment length in seconds (0.5 to 64).
        sample_rate_hz: samples per second (512 to 16384).
        seed: seed of the random generator.
    """
    n_segments = check_int("n_segments", n_segments, 1, 1_000_000)
    duration_s, sample_rate_hz, n_samples = _check_segment(duration_s, sample_rate_hz)
    if n_segments * n_samples > _MAX_SAMPLES:
        raise ValueError(f"n_segments * duration_s * sample_rate_hz must be <= {_MAX_SAMPLES}")
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    return np.fft.irfft(_noise_spectrum(rng, n_segments, n_samples, sample_rate_hz),
                        n=n_samples, axis=-1)


def whiten(strain, sample_rate_hz: int) -> np.ndarray:
    """Whiten strain ``(..., T)`` with the analytic PSD; band 20 Hz <= f < f_s/2.

    Each rfft bin is divided by :math:`\\sqrt{S_h(f) f_s / 2}` and bins outside the
    band are zeroed.  Whitened detector noise is then white with unit two-sided
    spectral density in the band (variance per sample ``1 - 40 Hz / f_s``), and the
    norm of a whitened clean signal is its optimal SNR.  Circular (FFT) operation:
    the input should be periodic or tapered.  Returns float32 for float32 input,
    float64 otherwise.
    """
    strain = np.asarray(strain)
    sample_rate_hz = check_float("sample_rate_hz", sample_rate_hz, 0.0, low_open=True)
    n_samples = strain.shape[-1]
    factor = _whitening_factor(n_samples, sample_rate_hz)
    out = np.fft.irfft(np.fft.rfft(strain, axis=-1) * factor, n=n_samples, axis=-1)
    return out.astype(np.float32) if strain.dtype == np.float32 else out


def optimal_snr(strain, sample_rate_hz: int) -> np.ndarray:
    """Optimal SNR :math:`\\sqrt{4 \\int |\\tilde h|^2 / S_h\\, df}` of clean strain ``(..., T)``.

    The discrete sum over the band 20 Hz <= f < f_s/2, with
    :math:`\\tilde h(f_k) = X_k / f_s` and :math:`df = f_s / N`; equal to the norm
    of :func:`whiten` ``(strain)``.
    """
    strain = np.asarray(strain, dtype=float)
    sample_rate_hz = check_float("sample_rate_hz", sample_rate_hz, 0.0, low_open=True)
    n_samples = strain.shape[-1]
    freq, band = analysis_band(n_samples, sample_rate_hz)
    spectrum = np.fft.rfft(strain, axis=-1)[..., band]
    return np.sqrt(4.0 * np.sum(np.abs(spectrum) ** 2 / aligo_psd(freq[band]), axis=-1)
                   / (sample_rate_hz * n_samples))


# ------------------------------------------------------------------ the data set


def load(
    n: int = 10_000,
    *,
    duration_s: float = 1.0,
    sample_rate_hz: int = 2048,
    snr_range: tuple[float, float] = (8.0, 20.0),
    mass_range_msun: tuple[float, float] = (10.0, 50.0),
    seed: int = 0,
) -> GWData:
    """Simulate ``n`` whitened segments, each with one binary-black-hole injection.

    Args:
        n: number of segments (1 to 1 million, and n * duration_s * sample_rate_hz
            at most 2.5e8).
        duration_s: segment length in seconds (0.5 to 64).
        sample_rate_hz: samples per second (512 to 16384); the ringdown of the lightest
            binary must lie below 0.9 times the Nyquist frequency.
        snr_range: the optimal SNR of the injections is uniform in ``(low, high)``
            (0 to 1000); ``(10, 10)`` gives all the same SNR, ``(0, 0)`` pure noise.
        mass_range_msun: component masses are uniform in this interval, solar masses
            (2 to 100).
        seed: seed of the random generator.
    """
    n = check_int("n", n, 1, 1_000_000)
    duration_s, sample_rate_hz, n_samples = _check_segment(duration_s, sample_rate_hz)
    if n * n_samples > _MAX_SAMPLES:
        raise ValueError(f"n * duration_s * sample_rate_hz must be <= {_MAX_SAMPLES}, "
                         f"got {n * n_samples}")
    snr_range = check_range("snr_range", snr_range, 0.0, 1000.0)
    mass_range = check_range("mass_range_msun", mass_range_msun, 2.0, 100.0)
    f_ring_max = float(ringdown(mass_range[0], mass_range[0])[0])
    if f_ring_max > 0.45 * sample_rate_hz:
        raise ValueError(f"sample_rate_hz={sample_rate_hz} is too low for "
                         f"mass_range_msun={mass_range}:"
                         f" the ringdown at {f_ring_max:.0f} Hz must lie below 0.9 x Nyquist")
    seed = check_seed(seed)
    params = dict(n=n, duration_s=duration_s, sample_rate_hz=sample_rate_hz, snr_range=snr_range,
                  mass_range_msun=mass_range, seed=seed)

    def generate():
        param_rng, noise_rng = (np.random.default_rng(s)
                                for s in np.random.SeedSequence(seed).spawn(2))
        masses = param_rng.uniform(*mass_range, size=(n, 2))
        mass1, mass2 = masses.max(axis=1), masses.min(axis=1)
        late, early = COALESCENCE_BEFORE_END_S
        t_c = param_rng.uniform(duration_s - late, duration_s - early, n)
        phase_c = param_rng.uniform(0.0, 2.0 * np.pi, n)
        target = param_rng.uniform(*snr_range, n)
        factor = _whitening_factor(n_samples, sample_rate_hz)
        strain = np.empty((n, n_samples), dtype=np.float32)
        signal = np.empty((n, n_samples), dtype=np.float32)
        snr_at_1mpc = np.empty(n)
        for start in progress(range(0, n, _CHUNK), desc="gw segments"):
            part = slice(start, min(start + _CHUNK, n))
            h = chirp_strain(mass1[part], mass2[part], t_c[part], phase_c[part],
                             duration_s=duration_s, sample_rate_hz=sample_rate_hz)
            white_h = np.fft.rfft(h, axis=-1) * factor
            norm = np.sqrt(2.0 / n_samples * np.sum(np.abs(white_h) ** 2, axis=-1))
            snr_at_1mpc[part] = norm
            white_h *= (target[part] / norm)[:, None]
            white_n = _noise_spectrum(noise_rng, len(h), n_samples, sample_rate_hz) * factor
            signal[part] = np.fft.irfft(white_h, n=n_samples, axis=-1)
            strain[part] = np.fft.irfft(white_h + white_n, n=n_samples, axis=-1)
        with np.errstate(divide="ignore"):
            distance = snr_at_1mpc / target
        return dict(strain=strain, signal=signal, mass1=mass1, mass2=mass2,
                    chirp_mass=chirp_mass(mass1, mass2), snr=target, coalescence_time=t_c,
                    coalescence_phase_rad=phase_c, distance_mpc=distance)

    arrays = cached("gw", VERSION, params, generate)
    return GWData(**arrays, sample_rate_hz=sample_rate_hz, duration_s=duration_s)
