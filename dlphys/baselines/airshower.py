"""Classical reconstruction of air showers on the 9 x 9 array: the reference for lecture 7.

What a surface-detector collaboration does, vectorised over all events at once
(batched Levenberg-Marquardt in NumPy):

1. **Shower front.**  A spherical front seen from a virtual origin at distance
   :math:`R = 1/\\kappa` up the axis :math:`\\hat a` from the core
   :math:`\\vec c`: the arrival time of a station at :math:`\\vec s` is
   :math:`c\\,t = c\\,t_0 + |\\vec s - \\vec c - R\\hat a| - R`, written with
   :math:`\\vec d = \\vec s - \\vec c` as
   :math:`c\\,t_0 + (\\kappa d^2 - 2\\vec d\\cdot\\hat a)
   /(1 + \\sqrt{1 - 2\\kappa\\vec d\\cdot\\hat a + \\kappa^2 d^2})`,
   which is smooth through the plane-front limit
   :math:`\\kappa \\to 0`.  Fitted: :math:`t_0`, the two horizontal components
   of :math:`\\hat a`, and :math:`\\kappa` (with a weak prior), each station
   weighted by the simulator's time-jitter model.  A plane-front fit starts it.
2. **Lateral distribution.**  Auger's form
   :math:`S(r) = S_{1000}(r/1000)^{\\beta}((r+700)/1700)^{\\beta+\\gamma}`
   with fixed :math:`\\beta = -2.2`, :math:`\\gamma = 0`; fitted: :math:`\\ln S_{1000}`
   and the core.  Triggered stations enter with a Poisson-like variance
   :math:`\\sigma^2 = 0.7 S + (0.1 S)^2` (particle counting plus a 10 % allowance
   for the shower-to-shower variation of the shape), re-evaluated at the model
   (iteratively re-weighted); an untriggered station adds a penalty only where
   the model predicts more than the 3 VEM threshold.  Steps 1 and 2 alternate
   twice, since each needs the other's axis or core.
3. **Energy.**  :math:`S_{1000}` falls with zenith angle because the shower is
   older when it reaches the ground; a constant-intensity-cut-like correction
   and the energy scale are fitted on a calibration set with known energies:
   :math:`\\lg E = c \\cdot (1, L, x, x^2, x^3, L^2, Lx)` with
   :math:`L = \\ln S_{1000}` and :math:`x = \\cos^2\\theta - \\cos^2 38^\\circ`
   (least squares, as :math:`E = A\\,S_{38}^{B}` with
   :math:`S_{38} = S_{1000}/\\text{CIC}(x)`, slightly generalised).

**The improved reconstruction** (:func:`improved_reconstruction`) adds two cheap
upgrades of the same fit, calibrated on the same events:

- the fitted front curvature :math:`k = 10^4\\,\\text{m}/R` (a proxy for the
  distance of the shower maximum) enters the energy calibration through
  :math:`(k, k^2, k x, k L)`;
- the early-late asymmetry: upstream stations of an inclined shower see a younger
  shower with more electromagnetic signal, so the symmetric LDF pulls the core
  towards the shower's origin.  The core is moved back along the fitted horizontal
  direction :math:`\\hat u` by
  :math:`\\delta = (c_1 + c_2 L)\\sin\\theta + (c_3 + c_4 L)\\sin^2\\theta`
  (four coefficients, least squares on the calibration events; events off by
  more than 500 m along :math:`\\hat u`, failed fits, are left out).

**The floor.**  At fixed energy and zenith, :math:`S_{1000}` still depends on
how deep the shower reached its maximum (an earlier shower is older at the
ground and has lost more of its electromagnetic signal) and on the primary
mass.  A detector that *knew* the true :math:`X_{max}` could correct for that:
:func:`floor_energy_eev` uses the same fitted :math:`S_{1000}` plus the *true*
zenith angle and the *true* :math:`\\Delta X_g = X_g/\\cos\\theta - X_{max}`,
calibrated in the same way (features above plus :math:`D, D^2, Dx, DL` with
:math:`D = \\Delta X_g/1000`).  It does not use the mass.  This is truth
information that a real surface detector does not have; the gap between the
fit and the floor is the price of not measuring the shower development, which
a network that reads the whole footprint (size *and* shape, signal *and*
timing) can partly recover.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..data.airshower import (
    C_M_PER_NS,
    GROUND_DEPTH_G_CM2,
    STATION_POSITIONS_M,
    TRIGGER_THRESHOLD_VEM,
    time_jitter_ns,
)
from ..metrics import angular_resolution_deg, bias_and_resolution

#: fixed shape of the lateral distribution function (Auger form)
LDF_BETA = -2.2
LDF_GAMMA = 0.0
#: relative model allowance added to the Poisson-like variance of a station
LDF_MODEL_UNCERTAINTY = 0.1
#: variance per VEM of the counting fluctuations (mixture of muons and e.m. particles)
POISSON_FACTOR = 0.7
#: prior on the front curvature kappa = 1/R, 1/m (mean, standard deviation)
CURVATURE_PRIOR = (1.0 / 12_000.0, 1.0 / 10_000.0)
#: fewest triggered stations for a reconstruction
MIN_STATIONS = 3
#: a fitted core farther than this from the array centre (x or y) counts as failed, metres
MAX_CORE_M = 9000.0
_COS2_38 = np.cos(np.radians(38.0)) ** 2
_STATIONS = STATION_POSITIONS_M.reshape(-1, 2)


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Energy calibration from a simulated set with known energies.

    Attributes:
        energy_coefficients: ``(7,)`` least-squares coefficients of
            :math:`\\lg E` on ``(1, L, x, x^2, x^3, L^2, L x)``.
        floor_coefficients: ``(11,)`` the same plus ``(D, D^2, D x, D L)`` with
            the true :math:`\\Delta X_g / 1000` (g/cm^2), for :func:`floor_energy_eev`.
        curvature_energy_coefficients: ``(11,)`` the energy features plus
            ``(k, k^2, k x, k L)`` with the fitted curvature :math:`k = 10^4\\,\\text{m}/R`,
            for :func:`improved_reconstruction`.
        core_shift_coefficients: ``(4,)`` the early-late core shift along the
            horizontal direction, in metres, on
            ``(sin t, L sin t, sin^2 t, L sin^2 t)`` (``t`` the fitted zenith angle).
        n_events: number of calibration events used (converged fits).
    """

    energy_coefficients: np.ndarray
    floor_coefficients: np.ndarray
    curvature_energy_coefficients: np.ndarray
    core_shift_coefficients: np.ndarray
    n_events: int


