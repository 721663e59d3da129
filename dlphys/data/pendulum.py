"""Large-amplitude pendulum: period measurements with a known timing noise.

The period of an ideal pendulum of length :math:`\\ell` released from rest at
amplitude :math:`\\theta_0` is exact,

.. math:: T(\\theta_0, \\ell) = 4 \\sqrt{\\ell / g}\\; K\\big(\\sin^2(\\theta_0/2)\\big),

with :math:`K(m)` the complete elliptic integral of the first kind (parameter
convention of ``scipy.special.ellipk``).  For small amplitudes it tends to
:math:`2\\pi\\sqrt{\\ell/g}`; at 160 degrees it is about twice that.  Each measured
period carries Gaussian timing noise of known standard deviation (a light gate
read by hand-started electronics), so the irreducible mean squared error of any
predictor is ``noise_s**2``.  Used by lecture 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ellipk

from ._cache import cached
from ._validate import check_float, check_int, check_range, check_seed

VERSION = 1
STANDARD_GRAVITY = 9.80665  # m s^-2


@dataclass(frozen=True)
class PendulumData:
    """Period measurements; every array has shape ``(n,)``.

    Attributes:
        amplitude_rad: release amplitude :math:`\\theta_0` in radians.
        length_m: pendulum length in metres.
        period_s: measured period in seconds (true period + Gaussian noise).
        period_true_s: noise-free period from the exact formula, in seconds.
        noise_s: standard deviation of the timing noise in seconds (scalar).
        g: gravitational acceleration used, in m/s^2 (scalar).
    """

    amplitude_rad: np.ndarray
    length_m: np.ndarray
    period_s: np.ndarray
    period_true_s: np.ndarray
    noise_s: float
    g: float

    def __len__(self) -> int:
        return len(self.period_s)


def exact_period(amplitude_rad, length_m, g: float = STANDARD_GRAVITY) -> np.ndarray:
    """Exact period in seconds, :math:`4\\sqrt{\\ell/g}\\,K(\\sin^2(\\theta_0/2))`."""
    amplitude_rad = np.asarray(amplitude_rad, dtype=float)
    length_m = np.asarray(length_m, dtype=float)
    return 4.0 * np.sqrt(length_m / g) * ellipk(np.sin(amplitude_rad / 2.0) ** 2)


def load(
    n: int = 2000,
    *,
    noise_s: float = 0.03,
    max_amplitude_deg: float = 160.0,
    length_range_m: tuple[float, float] = (0.25, 2.0),
    g: float = STANDARD_GRAVITY,
    seed: int = 0,
) -> PendulumData:
    """Simulate ``n`` period measurements.

    Args:
        n: number of measurements (1 to 10 million).
        noise_s: standard deviation of the timing noise in seconds (0 to 1).
        max_amplitude_deg: amplitudes are uniform in [1 deg, this] (1 to 175 deg).
        length_range_m: lengths are uniform in this interval, metres (0.01 to 100).
        g: gravitational acceleration in m/s^2 (0.1 to 100).
        seed: seed of the random generator.
    """
    n = check_int("n", n, 1, 10_000_000)
    noise_s = check_float("noise_s", noise_s, 0.0, 1.0)
    max_amplitude_deg = check_float("max_amplitude_deg", max_amplitude_deg, 1.0, 175.0)
    low, high = check_range("length_range_m", length_range_m, 0.01, 100.0)
    g = check_float("g", g, 0.1, 100.0)
    seed = check_seed(seed)
    params = dict(n=n, noise_s=noise_s, max_amplitude_deg=max_amplitude_deg,
                  length_range_m=(low, high), g=g, seed=seed)

    def generate():
        rng = np.random.default_rng(seed)
        amplitude = np.deg2rad(rng.uniform(1.0, max_amplitude_deg, n))
        length = rng.uniform(low, high, n)
        period_true = exact_period(amplitude, length, g)
        period = period_true + rng.normal(0.0, noise_s, n)
        return dict(amplitude_rad=amplitude, length_m=length,
                    period_s=period, period_true_s=period_true)

    arrays = cached("pendulum", VERSION, params, generate)
    return PendulumData(**arrays, noise_s=noise_s, g=g)
