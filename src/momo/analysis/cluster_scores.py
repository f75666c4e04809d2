"""Chance-corrected agreement between K-Means clusters of attention features and frame labels.

The paper's attention analysis clusters per-frame features with PCA then K-Means. Here the
clusters are scored against known labels with scikit-learn's adjusted mutual information
(AMI: 0 for clusters unrelated to the labels, 1 for a perfect match, the same chance level for
every number of clusters):

- `clip_ami`: the paper's setting, one motion clustered on its own; scored against per-frame
  labels that change within the motion (gait phase: the outline);
- `pooled_ami`: the frames of many motions clustered together; scored against labels that
  change between motions (content, style: the motifs) or within them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from momo.analysis.clustering import as_feature_matrix
from momo.errors import TransferError

#: Default principal components kept before K-Means.
DEFAULT_SCORE_PCA_DIM = 16


def pca_kmeans(
    features: Any,
    n_clusters: int,
    *,
    pca_dim: int = DEFAULT_SCORE_PCA_DIM,
    seed: int = 0,
    n_init: int = 3,
) -> np.ndarray:
    """Cluster rows ``[N, D]``: PCA to ``pca_dim`` components, then K-Means (scikit-learn,
    k-means++ seeding, best of ``n_init`` runs).

    Returns:
        ``[N]`` int64 cluster ids (``n_clusters`` is capped at the number of distinct rows).
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    x = as_feature_matrix(features, "features")
    if n_clusters < 1:
        raise TransferError(f"n_clusters must be >= 1, got {n_clusters}")
    distinct = np.unique(x, axis=0).shape[0]
    k = min(int(n_clusters), distinct)
    if k < 2:
        return np.zeros(x.shape[0], dtype=np.int64)
    components = min(int(pca_dim), x.shape[0], x.shape[1])
    reduced = PCA(n_components=components, random_state=seed).fit_transform(x)
    kmeans = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    return kmeans.fit_predict(reduced).astype(np.int64)


def ami(labels: Any, clusters: Any) -> float:
    """Adjusted mutual information of two labelings of the same frames (sklearn)."""
    from sklearn.metrics import adjusted_mutual_info_score

    labels, clusters = np.asarray(labels), np.asarray(clusters)
    if labels.shape != clusters.shape or labels.ndim != 1:
        raise TransferError(
            f"labels {list(labels.shape)} and clusters {list(clusters.shape)} must be equal 1-D"
        )
    return float(adjusted_mutual_info_score(labels, clusters))


def clip_ami(
    features: Any,
    labels: Mapping[str, Any],
    n_clusters: int,
    *,
    pca_dim: int = DEFAULT_SCORE_PCA_DIM,
    seed: int = 0,
    n_init: int = 1,
) -> dict[str, float | None]:
    """Cluster one motion's frames and score the clusters against several frame labelings.

    Args:
        features: ``[T, D]`` per-frame features of one motion.
        labels: name -> ``[T]`` labels; a labeling with a single value carries no
            information and scores None.
        n_clusters: K-Means clusters.
        pca_dim: principal components kept.
        seed: K-Means seed.
        n_init: K-Means runs (one by default: a measurement averages over many motions).

    Returns:
        name -> AMI or None.
    """
    informative = {name: np.unique(np.asarray(y)).size >= 2 for name, y in labels.items()}
    if not any(informative.values()):
        return dict.fromkeys(labels)
    clusters = pca_kmeans(features, n_clusters, pca_dim=pca_dim, seed=seed, n_init=n_init)
    return {name: ami(y, clusters) if informative[name] else None for name, y in labels.items()}


def pooled_ami(
    features: Sequence[Any],
    labels: Mapping[str, Sequence[Any]],
    n_clusters: int,
    *,
    pca_dim: int = DEFAULT_SCORE_PCA_DIM,
    seed: int = 0,
) -> dict[str, float | None]:
    """Cluster the frames of many motions together and score them against frame labelings.

    Args:
        features: one ``[T_i, D]`` array per motion.
        labels: name -> one ``[T_i]`` array per motion (a clip label repeated, or frame
            labels); entries equal to ``""`` are unknown and left out of that name's score.
        n_clusters: K-Means clusters over all frames.
        pca_dim: principal components kept.
        seed: K-Means seed.

    Returns:
        name -> AMI over the frames with a known label, or None with fewer than two distinct
        known labels.
    """
    if not features:
        raise TransferError("no motions to cluster")
    x = np.concatenate([as_feature_matrix(f) for f in features])
    clusters = pca_kmeans(x, n_clusters, pca_dim=pca_dim, seed=seed)
    scores: dict[str, float | None] = {}
    for name, per_motion in labels.items():
        if len(per_motion) != len(features):
            raise TransferError(
                f"{len(per_motion)} {name} label arrays for {len(features)} motions"
            )
        y = np.concatenate([np.asarray(a, dtype=object) for a in per_motion]).astype(str)
        if y.shape[0] != x.shape[0]:
            raise TransferError(f"{x.shape[0]} frames of features for {y.shape[0]} {name} labels")
        known = y != ""
        scores[name] = ami(y[known], clusters[known]) if np.unique(y[known]).size >= 2 else None
    return scores
