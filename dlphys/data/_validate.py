"""Argument checks shared by the simulators: every message names the argument."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``; ``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def check_float(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
) -> float:
    """``value`` as a finite float within the bounds; ``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo}, {hi}], got {value}")
    return value


def check_range(name: str, value, low: float, high: float) -> tuple[float, float]:
    """``value`` as a pair ``(lo, hi)`` with ``low <= lo <= hi <= high``.

    Every interval argument of the simulators is spelled this way: one
    ``<quantity>_range_<unit>`` pair; ``lo == hi`` gives a fixed value.
    """
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}")
    try:
        first, second = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    first = check_float(f"{name}[0]", first, low, high)
    second = check_float(f"{name}[1]", second, first, high)
    return first, second


def check_bool(name: str, value) -> bool:
    """``value`` must be True or False (NumPy booleans allowed)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(seed) -> int:
    """A seed is a non-negative integer."""
    return check_int("seed", seed, 0)


def check_choice(name: str, value, allowed) -> str:
    """``value`` must be one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value
