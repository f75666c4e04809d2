"""Metrics over embeddings against independent computations on small random sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.errors import EvaluationError
from momo.evaluation import (
    diversity,
    frechet_distance,
    matching_score,
    multimodality,
    negative_sample_scores,
    r_precision,
)


def _fid_by_eigenvalues(a: np.ndarray, b: np.ndarray) -> float:
    """tr sqrt(S_a S_b) as the sum of sqrt eigenvalues of S_a^1/2 S_b S_a^1/2 (symmetric)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(s_a)
    root_a = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    trace_root = np.sqrt(np.clip(inner, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * trace_root)


def _brute_r_precision(text: np.ndarray, motion: np.ndarray, top_k: int, batch: int) -> np.ndarray:
    hits = np.zeros(top_k)
    used = len(text) // batch * batch
    for start in range(0, used, batch):
        t, m = text[start : start + batch], motion[start : start + batch]
        for i in range(batch):
            distances = [np.linalg.norm(t[i] - m[j]) for j in range(batch)]
            rank = sum(d < distances[i] for d in distances)
            hits += np.arange(top_k) >= rank
    return hits / used


def test_fid_matches_an_eigenvalue_computation() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((60, 5))
    b = 0.7 * rng.standard_normal((50, 5)) @ rng.standard_normal((5, 5)) + 0.3
    assert frechet_distance(a, b) == pytest.approx(_fid_by_eigenvalues(a, b), rel=1e-9)
    assert frechet_distance(torch.as_tensor(a), torch.as_tensor(a)) == pytest.approx(0, abs=1e-9)


def test_fid_rejects_too_few_rows() -> None:
    with pytest.raises(EvaluationError, match="at least 2"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


def test_r_precision_and_matching_score_match_brute_force() -> None:
    rng = np.random.default_rng(1)
    motion = rng.standard_normal((70, 4))
    text = motion + 0.8 * rng.standard_normal((70, 4))
    expected = _brute_r_precision(text, motion, 3, 32)
    np.testing.assert_allclose(r_precision(text, motion), expected, atol=1e-15)
    used = 64  # the last 6 rows are dropped
    score = np.mean([np.linalg.norm(text[i] - motion[i]) for i in range(used)])
    assert matching_score(text, motion) == pytest.approx(score, rel=1e-12)
    perfect = r_precision(torch.as_tensor(motion), torch.as_tensor(motion), top_k=2, batch_size=10)
    np.testing.assert_array_equal(perfect, [1.0, 1.0])


def test_remainder_is_dropped() -> None:
    rng = np.random.default_rng(2)
    motion = rng.standard_normal((32, 4))
    text = motion + rng.standard_normal((32, 4))
    extra_text, extra_motion = (
        np.vstack([text, 9 * rng.standard_normal((8, 4))]),
        np.vstack([motion, rng.standard_normal((8, 4))]),
    )
    np.testing.assert_array_equal(r_precision(extra_text, extra_motion), r_precision(text, motion))
    assert matching_score(extra_text, extra_motion) == matching_score(text, motion)
    with pytest.raises(EvaluationError, match="no full batch"):
        r_precision(text[:31], motion[:31])


def test_negative_samples_with_ground_truth_as_outputs_equal_plain_scores() -> None:
    rng = np.random.default_rng(3)
    motion = rng.standard_normal((64, 6))
    text = motion + 0.9 * rng.standard_normal((64, 6))
    precision, score = negative_sample_scores(text, motion, text, motion)
    np.testing.assert_array_equal(precision, r_precision(text, motion))
    assert score == pytest.approx(matching_score(text, motion), abs=1e-6)  # float32 distances
    # An output far from its caption ranks last against the 31 ground-truth negatives.
    far = motion.copy()
    far[0] += 100.0
    precision, _ = negative_sample_scores(text, far, text, motion)
    assert precision[2] == pytest.approx(r_precision(text, motion)[2] - 1 / 64)


def test_diversity_and_multimodality_follow_the_legacy_draw() -> None:
    rng = np.random.default_rng(4)
    emb = rng.standard_normal((50, 3))
    np.random.seed(7)  # the reference seeds the global legacy generator, then draws twice
    first, second = np.random.choice(50, 20, replace=False), np.random.choice(50, 20, replace=False)
    expected = np.mean([np.linalg.norm(emb[i] - emb[j]) for i, j in zip(first, second)])
    assert diversity(emb, times=20, seed=7) == pytest.approx(expected, rel=1e-12)
    grouped = rng.standard_normal((5, 12, 3))
    np.random.seed(0)
    first, second = np.random.choice(12, 10, replace=False), np.random.choice(12, 10, replace=False)
    expected = np.mean(
        [
            np.linalg.norm(grouped[c, i] - grouped[c, j])
            for c in range(5)
            for i, j in zip(first, second)
        ]
    )
    assert multimodality(grouped, times=10, seed=0) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(EvaluationError, match="more than 300"):
        diversity(emb)
