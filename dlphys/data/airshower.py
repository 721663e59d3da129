"""Cosmic-ray air showers seen by a ground array of water-Cherenkov stations.

A toy version of the Pierre Auger surface detector, following the set-up of the
deep-learning study of Erdmann, Glombitza and Walz (Astropart. Phys. 97 (2018) 46):
a square grid of 9 x 9 stations with 1500 m spacing on flat ground at 1400 m
altitude (vertical atmospheric depth :math:`X_g = 880` g/cm^2).  Every station
records a signal in VEM (vertical-equivalent muons) and the arrival time of the
shower front.

**Primaries.**  :math:`\\lg(E/\\text{eV})` uniform in [18.5, 20]; zenith angles
with density :math:`\\propto \\sin\\theta\\cos\\theta` (isotropic flux on a flat
detector) up to 60 deg, i.e. :math:`\\cos^2\\theta` uniform; azimuth uniform;
the core uniform in a square of +-1 spacing around the central station; the mass
number drawn with equal probabilities from ``masses`` (p, He, N, Fe by default).

**Depth of the shower maximum.**  Generalised Gumbel distribution of De Domenico
et al., JCAP 07 (2013) 050, EPOS-LHC parameters:
:math:`X_{max} = \\mu - \\sigma \\ln G`, :math:`G \\sim \\text{Gamma}(\\lambda, 1/\\lambda)`,
with :math:`\\mu, \\sigma, \\lambda` polynomials in :math:`\\ln A` and
:math:`\\lg E - 19`.  At :math:`10^{19}` eV the mean is 808 g/cm^2 (p) and 712 g/cm^2
(Fe), the spread 59 (p) and 17 g/cm^2 (Fe); the elongation rate is 55 g/cm^2
per decade.  The atmosphere is exponential above the array,
:math:`X_v(z) = X_g e^{-z/H}` with :math:`H = 8` km, flat Earth.

**Station signal.**  For a station at perpendicular distance :math:`r` from the
shower axis, the signal is the sum of an electromagnetic and a muonic part,

.. math::
    S_{em} = S_0 (1 - f_\\mu)\\, \\frac{g_{em}(\\Delta X)}{g_{em}(300)}\\,
             \\ell(r; \\beta_{em}(s)),\\qquad
    S_{\\mu} = S_0 f_\\mu\\, A^{1-\\beta_{HM}}
             \\Big(\\frac{E}{10^{19}\\,\\text{eV}}\\Big)^{\\beta_{HM}-1}
             e^{-(\\Delta X - 300)/\\lambda_\\mu}\\, \\ell(r; \\beta_\\mu),

with :math:`S_0 = 50\\ \\text{VEM}\\cdot 10^{\\lg E - 19}` (Auger's surface detector
measures about 50 VEM at 1000 m and 38 deg for 10 EeV; the toy of Erdmann et al.
used a scale of about 900 VEM, available through ``signal_scale_vem``),
:math:`f_\\mu = 0.4` the muonic fraction of a proton shower at 1000 m and
:math:`\\Delta X = 300` g/cm^2, the Heitler-Matthews muon scaling
:math:`N_\\mu \\propto A^{1-\\beta} E^{\\beta}` with :math:`\\beta_{HM} = 0.9`, and
the Auger-like lateral shape
:math:`\\ell(r;\\beta) = (r/1000)^{\\beta} ((r + 700)/1700)^{\\beta}` (r in m,
clipped below at 100 m).  :math:`\\Delta X` is the slant depth between the shower
maximum and the station, measured along the axis up to the station's shower
plane, so early (upstream) stations of inclined showers see younger showers.
The electromagnetic part follows a Gaisser-Hillas curve in :math:`\\Delta X`
(:math:`X_0 = -300`, peak at 150, :math:`\\lambda = 180` g/cm^2) and steepens
with the shower age :math:`s = 3X/(X + 2X_{max})` as
:math:`\\beta_{em} = s - 3.7`; the muonic part is flatter
(:math:`\\beta_\\mu = -1.9`) and barely attenuated (:math:`\\lambda_\\mu` = 7000
g/cm^2).  With these numbers the mean signal at 1000 m of the mass mixture falls
with zenith angle like Auger's constant-intensity-cut curve (within about 2 %), and
the shower maximum changes both the size and the shape of the footprint.

**Detector.**  The muon count (1 VEM per muon) and the electromagnetic count
(0.5 VEM per particle) are Poisson distributed, and the sum is smeared by a 5 %
Gaussian detector resolution.  A station triggers when its signal reaches 3 VEM;
untriggered stations read 0.

**Timing.**  The shower front is a sphere centred on a virtual origin on the
axis, where the slant depth is 40 % of :math:`X_{max}` (radii of curvature
about 7 to 30 km).  Each triggered station's time is smeared by a jitter
:math:`\\sigma_t^2 = (10\\ \\text{ns})^2 + [(50 + 150\\, r/1000\\,\\text{m})\\ \\text{ns}]^2
/ (1 + S/\\text{VEM})` (thicker front far from the core, better-defined start for
large signals).  Times are given in ns relative to the earliest triggered station
of the event (a real array has no absolute reference for the core time).

Used by lecture 7 (multi-task CNN for energy, direction and core); the classical
likelihood reconstruction lives in :mod:`dlphys.baselines.airshower`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._cache import cached
from ._validate import check_bool, check_float, check_int, check_range, check_seed

VERSION = 1

#: number of stations along each side of the square grid
GRID_SIZE = 9
#: distance between neighbouring stations, metres
SPACING_M = 1500.0
#: altitude of the array above sea level, metres
ALTITUDE_M = 1400.0
#: vertical atmospheric depth at the array, g/cm^2
GROUND_DEPTH_G_CM2 = 880.0
#: scale height of the exponential atmosphere above the array, metres
SCALE_HEIGHT_M = 8000.0
#: speed of light, metres per nanosecond
C_M_PER_NS = 0.299792458
#: signal at 1000 m of a 10 EeV proton shower at Delta X = 300 g/cm^2, VEM (Auger-like;
#: the toy of Erdmann et al. 2018 used about 900)
SIGNAL_SCALE_VEM = 50.0
#: muonic fraction of the signal at 1000 m for a 10 EeV proton at Delta X = 300 g/cm^2
MUON_FRACTION = 0.4
#: Heitler-Matthews exponent: N_mu proportional to A^(1 - beta) E^beta
HEITLER_MATTHEWS_BETA = 0.9
#: lateral-distribution slope of the muonic part (Auger-like form, gamma = 0)
MUON_LDF_BETA = -1.9
#: electromagnetic slope beta_em = age + this
EM_LDF_BETA_OFFSET = -3.7
#: Gaisser-Hillas shape of the electromagnetic signal in Delta X, g/cm^2: (X0, peak, lambda)
EM_ATTENUATION_G_CM2 = (-300.0, 150.0, 180.0)
#: attenuation length of the muonic signal, g/cm^2
MUON_ATTENUATION_G_CM2 = 7000.0
#: Delta X at which MUON_FRACTION and SIGNAL_SCALE_VEM are defined, g/cm^2
REFERENCE_DELTA_X_G_CM2 = 300.0
#: signal of one muon and of one electromagnetic particle, VEM
MUON_CHARGE_VEM = 1.0
EM_CHARGE_VEM = 0.5
#: relative Gaussian resolution of the station signal
DETECTOR_RESOLUTION = 0.05
#: station trigger threshold, VEM
TRIGGER_THRESHOLD_VEM = 3.0
#: smallest distance to the axis used in the lateral distribution, metres
MIN_DISTANCE_M = 100.0
#: virtual origin of the spherical front: where the slant depth is this fraction of Xmax
FRONT_ORIGIN_FRACTION = 0.4
#: timing jitter: constant term, and front thickness a + b r/1000 m, in ns
TIME_JITTER_NS = (10.0, 50.0, 150.0)
#: mass numbers with a validated Xmax parametrisation
MASS_RANGE = (1, 56)

_offsets = (np.arange(GRID_SIZE) - (GRID_SIZE - 1) / 2) * SPACING_M
#: station positions (row, column, (x, y)) in metres; origin at the central station,
#: x = east grows with the column index, y = north grows with the row index
STATION_POSITIONS_M = np.stack(np.meshgrid(_offsets, _offsets, indexing="xy"), axis=-1)
STATION_POSITIONS_M.setflags(write=False)

# De Domenico et al. (2013), EPOS-LHC: coefficients of (1, lnA, lnA^2) for each
# power of (lgE - 19) of the Gumbel location mu, scale sigma and shape lambda.
_GUMBEL_EPOS_LHC = {
    "mu": ((775.589, -7.047, -2.427), (57.589, -0.743, 0.214), (-0.820, -0.169, -0.027)),
    "sigma": ((29.403, 13.553, -3.154), (0.096, -0.961, 0.150)),
    "lambda": ((0.563, 0.711, 0.058), (0.039, 0.067, -0.004)),
}

# events per vectorised block (memory ~ 100 MB); the blocks draw from the random
# stream in turn, so the block size changes the arrays and is part of the cache key
_CHUNK = 4000


@dataclass(frozen=True)
class AirShowerData:
    """Simulated events.  ``n`` events, stations on a ``(9, 9)`` grid.

    Attributes:
        signal: ``(n, 9, 9)`` float32, station signal in VEM, 0 where not triggered.
        arrival_time: ``(n, 9, 9)`` float32, arrival time of the shower front in ns,
            relative to the earliest triggered station of the event (so >= 0),
            0 where not triggered.
        triggered: ``(n, 9, 9)`` bool, station signal >= ``TRIGGER_THRESHOLD_VEM``.
        log10_energy: ``(n,)`` float64, :math:`\\lg(E/\\text{eV})`.
        energy_eev: ``(n,)`` float64, energy in EeV (:math:`10^{18}` eV).
        axis: ``(n, 3)`` float64, unit vector pointing to where the shower comes
            from, :math:`(\\sin\\theta\\cos\\phi, \\sin\\theta\\sin\\phi, \\cos\\theta)`.
        zenith_rad: ``(n,)`` float64, zenith angle :math:`\\theta` in radians.
        azimuth_rad: ``(n,)`` float64, azimuth :math:`\\phi` in radians, in
            [0, 2 pi), counter-clockwise from the x (east) axis.
        core_m: ``(n, 2)`` float64, impact point of the axis on the ground, metres,
            in the frame of ``STATION_POSITIONS_M`` (origin at the central station).
        xmax: ``(n,)`` float64, depth of the shower maximum in g/cm^2 (slant depth).
        mass_number: ``(n,)`` int64, mass number A of the primary.
        noise_free: whether Poisson, resolution and timing fluctuations were off.
    """

    signal: np.ndarray
    arrival_time: np.ndarray
    triggered: np.ndarray
    log10_energy: np.ndarray
    energy_eev: np.ndarray
    axis: np.ndarray
    zenith_rad: np.ndarray
    azimuth_rad: np.ndarray
    core_m: np.ndarray
    xmax: np.ndarray
    mass_number: np.ndarray
    noise_free: bool = False

    def __len__(self) -> int:
        return len(self.log10_energy)

    @property
    def n_triggered(self) -> np.ndarray:
        """Number of triggered stations per event, ``(n,)``."""
        return self.triggered.reshape(len(self), -1).sum(axis=1)


def gumbel_parameters(log10_energy, mass_number):
    """Location, scale (g/cm^2) and shape of the generalised Gumbel Xmax law (EPOS-LHC)."""
    le = np.asarray(log10_energy, dtype=float) - 19.0
    ln_a = np.log(np.asarray(mass_number, dtype=float))
    basis = np.stack([np.ones_like(ln_a), ln_a, ln_a**2])

    def poly(name):
        coeff = [np.tensordot(c, basis, axes=1) for c in _GUMBEL_EPOS_LHC[name]]
        return sum(c * le**k for k, c in enumerate(coeff))

    return poly("mu"), poly("sigma"), poly("lambda")


def xmax_mean_and_spread(log10_energy, mass_number):
    """Exact mean and standard deviation (g/cm^2) of the Gumbel Xmax distribution."""
    from scipy.special import digamma, polygamma

    mu, sigma, lam = gumbel_parameters(log10_energy, mass_number)
    mean = mu + sigma * (np.log(lam) - digamma(lam))
    return mean, sigma * np.sqrt(polygamma(1, lam))


def sample_xmax(rng: np.random.Generator, log10_energy, mass_number) -> np.ndarray:
    """Random Xmax (g/cm^2) from the generalised Gumbel law of De Domenico et al. (2013)."""
    mu, sigma, lam = gumbel_parameters(log10_energy, mass_number)
    return mu - sigma * np.log(rng.gamma(lam, 1.0 / lam))


def lateral_shape(r_m, beta, gamma=0.0) -> np.ndarray:
    """Auger-like lateral shape :math:`(r/1000)^\\beta ((r+700)/1700)^{\\beta+\\gamma}`.

    Equal to 1 at 1000 m; ``r_m`` in metres, clipped below at ``MIN_DISTANCE_M``.
    """
    r = np.maximum(np.asarray(r_m, dtype=float), MIN_DISTANCE_M)
    return (r / 1000.0) ** beta * ((r + 700.0) / 1700.0) ** (beta + gamma)


def _em_attenuation(delta_x):
    """Gaisser-Hillas curve of the electromagnetic signal in Delta X (1 at the peak)."""
    x0, peak, lam = EM_ATTENUATION_G_CM2
    d = np.maximum(delta_x, x0 + 1.0)
    return np.exp((peak - x0) / lam * np.log((d - x0) / (peak - x0)) + (peak - d) / lam)


def expected_signal(r_m, delta_x, xmax, log10_energy, mass_number,
                    signal_scale_vem=SIGNAL_SCALE_VEM):
    """Mean electromagnetic and muonic signals (VEM) for stations at distance ``r_m``.

    All arguments broadcast.  ``delta_x`` is the slant depth between Xmax and the
    station (g/cm^2), ``xmax`` the depth of the maximum (for the shower age).
    Returns ``(s_em, s_mu)``.
    """
    energy_rel = 10.0 ** (np.asarray(log10_energy, dtype=float) - 19.0)
    s0 = signal_scale_vem * energy_rel
    delta_x = np.asarray(delta_x, dtype=float)
    depth = np.asarray(xmax, dtype=float) + delta_x
    age = 3.0 * depth / (depth + 2.0 * np.asarray(xmax, dtype=float))
    em = (s0 * (1.0 - MUON_FRACTION) * _em_attenuation(delta_x)
          / _em_attenuation(REFERENCE_DELTA_X_G_CM2)
          * lateral_shape(r_m, age + EM_LDF_BETA_OFFSET))
    mu = (s0 * MUON_FRACTION
          * np.asarray(mass_number, dtype=float) ** (1.0 - HEITLER_MATTHEWS_BETA)
          * energy_rel ** (HEITLER_MATTHEWS_BETA - 1.0)
          * np.exp(-(delta_x - REFERENCE_DELTA_X_G_CM2) / MUON_ATTENUATION_G_CM2)
          * lateral_shape(r_m, MUON_LDF_BETA))
    return em, mu


def time_jitter_ns(signal_vem, r_m) -> np.ndarray:
    """Standard deviation of a station's arrival time in ns (model used by the simulator)."""
    const, a, b = TIME_JITTER_NS
    thickness = a + b * np.asarray(r_m, dtype=float) / 1000.0
    return np.sqrt(const**2 + thickness**2 / (1.0 + np.maximum(signal_vem, 0.0)))