@dataclasses.dataclass(frozen=True)
class Reconstruction:
    """Per-event result of :func:`reconstruct`; NaN where the fit failed.

    Attributes:
        energy_eev: ``(n,)`` reconstructed energy, EeV.
        log10_energy: ``(n,)`` its :math:`\\lg(E/\\text{eV})`.
        s1000_vem: ``(n,)`` fitted signal at 1000 m from the axis, VEM.
        axis: ``(n, 3)`` reconstructed arrival direction (unit vector to the source).
        zenith_rad, azimuth_rad: ``(n,)`` the same as angles, radians.
        core_m: ``(n, 2)`` reconstructed core, metres (frame of ``STATION_POSITIONS_M``).
        front_radius_m: ``(n,)`` fitted radius of curvature of the front, metres.
        n_stations: ``(n,)`` number of triggered stations.
        converged: ``(n,)`` bool, enough stations and both fits converged.
    """

    energy_eev: np.ndarray
    log10_energy: np.ndarray
    s1000_vem: np.ndarray
    axis: np.ndarray
    zenith_rad: np.ndarray
    azimuth_rad: np.ndarray
    core_m: np.ndarray
    front_radius_m: np.ndarray
    n_stations: np.ndarray
    converged: np.ndarray

    def __len__(self) -> int:
        return len(self.energy_eev)


