"""Least-squares fits of the pendulum law: the reference for lecture 1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.pendulum import exact_period


@dataclass(frozen=True)
class GravityFit:
    """Result of a one-parameter least-squares fit of g.

    Attributes:
        g: fitted gravitational acceleration, m/s^2.
        g_error: its standard error from the fit residuals, m/s^2.
        model: ``"exact"`` (elliptic integral) or ``"small_angle"`` (2 pi sqrt(l/g)).
    """

    g: float
    g_error: float
    model: str

    def predict(self, amplitude_rad, length_m) -> np.ndarray:
        """Period in seconds predicted by the fitted law."""
        return _shape(self.model, amplitude_rad, length_m) / np.sqrt(self.g)


def _shape(model: str, amplitude_rad, length_m) -> np.ndarray:
    """The period times sqrt(g): the law is linear in 1/sqrt(g)."""
    amplitude_rad = np.asarray(amplitude_rad, dtype=float)
    length_m = np.asarray(length_m, dtype=float)
    if model == "exact":
        return exact_period(amplitude_rad, length_m, g=1.0)
    if model == "small_angle":
        return 2.0 * np.pi * np.sqrt(length_m) * np.ones_like(amplitude_rad)
    raise ValueError(f"model must be 'exact' or 'small_angle', got {model!r}")


def fit_gravity(amplitude_rad, length_m, period_s, model: str = "exact") -> GravityFit:
    """Least-squares estimate of g from period measurements.

    The law is ``T = a * shape(theta, l)`` with ``a = 1/sqrt(g)``, linear in ``a``,
    so the least-squares solution is closed-form:
    ``a = sum(T s) / sum(s^2)``, with standard error ``sigma / sqrt(sum(s^2))``.
    """
    shape = _shape(model, amplitude_rad, length_m)
    period_s = np.asarray(period_s, dtype=float)
    if shape.shape != period_s.shape or period_s.ndim != 1 or len(period_s) < 2:
        raise ValueError("amplitude_rad, length_m and period_s must be 1-D arrays "
                         "of equal length >= 2")
    a = float(np.sum(period_s * shape) / np.sum(shape**2))
    residual = period_s - a * shape
    sigma = np.sqrt(np.sum(residual**2) / (len(period_s) - 1))
    a_error = sigma / np.sqrt(np.sum(shape**2))
    g = 1.0 / a**2
    return GravityFit(g=g, g_error=2.0 * g * a_error / a, model=model)