def _simulate(rng, log10_energy, zenith, azimuth, core, xmax, mass, noise_free, scale):
    """Detector response of a block of events: signals, times, trigger flags."""
    n = len(log10_energy)
    sin_t, cos_t = np.sin(zenith), np.cos(zenith)
    axis = np.stack([sin_t * np.cos(azimuth), sin_t * np.sin(azimuth), cos_t], axis=1)
    stations = STATION_POSITIONS_M.reshape(-1, 2)
    dx = stations[None, :, 0] - core[:, None, 0]  # (n, 81)
    dy = stations[None, :, 1] - core[:, None, 1]
    along = dx * axis[:, None, 0] + dy * axis[:, None, 1]  # upstream distance, m
    r = np.sqrt(np.maximum(dx**2 + dy**2 - along**2, 0.0))
    # slant depth along the axis at the station's shower plane, minus Xmax
    height = along * cos_t[:, None]
    delta_x = (GROUND_DEPTH_G_CM2 * np.exp(-height / SCALE_HEIGHT_M) / cos_t[:, None]
               - xmax[:, None])
    em, mu = expected_signal(r, delta_x, xmax[:, None], log10_energy[:, None],
                             mass[:, None], scale)
    if noise_free:
        signal = em + mu
    else:
        signal = (MUON_CHARGE_VEM * rng.poisson(mu / MUON_CHARGE_VEM)
                  + EM_CHARGE_VEM * rng.poisson(em / EM_CHARGE_VEM))
        signal = signal * (1.0 + DETECTOR_RESOLUTION * rng.standard_normal(signal.shape))
    triggered = signal >= TRIGGER_THRESHOLD_VEM

    # spherical front from the virtual origin on the axis
    origin_height = SCALE_HEIGHT_M * np.log(
        GROUND_DEPTH_G_CM2 / (FRONT_ORIGIN_FRACTION * xmax * cos_t))
    radius = origin_height / cos_t
    to_origin = np.stack([radius * axis[:, 0] + core[:, 0], radius * axis[:, 1] + core[:, 1],
                          radius * axis[:, 2]], axis=1)
    distance = np.sqrt((stations[None, :, 0] - to_origin[:, None, 0]) ** 2
                       + (stations[None, :, 1] - to_origin[:, None, 1]) ** 2
                       + to_origin[:, None, 2] ** 2)
    time = (distance - radius[:, None]) / C_M_PER_NS  # ns after the front hits the core
    if not noise_free:
        time = time + time_jitter_ns(signal, r) * rng.standard_normal(time.shape)
    first = np.min(np.where(triggered, time, np.inf), axis=1)
    first = np.where(np.isfinite(first), first, 0.0)
    time = np.where(triggered, time - first[:, None], 0.0)
    signal = np.where(triggered, signal, 0.0)
    shape = (n, GRID_SIZE, GRID_SIZE)
    return (signal.reshape(shape).astype(np.float32), time.reshape(shape).astype(np.float32),
            triggered.reshape(shape), axis)


