"""Metrics the chapters share: resolution and bias, angles, ROC curves.

Everything takes and returns NumPy arrays / floats, so it works with the output of
any framework.
"""

from __future__ import annotations

import numpy as np


def _pair(prediction, truth) -> tuple[np.ndarray, np.ndarray]:
    prediction = np.asarray(prediction, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction and truth must have the same shape, "
                         f"got {prediction.shape} and {truth.shape}")
    if prediction.size == 0:
        raise ValueError("prediction and truth are empty")
    return prediction, truth


def mse(prediction, truth) -> float:
    """Mean squared error."""
    prediction, truth = _pair(prediction, truth)
    return float(np.mean((prediction - truth) ** 2))


def bias_and_resolution(prediction, truth, *, relative: bool = False) -> tuple[float, float]:
    """Mean and standard deviation of the residual ``prediction - truth``.

    With ``relative=True`` the residual is ``(prediction - truth) / truth``, as
    for energy resolutions (0.08 means 8 %).
    """
    prediction, truth = _pair(prediction, truth)
    residual = prediction - truth
    if relative:
        if np.any(truth == 0):
            raise ValueError("relative resolution needs a truth without zeros")
        residual = residual / truth
    return float(np.mean(residual)), float(np.std(residual))


def binned_bias_and_resolution(x, prediction, truth, bins, *, relative: bool = False):
    """Bias and resolution in bins of ``x`` (for example the true energy).

    Returns ``(centres, bias, resolution, counts)``; bins with fewer than two
    entries give NaN.
    """
    x = np.asarray(x, dtype=float)
    prediction, truth = _pair(prediction, truth)
    bins = np.asarray(bins, dtype=float)
    index = np.digitize(x, bins) - 1
    n_bins = len(bins) - 1
    bias = np.full(n_bins, np.nan)
    resolution = np.full(n_bins, np.nan)
    counts = np.zeros(n_bins, dtype=int)
    for i in range(n_bins):
        sel = index == i
        counts[i] = sel.sum()
        if counts[i] >= 2:
            bias[i], resolution[i] = bias_and_resolution(prediction[sel], truth[sel],
                                                         relative=relative)
    return 0.5 * (bins[1:] + bins[:-1]), bias, resolution, counts


def opening_angle_deg(u, v) -> np.ndarray:
    """Angle in degrees between unit vectors ``u`` and ``v`` (shape (..., 3))."""
    u, v = _pair(u, v)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    # arctan2 of |u x v| and u.v is accurate at small angles, unlike arccos
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(u * v, axis=-1)))


def angular_resolution_deg(direction_pred, direction_true, quantile: float = 0.68) -> float:
    """The 68 % quantile of the opening angle, in degrees (the usual definition)."""
    return float(np.quantile(opening_angle_deg(direction_pred, direction_true), quantile))


def roc_curve(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of the cut ``score >= t`` for every threshold."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    if labels.shape != scores.shape:
        raise ValueError("labels and scores must have the same length")
    if labels.all() or not labels.any():
        raise ValueError("labels must contain both classes")
    order = np.argsort(-scores, kind="mergesort")
    labels, scores = labels[order], scores[order]
    # one point per distinct threshold
    distinct = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tp = np.cumsum(labels)[distinct]
    fp = np.cumsum(~labels)[distinct]
    tpr = np.r_[0.0, tp / labels.sum()]
    fpr = np.r_[0.0, fp / (~labels).sum()]
    return fpr, tpr


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve (probability that a positive outscores a negative)."""
    fpr, tpr = roc_curve(labels, scores)
    return float(np.trapezoid(tpr, fpr))
