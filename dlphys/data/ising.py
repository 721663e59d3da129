"""2D Ising model: equilibrium spin configurations from Swendsen--Wang Monte Carlo.

Spins :math:`s_i = \\pm 1` sit on a periodic :math:`L \\times L` square lattice with
the nearest-neighbour energy (coupling :math:`J = 1`, Boltzmann constant
:math:`k_B = 1`, so temperatures and energies are dimensionless)

.. math:: E(s) = -\\sum_{\\langle ij \\rangle} s_i s_j ,

and configurations are drawn from the Boltzmann distribution
:math:`P(s) = e^{-E(s)/T} / Z_L(T)`.  In the infinite lattice the model orders
below Onsager's critical temperature :math:`T_c = 2/\\ln(1+\\sqrt 2) \\approx 2.269`
with the spontaneous magnetisation
:math:`m(T) = [1 - \\sinh^{-4}(2/T)]^{1/8}` (Onsager--Yang).  A finite lattice
has no sharp transition: the crossover is smeared over :math:`|T - T_c| \\sim 1/L`.

**Algorithm.**  Local Metropolis updates decorrelate in a time growing like
:math:`L^{z}` with :math:`z \\approx 2.17` at :math:`T_c` (critical slowing down).
The Swendsen--Wang cluster update has :math:`z \\lesssim 0.25`: every bond between
*equal* neighbours is activated with probability :math:`p = 1 - e^{-2/T}`, the
connected clusters of active bonds are found, and each cluster is flipped with
probability 1/2.  One such update is one *sweep*.  Many chains are updated at
once: the bond graph of all chains is a single sparse graph whose connected
components (``scipy.sparse.csgraph.connected_components``) are the clusters of
every chain.  Horizontal runs of bonded spins are merged first with a cumulative
sum, which halves the graph that the component search has to visit.

**Sampling schedule** (module constants, in sweeps; measured at :math:`T_c`):

* :data:`BURN_IN_SWEEPS` sweeps from a random (infinite-temperature) start before
  the first recorded configuration, doubled for L > 64 (see :func:`burn_in_sweeps`).
  From a random start the mean energy at :math:`T_c` approaches its equilibrium
  value with a relaxation time of about 4 sweeps at L = 32 and 6--7 at L = 64;
  after 40 sweeps the remaining bias is far below 1% of the sample-to-sample
  spread.  The tests check that the recorded mean energy agrees with the exact
  finite-lattice value within its statistical error.
* :data:`SWEEPS_BETWEEN_SAMPLES` sweeps between two recorded configurations of
  one chain.  The integrated autocorrelation time of the energy at :math:`T_c` is
  about 4 sweeps at L = 32 and 5.4 at L = 64 (2.5 at T = 2.1 or 2.4); after 8
  sweeps the energy autocorrelation is about 0.15 at :math:`T_c` and below 0.05
  away from it.
* :data:`SAMPLES_PER_CHAIN` configurations are recorded per chain; a temperature
  with ``n_per_temperature`` samples uses ``ceil(n / SAMPLES_PER_CHAIN)`` chains.
  The field ``chain`` says which chain a configuration came from, so that a
  train/validation split can keep whole chains together.

Used by the chapters on phase classification (5, 6), autoencoders (8) and
restricted Boltzmann machines (10).  Exact references (Kaufman's partition
function, exact enumeration, the Bayes-optimal phase classifier) are in
:mod:`dlphys.baselines.ising`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .. import progress
from ._cache import cached
from ._validate import check_float, check_int, check_seed

VERSION = 1

#: Onsager's critical temperature of the square lattice, 2 / ln(1 + sqrt 2) (J = k_B = 1).
CRITICAL_TEMPERATURE = 2.0 / math.log(1.0 + math.sqrt(2.0))

#: Swendsen--Wang sweeps from the random start before the first recorded sample (L <= 64).
BURN_IN_SWEEPS = 40
#: Swendsen--Wang sweeps between two recorded samples of the same chain.
SWEEPS_BETWEEN_SAMPLES = 8
#: recorded samples per Markov chain.
SAMPLES_PER_CHAIN = 10

#: default temperatures: 1.0 to 3.5, spacing 0.05 between 2.0 and 2.5 around Tc;
#: 12 below and 13 above Tc.
DEFAULT_TEMPERATURES = (1.0, 1.2, 1.4, 1.6, 1.8, 1.9, 2.0, 2.05, 2.1, 2.15, 2.2, 2.25,
                        2.3, 2.35, 2.4, 2.45, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.1, 3.25, 3.5)

# sites updated together in one sparse graph (memory about 60 bytes per site); each
# batch has its own random stream, so this is part of the cache key
_BATCH_SITES = 1 << 21
# largest data set load() generates (bytes of int8 spins)
_MAX_SPINS = 4 << 30


@dataclass(frozen=True)
class IsingData:
    """Equilibrium configurations of the periodic 2D Ising model (J = k_B = 1).

    Samples are ordered by the position of their temperature in the requested
    sequence, then by chain, then by Monte Carlo time.

    Attributes:
        spins: spin configurations, int8 values +1/-1, shape ``(n, L, L)``.
        temperature: temperature of each configuration in units of J/k_B,
            float64, shape ``(n,)``.
        chain: index of the Markov chain that produced each configuration (samples
            of one chain are correlated a little), int32, shape ``(n,)``.
        L: linear lattice size (scalar).
    """

    spins: np.ndarray
    temperature: np.ndarray
    chain: np.ndarray
    L: int

    def __len__(self) -> int:
        return len(self.temperature)

    @property
    def is_hot(self) -> np.ndarray:
        """Phase label: True above :data:`CRITICAL_TEMPERATURE` (disordered), shape ``(n,)``."""
        return self.temperature > CRITICAL_TEMPERATURE

    @property
    def energy_per_spin(self) -> np.ndarray:
        """Energy per spin of each configuration, float64, shape ``(n,)``."""
        return energy(self.spins) / self.L**2

    @property
    def magnetization(self) -> np.ndarray:
        """Mean spin of each configuration, float64, shape ``(n,)``."""
        return magnetization(self.spins)


def split_by_chain(data: IsingData, *, fractions=(0.6, 0.15), seed: int = 0):
    """Indices ``(train, validation, test)`` that keep every Markov chain in one set.

    Configurations of one chain are correlated; splitting them at random between
    the sets would let a network be tested on near-copies of its training data.
    At every temperature the chains are shuffled (generator seeded with ``seed``)
    and ``fractions[0]`` of them go to training, ``fractions[1]`` to validation,
    the rest to the test set.  Each returned array is sorted.
    """
    if not isinstance(data, IsingData):
        raise ValueError(f"data must be an IsingData from ising.load(), got {type(data).__name__}")
    train_fraction, val_fraction = (check_float(f"fractions[{i}]", f, 0.0, 1.0)
                                    for i, f in enumerate(fractions))
    if train_fraction + val_fraction > 1.0:
        raise ValueError(f"fractions must add up to at most 1, got {tuple(fractions)}")
    rng = np.random.default_rng(check_seed(seed))
    parts = ([], [], [])
    for temperature in np.unique(data.temperature):
        chains = rng.permutation(np.unique(data.chain[data.temperature == temperature]))
        n_train = round(train_fraction * len(chains))
        n_val = round(val_fraction * len(chains))
        for part, group in zip(parts, np.split(chains, [n_train, n_train + n_val]), strict=True):
            part.append(np.flatnonzero(np.isin(data.chain, group)))
    return tuple(np.unique(np.concatenate(part)).astype(np.int64) for part in parts)


def energy(spins) -> np.ndarray | float:
    """Total energy :math:`-\\sum_{\\langle ij\\rangle} s_i s_j` of periodic configurations.

    ``spins`` has shape ``(L, L)`` (returns a float) or ``(n, L, L)`` (returns a
    float64 array of shape ``(n,)``); values +1/-1.  Each nearest-neighbour pair
    is counted once (right and down neighbours with periodic wrap-around).
    """
    spins = np.asarray(spins)
    if spins.ndim not in (2, 3) or spins.shape[-1] != spins.shape[-2]:
        raise ValueError(f"spins must have shape (L, L) or (n, L, L), got {spins.shape}")
    s = spins.astype(np.int32)
    bonds = s * np.roll(s, -1, axis=-1) + s * np.roll(s, -1, axis=-2)
    total = -bonds.sum(axis=(-2, -1)).astype(np.float64)
    return float(total) if total.ndim == 0 else total


def magnetization(spins) -> np.ndarray | float:
    """Mean spin :math:`m = \\sum_i s_i / L^2` of ``(L, L)`` or ``(n, L, L)`` configurations."""
    spins = np.asarray(spins)
    if spins.ndim not in (2, 3):
        raise ValueError(f"spins must have shape (L, L) or (n, L, L), got {spins.shape}")
    m = spins.mean(axis=(-2, -1), dtype=np.float64)
    return float(m) if np.ndim(m) == 0 else m


def spontaneous_magnetization(temperature) -> np.ndarray | float:
    """Onsager--Yang spontaneous magnetisation of the infinite lattice.

    :math:`m(T) = [1 - \\sinh^{-4}(2/T)]^{1/8}` below :data:`CRITICAL_TEMPERATURE`,
    0 above it.  Accepts a scalar or an array of temperatures (J/k_B).
    """
    t = np.asarray(temperature, dtype=np.float64)
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("temperature must be positive and finite")
    with np.errstate(over="ignore"):
        x = 1.0 - np.sinh(2.0 / t) ** -4.0
    m = np.where(t < CRITICAL_TEMPERATURE, np.clip(x, 0.0, None) ** 0.125, 0.0)
    return float(m) if m.ndim == 0 else m


# ------------------------------------------------------------------ Monte Carlo


class _Lattices:
    """Neighbour tables of ``n_chains`` periodic L x L lattices, flattened site by site."""

    def __init__(self, n_chains: int, L: int):
        self.n_chains, self.L = n_chains, L
        n_sites = n_chains * L * L
        site = np.arange(n_sites, dtype=np.int32).reshape(n_chains, L, L)
        # for site k: [right neighbour, down neighbour], interleaved
        self.neighbours = np.stack([np.roll(site, -1, axis=2).ravel(),
                                    np.roll(site, -1, axis=1).ravel()], axis=1).ravel()
        column = np.broadcast_to(np.arange(L), (n_chains, L, L)).ravel()
        self.first_column = column == 0
        self.last_column = column == L - 1

    def sweep(self, spins: np.ndarray, threshold: np.ndarray, rng: np.random.Generator) -> None:
        """One Swendsen--Wang update of every chain, in place.

        ``spins`` is int8 of shape ``(n_chains, L, L)``; ``threshold`` (uint32, one
        per chain) is the bond probability times 2**32, compared with uniform
        32-bit random integers.
        """
        n_sites = spins.size
        u = rng.integers(0, 2**32, size=(2, *spins.shape), dtype=np.uint32)
        th = threshold[:, None, None]
        right = ((spins == np.roll(spins, -1, axis=2)) & (u[0] < th)).ravel()
        down = ((spins == np.roll(spins, -1, axis=1)) & (u[1] < th)).ravel()
        # merge horizontal runs of bonded spins (not across the periodic seam)
        start = np.empty(n_sites, dtype=bool)
        start[0] = True
        np.logical_not(right[:-1], out=start[1:])
        start |= self.first_column
        run = np.cumsum(start, dtype=np.int32)
        run -= 1
        n_runs = int(run[-1]) + 1
        # remaining bonds (seam and vertical) connect runs; rows sorted by site => by run
        edge = np.flatnonzero(np.stack([right & self.last_column, down], axis=1).ravel())
        target = run[self.neighbours[edge]]
        indptr = np.zeros(n_runs + 1, dtype=np.int32)
        np.cumsum(np.bincount(run[edge >> 1], minlength=n_runs), out=indptr[1:])
        graph = sp.csr_matrix((np.ones(len(target)), target, indptr), shape=(n_runs, n_runs))
        n_clusters, cluster = connected_components(graph, directed=False)
        sign = np.where(rng.integers(0, 2, size=n_clusters, dtype=np.int8) == 1,
                        np.int8(-1), np.int8(1))
        spins *= sign[cluster[run]].reshape(spins.shape)


def bond_probability(temperature) -> np.ndarray:
    """Swendsen--Wang bond probability :math:`1 - e^{-2J/T}` between equal neighbours."""
    return -np.expm1(-2.0 / np.asarray(temperature, dtype=np.float64))


def _threshold(temperature) -> np.ndarray:
    """Bond probability as a threshold for uniform 32-bit integers (resolution 2**-32)."""
    scaled = np.round(bond_probability(temperature) * 2.0**32)
    return np.clip(scaled, 0, 2**32 - 1).astype(np.uint32)


def swendsen_wang(spins, temperature, n_sweeps: int, rng: np.random.Generator,
                  record_every: int | None = None) -> np.ndarray:
    """Run ``n_sweeps`` Swendsen--Wang updates of a batch of chains.

    Args:
        spins: initial configurations, +1/-1, shape ``(n_chains, L, L)``; not modified.
        temperature: temperature of each chain (scalar or shape ``(n_chains,)``).
        n_sweeps: number of cluster updates.
        rng: NumPy random generator.
        record_every: if given, return the configurations after every
            ``record_every``-th sweep, shape ``(n_sweeps // record_every, n_chains, L, L)``;
            otherwise return the final configurations, shape ``(n_chains, L, L)``.
    """
    spins = np.array(spins, dtype=np.int8)
    if spins.ndim != 3 or spins.shape[1] != spins.shape[2] or spins.shape[1] < 2:
        raise ValueError(f"spins must have shape (n_chains, L, L), L >= 2, got {spins.shape}")
    if not np.all(np.abs(spins) == 1):
        raise ValueError("spins must be +1 or -1")
    n_sweeps = check_int("n_sweeps", n_sweeps, 0)
    if record_every is not None:
        record_every = check_int("record_every", record_every, 1)
    n_chains, L = spins.shape[0], spins.shape[1]
    temperature = np.broadcast_to(np.asarray(temperature, dtype=np.float64), (n_chains,))
    threshold = _threshold(temperature)
    lattices = _Lattices(n_chains, L)
    records = []
    for step in range(1, n_sweeps + 1):
        lattices.sweep(spins, threshold, rng)
        if record_every and step % record_every == 0:
            records.append(spins.copy())
    if record_every:
        return np.stack(records) if records else np.empty((0, *spins.shape), np.int8)
    return spins


def burn_in_sweeps(L: int) -> int:
    """Burn-in used for lattice size ``L``: :data:`BURN_IN_SWEEPS` per started 64 sites of L."""
    return BURN_IN_SWEEPS * -(-L // 64)


def _simulate(L: int, temperatures: tuple[float, ...], n_per_temperature: int,
              seed: int) -> dict[str, np.ndarray]:
    n_temps = len(temperatures)
    chains_per_temperature = -(-n_per_temperature // SAMPLES_PER_CHAIN)
    chain_temperature = np.repeat(np.asarray(temperatures, dtype=np.float64),
                                  chains_per_temperature)
    n_chains = len(chain_temperature)
    batch = max(1, _BATCH_SITES // (L * L))
    starts = range(0, n_chains, batch)
    generators = [np.random.default_rng(s)
                  for s in np.random.SeedSequence(seed).spawn(len(starts))]
    samples = np.empty((n_chains, SAMPLES_PER_CHAIN, L, L), dtype=np.int8)
    burn_in = burn_in_sweeps(L)
    n_sweeps = burn_in + (SAMPLES_PER_CHAIN - 1) * SWEEPS_BETWEEN_SAMPLES
    with progress(total=n_chains * n_sweeps, desc="Ising Swendsen-Wang") as bar:
        for first, rng in zip(starts, generators, strict=True):
            last = min(first + batch, n_chains)
            spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(last - first, L, L))
            threshold = _threshold(chain_temperature[first:last])
            lattices = _Lattices(last - first, L)
            for step in range(1, n_sweeps + 1):
                lattices.sweep(spins, threshold, rng)
                done = step - burn_in
                if done >= 0 and done % SWEEPS_BETWEEN_SAMPLES == 0:
                    samples[first:last, done // SWEEPS_BETWEEN_SAMPLES] = spins
                bar.update(last - first)
    samples = samples.reshape(n_temps, chains_per_temperature * SAMPLES_PER_CHAIN, L, L)
    chain = np.repeat(np.arange(n_chains, dtype=np.int32), SAMPLES_PER_CHAIN)
    chain = chain.reshape(n_temps, -1)[:, :n_per_temperature].ravel()
    return dict(spins=samples[:, :n_per_temperature].reshape(-1, L, L),
                temperature=np.repeat(np.asarray(temperatures, dtype=np.float64),
                                      n_per_temperature),
                chain=chain)


def _check_temperatures(temperatures) -> tuple[float, ...]:
    if isinstance(temperatures, (str, bytes)) or isinstance(temperatures, numbers.Number):
        raise ValueError(f"temperatures must be a sequence of numbers, got {temperatures!r}")
    if isinstance(temperatures, np.ndarray) and temperatures.ndim != 1:
        raise ValueError(f"temperatures must be one-dimensional, got shape {temperatures.shape}")
    try:
        values = list(temperatures)
    except TypeError:
        raise ValueError(f"temperatures must be a sequence of numbers, "
                         f"got {temperatures!r}") from None
    if not 1 <= len(values) <= 1000:
        raise ValueError(f"temperatures must hold 1 to 1000 values, got {len(values)}")
    return tuple(check_float(f"temperatures[{i}]", t, 0.1, 100.0) for i, t in enumerate(values))


def load(
    n_per_temperature: int = 800,
    *,
    L: int = 32,
    temperatures=DEFAULT_TEMPERATURES,
    seed: int = 0,
) -> IsingData:
    """Equilibrium Ising configurations at each of ``temperatures``.

    The default, 25 temperatures x 800 = 20 000 configurations of a 32 x 32
    lattice, is the data set of the phase-classification chapter.

    Args:
        n_per_temperature: configurations per temperature (1 to 1 000 000).
        L: linear lattice size in lattice spacings (2 to 128).
        temperatures: sequence of temperatures in units of J/k_B, each in [0.1, 100].
        seed: seed of the random generator.
    """
    L = check_int("L", L, 2, 128)
    temperatures = _check_temperatures(temperatures)
    n_per_temperature = check_int("n_per_temperature", n_per_temperature, 1, 1_000_000)
    seed = check_seed(seed)
    n_spins = len(temperatures) * n_per_temperature * L * L
    if n_spins > _MAX_SPINS:
        raise ValueError(f"n_per_temperature: {len(temperatures)} temperatures x "
                         f"{n_per_temperature} configurations of {L} x {L} spins exceed the "
                         f"limit of {_MAX_SPINS:.1e} spins (int8 bytes)")
    params = dict(L=L, temperatures=temperatures, n_per_temperature=n_per_temperature,
                  seed=seed, burn_in=burn_in_sweeps(L), spacing=SWEEPS_BETWEEN_SAMPLES,
                  samples_per_chain=SAMPLES_PER_CHAIN, batch_sites=_BATCH_SITES)
    arrays = cached("ising", VERSION, params,
                    lambda: _simulate(L, temperatures, n_per_temperature, seed))
    return IsingData(**arrays, L=L)
