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

A physics quantity to recover from any of them: the particle radius, fitted to
the azimuthally averaged intensity (:func:`radial_profile`,
:func:`fit_particle_radius`), whose first minimum lies at :math:`qr = 4.49`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from ..data.speckle import RADIUS_RANGE_PX, beamstop_mask, momentum_transfer, sphere_form_factor
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


def _rings(size: int):
    """Ring index (floor of the distance to the centre, pixels) of the pixels used in
    radial profiles: outside the beamstop, inside the inscribed circle."""
    centre = np.arange(size) - size // 2
    ring = np.floor(np.hypot(centre[:, None], centre[None, :])).astype(int).ravel()
    keep = ~beamstop_mask(size).ravel() & (ring < size // 2)
    ring = ring[keep]
    first = ring.min()
    return ring - first, keep, np.bincount(ring - first)


def radial_profile(images) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthal average of each image in rings one pixel wide about the centre.

    Rings are the pixels whose distance from the centre pixel ``(size//2, size//2)``
    has the same integer part, from the first ring outside the beamstop to the
    last ring inside the image's inscribed circle.  Returns ``(q, profile)``: the
    mean momentum transfer of each ring in radians per sample pixel, shape ``(K,)``,
    and the mean intensity of each image in each ring, shape ``(n, K)``.
    """
    images = _images(images)
    n, size, _ = images.shape
    ring, keep, counts = _rings(size)
    n_rings = len(counts)
    q = np.bincount(ring, weights=momentum_transfer(size).ravel()[keep]) / counts
    index = (np.arange(n)[:, None] * n_rings + ring[None, :]).ravel()
    sums = np.bincount(index, weights=images.reshape(n, -1)[:, keep].ravel(),
                       minlength=n * n_rings)
    return q, sums.reshape(n, n_rings) / counts


def fit_particle_radius(images, *, radius_grid_px=None, floor: float = 0.01) -> np.ndarray:
    """Sphere radius (sample pixels) of each image from its azimuthally averaged intensity.

    The model of the radial profile is the ring average of :math:`A |F(qr)|^2`
    (sphere form factor; fully developed speckle averages to it).  For each
    radius of ``radius_grid_px`` the amplitude :math:`A` is fixed by the total
    intensity, and the radius minimises the squared difference of the logarithms
    of profile and model, ``log(P + c) - log(model + c)``, weighted by the ring's
    pixel count.  The logarithm lets the dark rings around the form-factor
    minima count as much as the bright centre; ``c = floor * mean intensity``
    keeps empty rings finite.  Negative intensities (a linear filter can
    overshoot) are set to zero first.  The best grid point is refined with a
    parabola through its neighbours.

    Args:
        images: ``(n, size, size)`` or ``(size, size)`` intensities.
        radius_grid_px: increasing radii to scan, sample pixels (default: the
            simulator's radius range widened by 20 %, steps of 0.01 px at size 64).
        floor: regulariser ``c`` of the logarithm as a fraction of each image's
            mean intensity (> 0).
    """
    images = _images(images)
    n, size, _ = images.shape
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor}")
    if radius_grid_px is None:
        low, high = RADIUS_RANGE_PX
        radius_grid_px = np.arange(0.8 * low, 1.2 * high + 1e-9, 0.01) * size / 64
    grid = np.asarray(radius_grid_px, dtype=float)
    if grid.ndim != 1 or len(grid) < 3 or np.any(grid <= 0) or np.any(np.diff(grid) <= 0):
        raise ValueError("radius_grid_px must be at least 3 increasing positive radii")
    ring, keep, counts = _rings(size)
    q = momentum_transfer(size).ravel()[keep]
    model = np.stack([np.bincount(ring, weights=sphere_form_factor(q * r) ** 2) for r in grid])
    model /= counts                                           # (R, K) ring means of |F|^2
    _, profile = radial_profile(np.maximum(images, 0.0))      # (n, K)
    offset = floor * np.maximum(images.mean(axis=(1, 2)), 1e-12)[:, None]
    amplitude = (profile @ counts)[:, None] / (model @ counts)[None, :]   # (n, R)
    log_profile = np.log(profile + offset)
    chi2 = np.empty((n, len(grid)))
    for start in range(0, n, 256):                            # bounded memory
        part = slice(start, start + 256)
        expected = amplitude[part, :, None] * model[None] + offset[part, :, None]
        residual = log_profile[part, None, :] - np.log(expected)
        chi2[part] = residual**2 @ counts
    best = np.argmin(chi2, axis=1)
    radius = grid[best]
    inner = (best > 0) & (best < len(grid) - 1)
    i = best[inner]
    left, centre, right = (chi2[inner, i - 1], chi2[inner, i], chi2[inner, i + 1])
    curvature = left - 2 * centre + right
    shift = np.where(curvature > 0, 0.5 * (left - right) / np.where(curvature > 0, curvature, 1), 0)
    radius[inner] += shift * (grid[i + 1] - grid[i - 1]) / 2
    return radius
