"""Classical denoisers for photon-limited speckle images.

Three references for the denoising autoencoder of lecture 8, from simple to best:

* Gaussian smoothing with a width tuned on training images (what one tries first;
  it blurs the speckle grains and only helps at very low flux).
* The Wiener filter, the optimal *linear shift-invariant* denoiser: in Fourier
  space each mode is multiplied by :math:`S(k) / (S(k) + N)`, with :math:`S(k)`
  the mean power spectrum of clean training images and :math:`N` the white
  Poisson-noise power, :math:`N = \\sum_{pixels} \\bar I / \\Phi` (``size**2 /
  photons_per_pixel`` for images of mean 1).
* Pixel-wise Bayesian shrinkage with the speckle statistics: for fully developed
  speckle the intensity at a pixel is exponential about its mean :math:`\\mu`,
  the counts are Poisson, and the posterior mean is
  :math:`\\hat I = (k + 1) / (\\Phi + 1/\\mu)`; :math:`\\mu` is the azimuthal
  average of the noisy image in rings of one pixel.  It uses the noise model
  but not the correlations between neighbouring pixels.

A network can use both the correlations (speckle grains span several pixels) and
the signal-dependent noise; the three numbers bound what "good" means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from ..data.speckle import beamstop_mask
from ..metrics import mse


def psnr_db(estimate, clean) -> float:
    """Peak signal-to-noise ratio in dB, averaged over images.

    Each image's peak is its largest clean intensity: ``10 log10(peak^2 / MSE)``.
    """
    estimate, clean = _images(estimate), _images(clean)
    if estimate.shape != clean.shape:
        raise ValueError(f"shapes differ: {estimate.shape} and {clean.shape}")
    error = np.mean((estimate - clean) ** 2, axis=(1, 2))
    peak = np.max(clean, axis=(1, 2))
    return float(np.mean(10 * np.log10(peak**2 / error)))


def _images(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError(f"expected images of shape (n, size, size), got {x.shape}")
    return x


def gaussian_smoothing(noisy, sigma_px: float) -> np.ndarray:
    """Smooth each image with a Gaussian of standard deviation ``sigma_px`` pixels."""
    if sigma_px < 0:
        raise ValueError(f"sigma_px must be >= 0, got {sigma_px}")
    noisy = _images(noisy)
    return gaussian_filter(noisy, (0, sigma_px, sigma_px), mode="nearest") if sigma_px else noisy


def fit_gaussian_width(noisy, clean, widths=None) -> float:
    """The smoothing width (pixels) with the smallest MSE on training images (0 = no smoothing)."""
    widths = np.r_[0.0, np.linspace(0.2, 2.0, 10)] if widths is None else np.asarray(widths)
    errors = [mse(gaussian_smoothing(noisy, w), clean) for w in widths]
    return float(widths[int(np.argmin(errors))])


@dataclass(frozen=True)
class WienerFilter:
    """Fourier-space Wiener filter.

    Attributes:
        gain: multiplier of each (unshifted) FFT mode, shape ``(size, size)``.
    """

    gain: np.ndarray

    def __call__(self, noisy) -> np.ndarray:
        noisy = _images(noisy)
        return np.real(np.fft.ifft2(np.fft.fft2(noisy) * self.gain))


def fit_wiener(clean, photons_per_pixel: float) -> WienerFilter:
    """Wiener filter from the mean power spectrum of clean training images and the Poisson noise."""
    clean = _images(clean)
    if photons_per_pixel <= 0:
        raise ValueError(f"photons_per_pixel must be > 0, got {photons_per_pixel}")
    signal = np.mean(np.abs(np.fft.fft2(clean)) ** 2, axis=0)
    noise = np.mean(clean.sum(axis=(1, 2))) / photons_per_pixel
    return WienerFilter(signal / (signal + noise))


def speckle_shrinkage(counts, photons_per_pixel: float) -> np.ndarray:
    """Pixel-wise posterior mean for exponential speckle and Poisson counts.

    ``(k + 1) / (flux + 1/mu)`` with ``mu`` the azimuthal mean of ``counts / flux``
    in one-pixel rings about the centre; zero behind the beamstop.
    """
    counts = _images(counts)
    if photons_per_pixel <= 0:
        raise ValueError(f"photons_per_pixel must be > 0, got {photons_per_pixel}")
    n, size, _ = counts.shape
    centre = np.arange(size) - size // 2
    ring = np.floor(np.hypot(centre[:, None], centre[None, :])).astype(int).ravel()
    n_rings = ring.max() + 1
    index = (np.arange(n)[:, None] * n_rings + ring[None, :]).ravel()
    sums = np.bincount(index, weights=counts.reshape(n, -1).ravel(), minlength=n * n_rings)
    profile = sums.reshape(n, n_rings) / np.bincount(ring, minlength=n_rings) / photons_per_pixel
    mean = np.maximum(profile[:, ring].reshape(n, size, size), 1e-12)
    estimate = (counts + 1.0) / (photons_per_pixel + 1.0 / mean)
    estimate[:, beamstop_mask(size)] = 0.0
    return estimate
