"""Classical references for the calorimeter: electron/pion identification, pion energy.

**Identification** (lecture 4), :func:`fit_likelihood`: the energy-weighted shower
depth (X0) and the energy-weighted lateral width (mm) of each shower, combined in
a likelihood ratio estimated from two-dimensional histograms of a training set,

.. math:: s(d, w) = \\ln\\frac{p(d, w \\mid e)}{p(d, w \\mid \\pi)},

which is the optimal use of these two variables (Neyman-Pearson) up to the
histogram binning.  Electron candidates are showers with ``s`` above a cut; the
ROC curve scans the cut.  Calorimeter physicists quote the *pion rejection*
(1 / pion efficiency) at a fixed electron efficiency, see
:func:`rejection_at_efficiency`.

**Pion energy** (lecture 6), :func:`fit_software_compensation`: in a
non-compensating calorimeter (e/h > 1) the electromagnetic part of a hadron
shower is seen more strongly than the hadronic part, and the electromagnetic
fraction fluctuates from shower to shower.  Electromagnetic deposits are dense,
hadronic ones diffuse, so weighting every cell with a factor that falls with its
energy density undoes part of the difference ("software compensation", as in
H1, ATLAS and CALICE):

.. math:: E_{rec} = \\sum_{cells} w(\\rho_i)\\,E_i ,

with :math:`w` constant in bins of the density :math:`\\rho` (GeV/cm^3) and
fitted to the true energies of training showers by weighted least squares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.calorimeter import CELL_SIZE_MM, LAYER_EDGES_X0, X0_MM, lateral_width, shower_depth
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


# --- software compensation ---------------------------------------------------------

#: volume of one cell of each layer in cm^3 (16 mm x 16 mm x the layer's thickness)
CELL_VOLUME_CM3 = (CELL_SIZE_MM / 10.0) ** 2 * np.diff(LAYER_EDGES_X0) * X0_MM / 10.0


def energy_density(energy_deposit) -> np.ndarray:
    """Visible energy density of every cell in GeV/cm^3, the shape of ``energy_deposit``."""
    deposit = _showers(energy_deposit)
    return deposit / CELL_VOLUME_CM3


def _showers(energy_deposit) -> np.ndarray:
    deposit = np.asarray(energy_deposit, dtype=float)
    if deposit.ndim != 4 or deposit.shape[-1] != len(CELL_VOLUME_CM3):
        raise ValueError(f"energy_deposit must have shape (n, H, W, {len(CELL_VOLUME_CM3)}), "
                         f"got {deposit.shape}")
    return deposit


@dataclass(frozen=True)
class SoftwareCompensation:
    """Cell weights as a function of the local energy density.

    Attributes:
        density_edges: bin edges of the cell energy density (GeV/cm^3), the first 0
            and the last infinite; bins hold equal shares of the training showers'
            visible energy.
        weights: factor per density bin that turns visible energy (GeV) into
            reconstructed energy (GeV), shape ``(n_bins,)``.
    """

    density_edges: np.ndarray
    weights: np.ndarray

    def bin_energies(self, energy_deposit) -> np.ndarray:
        """Visible energy (GeV) of each shower in each density bin, shape ``(n, n_bins)``."""
        deposit = _showers(energy_deposit)
        index = np.searchsorted(self.density_edges, energy_density(deposit), side="right") - 1
        index = np.clip(index, 0, len(self.weights) - 1).reshape(len(deposit), -1)
        flat = deposit.reshape(len(deposit), -1)
        return np.stack([np.where(index == b, flat, 0.0).sum(axis=1)
                         for b in range(len(self.weights))], axis=1)

    def energy(self, energy_deposit) -> np.ndarray:
        """Reconstructed energy of each shower in GeV, shape ``(n,)``."""
        return self.bin_energies(energy_deposit) @ self.weights


def fit_software_compensation(energy_deposit, energy_gev, bins: int = 6,
                              density_edges=None) -> SoftwareCompensation:
    """Fit density-dependent cell weights to the true energies of training showers.

    The bin edges split the visible energy of the training cells into ``bins``
    equal shares (quantiles in density, weighted by energy).  The weights minimise
    :math:`\\sum_i (E_{rec,i} - E_i)^2 / E_i` (the variance of a sampling
    calorimeter grows like the energy) and are then scaled so that the mean
    response :math:`E_{rec}/E` of the training showers is one.

    Args:
        energy_deposit: training showers, visible energy per cell in GeV, shape
            ``(n, H, W, 4)``.
        energy_gev: their true energies in GeV, positive, shape ``(n,)``.
        bins: number of density bins (1 to 50); ``bins=1`` is the calibrated sum.
        density_edges: explicit inner bin edges in GeV/cm^3 (increasing, positive)
            instead of the equal-energy quantiles; ``bins`` is then ignored.
    """
    deposit = _showers(energy_deposit)
    energy = np.asarray(energy_gev, dtype=float)
    if energy.shape != (len(deposit),):
        raise ValueError(f"energy_gev must have shape ({len(deposit)},), got {energy.shape}")
    if not np.all(np.isfinite(energy) & (energy > 0)):
        raise ValueError("energy_gev must be finite and positive")
    alive = deposit > 0
    if not alive.any():
        raise ValueError("energy_deposit has no cell with energy")
    if density_edges is None:
        if not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 50:
            raise ValueError(f"bins must be an integer in [1, 50], got {bins!r}")
        density = energy_density(deposit)[alive]
        order = np.argsort(density)
        share = np.cumsum(deposit[alive][order])
        inner = np.interp(np.arange(1, bins) / bins, share / share[-1], density[order])
    else:
        inner = np.asarray(density_edges, dtype=float).ravel()
    edges = np.r_[0.0, inner, np.inf]
    if np.any(np.diff(edges) <= 0):
        raise ValueError("density bin edges must be positive and increasing; with quantile "
                         f"edges, {bins} bins may be too many for these showers")
    model = SoftwareCompensation(edges, np.ones(len(edges) - 1))
    features = model.bin_energies(deposit)
    scale = 1.0 / np.sqrt(energy)
    weights = np.linalg.lstsq(features * scale[:, None], energy * scale, rcond=None)[0]
    weights /= np.mean(features @ weights / energy)
    return SoftwareCompensation(edges, weights)
