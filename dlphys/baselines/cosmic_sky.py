"""The classical clustering statistic for cosmic-ray skies: counting close pairs.

The two-point (pair-count) statistic of the anisotropy searches: the number of
pairs of cosmic rays, both above an energy threshold, that are closer than an
angle :math:`\\psi`,

.. math:: n_{pairs}(\\psi, E_{min}) = \\sum_{i<j} [E_i, E_j \\ge E_{min}]\\,
          [\\angle(\\hat u_i, \\hat u_j) < \\psi].

For an isotropic sky of :math:`N` rays its expectation is
:math:`\\binom{N}{2}(1-\\cos\\psi)/2`; sources add pairs.  The angle and the
energy threshold are tuned on training skies (largest ROC AUC), as the
experiments tune them on a first data set.  The statistic ignores the energy
ordering of the multiplets, which a graph network can learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .. import progress
from ..metrics import roc_auc

#: angles (degrees) and energy thresholds (in units of the lowest energy) scanned by the fit
ANGLES_DEG = (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0)
THRESHOLD_FACTORS = (1.0, 1.25, 1.5, 2.0)


def pair_counts(directions, energy_eev, max_angle_deg, min_energy_eev) -> np.ndarray:
    """Pairs closer than each angle with both energies above each threshold.

    Args:
        directions: unit vectors, shape ``(n_sets, n_rays, 3)``.
        energy_eev: energies in EeV, shape ``(n_sets, n_rays)``.
        max_angle_deg: one angle or a sequence of angles, degrees.
        min_energy_eev: one threshold or a sequence of thresholds, EeV.

    Returns:
        Pair counts, shape ``(n_sets, n_thresholds, n_angles)`` (scalar axes kept).
        Exact integer counts from a k-d tree per sky (chord distance
        ``2 sin(psi/2)`` on the unit sphere).
    """
    directions = np.asarray(directions, dtype=float)
    energy_eev = np.asarray(energy_eev, dtype=float)
    if directions.ndim != 3 or directions.shape[-1] != 3:
        raise ValueError(f"directions must have shape (n_sets, n_rays, 3), got {directions.shape}")
    if energy_eev.shape != directions.shape[:2]:
        raise ValueError("energy_eev must have shape (n_sets, n_rays)")
    angles = np.atleast_1d(np.asarray(max_angle_deg, dtype=float))
    thresholds = np.atleast_1d(np.asarray(min_energy_eev, dtype=float))
    if np.any((angles <= 0) | (angles >= 180)):
        raise ValueError("max_angle_deg must be in (0, 180) degrees")
    chord = 2.0 * np.sin(np.deg2rad(angles) / 2.0)
    counts = np.zeros((len(directions), len(thresholds), len(angles)))
    for s in progress(range(len(directions)), desc="pair counts"):
        for t, threshold in enumerate(thresholds):
            points = directions[s][energy_eev[s] >= threshold]
            if len(points) < 2:
                continue
            tree = cKDTree(points)
            ordered = tree.count_neighbors(tree, chord)       # ordered pairs, self included
            counts[s, t] = (ordered - len(points)) / 2
    return counts


@dataclass(frozen=True)
class PairCountStatistic:
    """The pair-count statistic at a fixed angle and energy threshold.

    Attributes:
        max_angle_deg: pairs closer than this angle count, degrees.
        min_energy_eev: both rays must have at least this energy, EeV.
        training_auc: ROC AUC on the training skies (optimistic: it was maximised).
    """

    max_angle_deg: float
    min_energy_eev: float
    training_auc: float = float("nan")

    def score(self, directions, energy_eev) -> np.ndarray:
        """Number of close pairs per sky, shape ``(n_sets,)``: large for skies with sources."""
        return pair_counts(directions, energy_eev, self.max_angle_deg, self.min_energy_eev)[:, 0, 0]


def fit_pair_count(directions, energy_eev, is_signal_set) -> PairCountStatistic:
    """Choose the angle and energy threshold with the largest ROC AUC on training skies.

    Scans :data:`ANGLES_DEG` and the thresholds :data:`THRESHOLD_FACTORS` times the
    lowest energy in the training data.
    """
    labels = np.asarray(is_signal_set).astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("is_signal_set must contain both isotropic and signal skies")
    lowest = float(np.floor(np.min(energy_eev) * 1000) / 1000)  # EeV, rounded down
    thresholds = [lowest * f for f in THRESHOLD_FACTORS]
    counts = pair_counts(directions, energy_eev, ANGLES_DEG, thresholds)
    auc = np.array([[roc_auc(labels, counts[:, i, j]) for j in range(len(ANGLES_DEG))]
                    for i in range(len(thresholds))])
    i, j = np.unravel_index(np.argmax(auc), auc.shape)
    return PairCountStatistic(max_angle_deg=ANGLES_DEG[j], min_energy_eev=thresholds[i],
                              training_auc=float(auc[i, j]))


def expected_isotropic_pairs(n_rays: int, max_angle_deg: float) -> float:
    """Expected pair count of an isotropic sky of ``n_rays`` rays (no energy cut)."""
    return n_rays * (n_rays - 1) / 2 * (1 - np.cos(np.deg2rad(max_angle_deg))) / 2
