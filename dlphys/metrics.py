"""Metrics the chapters share: resolution and bias, angles, ROC curves, two-sample distances.

Everything takes and returns NumPy arrays / floats, so it works with the output of
any framework.
"""

from __future__ import annotations

import numpy as np
import scipy.fft


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


def bootstrap_error(statistic, *arrays, n_resamples: int = 200, seed: int = 0) -> np.ndarray:
    """Bootstrap standard error of ``statistic(*arrays)``.

    The events (the rows of every array, the same rows for all) are drawn with
    replacement ``n_resamples`` times and the statistic is recomputed on each
    resample; returned is the standard deviation of those values, with the shape
    of the statistic's output.  Let the statistic return several numbers at once,
    for example the resolutions of two methods *and their difference*: a difference
    measured on the same events is much more precise than the two errors suggest.
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("bootstrap_error needs at least one array of events")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"every array must have one row per event, got lengths "
                         f"{[len(a) for a in arrays]}")
    if n < 2 or n_resamples < 2:
        raise ValueError(f"bootstrap needs at least 2 events and 2 resamples, got {n} and "
                         f"{n_resamples}")
    rng = np.random.default_rng(seed)
    values = [np.asarray(statistic(*(a[rows] for a in arrays)), dtype=float)
              for rows in rng.integers(0, n, size=(n_resamples, n))]
    return np.std(values, axis=0, ddof=1)


def separation_power(sample_a, sample_b, bins) -> float:
    """Separation power of two samples of one observable, between 0 and 1.

    ``0.5 * sum_k (h_a[k] - h_b[k])**2 / (h_a[k] + h_b[k])`` over the histograms
    ``h_a`` and ``h_b`` of the two samples, each normalised to unit sum on the common
    ``bins`` (an array of edges; values outside them are not counted).  It is 0 for
    identical histograms and 1 for histograms that do not overlap; for two finite
    samples from the *same* distribution it is not 0 but about (number of filled
    bins) / (2 n), the floor any comparison must be read against.  The measure of
    the CaloGAN and CaloChallenge comparisons of generated showers.
    """
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("bins must be an increasing 1-D array of at least two edges")
    histograms = []
    for name, sample in (("sample_a", sample_a), ("sample_b", sample_b)):
        values = np.asarray(sample, dtype=float).ravel()
        counts, _ = np.histogram(values[np.isfinite(values)], bins=edges)
        if counts.sum() == 0:
            raise ValueError(f"{name} has no finite value inside the bins "
                             f"[{edges[0]:g}, {edges[-1]:g}]")
        histograms.append(counts / counts.sum())
    h_a, h_b = histograms
    filled = (h_a + h_b) > 0
    return float(0.5 * np.sum((h_a[filled] - h_b[filled]) ** 2 / (h_a[filled] + h_b[filled])))


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
    """The ``quantile`` quantile of the opening angle, in degrees.

    The default 0.68 is the usual definition of the angular resolution (the
    radius that contains 68 % of the events).
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
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


def analytic_cross_correlation(spectrum_a, spectrum_b, n_samples: int, dtype=complex):
    r"""Complex cross-correlation of two real series with the analytic signal of the second.

    Takes their ``rfft`` spectra (shapes broadcast, last axis ``n_samples // 2 + 1``)
    and returns, for every circular lag ``l`` (shape ``(..., n_samples)``),
    :math:`q_l = \langle a, b_l\rangle - i\langle a, \hat b_l\rangle` with ``b``
    shifted later by ``l`` samples and :math:`\hat b` its Hilbert transform; ``|q_l|``
    is the inner product maximised over a constant phase rotation of ``b``.  This is
    the quadrature filter of the matched filter and of :func:`overlap`.
    """
    full = np.zeros(np.broadcast_shapes(spectrum_a.shape[:-1], spectrum_b.shape[:-1])
                    + (n_samples,), dtype=dtype)
    n_freq = spectrum_a.shape[-1]
    if n_freq != n_samples // 2 + 1 or spectrum_b.shape[-1] != n_freq:
        raise ValueError(f"spectra must have n_samples // 2 + 1 = {n_samples // 2 + 1} bins, "
                         f"got {spectrum_a.shape[-1]} and {spectrum_b.shape[-1]}")
    weight = np.full(n_freq, 2.0, dtype=full.real.dtype)
    weight[0] = 1.0
    if n_samples % 2 == 0:
        weight[-1] = 1.0
    full[..., :n_freq] = weight * spectrum_a * np.conj(spectrum_b)
    return scipy.fft.ifft(full, axis=-1, overwrite_x=True)


def overlap(a, b, maximise: bool = True):
    """Overlap :math:`O = \\langle a|b\\rangle / \\sqrt{\\langle a|a\\rangle\\langle b|b\\rangle}`
    of whitened signals (plain inner product), for ``(T,)`` or batches ``(n, T)``.

    With ``maximise=True`` (the default) it is maximised over circular time shifts
    and over a constant phase rotation of ``b``: the modulus of the complex
    cross-correlation of ``a`` with the analytic signal of ``b`` (FFT), a number
    in [0, 1].  With ``maximise=False`` it is the plain normalised inner product,
    in [-1, 1].  A zero series has overlap 0.  Returns a float for 1-D inputs,
    else an array of the broadcast batch shape.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-1]:
        raise ValueError(f"a and b must be series (..., T) of equal length, "
                         f"got shapes {a.shape} and {b.shape}")
    n_samples = a.shape[-1]
    norm = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    if maximise:
        correlation = analytic_cross_correlation(np.fft.rfft(a, axis=-1),
                                                 np.fft.rfft(b, axis=-1), n_samples)
        inner = np.abs(correlation).max(axis=-1)
    else:
        inner = np.sum(a * b, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(norm > 0, inner / np.where(norm > 0, norm, 1.0), 0.0)
    result = np.clip(result, -1.0, 1.0)
    return float(result) if result.ndim == 0 else result
