"""PCA and K-Means on constructed data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.analysis.clustering import cluster_frames, kmeans, pca, relabel_by_first_appearance
from momo.errors import TransferError


def _blobs(rng: np.random.Generator, centres: np.ndarray, per_blob: int, spread: float):
    truth = np.repeat(np.arange(len(centres)), per_blob)
    order = rng.permutation(truth.size)
    truth = truth[order]
    points = centres[truth] + spread * rng.normal(size=(truth.size, centres.shape[1]))
    return points, truth


def _same_partition(labels: np.ndarray, truth: np.ndarray) -> bool:
    """True when labels and truth split the points identically (up to renaming)."""
    pairs = set(zip(labels.tolist(), truth.tolist()))
    return len(pairs) == len(set(labels.tolist())) == len(set(truth.tolist()))


def test_kmeans_recovers_separated_blobs_up_to_permutation() -> None:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 10)) * 20.0
    points, truth = _blobs(rng, centres, 15, spread=0.5)
    result = cluster_frames(points, 4, pca_dim=6, seed=1)
    assert result.labels.shape == (60,)
    assert _same_partition(result.labels, truth)
    assert result.projection.shape == (60, 6)
    assert result.centroids.shape == (4, 6)


def test_kmeans_partition_check_detects_a_wrong_answer() -> None:
    # The helper used above must reject a split that merges two blobs.
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert not _same_partition(np.array([0, 0, 0, 0, 1, 1]), truth)
    assert _same_partition(np.array([2, 2, 0, 0, 1, 1]), truth)


def test_kmeans_is_deterministic_for_a_seed_and_names_clusters_by_first_appearance() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 3))
    a = kmeans(points, 5, seed=7)
    b = kmeans(points, 5, seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    labels, centroids, inertia = a
    assert labels[0] == 0
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in range(5)]
    assert firsts == sorted(firsts)
    # Centroids are the means of their members, and inertia is measured against them.
    for c in range(5):
        np.testing.assert_allclose(centroids[c], points[labels == c].mean(axis=0), atol=1e-12)
    assert inertia == pytest.approx(float(((points - centroids[labels]) ** 2).sum()))


def test_queries_of_a_periodic_motion_cluster_by_phase() -> None:
    # A stand-in for the paper's finding: per-frame features that repeat with period 3 (each
    # step of a walk) fall into one cluster per phase, named in time order.
    rng = np.random.default_rng(5)
    phases = rng.normal(size=(3, 32)) * 5.0
    frames = np.arange(30)
    features = phases[frames % 3] + 0.05 * rng.normal(size=(30, 32))
    result = cluster_frames(torch.as_tensor(features), 3, pca_dim=4)
    np.testing.assert_array_equal(result.labels, frames % 3)


def test_pca_of_points_on_a_line_has_one_nonzero_component() -> None:
    rng = np.random.default_rng(1)
    direction = rng.normal(size=6)
    direction /= np.linalg.norm(direction)
    s = rng.uniform(-3.0, 3.0, size=25)
    points = np.array([1.0, -2.0, 0.5, 3.0, 0.0, 4.0]) + s[:, None] * direction
    result = pca(points, 4)
    assert result.components.shape == (4, 6)
    assert result.explained_variance[0] == pytest.approx(np.var(s, ddof=1), rel=1e-10)
    assert np.all(result.explained_variance[1:] < 1e-20 * result.explained_variance[0])
    assert result.explained_variance_ratio[0] == pytest.approx(1.0)
    # The component is the line's direction and the coordinate its centred parameter.
    sign = np.sign(result.components[0] @ direction)
    np.testing.assert_allclose(result.components[0], sign * direction, atol=1e-10)
    np.testing.assert_allclose(result.projection[:, 0], sign * (s - s.mean()), atol=1e-10)
    np.testing.assert_allclose(result.projection[:, 1:], 0.0, atol=1e-10)


def test_pca_components_are_orthonormal_and_capped() -> None:
    rng = np.random.default_rng(2)
    points = rng.normal(size=(5, 9))
    result = pca(points, 20)
    assert result.components.shape == (5, 9)  # capped at min(T, D)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(5), atol=1e-10)
    assert np.all(np.diff(result.explained_variance) <= 1e-12)


def test_relabel_by_first_appearance() -> None:
    np.testing.assert_array_equal(
        relabel_by_first_appearance(np.array([7, 7, 2, 9, 2, 7])), [0, 0, 1, 2, 1, 0]
    )


def test_bad_cluster_requests_raise() -> None:
    points = np.repeat(np.eye(3), 4, axis=0)  # 3 distinct frames
    with pytest.raises(TransferError, match="distinct"):
        kmeans(points, 4)
    with pytest.raises(TransferError):
        kmeans(points, 0)
    with pytest.raises(TransferError, match="NaN"):
        cluster_frames(np.full((4, 2), np.nan), 2)
    with pytest.raises(TransferError, match=r"\[T, D\]"):
        cluster_frames(np.zeros(5), 2)
    labels = kmeans(points, 3)[0]
    assert _same_partition(labels, np.repeat(np.arange(3), 4))
