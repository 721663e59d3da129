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
