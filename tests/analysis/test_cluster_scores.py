"""PCA + K-Means clusters scored with adjusted mutual information on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from momo.analysis.cluster_scores import ami, clip_ami, pca_kmeans, pooled_ami
from momo.errors import TransferError


def _blobs(labels: np.ndarray, dim: int = 24, spread: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(labels.max() + 1, dim)) * 3.0
    return centres[labels] + spread * rng.normal(size=(labels.size, dim))


def test_separated_groups_are_found_and_unrelated_labels_score_near_zero() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 200)
    x = _blobs(labels)
    clusters = pca_kmeans(x, 4, pca_dim=8)
    assert ami(labels, clusters) == pytest.approx(1.0)
    unrelated = rng.integers(0, 4, 200)
    assert abs(ami(unrelated, clusters)) < 0.05


def test_clip_ami_scores_each_labeling_and_skips_constant_ones() -> None:
    labels = np.tile(np.repeat(np.arange(4), 5), 4)
    scores = clip_ami(_blobs(labels), {"phase": labels, "constant": np.zeros(labels.size, int)}, 4)
    assert scores["phase"] == pytest.approx(1.0)
    assert scores["constant"] is None


def test_pooled_ami_leaves_unknown_labels_out() -> None:
    content = np.repeat(np.arange(3), 30)
    features = [_blobs(content, seed=2)[i * 30 : (i + 1) * 30] for i in range(3)]
    by_clip = [np.full(30, name, object) for name in ("walk", "run", "wave")]
    unknown = [np.full(30, "", object)] * 3
    half = [np.full(30, "old", object), np.full(30, "", object), np.full(30, "young", object)]
    scores = pooled_ami(features, {"content": by_clip, "style": unknown, "half": half}, 3)
    assert scores["content"] == pytest.approx(1.0)
    assert scores["style"] is None
    assert scores["half"] == pytest.approx(1.0)  # only the two known clips count


def test_identical_rows_give_one_cluster_and_mismatched_shapes_are_refused() -> None:
    assert (pca_kmeans(np.ones((10, 5)), 3) == 0).all()
    with pytest.raises(TransferError, match="equal 1-D"):
        ami(np.zeros(3), np.zeros(4))
