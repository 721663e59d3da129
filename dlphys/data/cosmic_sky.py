"""Sets of ultra-high-energy cosmic-ray arrival directions: isotropic skies and skies with sources.

Each *set* is one simulated sky map of ``n_rays`` cosmic rays above
``min_energy_eev``, a point cloud on the unit sphere with one energy per point.
Half of the sets are isotropic.  In the other half a fraction of the rays comes
from ``n_sources`` point sources (isotropic source directions), and is deflected
by the Galactic magnetic field before arrival.  A nucleus of charge :math:`Z` and
energy :math:`E` is deflected by an angle :math:`\\propto Z/E` with

* a *coherent* part of size :math:`\\theta_{coh} = C_{coh}\\,Z/E` along a fixed
  direction per source (the regular field bends all rays of a source the same
  way), so the rays of a source line up on an arc ordered by energy, the
  "multiplet" pattern of the Auger and Bister et al. analyses; and
* a *random* part, a two-dimensional Gaussian of width
  :math:`\\sigma = C_{rnd}\\,Z/E` per axis (the turbulent field), which blurs it.

Energies follow a power law :math:`dN/dE \\propto E^{-\\gamma}` between
``min_energy_eev`` and ``max_energy_eev`` (default :math:`\\gamma = 3`, 40 to
300 EeV; the upper end stands for the observed flux suppression), the same for
background and source rays, so the energy of one ray alone says nothing about its
origin.
The exposure is uniform over the whole sky (no detector exposure is modelled), and
the arrival directions are exact (no angular resolution smearing; a real
ground array measures them to about 1 degree, small against the deflections).

The default signal (4 % of the rays from 3 sources of carbon-like charge
:math:`Z = 6`, coherent deflection 18 degrees and random blur 6 degrees at 40 EeV)
is weak enough that the classical two-point statistic separates the two kinds of
sky only partly (see :mod:`dlphys.baselines.cosmic_sky`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._cache import cached
from ._validate import check_float, check_int, check_range, check_seed

VERSION = 1

#: coherent deflection per unit charge, degrees * EeV (3 degrees at 40 EeV for a proton)
COHERENT_DEG_EEV = 120.0
#: random (turbulent) deflection per unit charge and axis, degrees * EeV
RANDOM_DEG_EEV = 40.0


@dataclass(frozen=True)
class CosmicSkyData:
    """Sky maps as point clouds; ``n_sets`` sets of ``n_rays`` cosmic rays.

    Attributes:
        directions: arrival directions as unit vectors (x, y, z) in Galactic-like
            Cartesian coordinates, float32, shape ``(n_sets, n_rays, 3)``.
        energy_eev: energy of each ray in EeV (1 EeV = 1e18 eV), float32,
            shape ``(n_sets, n_rays)``.
        is_signal_set: True for skies with sources, shape ``(n_sets,)``.
        from_source: True for rays from a source, shape ``(n_sets, n_rays)``.
        source_index: index of the ray's source (0 ... n_sources-1), -1 for
            isotropic rays, int8, shape ``(n_sets, n_rays)``.
        source_directions: unit vectors of the sources, shape
            ``(n_sets, n_sources, 3)`` (NaN for isotropic sets).
        charge: charge number Z of the source nuclei (scalar).
        coherent_deflection_deg: coherent deflection at ``min_energy_eev``, degrees.
        random_deflection_deg: random deflection (per axis) at ``min_energy_eev``, degrees.
        min_energy_eev: energy threshold, EeV.
        max_energy_eev: upper end of the spectrum, EeV.
        spectral_index: gamma of dN/dE ~ E^-gamma.
    """

    directions: np.ndarray
    energy_eev: np.ndarray
    is_signal_set: np.ndarray
    from_source: np.ndarray
    source_index: np.ndarray
    source_directions: np.ndarray
    charge: int
    coherent_deflection_deg: float
    random_deflection_deg: float
    min_energy_eev: float
    max_energy_eev: float
    spectral_index: float

    def __len__(self) -> int:
        return len(self.is_signal_set)


def isotropic_directions(rng: np.random.Generator, shape) -> np.ndarray:
    """Unit vectors uniform on the sphere, shape ``(*shape, 3)``."""
    cos_theta = rng.uniform(-1.0, 1.0, shape)
    phi = rng.uniform(0.0, 2 * np.pi, shape)
    sin_theta = np.sqrt(1.0 - cos_theta**2)
    return np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1)


def power_law_energies(rng: np.random.Generator, shape, min_energy_eev: float,
                       spectral_index: float, max_energy_eev: float = np.inf) -> np.ndarray:
    """Energies in EeV from dN/dE ~ E^-gamma between the two limits (inverse CDF)."""
    u = rng.random(shape)
    g = 1.0 - spectral_index
    low, high = min_energy_eev**g, max_energy_eev**g
    return (low + u * (high - low)) ** (1.0 / g)


def energy_cdf(energy_eev, min_energy_eev: float, spectral_index: float,
               max_energy_eev: float = np.inf) -> np.ndarray:
    """Cumulative distribution of the truncated power law, P(E' <= E)."""
    g = 1.0 - spectral_index
    e = np.clip(np.asarray(energy_eev, dtype=float), min_energy_eev, max_energy_eev)
    return (e**g - min_energy_eev**g) / (max_energy_eev**g - min_energy_eev**g)


def _tangent_basis(direction):
    """Two unit vectors orthogonal to ``direction`` (..., 3) and to each other."""
    helper = np.where(np.abs(direction[..., 2:3]) < 0.9, [0.0, 0.0, 1.0], [1.0, 0.0, 0.0])
    e1 = np.cross(helper, direction)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.cross(direction, e1)
    return e1, e2


def _move(direction, tangent, angle_rad):
    """Move along the great circle from ``direction`` towards the unit ``tangent``."""
    return (np.cos(angle_rad)[..., None] * direction + np.sin(angle_rad)[..., None] * tangent)


def deflect(source, coherent_axis, energy_eev, charge, coherent_deg_eev=COHERENT_DEG_EEV,
            random_deg_eev=RANDOM_DEG_EEV, rng=None) -> np.ndarray:
    """Arrival directions of rays from ``source`` (..., 3) with energies ``energy_eev`` (...).

    The coherent deflection ``coherent_deg_eev * charge / E`` moves the ray along
    the great circle towards the unit tangent ``coherent_axis``; the random part
    (``random_deg_eev * charge / E`` per axis, Gaussian) is applied in the tangent
    plane of the coherently deflected direction.  Without ``rng`` only the coherent
    part is applied.
    """
    energy_eev = np.asarray(energy_eev, dtype=float)
    coherent = np.deg2rad(coherent_deg_eev * charge / energy_eev)
    arrival = _move(source, coherent_axis, coherent)
    if rng is not None:
        sigma = np.deg2rad(random_deg_eev * charge / energy_eev)
        step = rng.standard_normal((*energy_eev.shape, 2)) * sigma[..., None]
        e1, e2 = _tangent_basis(arrival)
        size = np.linalg.norm(step, axis=-1)
        tangent = (step[..., :1] * e1 + step[..., 1:] * e2) / np.maximum(size, 1e-300)[..., None]
        arrival = _move(arrival, tangent, size)
    return arrival / np.linalg.norm(arrival, axis=-1, keepdims=True)


def load(
    n: int = 20_000,
    *,
    n_rays: int = 500,
    signal_fraction: float = 0.04,
    n_sources: int = 3,
    charge: int = 6,
    energy_range_eev: tuple[float, float] = (40.0, 300.0),
    spectral_index: float = 3.0,
    seed: int = 0,
) -> CosmicSkyData:
    """Simulate ``n`` skies of ``n_rays`` cosmic rays; half of them with sources.

    Args:
        n: number of sky maps (2 to 1 million); the first ``n // 2`` drawn
            labels are signal, then the order is shuffled.
        n_rays: cosmic rays per sky (2 to 10 000).
        signal_fraction: expected fraction of the rays of a signal sky that come
            from the sources (0 to 1); the number per sky is binomial.
        n_sources: sources per signal sky (1 to 100); each source ray picks one at random.
        charge: charge number Z of the source nuclei (1 to 26).
        energy_range_eev: (threshold, upper end) of the spectrum in EeV; the threshold
            in [1, 1000], the upper end above it and at most 10 000, standing for the
            observed flux suppression.
        spectral_index: gamma of dN/dE ~ E^-gamma (1.5 to 6).
        seed: seed of the random generator.
    """
    n_sets = check_int("n", n, 2, 1_000_000)
    n_rays = check_int("n_rays", n_rays, 2, 10_000)
    if n_sets * n_rays > 50_000_000:
        raise ValueError(f"n * n_rays must be <= 5e7, got {n_sets * n_rays}")
    signal_fraction = check_float("signal_fraction", signal_fraction, 0.0, 1.0)
    n_sources = check_int("n_sources", n_sources, 1, 100)
    charge = check_int("charge", charge, 1, 26)
    min_energy_eev, max_energy_eev = check_range("energy_range_eev", energy_range_eev,
                                                 1.0, 10_000.0)
    if min_energy_eev > 1000.0 or max_energy_eev <= min_energy_eev:
        raise ValueError(f"energy_range_eev must have a threshold in [1, 1000] below its upper "
                         f"end, got {energy_range_eev!r}")
    spectral_index = check_float("spectral_index", spectral_index, 1.5, 6.0)
    seed = check_seed(seed)
    params = dict(n=n_sets, n_rays=n_rays, signal_fraction=signal_fraction,
                  n_sources=n_sources, charge=charge,
                  energy_range_eev=(min_energy_eev, max_energy_eev),
                  spectral_index=spectral_index, seed=seed)

    def generate():
        rng = np.random.default_rng(seed)
        is_signal = rng.permutation(np.arange(n_sets) < n_sets // 2)
        directions = isotropic_directions(rng, (n_sets, n_rays))
        energy = power_law_energies(rng, (n_sets, n_rays), min_energy_eev, spectral_index,
                                    max_energy_eev)
        source_dir = np.full((n_sets, n_sources, 3), np.nan)
        source_index = np.full((n_sets, n_rays), -1, dtype=np.int8)
        signal_sets = np.flatnonzero(is_signal)
        n_signal_sets = len(signal_sets)
        if n_signal_sets:
            source_dir[signal_sets] = isotropic_directions(rng, (n_signal_sets, n_sources))
            e1, e2 = _tangent_basis(source_dir[signal_sets])
            psi = rng.uniform(0.0, 2 * np.pi, (n_signal_sets, n_sources, 1))
            axis = np.cos(psi) * e1 + np.sin(psi) * e2            # coherent direction
            n_from_source = rng.binomial(n_rays, signal_fraction, n_signal_sets)
            # the first n_from_source rays of a signal set come from the sources
            mask = np.arange(n_rays)[None, :] < n_from_source[:, None]
            sets, rays = np.nonzero(mask)
            which = rng.integers(0, n_sources, len(sets))
            arrival = deflect(source_dir[signal_sets][sets, which],
                              axis[sets, which], energy[signal_sets][sets, rays], charge,
                              rng=rng)
            directions[signal_sets[sets], rays] = arrival
            source_index[signal_sets[sets], rays] = which
        # shuffle the rays of every set so that the position in the set means nothing
        order = np.argsort(rng.random((n_sets, n_rays)), axis=1)
        directions = np.take_along_axis(directions, order[..., None], axis=1)
        energy = np.take_along_axis(energy, order, axis=1)
        source_index = np.take_along_axis(source_index, order, axis=1)
        return dict(directions=directions.astype(np.float32),
                    energy_eev=energy.astype(np.float32),
                    is_signal_set=is_signal, source_index=source_index,
                    source_directions=source_dir)

    arrays = cached("cosmic_sky", VERSION, params, generate)
    return CosmicSkyData(**arrays, from_source=arrays["source_index"] >= 0, charge=charge,
                         coherent_deflection_deg=COHERENT_DEG_EEV * charge / min_energy_eev,
                         random_deflection_deg=RANDOM_DEG_EEV * charge / min_energy_eev,
                         min_energy_eev=min_energy_eev, max_energy_eev=max_energy_eev,
                         spectral_index=spectral_index)