# ------------------------------------------------------------------ fitting machinery

def _levenberg_marquardt(residuals, params, n_iter=30, tol=1e-7):
    """Minimise ``sum(res**2)`` for every event at once.

    ``residuals(params, index) -> (res (len(index), m), jac (len(index), m, k))``
    evaluates the events ``index``.  Events whose chi^2 changed by less than
    ``tol`` (relative) in an accepted step are frozen, so later iterations only
    work on the rest.  Returns the parameters and the per-event convergence flag.
    """
    params = params.copy()
    n, k = params.shape
    index = np.arange(n)
    res, jac = residuals(params, index)
    chi2 = np.sum(res**2, axis=1)
    damping = np.full(n, 1e-3)
    converged = chi2 == 0
    eye = np.eye(k)
    active = ~converged
    for _ in range(n_iter):
        if not active.any():
            break
        a = np.flatnonzero(active)
        jac_a = jac[active]
        jac_t = np.swapaxes(jac_a, 1, 2)
        jtj = jac_t @ jac_a
        grad = (jac_t @ res[active][:, :, None])[:, :, 0]
        diag = np.einsum("nkk->nk", jtj)
        scale = np.maximum(diag, 1e-12 * (1.0 + diag.max(axis=1, keepdims=True)))
        system = jtj + ((damping[a, None] + 1e-12) * scale)[:, :, None] * eye
        step = -np.linalg.solve(system, grad[:, :, None])[:, :, 0]
        trial = params[a] + step
        res_t, jac_tr = residuals(trial, a)
        chi2_t = np.sum(res_t**2, axis=1)
        better = np.isfinite(chi2_t) & (chi2_t <= chi2[a])
        change = np.where(better, (chi2[a] - chi2_t) / np.maximum(chi2[a], 1e-300), 0.0)
        good = a[better]
        params[good] = trial[better]
        chi2[good] = chi2_t[better]
        res[good] = res_t[better]
        jac[good] = jac_tr[better]
        damping[a] = np.clip(np.where(better, damping[a] * 0.3, damping[a] * 10.0), 1e-9, 1e9)
        converged[a] |= (better & (change < tol)) | (damping[a] >= 1e9)
        active = ~converged
    return params, converged


def _axis_from_uv(u, v):
    """Unit vector from its horizontal components (clipped into the unit disc)."""
    rho = np.sqrt(u**2 + v**2)
    shrink = np.where(rho > 0.999, 0.999 / np.maximum(rho, 1e-300), 1.0)
    u, v = u * shrink, v * shrink
    return np.stack([u, v, np.sqrt(1.0 - u**2 - v**2)], axis=-1)


def _ldf(r, beta, gamma):
    """Lateral shape (1 at 1000 m) and its logarithmic derivative d ln S / d r."""
    rc = np.maximum(r, 100.0)
    shape = np.exp(beta * np.log(rc / 1000.0) + (beta + gamma) * np.log((rc + 700.0) / 1700.0))
    dlog = np.where(r > 100.0, beta / rc + (beta + gamma) / (rc + 700.0), 0.0)
    return shape, dlog