def load(
    n: int = 100_000,
    *,
    seed: int = 0,
    log10_energy_range: tuple[float, float] = (18.5, 20.0),
    zenith_max_deg: float = 60.0,
    masses: tuple[int, ...] = (1, 4, 14, 56),
    noise_free: bool = False,
    signal_scale_vem: float = SIGNAL_SCALE_VEM,
) -> AirShowerData:
    """Simulate ``n`` air-shower events on the 9 x 9 array.

    Args:
        n: number of events (1 to 2 million).
        seed: seed of the random generator.
        log10_energy_range: :math:`\\lg(E/\\text{eV})` is uniform in this interval
            (each end in [17.5, 20.5]).
        zenith_max_deg: largest zenith angle in degrees (1 to 65); the density is
            :math:`\\propto \\sin\\theta\\cos\\theta` below it.
        masses: mass numbers of the primaries (each in [1, 56], no repeats), drawn
            with equal probabilities.
        noise_free: switch off the Poisson, detector-resolution and timing
            fluctuations (stations trigger on their mean signal); the shower-to-
            shower fluctuations of Xmax stay.  For tests of the reconstruction.
        signal_scale_vem: signal at 1000 m of a 10 EeV proton shower at
            :math:`\\Delta X` = 300 g/cm^2, in VEM (1 to 10 000; default
            ``SIGNAL_SCALE_VEM`` = 50, Auger-like).
    """
    n = check_int("n", n, 1, 2_000_000)
    seed = check_seed(seed)
    e_low, e_high = check_range("log10_energy_range", log10_energy_range, 17.5, 20.5)
    zenith_max_deg = check_float("zenith_max_deg", zenith_max_deg, 1.0, 65.0)
    try:
        masses = tuple(masses)
    except TypeError:
        raise ValueError(f"masses must be a sequence of mass numbers, got {masses!r}") from None
    if not masses:
        raise ValueError("masses must contain at least one mass number")
    masses = tuple(check_int(f"masses[{i}]", a, *MASS_RANGE) for i, a in enumerate(masses))
    if len(set(masses)) != len(masses):
        raise ValueError(f"masses must not repeat a mass number, got {masses!r}")
    noise_free = check_bool("noise_free", noise_free)
    signal_scale_vem = check_float("signal_scale_vem", signal_scale_vem, 1.0, 10_000.0)
    params = dict(n=n, seed=seed, log10_energy_range=(e_low, e_high),
                  zenith_max_deg=zenith_max_deg, masses=masses, noise_free=noise_free,
                  signal_scale_vem=signal_scale_vem, chunk=_CHUNK)  # _CHUNK: see its comment

    def generate():
        from .. import progress

        rng = np.random.default_rng(seed)
        log10_energy = rng.uniform(e_low, e_high, n)
        cos2_min = np.cos(np.radians(zenith_max_deg)) ** 2
        zenith = np.arccos(np.sqrt(rng.uniform(cos2_min, 1.0, n)))
        azimuth = rng.uniform(0.0, 2.0 * np.pi, n)
        core = rng.uniform(-SPACING_M, SPACING_M, (n, 2))
        mass = np.asarray(masses, dtype=np.int64)[rng.integers(0, len(masses), n)]
        xmax = sample_xmax(rng, log10_energy, mass)
        blocks = []
        for start in progress(range(0, n, _CHUNK), desc="air showers",
                              total=-(-n // _CHUNK)):
            sl = slice(start, start + _CHUNK)
            blocks.append(_simulate(rng, log10_energy[sl], zenith[sl], azimuth[sl],
                                    core[sl], xmax[sl], mass[sl], noise_free,
                                    signal_scale_vem))
        signal, arrival_time, triggered, axis = (np.concatenate(b) for b in zip(*blocks,
                                                                                 strict=True))
        return dict(signal=signal, arrival_time=arrival_time, triggered=triggered,
                    log10_energy=log10_energy, energy_eev=10.0 ** (log10_energy - 18.0),
                    axis=axis, zenith_rad=zenith, azimuth_rad=azimuth, core_m=core,
                    xmax=xmax, mass_number=mass)

    arrays = cached("airshower", VERSION, params, generate)
    return AirShowerData(**arrays, noise_free=noise_free)
