"""Cut-based electron/pion identification from two shower-shape variables.

The classical answer of lecture 4: the energy-weighted shower depth (X0) and the
energy-weighted lateral width (mm) of each shower, combined in a likelihood ratio
estimated from two-dimensional histograms of a training set,

.. math:: s(d, w) = \\ln\\frac{p(d, w \\mid e)}{p(d, w \\mid \\pi)},

which is the optimal use of these two variables (Neyman-Pearson) up to the
histogram binning.  Electron candidates are showers with ``s`` above a cut; the
ROC curve scans the cut.  Calorimeter physicists quote the *pion rejection*
(1 / pion efficiency) at a fixed electron efficiency, see
:func:`rejection_at_efficiency`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.calorimeter import LAYER_EDGES_X0, lateral_width, shower_depth
from ..metrics import roc_curve


def shower_shapes(energy_deposit) -> np.ndarray:
    """Shower depth (X0) and lateral width (mm) of each image, shape ``(n, 2)``.

    Empty images (everything below the zero-suppression threshold) get the depth
    of the back of the calorimeter and zero width.
    """
    depth = np.nan_to_num(shower_depth(energy_deposit), nan=LAYER_EDGES_X0[-1])
    width = np.nan_to_num(lateral_width(energy_deposit), nan=0.0)
    return np.stack([depth, width], axis=1)


@dataclass(frozen=True)
class ShowerShapeLikelihood:
    """Histogram likelihood ratio of (depth, width).

    Attributes:
        depth_edges: bin edges of the shower depth (X0), equal-population bins of
            the training set, outermost edges infinite.
        width_edges: bin edges of the lateral width (mm), likewise.
        log_ratio: ``ln p(bin | electron) - ln p(bin | pion)``, shape
            ``(n_depth_bins, n_width_bins)``, with half an event added to every
            bin of each class.
    """

    depth_edges: np.ndarray
    width_edges: np.ndarray
    log_ratio: np.ndarray

    def score(self, energy_deposit) -> np.ndarray:
        """Log-likelihood ratio per shower: large for electrons."""
        return self.score_shapes(shower_shapes(energy_deposit))

    def score_shapes(self, shapes) -> np.ndarray:
        """The score from precomputed :func:`shower_shapes`, shape ``(n, 2)``."""
        shapes = np.asarray(shapes, dtype=float)
        i = np.searchsorted(self.depth_edges, shapes[:, 0], side="right") - 1
        j = np.searchsorted(self.width_edges, shapes[:, 1], side="right") - 1
        i = np.clip(i, 0, len(self.depth_edges) - 2)
        j = np.clip(j, 0, len(self.width_edges) - 2)
        return self.log_ratio[i, j]


def _edges(values, bins):
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def fit_likelihood(energy_deposit, is_electron, bins: int = 20) -> ShowerShapeLikelihood:
    """Fill the (depth, width) histograms of electrons and pions of a training set.

    Args:
        energy_deposit: training images, shape ``(n, H, W, layers)``.
        is_electron: boolean labels, shape ``(n,)``, both classes present.
        bins: number of equal-population bins per variable (2 to 200).
    """
    is_electron = np.asarray(is_electron).astype(bool)
    if not isinstance(bins, (int, np.integer)) or not 2 <= bins <= 200:
        raise ValueError(f"bins must be an integer in [2, 200], got {bins!r}")
    if is_electron.all() or not is_electron.any():
        raise ValueError("is_electron must contain both electrons and pions")
    shapes = shower_shapes(energy_deposit)
    if len(shapes) != len(is_electron):
        raise ValueError("energy_deposit and is_electron must have the same length")
    depth_edges = _edges(shapes[:, 0], bins)
    width_edges = _edges(shapes[:, 1], bins)
    hist = [np.histogram2d(shapes[sel, 0], shapes[sel, 1], [depth_edges, width_edges])[0]
            for sel in (is_electron, ~is_electron)]
    p_electron = (hist[0] + 0.5) / (hist[0] + 0.5).sum()
    p_pion = (hist[1] + 0.5) / (hist[1] + 0.5).sum()
    return ShowerShapeLikelihood(depth_edges, width_edges, np.log(p_electron / p_pion))


def rejection_at_efficiency(is_electron, scores, efficiency: float = 0.9) -> float:
    """Pion rejection (1 / pion efficiency) of the cut that keeps ``efficiency`` of electrons.

    The cut is the loosest threshold reaching at least that electron efficiency;
    ``inf`` if no pion passes it.
    """
    if not 0.0 < efficiency <= 1.0:
        raise ValueError(f"efficiency must be in (0, 1], got {efficiency!r}")
    fpr, tpr = roc_curve(is_electron, scores)
    index = int(np.searchsorted(tpr, efficiency - 1e-12))
    pion_efficiency = fpr[min(index, len(fpr) - 1)]
    return float(np.inf) if pion_efficiency == 0 else float(1.0 / pion_efficiency)
