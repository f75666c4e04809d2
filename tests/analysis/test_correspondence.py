"""Correspondences on constructed queries/keys whose best matches are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.analysis.correspondence import correspondences
from momo.errors import TransferError


def _orthonormal_rows(rng: np.random.Generator, rows: int, dims: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(dims, dims)))
    return q[:rows]


def test_permuted_queries_as_keys_give_the_permutation_back() -> None:
    rng = np.random.default_rng(0)
    leader_q = 3.0 * _orthonormal_rows(rng, 12, 16)
    perm = rng.permutation(12)
    follower_k = leader_q[perm]  # follower frame j looks like leader frame perm[j]
    result = correspondences(leader_q, follower_k)
    # Leader frame i matches the follower frame j with perm[j] == i.
    np.testing.assert_array_equal(result.follower_frames, np.argsort(perm))
    np.testing.assert_array_equal(perm[result.follower_frames], np.arange(12))
    np.testing.assert_allclose(
        result.scores, np.einsum("id,jd->ij", leader_q, follower_k), atol=1e-12
    )
    np.testing.assert_allclose(result.best_scores, 9.0)


def test_different_lengths_with_distractor_frames() -> None:
    rng = np.random.default_rng(1)
    basis = _orthonormal_rows(rng, 14, 14)
    leader_q = basis[:5]
    # 9 follower frames: the leader's directions at known places, distractors elsewhere.
    places = np.array([7, 0, 4, 8, 2])
    follower_k = basis[5:14].copy()
    follower_k[places] = leader_q
    result = correspondences(torch.as_tensor(leader_q), torch.as_tensor(follower_k))
    np.testing.assert_array_equal(result.follower_frames, places)
    assert result.scores.shape == (5, 9)


def test_masked_follower_frames_are_never_chosen() -> None:
    rng = np.random.default_rng(2)
    leader_q = rng.normal(size=(10, 8))
    follower_k = rng.normal(size=(6, 8))
    follower_k[3] = 50.0 * leader_q.sum(axis=0)  # the best match of (almost) every frame
    assert np.sum(correspondences(leader_q, follower_k).follower_frames == 3) >= 5
    mask = np.ones(6, dtype=bool)
    mask[[3, 5]] = False
    result = correspondences(leader_q, follower_k, follower_mask=mask)
    assert not np.isin(result.follower_frames, [3, 5]).any()
    assert np.all(np.isneginf(result.scores[:, ~mask]))
    # Same answer as matching against the unmasked frames only.
    kept = np.flatnonzero(mask)
    alone = correspondences(leader_q, follower_k[mask])
    np.testing.assert_array_equal(result.follower_frames, kept[alone.follower_frames])
    np.testing.assert_allclose(result.best_scores, alone.best_scores)


def test_bad_inputs_raise() -> None:
    q = np.zeros((3, 4))
    with pytest.raises(TransferError, match="4-d"):
        correspondences(q, np.zeros((5, 6)))
    with pytest.raises(TransferError, match="every follower frame"):
        correspondences(q, np.zeros((5, 4)), follower_mask=np.zeros(5, dtype=bool))
    with pytest.raises(TransferError, match="shape"):
        correspondences(q, np.zeros((5, 4)), follower_mask=np.ones(4, dtype=bool))
    with pytest.raises(TransferError, match="bool"):
        correspondences(q, np.zeros((5, 4)), follower_mask=np.ones(5))
