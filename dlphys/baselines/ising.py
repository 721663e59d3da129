"""Exact results for the periodic 2D Ising model and the Bayes-optimal phase classifier.

*Kaufman's partition function.*  For the periodic :math:`L \\times L` lattice with
coupling :math:`K = J/T` (here :math:`J = k_B = 1`, so :math:`K = \\beta = 1/T`),
Kaufman (1949) found

.. math::

    Z_L = \\tfrac12 \\,(2\\sinh 2K)^{L^2/2} \\sum_{i=1}^{4} Z_i ,\\qquad
    Z_{1,2} = \\prod_{r=0}^{L-1} 2\\,{\\cosh \\atop \\sinh}
              \\big(\\tfrac L2 \\gamma_{2r+1}\\big),\\quad
    Z_{3,4} = \\prod_{r=0}^{L-1} 2\\,{\\cosh \\atop \\sinh}
              \\big(\\tfrac L2 \\gamma_{2r}\\big),

with :math:`\\cosh\\gamma_l = \\cosh 2K \\coth 2K - \\cos(\\pi l / L)` for
:math:`l \\ge 1` and :math:`\\gamma_0 = 2K + \\ln\\tanh K` (negative above
:math:`T_c`, which makes :math:`Z_4` negative there).  The products overflow
for :math:`L \\gtrsim 40`, so everything is evaluated in logarithms
(log-cosh, log-sinh and a signed log-sum-exp of the four terms).  The mean
energy :math:`U = -\\partial_\\beta \\ln Z` and the specific heat
:math:`C = \\beta^2 \\partial_\\beta^2 \\ln Z` use the analytic first and second
derivatives of each factor; the factor :math:`\\sinh(L\\gamma_0/2)`, which
vanishes at :math:`T_c`, is handled without dividing by it.  The code is checked
against brute-force enumeration (:func:`enumerate_exact`, L <= 4) and against the
published energies at :math:`T_c` (Ferdinand & Fisher 1969).

*Bayes-optimal phase classifier.*  When the label "hot" (:math:`T > T_c`)
depends only on the temperature :math:`T_i` from a grid with prior weights
:math:`\\pi_i`, the configuration energy :math:`E` is a sufficient statistic:

.. math:: P(T_i \\mid s) = \\frac{\\pi_i\\, e^{-E(s)/T_i} / Z_L(T_i)}
                               {\\sum_j \\pi_j\\, e^{-E(s)/T_j} / Z_L(T_j)} ,
          \\qquad P(\\text{hot} \\mid s) = \\sum_{T_i > T_c} P(T_i \\mid s),

(the density of states cancels).  Deciding "hot" when this exceeds 1/2 gives
the highest accuracy any classifier can reach on such data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ..data._validate import check_int
from ..data.ising import CRITICAL_TEMPERATURE, energy, magnetization

__all__ = ["CRITICAL_TEMPERATURE", "ExactIsing", "bayes_accuracy", "bayes_phase_probability",
           "enumerate_exact", "exact_energy_per_spin", "exact_specific_heat_per_spin",
           "log_partition_function"]


def _temperature_array(temperature) -> np.ndarray:
    t = np.asarray(temperature, dtype=np.float64)
    if t.size == 0 or np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"temperature must be positive and finite, got {temperature!r}")
    return t


def _scalar_or_array(x: np.ndarray):
    return float(x) if x.ndim == 0 else x


def _log_2cosh(x):
    a = np.abs(x)
    return a + np.log1p(np.exp(-2.0 * a))


def _log_2sinh(x):
    """log(2 sinh x) for x > 0."""
    return x + np.log(-np.expm1(-2.0 * x))


def _sech2(x):
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _csch2(x):
    """1 / sinh(x)^2 for x > 0."""
    e = np.exp(-2.0 * x)
    return 4.0 * e / np.expm1(-2.0 * x) ** 2


def _coth(x):
    """coth(x) for x > 0."""
    return 1.0 / np.tanh(x)


def _kaufman(L: int, temperature) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln Z_L and its first two derivatives with respect to K = 1/T (arrays like T)."""
    t = _temperature_array(temperature)
    K = (1.0 / t)[..., None]
    u = 2.0 * K
    sh = np.sinh(u)
    ch = np.cosh(u)
    n = L * L
    # gamma_l for l = 1 .. 2L-1: cosh(gamma) = 1 + eps, eps > 0 without cancellation
    theta = np.pi * np.arange(1, 2 * L) / L
    eps = (sh - 1.0) ** 2 / sh + 2.0 * np.sin(theta / 2.0) ** 2
    sinh_g = np.sqrt(eps * (2.0 + eps))
    gamma = np.log1p(eps + sinh_g)
    dc = 2.0 * ch * (sh**2 - 1.0) / sh**2           # d(cosh gamma)/dK
    d2c = 4.0 * (sh + (sh**2 + 2.0) / sh**3)        # d^2(cosh gamma)/dK^2
    dgamma = dc / sinh_g
    d2gamma = (d2c - (1.0 + eps) * dgamma**2) / sinh_g
    # gamma_0 = 2K + ln tanh K (sign changes at Tc)
    gamma0 = u[..., 0] + np.log(np.tanh(K[..., 0]))
    dgamma0 = 2.0 + 2.0 / sh[..., 0]
    d2gamma0 = -4.0 * ch[..., 0] / sh[..., 0] ** 2

    half = L / 2.0
    x, dx, d2x = half * gamma, half * dgamma, half * d2gamma         # l = 1 .. 2L-1
    x0, dx0, d2x0 = half * gamma0, half * dgamma0, half * d2gamma0   # l = 0
    odd = slice(0, None, 2)     # l = 1, 3, ..., 2L-1
    even = slice(1, None, 2)    # l = 2, 4, ..., 2L-2

    def cosh_product(x, dx, d2x):
        th = np.tanh(x)
        return (_log_2cosh(x).sum(-1), (th * dx).sum(-1),
                (_sech2(x) * dx**2 + th * d2x).sum(-1))

    def sinh_product(x, dx, d2x):
        ct = _coth(x)
        return (_log_2sinh(x).sum(-1), (ct * dx).sum(-1),
                (-_csch2(x) * dx**2 + ct * d2x).sum(-1))

    terms = []  # (log scale, Z_i / scale, Z_i' / scale, Z_i'' / scale)
    for lam, s1, s2 in (cosh_product(x[..., odd], dx[..., odd], d2x[..., odd]),
                        sinh_product(x[..., odd], dx[..., odd], d2x[..., odd])):
        terms.append((lam, np.ones_like(lam), s1, s1**2 + s2))
    lam, s1, s2 = cosh_product(x[..., even], dx[..., even], d2x[..., even])
    th0 = np.tanh(x0)
    s1_0 = th0 * dx0
    s2_0 = _sech2(x0) * dx0**2 + th0 * d2x0
    lam3, s1_3, s2_3 = lam + _log_2cosh(x0), s1 + s1_0, s2 + s2_0
    terms.append((lam3, np.ones_like(lam3), s1_3, s1_3**2 + s2_3))
    # Z_4 = 2 sinh(x0) Q, scaled by 2 cosh(x0) Q: finite where sinh(x0) = 0
    lam_q, q1, q2 = sinh_product(x[..., even], dx[..., even], d2x[..., even])
    terms.append((lam_q + _log_2cosh(x0), th0, dx0 + th0 * q1,
                  th0 * dx0**2 + d2x0 + 2.0 * dx0 * q1 + th0 * (q1**2 + q2)))

    lams = np.stack([term[0] for term in terms])
    top = lams.max(axis=0)
    w = np.exp(lams - top)
    z0 = sum(wi * term[1] for wi, term in zip(w, terms, strict=True))
    z1 = sum(wi * term[2] for wi, term in zip(w, terms, strict=True))
    z2 = sum(wi * term[3] for wi, term in zip(w, terms, strict=True))
    sh, ch = sh[..., 0], ch[..., 0]
    log_z = -np.log(2.0) + 0.5 * n * np.log(2.0 * sh) + top + np.log(z0)
    d_log_z = n * ch / sh + z1 / z0
    d2_log_z = -2.0 * n / sh**2 + z2 / z0 - (z1 / z0) ** 2
    return log_z, d_log_z, d2_log_z