def _fit_ldf(signal, triggered, axis, core, log_s1000, beta, gamma):
    """Fit ln S1000 and the core with the axis fixed; returns (params, converged)."""
    sx, sy = _STATIONS[:, 0], _STATIONS[:, 1]
    threshold = TRIGGER_THRESHOLD_VEM

    def model(p, i):
        dx = sx[None] - p[:, 1:2]
        dy = sy[None] - p[:, 2:3]
        ax, ay = axis[i, 0:1], axis[i, 1:2]
        along = dx * ax + dy * ay
        r = np.sqrt(np.maximum(dx**2 + dy**2 - along**2, 1e-6))
        shape, dlog = _ldf(r, beta, gamma)
        mu = np.exp(np.minimum(p[:, 0:1], 50.0)) * shape
        slope = mu * dlog / r
        jac = np.empty(mu.shape + (3,))
        jac[..., 0] = mu
        jac[..., 1] = slope * (along * ax - dx)
        jac[..., 2] = slope * (along * ay - dy)
        return mu, jac

    params = np.column_stack([log_s1000, core])
    converged = np.zeros(len(params), dtype=bool)
    all_events = np.arange(len(params))
    for round_ in range(3):
        # iteratively re-weighted: the variance comes from the measured signals in
        # the first round (robust to a poor start), then from the current model
        mu0 = signal if round_ == 0 else model(params, all_events)[0]
        inv_sigma = 1.0 / np.sqrt(POISSON_FACTOR * mu0 + (LDF_MODEL_UNCERTAINTY * mu0) ** 2 + 1.0)

        def residuals(p, i, inv_sigma=inv_sigma):
            mu, jac = model(p, i)
            trig = triggered[i]
            # triggered: (mu - S)/sigma; untriggered: only a model above threshold counts
            over = ~trig & (mu > threshold)
            scale = np.where(trig, inv_sigma[i], np.where(over, 1.0 / np.sqrt(threshold), 0.0))
            target = np.where(trig, signal[i], threshold)
            return (mu - target) * scale, jac * scale[..., None]

        params, converged = _levenberg_marquardt(residuals, params, n_iter=25)
    return params, converged


def _fit_front(time_m, weight, triggered, core, axis, curvature):
    """Fit (c t0, u, v, kappa) of the spherical front with the core fixed."""
    dx = _STATIONS[None, :, 0] - core[:, 0:1]
    dy = _STATIONS[None, :, 1] - core[:, 1:2]
    d2 = dx**2 + dy**2
    k_mean, k_sigma = CURVATURE_PRIOR
    w = np.where(triggered, weight, 0.0)

    def delay_and_jac(p, i):
        u, v, kappa = p[:, 1:2], p[:, 2:3], p[:, 3:4]
        dxi, dyi, d2i = dx[i], dy[i], d2[i]
        proj = dxi * u + dyi * v
        q = np.sqrt(np.maximum(1.0 - 2.0 * kappa * proj + kappa**2 * d2i, 1e-12))
        num = kappa * d2i - 2.0 * proj
        q1 = q + 1.0
        delay = num / q1
        dg_dp = (-2.0 * q1 + num * kappa / q) / q1**2
        dg_dk = (d2i * q1 - num * (kappa * d2i - proj) / q) / q1**2
        jac = np.empty(delay.shape + (4,))
        jac[..., 0] = 1.0
        jac[..., 1] = dg_dp * dxi
        jac[..., 2] = dg_dp * dyi
        jac[..., 3] = dg_dk
        return delay, jac

    def residuals(p, i):
        delay, jac = delay_and_jac(p, i)
        wi = w[i]
        m = delay.shape[1]
        res = np.empty((len(i), m + 1))
        res[:, :m] = (p[:, 0:1] + delay - time_m[i]) * wi
        res[:, m] = (p[:, 3] - k_mean) / k_sigma
        full_jac = np.zeros((len(i), m + 1, 4))
        full_jac[:, :m] = jac * wi[..., None]
        full_jac[:, m, 3] = 1.0 / k_sigma
        return res, full_jac

    # start: t0 as the weighted mean offset for the current geometry
    start = np.column_stack([np.zeros(len(core)), axis[:, 0], axis[:, 1], curvature])
    delay0, _ = delay_and_jac(start, np.arange(len(core)))
    w2 = w**2
    start[:, 0] = np.sum(w2 * (time_m - delay0), axis=1) / np.maximum(w2.sum(axis=1), 1e-300)
    return _levenberg_marquardt(residuals, start, n_iter=30)


