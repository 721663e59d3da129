"""Point clouds as graphs for torch-geometric: the k-nearest-neighbour graph and sky maps.

torch-geometric 2.8 from PyPI has no ``knn_graph`` (it needs the compiled
``pyg-lib``), so :func:`knn_edge_index` builds the graph of every point cloud of a
batch with ``torch.cdist`` and ``topk``.  It is exact (it agrees with
scikit-learn's ``NearestNeighbors``), returns indices only (no gradient flows
through the choice of neighbours) and works in any feature space, so it also
serves the *dynamic* graph of a DGCNN, whose neighbours are recomputed from the
features between layers.

:func:`sky_graphs` turns the arrays of :func:`dlphys.data.cosmic_sky.load` into the
node features and batch vector of a torch-geometric graph network.

This module imports torch; ``import dlphys`` does not.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

with warnings.catch_warnings():
    # torch-geometric 2.8 calls torch.jit.script, deprecated in torch 2.13, when imported
    warnings.simplefilter("ignore", DeprecationWarning)
    from torch_geometric.utils import to_dense_batch

__all__ = ["knn_edge_index", "sky_graphs"]


def knn_edge_index(x: torch.Tensor, batch: torch.Tensor | None, k: int) -> torch.Tensor:
    """Edges from the ``k`` nearest neighbours of every node, within its own graph.

    Args:
        x: node positions or features, shape ``(n_nodes, n_features)``.
        batch: graph index of every node, shape ``(n_nodes,)``, sorted (as
            torch-geometric's ``Batch`` makes it); ``None`` for a single graph.
        k: neighbours per node (Euclidean distance in ``x``); a node is not its
            own neighbour.

    Returns:
        ``edge_index`` of shape ``(2, n_nodes * k)``, long, in torch-geometric's
        ``source_to_target`` convention: the edge ``(j, i)`` carries a message from
        the neighbour ``j`` to the centre ``i``, as ``EdgeConv`` expects.  The ``k``
        edges of node ``i`` are consecutive, nearest first.  No edge joins two graphs.

    Raises:
        ValueError: for a ``k`` below 1, mismatched shapes, an unsorted ``batch``, or
            a graph with fewer than ``k + 1`` nodes (it has no ``k`` neighbours).
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    k = int(k)
    if x.dim() != 2:
        raise ValueError(f"x must have shape (n_nodes, n_features), got {tuple(x.shape)}")
    if batch is None:
        batch = torch.zeros(len(x), dtype=torch.long, device=x.device)
    if batch.shape != (len(x),):
        raise ValueError(f"batch must have shape ({len(x)},), got {tuple(batch.shape)}")
    if len(batch) > 1 and bool((batch[1:] < batch[:-1]).any()):
        raise ValueError("batch must be sorted (the nodes of one graph consecutive)")
    sizes = torch.bincount(batch)
    present = sizes[sizes > 0]
    if len(present) and int(present.min()) < k + 1:
        smallest = int(torch.nonzero(sizes == present.min())[0])
        raise ValueError(f"graph {smallest} has {int(present.min())} nodes: a kNN graph with "
                         f"k = {k} needs at least k + 1 = {k + 1} nodes per graph")
    with torch.no_grad():
        dense, mask = to_dense_batch(x.detach(), batch)  # (n_graphs, n_max, n_features)
        # direct differences, not the |a|^2 + |b|^2 - 2ab shortcut: exact neighbours
        distance = torch.cdist(dense, dense, compute_mode="donot_use_mm_for_euclid_dist")
        distance.masked_fill_(~mask[:, None, :], float("inf"))  # padding is nobody's neighbour
        distance.diagonal(dim1=1, dim2=2).fill_(float("inf"))  # nor is the node itself
        local = distance.topk(k, dim=2, largest=False).indices  # (n_graphs, n_max, k)
        start = torch.cumsum(sizes, 0) - sizes  # index of each graph's first node
        source = (local + start[:, None, None])[mask]  # (n_nodes, k), global indices
    target = torch.arange(len(x), device=x.device).repeat_interleave(k)
    return torch.stack([source.reshape(-1), target])


def sky_graphs(directions, energy_eev, min_energy_eev: float,
               dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Node features and batch vector of sky maps, one graph per sky.

    Every cosmic ray is a node with four features: its arrival direction (x, y, z),
    a unit vector, and ``min_energy_eev / E``, which is 1 at the threshold and falls
    as 1/E, in proportion to the magnetic deflection of a ray of that energy.

    Args:
        directions: unit vectors, shape ``(n_sets, n_rays, 3)`` (NumPy or torch).
        energy_eev: energies in EeV, shape ``(n_sets, n_rays)``.
        min_energy_eev: the energy threshold of the data, EeV
            (``CosmicSkyData.min_energy_eev``).
        dtype: floating type of the features.

    Returns:
        ``(x, batch)``: features of shape ``(n_sets * n_rays, 4)`` and the graph index
        of every node, shape ``(n_sets * n_rays,)``, long.
    """
    directions = torch.as_tensor(directions, dtype=dtype)
    energy = torch.as_tensor(energy_eev, dtype=dtype)
    if directions.dim() != 3 or directions.shape[-1] != 3:
        raise ValueError(f"directions must have shape (n_sets, n_rays, 3), "
                         f"got {tuple(directions.shape)}")
    if energy.shape != directions.shape[:2]:
        raise ValueError(f"energy_eev must have shape {tuple(directions.shape[:2])}, "
                         f"got {tuple(energy.shape)}")
    if not min_energy_eev > 0 or bool((energy <= 0).any()):
        raise ValueError("energies and min_energy_eev must be positive")
    n_sets, n_rays = energy.shape
    x = torch.cat([directions, (min_energy_eev / energy)[..., None]], dim=-1)
    batch = torch.arange(n_sets).repeat_interleave(n_rays)
    return x.reshape(n_sets * n_rays, 4), batch
