"""Tests of dlphys.graphs: the kNN graph of a batch of point clouds, and sky maps as graphs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from dlphys.graphs import knn_edge_index, sky_graphs

SIZES = (17, 40, 9, 64)  # graphs of different sizes in one batch


def batch_of_clouds(sizes=SIZES, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    clouds = [rng.normal(size=(n, n_features)).astype(np.float32) for n in sizes]
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return clouds, torch.from_numpy(np.concatenate(clouds)), batch


@pytest.mark.parametrize(("k", "n_features"), [(1, 3), (5, 3), (8, 4), (8, 16)])
def test_knn_matches_scikit_learn(k, n_features):
    clouds, x, batch = batch_of_clouds(n_features=n_features, seed=k + n_features)
    edge_index = knn_edge_index(x, batch, k)
    assert edge_index.dtype == torch.long and edge_index.shape == (2, len(x) * k)
    source, target = edge_index.numpy()
    # the k edges of every node are consecutive, and it is their target (the centre)
    np.testing.assert_array_equal(target, np.repeat(np.arange(len(x)), k))
    start = 0
    for cloud in clouds:
        expected = NearestNeighbors(n_neighbors=k).fit(cloud).kneighbors(return_distance=False)
        found = source[start * k:(start + len(cloud)) * k].reshape(len(cloud), k) - start
        np.testing.assert_array_equal(found, expected)  # the same neighbours, nearest first
        start += len(cloud)


def test_no_self_loops_and_no_edges_between_graphs():
    _, x, batch = batch_of_clouds(seed=3)
    source, target = knn_edge_index(x, batch, 8)
    assert not bool((source == target).any()), "a node must not be its own neighbour"
    np.testing.assert_array_equal(batch[source].numpy(), batch[target].numpy())
    # and no edge twice
    assert torch.unique(torch.stack([source, target]), dim=1).shape[1] == len(x) * 8


def test_single_graph_and_order_of_features():
    """batch=None is one graph; the result does not depend on the order of the nodes."""
    rng = np.random.default_rng(5)
    x = torch.from_numpy(rng.normal(size=(50, 4)).astype(np.float32))
    edges = knn_edge_index(x, None, 6)
    order = torch.from_numpy(rng.permutation(50))
    permuted = knn_edge_index(x[order], None, 6)
    # map the permuted graph back to the original node numbers
    as_sets = {(int(order[j]), int(order[i])) for j, i in permuted.T}
    assert as_sets == {(int(j), int(i)) for j, i in edges.T}


def test_graph_too_small_for_k_is_a_clear_error():
    _, x, batch = batch_of_clouds(seed=1)  # the third graph has 9 nodes
    knn_edge_index(x, batch, 8)  # 9 nodes: exactly k + 1, enough
    with pytest.raises(ValueError, match=r"graph 2 has 9 nodes.*k = 9.*k \+ 1 = 10"):
        knn_edge_index(x, batch, 9)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        knn_edge_index(x, batch, 0)
    with pytest.raises(ValueError, match="sorted"):
        knn_edge_index(x, batch.flip(0), 3)
    with pytest.raises(ValueError, match="batch must have shape"):
        knn_edge_index(x, batch[:-1], 3)


def test_sky_graphs_features_and_batch():
    rng = np.random.default_rng(2)
    directions = rng.normal(size=(3, 20, 3))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    energy = rng.uniform(40.0, 300.0, (3, 20))
    x, batch = sky_graphs(directions, energy, 40.0)
    assert x.shape == (60, 4) and x.dtype == torch.float32 and batch.shape == (60,)
    np.testing.assert_array_equal(batch.numpy(), np.repeat(np.arange(3), 20))
    np.testing.assert_allclose(x[:, :3].numpy(), directions.reshape(60, 3), rtol=1e-6)
    np.testing.assert_allclose(x[:, 3].numpy(), 40.0 / energy.reshape(60), rtol=1e-6)
    with pytest.raises(ValueError, match="energy_eev must have shape"):
        sky_graphs(directions, energy[:, :10], 40.0)
    with pytest.raises(ValueError, match="directions must have shape"):
        sky_graphs(directions[0], energy, 40.0)


def test_importing_dlphys_does_not_import_torch():
    code = ("import sys, dlphys, dlphys.metrics, dlphys.data.cosmic_sky, "
            "dlphys.baselines.cosmic_sky; print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