def _plane_front(time_m, weight, triggered):
    """Weighted linear fit c t = c t0 - u x - v y; returns the axis."""
    w2 = np.where(triggered, weight**2, 0.0)
    design = np.stack([np.ones_like(_STATIONS[:, 0]), -_STATIONS[:, 0], -_STATIONS[:, 1]],
                      axis=-1)  # (81, 3)
    normal = np.einsum("nm,mk,ml->nkl", w2, design, design)
    normal += 1e-9 * np.eye(3) * (1.0 + np.einsum("nkk->n", normal))[:, None, None]
    rhs = np.einsum("nm,mk,nm->nk", w2, design, time_m)
    sol = np.linalg.solve(normal, rhs[:, :, None])[:, :, 0]
    return _axis_from_uv(sol[:, 1], sol[:, 2])


def _geometry(data, block=5000):
    """S1000, axis, core, front radius, station count and convergence of every event."""
    from .. import progress

    n = len(data)
    parts = []
    for start in progress(range(0, n, block), total=-(-n // block), desc="shower fits"):
        sl = slice(start, start + block)
        m = len(data.signal[sl])
        parts.append(_geometry_block(
            np.asarray(data.signal[sl], dtype=float).reshape(m, -1),
            np.asarray(data.triggered[sl], dtype=bool).reshape(m, -1),
            np.asarray(data.arrival_time[sl], dtype=float).reshape(m, -1) * C_M_PER_NS))
    return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))


def _geometry_block(signal, triggered, time_m):
    n = len(signal)
    n_stations = triggered.sum(axis=1)

    # core start: signal-weighted barycentre of the triggered stations
    w = np.where(triggered, signal, 0.0)
    total = np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
    core = np.column_stack([w @ _STATIONS[:, 0], w @ _STATIONS[:, 1]]) / total
    r_guess = np.hypot(_STATIONS[None, :, 0] - core[:, 0:1], _STATIONS[None, :, 1] - core[:, 1:2])
    weight = 1.0 / (C_M_PER_NS * time_jitter_ns(signal, r_guess))
    axis = _plane_front(time_m, weight, triggered)
    # S1000 start: mean of ln(S / shape), weighting stations near 1000 m
    shape, _ = _ldf(r_guess, LDF_BETA, LDF_GAMMA)
    log_r = np.log(np.maximum(r_guess, 1.0) / 1000.0)
    near = np.where(triggered, np.exp(-0.5 * (log_r / 0.5) ** 2) + 1e-6, 0.0)
    log_ratio = np.log(np.maximum(signal, 1e-3) / shape)
    log_s1000 = np.sum(near * log_ratio, axis=1) / np.maximum(near.sum(axis=1), 1e-300)
    curvature = np.full(n, CURVATURE_PRIOR[0])
    for _ in range(2):
        ldf, ok_ldf = _fit_ldf(signal, triggered, axis, core, log_s1000, LDF_BETA, LDF_GAMMA)
        log_s1000, core = ldf[:, 0], ldf[:, 1:]
        dx = _STATIONS[None, :, 0] - core[:, 0:1]
        dy = _STATIONS[None, :, 1] - core[:, 1:2]
        along = dx * axis[:, 0:1] + dy * axis[:, 1:2]
        r = np.sqrt(np.maximum(dx**2 + dy**2 - along**2, 0.0))
        weight = 1.0 / (C_M_PER_NS * time_jitter_ns(signal, r))
        front, ok_front = _fit_front(time_m, weight, triggered, core, axis, curvature)
        axis = _axis_from_uv(front[:, 1], front[:, 2])
        curvature = front[:, 3]
    ldf, ok_ldf = _fit_ldf(signal, triggered, axis, core, log_s1000, LDF_BETA, LDF_GAMMA)
    log_s1000, core = ldf[:, 0], ldf[:, 1:]
    sane = (np.isfinite(log_s1000) & (np.abs(log_s1000) < 20.0)
            & np.all(np.isfinite(axis), axis=1) & (axis[:, 2] > 0.05)
            & np.all(np.abs(core) < MAX_CORE_M, axis=1))
    converged = ok_ldf & ok_front & sane & (n_stations >= MIN_STATIONS)
    log_s1000 = np.clip(np.nan_to_num(log_s1000), -20.0, 20.0)
    with np.errstate(divide="ignore"):
        radius = np.where(curvature > 0, 1.0 / curvature, np.inf)
    return np.exp(log_s1000), axis, core, radius, n_stations, converged


