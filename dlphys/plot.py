"""Plotting helpers shared by chapters.  Plain matplotlib underneath."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def training_curves(history, *, metrics=("loss",), ax=None, title="Training curves",
                    floor: float | None = None, floor_label: str = "noise floor"):
    """Plot training and validation curves from a Keras ``History`` or a dict of lists.

    ``floor`` draws a horizontal reference line (for example the irreducible
    noise variance) so the reader sees how far from the best possible the
    model is.
    """
    curves = getattr(history, "history", history)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for metric in metrics:
        if metric not in curves:
            raise KeyError(f"history has no {metric!r}; it has {sorted(curves)}")
        epochs = np.arange(1, len(curves[metric]) + 1)
        ax.plot(epochs, curves[metric], label=f"training {metric}")
        if f"val_{metric}" in curves:
            ax.plot(epochs, curves[f"val_{metric}"], label=f"validation {metric}")
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=1, label=floor_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(metrics))
    ax.set_title(title)
    ax.legend()
    return ax


def lattice(spins, *, ax=None, title=None):
    """Show an Ising configuration (values +-1) as black and white squares."""
    spins = np.asarray(spins)
    if spins.ndim != 2:
        raise ValueError(f"lattice expects one L x L configuration, got shape {spins.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(spins, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def detector_footprint(signal, arrival_time=None, triggered=None, ax=None, title=None):
    """Draw one air-shower event on the 9 x 9 surface-detector grid (positions in km).

    Every station is a grey dot; a triggered station is a disc whose area is
    proportional to its signal (VEM; the largest gets 600 pt^2, none less than
    10 pt^2 so that small signals stay visible), coloured by its arrival time (ns)
    or, without ``arrival_time``, by :math:`\\lg(S/\\text{VEM})`.  ``triggered``
    defaults to ``signal > 0``.  Station positions come from
    :data:`dlphys.data.airshower.STATION_POSITIONS_M`.
    """
    from .data.airshower import STATION_POSITIONS_M

    signal = np.asarray(signal, dtype=float)
    if signal.shape != STATION_POSITIONS_M.shape[:2]:
        raise ValueError(f"detector_footprint expects one event of shape "
                         f"{STATION_POSITIONS_M.shape[:2]}, got {signal.shape}")
    triggered = signal > 0 if triggered is None else np.asarray(triggered, dtype=bool)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.2))
    x_km = STATION_POSITIONS_M[..., 0] / 1000.0
    y_km = STATION_POSITIONS_M[..., 1] / 1000.0
    ax.scatter(x_km, y_km, s=6, color="0.75", zorder=1)
    if triggered.any():
        s = signal[triggered]
        area = np.maximum(600.0 * s / s.max(), 10.0)
        if arrival_time is not None:
            colour = np.asarray(arrival_time, dtype=float)[triggered]
            label = "arrival time (ns)"
        else:
            colour = np.log10(np.maximum(s, 1e-3))
            label = "lg(S / VEM)"
        points = ax.scatter(x_km[triggered], y_km[triggered], s=area, c=colour,
                            cmap="viridis", edgecolors="k", linewidths=0.5, zorder=2)
        ax.figure.colorbar(points, ax=ax, label=label)
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal")
    ax.set_title(title if title else "Surface-detector footprint (area ∝ signal)")
    return ax