def log_partition_function(L: int, temperature):
    """Exact :math:`\\ln Z_L(T)` of the periodic L x L lattice (Kaufman 1949).

    ``temperature`` in units of J/k_B, scalar or array; stable for L up to a few hundred.
    """
    L = check_int("L", L, 2, 1024)
    return _scalar_or_array(_kaufman(L, temperature)[0])


def exact_energy_per_spin(L: int, temperature):
    """Exact mean energy per spin :math:`-\\partial_\\beta \\ln Z_L / L^2` (units of J)."""
    L = check_int("L", L, 2, 1024)
    return _scalar_or_array(-_kaufman(L, temperature)[1] / L**2)


def exact_specific_heat_per_spin(L: int, temperature):
    """Exact specific heat per spin :math:`\\beta^2 \\partial_\\beta^2 \\ln Z_L / L^2` (k_B)."""
    L = check_int("L", L, 2, 1024)
    t = _temperature_array(temperature)
    return _scalar_or_array(_kaufman(L, t)[2] / t**2 / L**2)


@dataclass(frozen=True)
class ExactIsing:
    """Exact thermodynamics by enumeration of all :math:`2^{L^2}` states.

    Arrays have the shape of the requested temperatures (floats for a scalar).

    Attributes:
        L: linear lattice size.
        temperature: temperatures in units of J/k_B.
        log_partition_function: :math:`\\ln Z_L`.
        energy_per_spin: :math:`\\langle E \\rangle / L^2` in units of J.
        specific_heat_per_spin: :math:`(\\langle E^2\\rangle - \\langle E\\rangle^2) / (T^2 L^2)`.
        abs_magnetization: :math:`\\langle |m| \\rangle`, m the mean spin.
        magnetization_squared: :math:`\\langle m^2 \\rangle`.
    """

    L: int
    temperature: np.ndarray | float
    log_partition_function: np.ndarray | float
    energy_per_spin: np.ndarray | float
    specific_heat_per_spin: np.ndarray | float
    abs_magnetization: np.ndarray | float
    magnetization_squared: np.ndarray | float


