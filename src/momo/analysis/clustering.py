"""Cluster the frames of a motion by their attention features: PCA, then K-Means.

The paper's attention analysis: clustering the per-frame *queries* of a layer groups
periodic sub-motions (the outline: each step of a walk falls in the same cluster), clustering the
*keys* groups motifs (standing, walking, turning). PCA is an SVD of the centred features;
K-Means is `scipy.cluster.vq.kmeans2` with k-means++ seeding from a seeded NumPy generator,
restarted a few times, keeping the lowest inertia.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from momo.errors import TransferError

#: Default number of principal components kept before K-Means.
DEFAULT_PCA_DIM = 8


def as_feature_matrix(features: Any, what: str = "features") -> np.ndarray:
    """NumPy or torch ``[T, D]`` -> float64 NumPy ``[T, D]``, checked 2-D, non-empty, finite.

    Raises:
        TransferError: naming ``what`` when the array is not like that.
    """
    if hasattr(features, "detach"):
        features = features.detach().cpu().double().numpy()
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise TransferError(f"{what} must be a [T, D] array, got shape {list(array.shape)}")
    if not np.isfinite(array).all():
        raise TransferError(f"{what} contain NaN or Inf")
    return array


@dataclass(frozen=True, eq=False)
class PCAResult:
    """A principal component analysis of ``[T, D]`` features.

    Attributes:
        projection: ``[T, k]`` coordinates of each row on the components.
        components: ``[k, D]`` orthonormal directions, by decreasing variance; each one's
            largest-magnitude entry is positive (a fixed sign, so results are reproducible).
        mean: ``[D]`` the mean that was subtracted.
        explained_variance: ``[k]`` variance along each component (divided by T - 1).
        explained_variance_ratio: ``[k]`` its share of the total variance (0 for constant data).
    """

    projection: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray


def pca(features: Any, n_components: int) -> PCAResult:
    """Project ``[T, D]`` features (NumPy or torch) onto their top principal components.

    Args:
        features: ``[T, D]`` rows to analyse.
        n_components: components kept; capped at ``min(T, D)``.

    Returns:
        `PCAResult` with ``k = min(n_components, T, D)`` components.
    """
    x = as_feature_matrix(features, "features")
    if n_components < 1:
        raise TransferError(f"n_components must be >= 1, got {n_components}")
    rows, dims = x.shape
    k = min(int(n_components), rows, dims)
    mean = x.mean(axis=0)
    centred = x - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:k]
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    variance = singular[:k] ** 2 / max(rows - 1, 1)
    total = float((singular**2).sum()) / max(rows - 1, 1)
    ratio = variance / total if total > 0 else np.zeros_like(variance)
    return PCAResult(
        projection=centred @ components.T,
        components=components,
        mean=mean,
        explained_variance=variance,
        explained_variance_ratio=ratio,
    )


def relabel_by_first_appearance(labels: np.ndarray) -> np.ndarray:
    """Rename cluster ids so they appear in time order: frame 0 is in cluster 0, the first
    frame of another cluster starts cluster 1, and so on. ``[T]`` -> ``[T]`` int64."""
    labels = np.asarray(labels)
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    mapping = {int(old): new for new, old in enumerate(order)}
    return np.array([mapping[int(v)] for v in labels], dtype=np.int64)


def kmeans(
    points: Any,
    n_clusters: int,
    *,
    seed: int = 0,
    n_init: int = 10,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, float]:
    """K-Means (Lloyd's iterations from k-means++ seeds), best of ``n_init`` restarts.

    Args:
        points: ``[N, D]`` (NumPy or torch).
        n_clusters: K, at most the number of distinct points.
        seed: seed of the NumPy generator shared by the restarts.
        n_init: restarts; the run with the lowest inertia wins.
        max_iter: Lloyd iterations per restart.

    Returns:
        ``(labels [N] int64, centroids [K, D], inertia)``; labels are renamed by first
        appearance (`relabel_by_first_appearance`), centroids reordered to match, and inertia
        is the sum of squared distances of the points to their centroids.

    Raises:
        TransferError: K < 1, or more clusters than distinct points.
    """
    from scipy.cluster.vq import ClusterError, kmeans2

    x = as_feature_matrix(points, "points")
    distinct = np.unique(x, axis=0).shape[0]
    if not 1 <= n_clusters <= distinct:
        raise TransferError(
            f"cannot form {n_clusters} clusters from {distinct} distinct frames; choose "
            f"1..{distinct} clusters"
        )
    rng = np.random.default_rng(seed)
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(max(1, int(n_init))):
        try:
            centroids, labels = kmeans2(
                x, int(n_clusters), iter=int(max_iter), minit="++", missing="raise", rng=rng
            )
        except ClusterError:  # a cluster emptied out: this restart is void, try the next seed
            continue
        inertia = float(((x - centroids[labels]) ** 2).sum())
        if best is None or inertia < best[2]:
            best = (labels, centroids, inertia)
    if best is None:
        raise TransferError(
            f"K-Means left a cluster empty in all {n_init} restarts; choose fewer clusters"
        )
    labels, centroids, inertia = best
    renamed = relabel_by_first_appearance(labels)
    order = np.empty(n_clusters, dtype=np.int64)
    order[renamed] = labels  # new id -> old id
    return renamed, centroids[order], inertia


@dataclass(frozen=True, eq=False)
class FrameClusters:
    """K-Means clusters of the frames of a motion, after PCA.

    Attributes:
        labels: ``[T]`` int64 cluster of each frame, numbered by first appearance in time.
        centroids: ``[K, k]`` cluster centres in PCA coordinates.
        inertia: sum of squared distances of the frames to their centres (PCA coordinates).
        pca: the PCA the clusters were found in (``pca.projection`` is ``[T, k]``).
    """

    labels: np.ndarray
    centroids: np.ndarray
    inertia: float
    pca: PCAResult

    @property
    def projection(self) -> np.ndarray:
        """``[T, k]`` PCA coordinates of the frames (what K-Means saw)."""
        return self.pca.projection


def cluster_frames(
    features: Any,
    n_clusters: int,
    *,
    pca_dim: int = DEFAULT_PCA_DIM,
    seed: int = 0,
    n_init: int = 10,
) -> FrameClusters:
    """Cluster the frames of one motion by their features: PCA to ``pca_dim``, then K-Means.

    Args:
        features: ``[T, D]`` per-frame features (e.g. `AttentionFeatures.query(layer, t)`),
            NumPy or torch.
        n_clusters: K, the number of clusters (at most the number of distinct frames).
        pca_dim: principal components kept (capped at ``min(T, D)``).
        seed: seed of K-Means' initialisation.
        n_init: K-Means restarts.

    Returns:
        `FrameClusters` with labels ``[T]`` and the PCA projection ``[T, k]``.
    """
    reduced = pca(features, pca_dim)
    labels, centroids, inertia = kmeans(reduced.projection, n_clusters, seed=seed, n_init=n_init)
    return FrameClusters(labels=labels, centroids=centroids, inertia=inertia, pca=reduced)
