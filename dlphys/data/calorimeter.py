"""Electron and charged-pion showers in a lead/liquid-argon sampling calorimeter.

The detector is a stack of 2 mm lead plates and 3 mm liquid-argon gaps (40 % lead
by volume), 25 radiation lengths deep (about one nuclear interaction length),
read out in 4 longitudinal layers of a 16 x 16 grid of 16 mm cells (about half a
Moliere radius).  Every image is the *visible* energy (GeV) collected in the
argon of each cell, channels last: ``(16, 16, 4)`` = (x, y, layer).

Electromagnetic showers (Longo-Sestili, PDG review; Grindhammer-Peters):

.. math:: \\frac{dE}{dt} = E\\,\\frac{b\\,(bt)^{a-1} e^{-bt}}{\\Gamma(a)}, \\quad
          t_{max} = \\frac{a-1}{b} = \\ln\\frac{E}{E_c} - 0.5 \\ (\\text{electrons}),
          \\ +0.5 \\ (\\text{photons}),\\ b = 0.5,

so the mean depth :math:`\\langle t\\rangle = a/b = t_{max} + 2` grows by one
radiation length per e-fold of energy.  Shower-to-shower fluctuations of
:math:`\\ln t_{max}` and :math:`\\ln a` (correlated Gaussians) follow the
Grindhammer-Peters widths.  The radial profile of each layer is the
Grindhammer-Peters two-component form
:math:`f(r) = p\\,\\frac{2rR_C^2}{(r^2+R_C^2)^2} + (1-p)\\frac{2rR_T^2}{(r^2+R_T^2)^2}`
(narrow core, wide tail, radii in Moliere radii growing with depth), integrated
exactly over radial rings and distributed over the cells.

Sampling fluctuations: the visible energy of each cell is a Poisson number of
quanta of :math:`q = a_{samp}^2` (EM scale), so the total has
:math:`\\sigma/E = a_{samp}/\\sqrt{E}` with the Wigmans estimate
:math:`a_{samp} = 2.7\\%\\sqrt{d/f_{mip}}` (d the argon gap in mm).  Electronic
noise (Gaussian per cell) is added and cells below three noise sigmas are set to
zero (zero suppression), so images are non-negative.

Charged pions (10-100 GeV) interact at a depth drawn from an exponential law with
the nuclear interaction length :math:`\\lambda_I` (25.5 X0 here), so about 37 %
traverse the whole stack as minimum-ionising particles.  After the interaction a
fluctuating fraction :math:`f_{em}` (Beta distributed around Groom's mean
:math:`1-(E/E_0)^{m-1}`) goes into a few pi0 photon sub-showers (leading one at
the vertex, the others spread along the hadronic cascade and displaced
laterally by their transverse momentum), and the rest into a hadronic component
that develops on the :math:`\\lambda_I` scale
(mean depth :math:`0.2\\ln(E/\\text{GeV}) + 0.7` interaction lengths after the
vertex, the PDG expression for the shower maximum), is wide
laterally and seen with :math:`h/e = 1/1.6` (non-compensation) and a fluctuating
invisible-energy loss.  Pions are therefore deeper, wider, clumpier and leak;
their visible energy is lower and fluctuates more.

Energies are log-uniform in ``energy_range_gev``; showers enter at normal
incidence at a random point within +-8 mm of the grid centre (on a 2 mm grid).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import gammainc
from threadpoolctl import threadpool_limits

from ._cache import cached
from ._validate import check_choice, check_float, check_int, check_range, check_seed

VERSION = 1

# --- materials (PDG atomic and nuclear properties tables) --------------------
LEAD_MM = 2.0
ARGON_MM = 3.0
#: pure lead: radiation length, Moliere radius, critical energy (e-), nuclear
#: interaction length, minimum ionisation dE/dx
_PB = dict(x0_mm=5.612, rm_mm=16.02, ec_gev=7.43e-3, lambda_mm=175.9, dedx_mev_per_mm=1.273,
           density=11.35, z=82)
#: liquid argon
_LAR = dict(x0_mm=140.0, rm_mm=90.43, ec_gev=32.84e-3, lambda_mm=857.7, dedx_mev_per_mm=0.2121,
            density=1.396, z=18)
_V_PB = LEAD_MM / (LEAD_MM + ARGON_MM)
_V_AR = 1.0 - _V_PB

#: radiation length of the stack (mm), 1/X0 = sum_j v_j / X0_j
X0_MM = 1.0 / (_V_PB / _PB["x0_mm"] + _V_AR / _LAR["x0_mm"])
#: Moliere radius of the stack (mm), 1/R_M = sum_j v_j / R_M,j
MOLIERE_RADIUS_MM = 1.0 / (_V_PB / _PB["rm_mm"] + _V_AR / _LAR["rm_mm"])
#: critical energy of the stack (GeV), E_c = X0 sum_j v_j E_c,j / X0_j
CRITICAL_ENERGY_GEV = X0_MM * (_V_PB * _PB["ec_gev"] / _PB["x0_mm"]
                               + _V_AR * _LAR["ec_gev"] / _LAR["x0_mm"])
#: nuclear interaction length of the stack (mm)
INTERACTION_LENGTH_MM = 1.0 / (_V_PB / _PB["lambda_mm"] + _V_AR / _LAR["lambda_mm"])
INTERACTION_LENGTH_X0 = INTERACTION_LENGTH_MM / X0_MM
#: effective atomic number (mass-weighted), enters the Grindhammer-Peters radii
_W_PB = _V_PB * _PB["density"] / (_V_PB * _PB["density"] + _V_AR * _LAR["density"])
Z_EFF = _W_PB * _PB["z"] + (1 - _W_PB) * _LAR["z"]

#: fraction of a minimum-ionising particle's energy loss seen in the argon
MIP_SAMPLING_FRACTION = (ARGON_MM * _LAR["dedx_mev_per_mm"]
                         / (ARGON_MM * _LAR["dedx_mev_per_mm"] + LEAD_MM * _PB["dedx_mev_per_mm"]))
#: e/mip of lead-based sampling calorimeters (Wigmans): electrons are seen less than mips
E_OVER_MIP = 0.7
#: visible fraction of an electron shower's energy (visible = SAMPLING_FRACTION * EM scale)
SAMPLING_FRACTION = E_OVER_MIP * MIP_SAMPLING_FRACTION
#: stochastic term a of sigma/E = a/sqrt(E/GeV) (Wigmans: 2.7 % sqrt(d_mm / f_mip))
STOCHASTIC_TERM = 0.027 * np.sqrt(ARGON_MM / MIP_SAMPLING_FRACTION)
#: mip energy loss per radiation length expressed at the electromagnetic scale (GeV)
MIP_EM_SCALE_GEV_PER_X0 = (1e-3 * X0_MM * (_V_PB * _PB["dedx_mev_per_mm"]
                                           + _V_AR * _LAR["dedx_mev_per_mm"]) / E_OVER_MIP)
#: electronic noise per cell, visible GeV (about 3.6 MeV at the EM scale)
CELL_NOISE_GEV = 0.5e-3
#: zero suppression: cells below this many noise sigmas are set to zero
ZERO_SUPPRESSION_SIGMAS = 3.0

# --- hadronic showers ---------------------------------------------------------
#: e/h of the (non-compensating) lead/argon stack
E_OVER_H = 1.6
#: Groom's parametrisation of the mean EM fraction, f_em = 1 - (E/E0)^(m-1)
GROOM_E0_GEV = 1.0
GROOM_M = 0.83
#: concentration of the Beta distribution of f_em (std about 0.15)
EM_FRACTION_CONCENTRATION = 10.0
#: relative fluctuation of the invisible (nuclear binding) energy loss
INVISIBLE_FLUCTUATION = 0.15
#: mean depth (interaction lengths, from the first interaction) of the non-EM energy
#: deposits, a + b ln(E/GeV), and the shape of their Gamma profile
HADRONIC_DEPTH_OFFSET = 0.7
HADRONIC_DEPTH_PER_LN_E = 0.2
HADRONIC_PROFILE_SHAPE = 1.5
#: maximum number of pi0 photon sub-showers per pion
MAX_SUBSHOWERS = 6

# --- geometry -----------------------------------------------------------------
N_CELLS = 16
CELL_SIZE_MM = 16.0
CELL_SIZE_MOLIERE = CELL_SIZE_MM / MOLIERE_RADIUS_MM
#: longitudinal layer boundaries in radiation lengths
LAYER_EDGES_X0 = (0.0, 5.0, 10.0, 15.0, 25.0)
N_LAYERS = len(LAYER_EDGES_X0) - 1
LAYER_CENTRES_X0 = tuple(0.5 * (a + b) for a, b in zip(LAYER_EDGES_X0[:-1], LAYER_EDGES_X0[1:],
                                                       strict=True))
LAYER_EDGES_MM = tuple(X0_MM * t for t in LAYER_EDGES_X0)

# internal discretisation
_SUB = 8                                     # impact points on a 2 mm sub-grid
_SUB_MM = CELL_SIZE_MM / _SUB
_WINDOW = 23                                 # cells either side covered by the ring table
_RING_EDGES_MM = np.r_[0.0, np.geomspace(0.5, 600.0, 48)]
_N_RINGS = len(_RING_EDGES_MM) - 1
_CHUNK = 4096                                # showers per random stream

# Grindhammer-Peters homogeneous-media parameters (as tabulated in GFlash)
_GP_SIG_LNT = (-1.4, 1.26)
_GP_SIG_LNA = (-0.58, 0.86)
_GP_RHO = (0.705, -0.023)


@dataclass(frozen=True)
class CalorimeterData:
    """Calorimeter showers; ``n`` events.

    Attributes:
        energy_deposit: visible (sampled) energy per cell in GeV, float32, shape
            ``(n, 16, 16, 4)`` = (x cell, y cell, layer), channels last.  Divide by
            ``SAMPLING_FRACTION`` for the electromagnetic scale.
        energy_gev: true energy of the incident particle in GeV, shape ``(n,)``.
        is_electron: True for electrons, False for charged pions, shape ``(n,)``.
        impact_mm: true impact point (x, y) in mm relative to the grid centre,
            shape ``(n, 2)``.
        first_interaction_x0: depth of the pion's first nuclear interaction in
            radiation lengths (``inf``: no interaction inside the stack; NaN for
            electrons), shape ``(n,)``.
        em_fraction: true electromagnetic fraction of the shower energy (1 for
            electrons, 0 for non-interacting pions), shape ``(n,)``.
    """

    energy_deposit: np.ndarray
    energy_gev: np.ndarray
    is_electron: np.ndarray
    impact_mm: np.ndarray
    first_interaction_x0: np.ndarray
    em_fraction: np.ndarray

    def __len__(self) -> int:
        return len(self.energy_gev)

    @property
    def label(self) -> np.ndarray:
        """Integer class label: 1 electron, 0 pion."""
        return self.is_electron.astype(np.int64)

    cell_size_mm = CELL_SIZE_MM
    cell_size_moliere = CELL_SIZE_MOLIERE
    layer_edges_x0 = LAYER_EDGES_X0
    layer_centres_x0 = LAYER_CENTRES_X0
    sampling_fraction = SAMPLING_FRACTION


# --- the ring-to-cell table ----------------------------------------------------

@lru_cache(maxsize=1)
def _ring_table() -> np.ndarray:
    """Fraction of each radial ring falling into each cell, for every sub-cell centre.

    Shape ``(SUB, SUB, N_RINGS, 2W+1, 2W+1)``: centre at sub-position (sx, sy) of its
    cell, ring k, cell offset (dx, dy) relative to the centre's cell.  Computed by
    quadrature over radius (4 area-weighted radii per ring) and azimuth (512 angles).
    """
    n_r, n_phi = 4, 512
    r0, r1 = _RING_EDGES_MM[:-1], _RING_EDGES_MM[1:]
    q = (np.arange(n_r) + 0.5) / n_r
    radii = np.sqrt(r0[:, None] ** 2 + q[None, :] * (r1**2 - r0**2)[:, None])   # (K, n_r)
    # rotate each radius' angular grid by a golden-ratio step to avoid aliasing
    shift = (np.arange(_N_RINGS * n_r).reshape(_N_RINGS, n_r) * 0.618034) % 1.0
    phi = 2 * np.pi * (np.arange(n_phi)[None, None, :] + shift[..., None]) / n_phi
    dx = (radii[..., None] * np.cos(phi)).ravel()
    dy = (radii[..., None] * np.sin(phi)).ravel()
    ring = np.repeat(np.arange(_N_RINGS), n_r * n_phi)
    width = 2 * _WINDOW + 1
    table = np.zeros((_SUB, _SUB, _N_RINGS, width, width))
    weight = 1.0 / (n_r * n_phi)
    for sx in range(_SUB):
        cx = np.floor(((sx + 0.5) * _SUB_MM + dx) / CELL_SIZE_MM).astype(np.int64) + _WINDOW
        for sy in range(_SUB):
            cy = np.floor(((sy + 0.5) * _SUB_MM + dy) / CELL_SIZE_MM).astype(np.int64) + _WINDOW
            inside = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < width)
            index = (ring[inside] * width + cx[inside]) * width + cy[inside]
            table[sx, sy] = np.bincount(index, minlength=_N_RINGS * width * width).reshape(
                _N_RINGS, width, width) * weight
    return table


# --- shower physics ---------------------------------------------------------

def _ring_cdf(radius_mm) -> np.ndarray:
    """Fraction of a profile 2rR^2/(r^2+R^2)^2 inside each ring edge: shape (..., K+1)."""
    r2 = _RING_EDGES_MM**2
    radius2 = np.asarray(radius_mm)[..., None] ** 2
    return r2 / (r2 + radius2)


def _gamma_layers(alpha, beta, start_x0):
    """Layer fractions and energy-weighted mean depth (X0) of Gamma profiles starting at start_x0.

    Arguments broadcast to shape S; returns (fractions, mean_depth), each (*S, N_LAYERS).
    """
    edges = np.asarray(LAYER_EDGES_X0)
    x = np.clip((edges - np.asarray(start_x0)[..., None]), 0.0, None) * np.asarray(beta)[..., None]
    a = np.asarray(alpha)[..., None]
    cdf0 = gammainc(a, x)
    cdf1 = gammainc(a + 1.0, x)
    frac = np.diff(cdf0, axis=-1)
    first_moment = np.diff(cdf1, axis=-1) * (np.asarray(alpha) / np.asarray(beta))[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(frac > 1e-12, first_moment / np.maximum(frac, 1e-300),
                        0.5 * (edges[1:] + edges[:-1]) - np.asarray(start_x0)[..., None])
    return frac, mean + np.asarray(start_x0)[..., None]


def _em_longitudinal(energy_gev, rng, photon: bool):
    """Fluctuated Gamma-profile parameters (alpha, beta, t_max) of EM (sub)showers."""
    ln_y = np.log(np.maximum(energy_gev, 2 * CRITICAL_ENERGY_GEV) / CRITICAL_ENERGY_GEV)
    t_mean = np.maximum(ln_y + (0.5 if photon else -0.5), 0.3)
    a_mean = 1.0 + 0.5 * t_mean
    ln_y_fl = np.maximum(ln_y, 2.0)                   # the fluctuation widths diverge below
    sig_t = 1.0 / (_GP_SIG_LNT[0] + _GP_SIG_LNT[1] * ln_y_fl)
    sig_a = 1.0 / (_GP_SIG_LNA[0] + _GP_SIG_LNA[1] * ln_y_fl)
    rho = _GP_RHO[0] + _GP_RHO[1] * ln_y_fl
    z1 = rng.standard_normal(np.shape(energy_gev))
    z2 = rng.standard_normal(np.shape(energy_gev))
    t_max = t_mean * np.exp(sig_t * z1 - 0.5 * sig_t**2)
    alpha = a_mean * np.exp(sig_a * (rho * z1 + np.sqrt(1 - rho**2) * z2) - 0.5 * sig_a**2)
    alpha = np.maximum(alpha, 1.05)
    beta = (alpha - 1.0) / t_max
    return alpha, beta, t_max


def _gp_radii(energy_gev, tau, lateral_scale):
    """Grindhammer-Peters core radius, tail radius (mm) and core fraction at depth t/t_max."""
    ln_e = np.log(energy_gev)[..., None]
    z1 = 0.0251 + 0.00319 * ln_e
    z2 = 0.1162 - 0.000381 * Z_EFF
    r_core = z1 + z2 * tau
    k1 = 0.659 - 0.00309 * Z_EFF
    k2, k3 = 0.645, -2.59
    k4 = 0.3585 + 0.0412 * ln_e
    r_tail = k1 * (np.exp(k3 * (tau - k2)) + np.exp(k4 * (tau - k2)))
    p1 = 2.632 - 0.00094 * Z_EFF
    p2 = 0.401 + 0.00187 * Z_EFF
    p3 = 1.313 - 0.0686 * ln_e
    arg = (p2 - tau) / p3
    p_core = np.clip(p1 * np.exp(arg - np.exp(arg)), 0.0, 1.0)
    scale = MOLIERE_RADIUS_MM * np.asarray(lateral_scale)[..., None]
    return r_core * scale, r_tail * scale, p_core


def _em_rings(energy_gev, alpha, beta, t_max, start_x0, lateral_scale):
    """Ring energies (EM scale, GeV) per layer of EM (sub)showers: shape (*S, N_LAYERS, K)."""
    frac, mean_depth = _gamma_layers(alpha, beta, start_x0)
    tau = np.clip((mean_depth - np.asarray(start_x0)[..., None]) / np.asarray(t_max)[..., None],
                  0.0, 6.0)
    r_core, r_tail, p_core = _gp_radii(energy_gev, tau, lateral_scale)
    cdf = (p_core[..., None] * _ring_cdf(r_core) + (1 - p_core)[..., None] * _ring_cdf(r_tail))
    return (np.asarray(energy_gev)[..., None, None] * frac[..., None]) * np.diff(cdf, axis=-1)


def _position_index(x_mm):
    """2 mm sub-grid index of a transverse coordinate (0 mm = grid edge), clipped to the table."""
    low = -_SUB * (_WINDOW - N_CELLS + 1)
    high = _SUB * (_WINDOW + 1) - 1
    return np.clip(np.floor(np.asarray(x_mm) / _SUB_MM), low, high).astype(np.int64)


def _electron_rings(energy, rng):
    """Ring energies (EM scale, GeV) of electron showers, shape (n, N_LAYERS, K)."""
    alpha, beta, t_max = _em_longitudinal(energy, rng, photon=False)
    lateral = np.exp(0.08 * rng.standard_normal(energy.shape))
    return _em_rings(energy, alpha, beta, t_max, np.zeros_like(energy), lateral)


def _pion_records(energy, rng, x_mm, y_mm):
    """Ring energies of pion showers: axis records (MIP + hadronic) and pi0 sub-showers."""
    n = len(energy)
    t_int = rng.exponential(INTERACTION_LENGTH_X0, n)
    depth = LAYER_EDGES_X0[-1]
    interacts = t_int < depth

    # minimum-ionising track up to the interaction point, deposited on the axis
    edges = np.asarray(LAYER_EDGES_X0)
    path = np.clip(np.minimum(t_int, depth)[:, None] - edges[None, :-1], 0.0,
                   np.diff(edges)[None, :])
    axis_rings = np.zeros((n, N_LAYERS, _N_RINGS))
    axis_rings[:, :, 0] = path * MIP_EM_SCALE_GEV_PER_X0

    # electromagnetic fraction (Groom mean, Beta fluctuations)
    f_mean = 1.0 - (energy / GROOM_E0_GEV) ** (GROOM_M - 1.0)
    kappa = EM_FRACTION_CONCENTRATION
    f_em = rng.beta(f_mean * kappa, (1 - f_mean) * kappa)
    f_em = np.where(interacts, f_em, 0.0)

    # non-electromagnetic component: Gamma profile on the lambda_I scale from the
    # vertex, mean depth 0.2 ln(E/GeV) + 0.7 interaction lengths
    s_mean = HADRONIC_DEPTH_PER_LN_E * np.log(energy) + HADRONIC_DEPTH_OFFSET
    alpha_h = np.full(n, HADRONIC_PROFILE_SHAPE)
    beta_h = alpha_h / (s_mean * INTERACTION_LENGTH_X0)   # per X0
    visible_h = (1 - f_em) * energy / E_OVER_H * rng.gamma(
        1 / INVISIBLE_FLUCTUATION**2, INVISIBLE_FLUCTUATION**2, n)
    visible_h = np.where(interacts, visible_h, 0.0)
    frac_h, mean_h = _gamma_layers(alpha_h, beta_h, np.minimum(t_int, depth))
    s_layer = np.clip((mean_h - t_int[:, None]) / INTERACTION_LENGTH_X0, 0.0, None)
    radius_h = INTERACTION_LENGTH_MM * (0.06 + 0.12 * s_layer) * np.exp(
        0.15 * rng.standard_normal(n))[:, None]
    axis_rings += (visible_h[:, None] * frac_h)[..., None] * np.diff(_ring_cdf(radius_h), axis=-1)

    # pi0 photon sub-showers, produced in successive generations of the cascade:
    # slots 0-1 at the first interaction, 2-3 one interaction later, 4-5 two later;
    # each generation converts about a third of what is left into pi0s (Groom)
    n_sub = np.minimum(1 + rng.poisson(0.5 * np.log(energy)), MAX_SUBSHOWERS)
    slots = np.arange(MAX_SUBSHOWERS)[None, :]
    generation = slots // 2
    active = (slots < n_sub[:, None]) & interacts[:, None]
    share = rng.gamma(1.0, 1.0, (n, MAX_SUBSHOWERS)) * (2.0 / 3.0) ** generation * active
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-300)
    e_sub = np.maximum(share * (f_em * energy)[:, None], 1e-6)
    steps = np.cumsum(rng.exponential(INTERACTION_LENGTH_X0, (n, 2)), axis=1)
    cascade = np.concatenate([np.zeros((n, 1)), steps], axis=1)[:, generation[0]]
    conversion = rng.exponential(9.0 / 7.0, (n, MAX_SUBSHOWERS))
    offset_x0 = cascade + conversion
    start = t_int[:, None] + offset_x0
    p_t = rng.gamma(2.0, 0.175, (n, MAX_SUBSHOWERS))      # GeV, mean 0.35
    theta = np.minimum(p_t / e_sub, 0.6)
    phi = rng.uniform(0.0, 2 * np.pi, (n, MAX_SUBSHOWERS))
    lever_mm = (offset_x0 + 4.0) * X0_MM                  # to the sub-shower's core
    sub_x = x_mm[:, None] + lever_mm * theta * np.cos(phi)
    sub_y = y_mm[:, None] + lever_mm * theta * np.sin(phi)
    alpha, beta, t_max = _em_longitudinal(e_sub, rng, photon=True)
    lateral = np.exp(0.08 * rng.standard_normal((n, MAX_SUBSHOWERS)))
    sub_rings = _em_rings(e_sub, alpha, beta, t_max, start, lateral)   # (n, S, L, K)
    sub_rings *= active[:, :, None, None]
    return (axis_rings, sub_rings, _position_index(sub_x), _position_index(sub_y),
            t_int, f_em)


def _assemble(n, rows, px, py, rings):
    """Sum ring energies of records into cell images, shape (n, N_LAYERS, N_CELLS**2)."""
    images = np.zeros((n * N_LAYERS, N_CELLS * N_CELLS))
    table = _ring_table()
    pos_key = (px + 4096) * 16384 + (py + 4096)
    # merge records with the same row and position, then group by position
    key = pos_key * (n * N_LAYERS) + rows
    order = np.argsort(key, kind="stable")
    key, rows, pos_key, rings = key[order], rows[order], pos_key[order], rings[order]
    px, py = px[order], py[order]
    first = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    rings = np.add.reduceat(rings, first, axis=0)
    rows, pos_key, px, py = rows[first], pos_key[first], px[first], py[first]
    bounds = np.r_[0, np.flatnonzero(np.diff(pos_key)) + 1, len(pos_key)]
    # one BLAS thread: the sums then do not depend on the machine's thread count
    with threadpool_limits(limits=1, user_api="blas"):
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            cx, sx = divmod(int(px[lo]), _SUB)
            cy, sy = divmod(int(py[lo]), _SUB)
            ix = _WINDOW - cx
            iy = _WINDOW - cy
            window = table[sx, sy, :, ix:ix + N_CELLS, iy:iy + N_CELLS].reshape(_N_RINGS, -1)
            images[rows[lo:hi]] += rings[lo:hi] @ window
    return images.reshape(n, N_LAYERS, N_CELLS * N_CELLS)


def _simulate_chunk(energy, is_electron, rng):
    n = len(energy)
    # impact point on the 2 mm sub-grid within +-8 mm of the grid centre
    centre = N_CELLS * _SUB // 2
    px = centre - _SUB // 2 + rng.integers(0, _SUB, n)
    py = centre - _SUB // 2 + rng.integers(0, _SUB, n)
    x_mm = (px + 0.5) * _SUB_MM
    y_mm = (py + 0.5) * _SUB_MM
    layer = np.arange(N_LAYERS)
    rows_list, px_list, py_list, ring_list = [], [], [], []
    first_interaction = np.full(n, np.nan)
    em_fraction = np.ones(n)

    ele = np.flatnonzero(is_electron)
    if len(ele):
        rings = _electron_rings(energy[ele], rng)
        rows_list.append((ele[:, None] * N_LAYERS + layer).ravel())
        px_list.append(np.repeat(px[ele], N_LAYERS))
        py_list.append(np.repeat(py[ele], N_LAYERS))
        ring_list.append(rings.reshape(-1, _N_RINGS))
    pio = np.flatnonzero(~is_electron)
    if len(pio):
        axis_rings, sub_rings, sub_px, sub_py, t_int, f_em = _pion_records(
            energy[pio], rng, x_mm[pio], y_mm[pio])
        first_interaction[pio] = np.where(t_int < LAYER_EDGES_X0[-1], t_int, np.inf)
        em_fraction[pio] = f_em
        rows_list.append((pio[:, None] * N_LAYERS + layer).ravel())
        px_list.append(np.repeat(px[pio], N_LAYERS))
        py_list.append(np.repeat(py[pio], N_LAYERS))
        ring_list.append(axis_rings.reshape(-1, _N_RINGS))
        rows = np.broadcast_to(pio[:, None, None] * N_LAYERS + layer, sub_rings.shape[:3])
        keep = sub_rings.sum(axis=-1) > 1e-7
        rows_list.append(rows[keep])
        px_list.append(np.broadcast_to(sub_px[:, :, None], keep.shape)[keep])
        py_list.append(np.broadcast_to(sub_py[:, :, None], keep.shape)[keep])
        ring_list.append(sub_rings[keep])
    mean_em = _assemble(n, np.concatenate(rows_list), np.concatenate(px_list),
                        np.concatenate(py_list), np.concatenate(ring_list))

    # sampling fluctuations: Poisson number of quanta q = a^2 (EM scale)
    quantum = STOCHASTIC_TERM**2
    expected = mean_em.ravel() / quantum
    counts = np.zeros(expected.shape)
    live = expected > 1e-4
    counts[live] = rng.poisson(expected[live])
    visible = counts.reshape(mean_em.shape) * (quantum * SAMPLING_FRACTION)
    visible += rng.normal(0.0, CELL_NOISE_GEV, visible.shape)
    visible[visible < ZERO_SUPPRESSION_SIGMAS * CELL_NOISE_GEV] = 0.0
    images = visible.reshape(n, N_LAYERS, N_CELLS, N_CELLS).transpose(0, 2, 3, 1)
    impact = np.stack([x_mm, y_mm], axis=1) - 0.5 * N_CELLS * CELL_SIZE_MM
    return dict(energy_deposit=images.astype(np.float32), impact_mm=impact,
                first_interaction_x0=first_interaction, em_fraction=em_fraction)


def _simulate(energy, is_electron, seed, progress_desc=None):
    """All showers, in fixed chunks with independent random streams."""
    from .. import progress

    n = len(energy)
    parts = []
    starts = range(0, n, _CHUNK)
    if progress_desc:
        starts = progress(starts, total=(n + _CHUNK - 1) // _CHUNK, desc=progress_desc)
    for i, lo in enumerate(starts):
        rng = np.random.default_rng([seed, 1, i])
        parts.append(_simulate_chunk(energy[lo:lo + _CHUNK], is_electron[lo:lo + _CHUNK], rng))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _check_particle(particle, n):
    if isinstance(particle, str):
        check_choice("particle", particle, ("electron", "pion"))
        return np.full(n, particle == "electron")
    is_electron = np.asarray(particle)
    if is_electron.dtype != bool or is_electron.shape != (n,):
        raise ValueError("particle must be 'electron', 'pion' or a boolean array "
                         f"(True = electron) of shape ({n},)")
    return is_electron


def simulate(energy_gev, particle="electron", seed: int = 0) -> np.ndarray:
    """Showers for given energies (conditional generation), not cached.

    Args:
        energy_gev: 1-D array of true energies in GeV (each in [1, 500]).
        particle: ``"electron"``, ``"pion"``, or a boolean array (True = electron)
            with the length of ``energy_gev``.
        seed: seed of the random generator.

    Returns:
        Visible energy per cell in GeV, float32, shape ``(n, 16, 16, 4)``.
    """
    energy = np.asarray(energy_gev, dtype=float)
    if energy.ndim != 1 or len(energy) == 0:
        raise ValueError(f"energy_gev must be a non-empty 1-D array, got shape {energy.shape}")
    if not np.all(np.isfinite(energy)) or energy.min() < 1.0 or energy.max() > 500.0:
        raise ValueError("energy_gev must be finite and in [1, 500] GeV")
    check_int("len(energy_gev)", len(energy), 1, 2_000_000)
    is_electron = _check_particle(particle, len(energy))
    seed = check_seed(seed)
    return _simulate(energy, is_electron, seed)["energy_deposit"]


def time_per_shower(n: int = 2000, particle: str = "electron", energy_gev: float = 50.0,
                    seed: int = 0) -> float:
    """Wall-clock seconds per shower of :func:`simulate` (the ring table is built first)."""
    n = check_int("n", n, 1, 1_000_000)
    check_choice("particle", particle, ("electron", "pion"))
    energy_gev = check_float("energy_gev", energy_gev, 1.0, 500.0)
    _ring_table()
    start = time.perf_counter()
    simulate(np.full(n, energy_gev), particle, seed)
    return (time.perf_counter() - start) / n


def load(
    n: int = 50_000,
    *,
    particle: str = "both",
    energy_range_gev: tuple[float, float] = (10.0, 100.0),
    seed: int = 0,
) -> CalorimeterData:
    """Simulate ``n`` showers with energies log-uniform in ``energy_range_gev``.

    Args:
        n: number of showers (1 to 1 million).
        particle: ``"both"`` (each shower an electron or a pion with probability
            1/2), ``"electron"`` or ``"pion"``.
        energy_range_gev: (low, high) true energy in GeV, within [1, 500].
        seed: seed of the random generator.
    """
    n = check_int("n", n, 1, 1_000_000)
    particle = check_choice("particle", particle, ("both", "electron", "pion"))
    low, high = check_range("energy_range_gev", energy_range_gev, 1.0, 500.0)
    seed = check_seed(seed)
    params = dict(n=n, particle=particle, energy_range_gev=(low, high), seed=seed,
                  chunk=_CHUNK)  # _CHUNK splits the random streams: part of the key

    def generate():
        rng = np.random.default_rng([seed, 0])
        energy = np.exp(rng.uniform(np.log(low), np.log(high), n))
        if particle == "both":
            is_electron = rng.random(n) < 0.5
        else:
            is_electron = np.full(n, particle == "electron")
        arrays = _simulate(energy, is_electron, seed, progress_desc="calorimeter showers")
        return dict(energy_gev=energy, is_electron=is_electron, **arrays)

    return CalorimeterData(**cached("calorimeter", VERSION, params, generate))


# --- observables ----------------------------------------------------------------

def _images(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (n, H, W, layers), got {x.shape}")
    return x


def total_energy(x) -> np.ndarray:
    """Total visible energy per shower in GeV, shape (n,)."""
    return _images(x).sum(axis=(1, 2, 3))


def layer_energies(x) -> np.ndarray:
    """Visible energy per layer in GeV, shape (n, layers)."""
    return _images(x).sum(axis=(1, 2))


def shower_depth(x) -> np.ndarray:
    """Energy-weighted mean depth in radiation lengths (layer centres), shape (n,); NaN if empty."""
    e = layer_energies(x)
    centres = np.asarray(LAYER_CENTRES_X0)[: e.shape[1]]
    total = e.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, e @ centres / total, np.nan)


def lateral_width(x) -> np.ndarray:
    """Energy-weighted RMS transverse distance (mm) of the cells from the shower centroid.

    All layers are summed first; NaN for an empty image.
    """
    img = _images(x).sum(axis=3)
    n, h, w = img.shape
    xc = (np.arange(h) + 0.5) * CELL_SIZE_MM
    yc = (np.arange(w) + 0.5) * CELL_SIZE_MM
    total = img.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        px = img.sum(axis=2) / total[:, None]
        py = img.sum(axis=1) / total[:, None]
        mx = px @ xc
        my = py @ yc
        var = px @ xc**2 - mx**2 + py @ yc**2 - my**2
        return np.where(total > 0, np.sqrt(np.maximum(var, 0.0)), np.nan)


def layer_correlations(x) -> np.ndarray:
    """Pearson correlation matrix of the layer energies across showers, (layers, layers)."""
    return np.corrcoef(layer_energies(x), rowvar=False)