def _energy_features(s1000, zenith):
    L = np.log(np.maximum(s1000, 1e-3))
    x = np.cos(zenith) ** 2 - _COS2_38
    return np.column_stack([np.ones_like(L), L, x, x**2, x**3, L**2, L * x])


def _floor_features(s1000, zenith_true, xmax_true):
    base = _energy_features(s1000, zenith_true)
    D = (GROUND_DEPTH_G_CM2 / np.cos(zenith_true) - xmax_true) / 1000.0
    L, x = base[:, 1], base[:, 2]
    return np.column_stack([base, D, D**2, D * x, D * L])


def _curvature(front_radius_m):
    """Front curvature in units of 1/(10 km); 0 for a flat (or inverted) front."""
    radius = np.asarray(front_radius_m, dtype=float)
    return np.where(np.isfinite(radius) & (radius > 0), 1e4 / np.where(radius > 0, radius, 1.0),
                    0.0)


def _curvature_energy_features(s1000, zenith, front_radius_m):
    base = _energy_features(s1000, zenith)
    L, x, k = base[:, 1], base[:, 2], _curvature(front_radius_m)
    return np.column_stack([base, k, k**2, k * x, k * L])


def _horizontal_direction(axis):
    """Unit vector of the axis's horizontal part (towards the shower's origin), (n, 2)."""
    horizontal = np.asarray(axis, dtype=float)[:, :2]
    norm = np.linalg.norm(horizontal, axis=1, keepdims=True)
    return np.where(norm > 1e-9, horizontal / np.maximum(norm, 1e-300), 0.0)


def _core_shift_features(s1000, zenith):
    L, sin = np.log(np.maximum(s1000, 1e-3)), np.sin(zenith)
    return np.column_stack([sin, L * sin, sin**2, L * sin**2])


# ------------------------------------------------------------------ public API

def calibrate(data) -> Calibration:
    """Fit the S1000 -> energy calibration (and the floor's) on simulated events.

    ``data`` is an :class:`~dlphys.data.airshower.AirShowerData` with known
    energies, disjoint from the events to be reconstructed.
    """
    s1000, axis, core, radius, _, ok = _geometry(data)
    if ok.sum() < 20:
        raise ValueError(f"calibration needs at least 20 reconstructed events, got {ok.sum()}")
    s1000, axis, core, radius = s1000[ok], axis[ok], core[ok], radius[ok]
    zenith = np.arccos(np.clip(axis[:, 2], -1.0, 1.0))
    target = np.asarray(data.log10_energy)[ok]

    def least_squares(features, values):
        return np.linalg.lstsq(features, values, rcond=None)[0]

    floor_x = _floor_features(s1000, np.asarray(data.zenith_rad)[ok], np.asarray(data.xmax)[ok])
    shift = np.sum((np.asarray(data.core_m)[ok] - core) * _horizontal_direction(axis), axis=1)
    usable = np.abs(shift) < 500.0
    return Calibration(
        energy_coefficients=least_squares(_energy_features(s1000, zenith), target),
        floor_coefficients=least_squares(floor_x, target),
        curvature_energy_coefficients=least_squares(
            _curvature_energy_features(s1000, zenith, radius), target),
        core_shift_coefficients=least_squares(_core_shift_features(s1000, zenith)[usable],
                                              shift[usable]),
        n_events=int(ok.sum()))