def all_configurations(L: int) -> np.ndarray:
    """Every configuration of an L x L lattice (L <= 4), int8 of shape ``(2**(L*L), L, L)``."""
    L = check_int("L", L, 1, 4)
    bits = np.arange(L * L, dtype=np.int64)
    states = (np.arange(2 ** (L * L), dtype=np.int64)[:, None] >> bits) & 1
    return (2 * states - 1).astype(np.int8).reshape(-1, L, L)


def enumerate_exact(L: int, temperature) -> ExactIsing:
    """Exact ln Z, energy, specific heat and magnetisation by enumeration (L = 2, 3, 4)."""
    L = check_int("L", L, 2, 4)
    t = _temperature_array(temperature)
    states = all_configurations(L)
    e = energy(states)
    m = magnetization(states)
    levels, index = np.unique(e, return_inverse=True)
    log_g = np.log(np.bincount(index))
    abs_m = np.bincount(index, np.abs(m)) / np.bincount(index)
    m2 = np.bincount(index, m**2) / np.bincount(index)
    log_w = log_g - levels / t[..., None]
    log_z = logsumexp(log_w, axis=-1)
    p = np.exp(log_w - log_z[..., None])
    mean_e = p @ levels
    var_e = np.sum(p * (levels - mean_e[..., None]) ** 2, axis=-1)
    n = L * L
    return ExactIsing(L=L, temperature=_scalar_or_array(t),
                      log_partition_function=_scalar_or_array(log_z),
                      energy_per_spin=_scalar_or_array(mean_e / n),
                      specific_heat_per_spin=_scalar_or_array(var_e / t**2 / n),
                      abs_magnetization=_scalar_or_array(p @ abs_m),
                      magnetization_squared=_scalar_or_array(p @ m2))


# ------------------------------------------------------------------ Bayes classifier


def bayes_phase_probability(energy, L: int, temperatures, priors=None) -> np.ndarray:
    """Posterior probability of the hot (disordered, :math:`T > T_c`) phase given the energy.

    Args:
        energy: total configuration energies :math:`E = -\\sum s_i s_j` (units of J),
            any shape.
        L: linear lattice size of the configurations.
        temperatures: the temperatures the data can come from (units of J/k_B); may
            repeat (e.g. the per-sample training labels): repeated values add up
            their prior weight.
        priors: prior weight of each entry of ``temperatures`` (non-negative,
            normalised here); default 1 each, i.e. the frequencies of the values.

    Returns:
        :math:`P(\\text{hot} \\mid E)`, float64, same shape as ``energy``.
    """
    L = check_int("L", L, 2, 1024)
    t = _temperature_array(temperatures).ravel()
    w = np.ones_like(t) if priors is None else np.asarray(priors, dtype=np.float64).ravel()
    if w.shape != t.shape or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("priors must be non-negative, finite, not all zero, "
                         "one per temperature")
    grid, inverse = np.unique(t, return_inverse=True)
    weight = np.bincount(inverse, w, minlength=len(grid))
    keep = weight > 0
    grid, weight = grid[keep], weight[keep]
    e = np.asarray(energy, dtype=np.float64)
    log_post = np.log(weight) - np.asarray(log_partition_function(L, grid)) \
        - e[..., None] / grid
    hot = grid > CRITICAL_TEMPERATURE
    if not hot.any():
        return np.zeros(e.shape)
    if hot.all():
        return np.ones(e.shape)
    log_p_hot = logsumexp(log_post[..., hot], axis=-1) - logsumexp(log_post, axis=-1)
    return np.exp(log_p_hot)


def bayes_accuracy(spins, temperature, grid_temperatures=None) -> float:
    """Accuracy of the Bayes-optimal hot/cold decision on a labelled test set.

    The label of a configuration is ``temperature > CRITICAL_TEMPERATURE``; the
    decision is :math:`P(\\text{hot} \\mid E) > 1/2` from
    :func:`bayes_phase_probability` with the temperatures ``grid_temperatures``
    (default: ``temperature`` itself, so the priors are the label frequencies of
    the test set).  No classifier can beat this accuracy on average.

    Args:
        spins: configurations, +1/-1, shape ``(n, L, L)``.
        temperature: the temperature of each configuration, shape ``(n,)``.
        grid_temperatures: the training grid (with repeats, giving the priors).
    """
    spins = np.asarray(spins)
    t = _temperature_array(temperature).ravel()
    if spins.ndim != 3 or spins.shape[1] != spins.shape[2] or len(spins) != len(t):
        raise ValueError(f"spins must have shape (n, L, L) with n = len(temperature), "
                         f"got {spins.shape} and {t.shape}")
    grid = t if grid_temperatures is None else grid_temperatures
    p_hot = bayes_phase_probability(energy(spins), spins.shape[-1], grid)
    return float(np.mean((p_hot > 0.5) == (t > CRITICAL_TEMPERATURE)))
