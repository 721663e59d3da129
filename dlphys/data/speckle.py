"""Coherent X-ray speckle patterns of a disordered colloid, clean and with photon-counting noise.

A coherent X-ray beam (Gaussian amplitude profile of width ``w`` in the sample
plane) illuminates a sample of identical spheres of radius :math:`r` at random
positions.  In the kinematic (Born) approximation the far-field amplitude at
momentum transfer :math:`\\mathbf q` is the sphere form factor times the sum of
the illuminated scatterers' phases, so the recorded intensity is

.. math:: I(\\mathbf q) = |F(qr)|^2
          \\Big|\\sum_j a_j e^{-i\\mathbf q\\cdot\\mathbf r_j}\\Big|^2,
          \\qquad F(x) = 3\\,\\frac{\\sin x - x\\cos x}{x^3},

with :math:`a_j` the beam amplitude at particle :math:`j`.  With many scatterers
at random positions the sum is a two-dimensional random walk: the intensity at each
pixel is exponentially distributed about its mean
:math:`|F(qr)|^2\\sum_j a_j^2` ("fully developed speckle", contrast
std/mean = 1, Goodman), and speckle grains are about ``size / (2 pi w)`` pixels
wide (the Fourier width of the illuminated spot).  The form-factor envelope puts
most of the intensity near the centre, with the first ring minimum at
:math:`qr = 4.49`.  The coherent forward peak at :math:`q \\approx 0` (the
transmitted beam) is blocked by a beamstop of radius ``BEAMSTOP_PX`` pixels
(intensity 0 there).

The sample is sampled on a ``size`` x ``size`` grid (pixel positions), the
detector is its discrete Fourier transform (``q = 2 pi k / size`` radians per
sample pixel, zero frequency at pixel ``(size//2, size//2)``).  Each image is
normalised to a mean intensity of 1 over the detector.  The photon-counting
detector records ``counts ~ Poisson(photons_per_pixel * clean)``;
``noisy = counts / photons_per_pixel`` is in the same units as ``clean``, so
``E[noisy] = clean`` and ``Var[noisy] = clean / photons_per_pixel``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._cache import cached
from ._validate import check_float, check_int, check_seed

VERSION = 1
#: radius of the beamstop over the forward peak, detector pixels (for size 64; scales with size)
BEAMSTOP_PX = 3.0
#: beam amplitude width as a fraction of the sample grid
BEAM_WIDTH_FRACTION = 0.1
#: particle radius range, sample pixels (for size 64; scales with size)
RADIUS_RANGE_PX = (1.6, 2.4)
#: particles per sample pixel (number density) range
DENSITY_RANGE = (0.1, 0.3)
#: images per random stream (part of the cache key: it changes the arrays)
_CHUNK = 1000


@dataclass(frozen=True)
class SpeckleData:
    """Speckle images; ``n`` images of ``size`` x ``size`` detector pixels.

    Attributes:
        clean: noise-free intensity, mean 1 per image, float32, ``(n, size, size)``.
        noisy: photon counts divided by ``photons_per_pixel`` (same units as
            ``clean``), float32, ``(n, size, size)``.
        counts: the recorded photon counts, uint16, ``(n, size, size)``.
        particle_radius_px: sphere radius of each image in sample pixels, ``(n,)``.
        n_particles: number of particles in the sample grid of each image, ``(n,)``.
        photons_per_pixel: mean photon count per detector pixel (the flux).
        beam_width_px: standard deviation of the Gaussian beam amplitude, sample pixels.
        beamstop_px: beamstop radius, detector pixels.
    """

    clean: np.ndarray
    noisy: np.ndarray
    counts: np.ndarray
    particle_radius_px: np.ndarray
    n_particles: np.ndarray
    photons_per_pixel: float
    beam_width_px: float
    beamstop_px: float

    def __len__(self) -> int:
        return len(self.clean)


def momentum_transfer(size: int) -> np.ndarray:
    """|q| of every detector pixel in radians per sample pixel, zero at (size//2, size//2)."""
    k = np.fft.fftshift(np.fft.fftfreq(size)) * 2 * np.pi
    return np.hypot(k[:, None], k[None, :])


def sphere_form_factor(x) -> np.ndarray:
    """Scattering amplitude of a homogeneous sphere, F(qr) = 3 (sin x - x cos x) / x^3, F(0) = 1."""
    x = np.asarray(x, dtype=float)
    small = x < 1e-3
    safe = np.where(small, 1.0, x)
    value = 3.0 * (np.sin(safe) - safe * np.cos(safe)) / safe**3
    return np.where(small, 1.0 - x**2 / 10.0, value)


def beamstop_mask(size: int) -> np.ndarray:
    """True for detector pixels behind the beamstop, shape (size, size)."""
    centre = np.arange(size) - size // 2
    radius = BEAMSTOP_PX * size / 64
    return np.hypot(centre[:, None], centre[None, :]) <= radius


def _clean_images(rng, n, size, radius, density):
    """Noise-free intensities, mean 1 per image, and the particle numbers."""
    n_particles = rng.poisson(density * size * size)
    owner = np.repeat(np.arange(n), n_particles)
    x = rng.integers(0, size, len(owner))
    y = rng.integers(0, size, len(owner))
    width = BEAM_WIDTH_FRACTION * size
    centre = size // 2
    amplitude = np.exp(-((x - centre) ** 2 + (y - centre) ** 2) / (2 * width**2))
    sample = np.bincount((owner * size + x) * size + y, weights=amplitude,
                         minlength=n * size * size).reshape(n, size, size)
    field = np.fft.fftshift(np.fft.fft2(sample), axes=(1, 2))
    q = momentum_transfer(size)
    envelope = sphere_form_factor(q[None] * radius[:, None, None]) ** 2
    intensity = envelope * (field.real**2 + field.imag**2)
    intensity[:, beamstop_mask(size)] = 0.0
    intensity /= intensity.mean(axis=(1, 2), keepdims=True)
    return intensity, n_particles


def load(
    n: int = 10_000,
    *,
    size_px: int = 64,
    photons_per_pixel: float = 1.0,
    seed: int = 0,
) -> SpeckleData:
    """Simulate ``n`` speckle patterns of ``size_px`` x ``size_px`` detector pixels.

    Args:
        n: number of images (1 to 100 000).
        size_px: detector side in pixels (16 to 256).
        photons_per_pixel: mean photon count per pixel (0.01 to 100; the counts are
            stored as uint16).
        seed: seed of the random generator.
    """
    n = check_int("n", n, 1, 100_000)
    size = check_int("size_px", size_px, 16, 256)
    if n * size * size > 200_000_000:
        raise ValueError(f"n * size_px**2 must be <= 2e8, got {n * size * size}")
    photons_per_pixel = check_float("photons_per_pixel", photons_per_pixel, 0.01, 100.0)
    seed = check_seed(seed)
    # _CHUNK splits the random streams, so it is part of the cache key
    params = dict(n=n, size_px=size, photons_per_pixel=photons_per_pixel, seed=seed,
                  chunk=_CHUNK)

    def generate():
        from .. import progress

        rng = np.random.default_rng(seed)
        scale = size / 64
        radius = rng.uniform(*RADIUS_RANGE_PX, n) * scale
        density = rng.uniform(*DENSITY_RANGE, n)
        clean = np.empty((n, size, size), dtype=np.float32)
        counts = np.empty((n, size, size), dtype=np.uint16)
        n_particles = np.empty(n, dtype=np.int64)
        for lo in progress(range(0, n, _CHUNK), desc="speckle images"):
            hi = min(lo + _CHUNK, n)
            sub = np.random.default_rng([seed, lo // _CHUNK])
            image, n_particles[lo:hi] = _clean_images(sub, hi - lo, size, radius[lo:hi],
                                                      density[lo:hi])
            clean[lo:hi] = image
            photons = sub.poisson(photons_per_pixel * image)
            counts[lo:hi] = np.minimum(photons, np.iinfo(np.uint16).max)
        if counts.max() < 256:                       # store compactly, losslessly
            counts = counts.astype(np.uint8)
        return dict(clean=clean, counts=counts, particle_radius_px=radius,
                    n_particles=n_particles)

    arrays = cached("speckle", VERSION, params, generate)
    arrays["counts"] = arrays["counts"].astype(np.uint16, copy=False)
    noisy = arrays["counts"].astype(np.float32)
    noisy /= np.float32(photons_per_pixel)
    return SpeckleData(**arrays, noisy=noisy, photons_per_pixel=photons_per_pixel,
                       beam_width_px=BEAM_WIDTH_FRACTION * size,
                       beamstop_px=BEAMSTOP_PX * size / 64)