def reconstruct(data, calibration: Calibration) -> Reconstruction:
    """Reconstruct energy, direction and core of every event (no truth used)."""
    s1000, axis, core, radius, n_stations, ok = _geometry(data)
    zenith = np.arccos(np.clip(axis[:, 2], -1.0, 1.0))
    azimuth = np.mod(np.arctan2(axis[:, 1], axis[:, 0]), 2.0 * np.pi)
    log10_energy = _energy_features(s1000, zenith) @ calibration.energy_coefficients
    nan = np.where(ok, 1.0, np.nan)
    return Reconstruction(
        energy_eev=10.0 ** (log10_energy - 18.0) * nan, log10_energy=log10_energy * nan,
        s1000_vem=s1000 * nan, axis=axis * nan[:, None], zenith_rad=zenith * nan,
        azimuth_rad=azimuth * nan, core_m=core * nan[:, None], front_radius_m=radius * nan,
        n_stations=n_stations, converged=ok)


def improved_reconstruction(reconstruction: Reconstruction,
                            calibration: Calibration) -> Reconstruction:
    """The fit with the curvature in its energy and the early-late core correction.

    Takes the result of :func:`reconstruct` (no new fit, no truth used) and returns
    a copy with a new energy (:math:`S_{1000}`, zenith *and* front curvature) and a
    core moved along the horizontal direction; see the module docstring.
    """
    s1000, zenith = reconstruction.s1000_vem, reconstruction.zenith_rad
    log10_energy = (_curvature_energy_features(s1000, zenith, reconstruction.front_radius_m)
                    @ calibration.curvature_energy_coefficients)
    shift = _core_shift_features(s1000, zenith) @ calibration.core_shift_coefficients
    core = reconstruction.core_m + shift[:, None] * _horizontal_direction(reconstruction.axis)
    return dataclasses.replace(reconstruction, log10_energy=log10_energy,
                               energy_eev=10.0 ** (log10_energy - 18.0), core_m=core)


def floor_energy_eev(data, reconstruction: Reconstruction, calibration: Calibration):
    """Energy (EeV) from the fitted S1000 plus the *true* zenith and Xmax.

    The resolution floor of an S1000-based energy estimate: it removes the
    shower-to-shower variation due to the depth of the maximum, using truth
    that a real detector lacks (see the module docstring).  NaN where the fit failed.
    """
    features = _floor_features(reconstruction.s1000_vem, np.asarray(data.zenith_rad),
                               np.asarray(data.xmax))
    return 10.0 ** (features @ calibration.floor_coefficients - 18.0)


def resolution_report(data, reconstruction: Reconstruction, floor_energy=None) -> dict:
    """Resolutions of a reconstruction on the events where it converged.

    Returns a dict with ``energy_bias`` and ``energy_resolution`` (mean and
    standard deviation of :math:`(E_{rec} - E)/E`), ``angular_resolution_deg``
    (68 % quantile of the opening angle), ``core_resolution_m`` (68 % quantile of
    the core distance), ``converged_fraction``, ``n_events``; with
    ``floor_energy`` (EeV) also ``floor_energy_bias`` and ``floor_energy_resolution``.
    Works for any prediction with the same fields (a network's output wrapped in
    a :class:`Reconstruction`, for example).
    """
    ok = np.asarray(reconstruction.converged, dtype=bool)
    if not ok.any():
        raise ValueError("no converged events to evaluate")
    true_e = np.asarray(data.energy_eev)[ok]
    energy_bias, energy_resolution = bias_and_resolution(
        np.asarray(reconstruction.energy_eev)[ok], true_e, relative=True)
    core_err = np.linalg.norm(np.asarray(reconstruction.core_m)[ok]
                              - np.asarray(data.core_m)[ok], axis=1)
    report = dict(
        energy_bias=energy_bias, energy_resolution=energy_resolution,
        angular_resolution_deg=angular_resolution_deg(np.asarray(reconstruction.axis)[ok],
                                                      np.asarray(data.axis)[ok]),
        core_resolution_m=float(np.quantile(core_err, 0.68)),
        converged_fraction=float(ok.mean()), n_events=int(ok.sum()))
    if floor_energy is not None:
        floor_bias, floor_resolution = bias_and_resolution(np.asarray(floor_energy)[ok], true_e,
                                                           relative=True)
        report.update(floor_energy_bias=floor_bias, floor_energy_resolution=floor_resolution)
    return report
