"""Semantic correspondences between leader and follower frames through attention scores.

In a transfer layer, an output frame attends with the leader's query to the follower's keys
(MoMo's mixed attention), so the follower frame with the largest ``q_leader . k_follower``
score is the one the leader frame draws on most: its semantic correspondent (the paper's
attention analysis; up-moves match up-moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from momo.analysis.clustering import as_feature_matrix
from momo.errors import TransferError


@dataclass(frozen=True, eq=False)
class Correspondences:
    """For each leader frame, the follower frame it attends to most.

    Attributes:
        follower_frames: ``[T_l]`` int64, the follower frame with the largest score for each
            leader frame (the first one on ties); never a masked follower frame.
        scores: ``[T_l, T_f]`` float64 dot products ``q_leader[i] . k_follower[j]`` (heads
            merged, so the sum of the per-head attention logits times ``sqrt(d / H)``); masked
            follower frames hold ``-inf``.
        best_scores: ``[T_l]`` the score of each chosen pair.
        follower_mask: ``[T_f]`` bool, True = the follower frame could be chosen.
    """

    follower_frames: np.ndarray
    scores: np.ndarray
    best_scores: np.ndarray
    follower_mask: np.ndarray


def correspondences(leader_q: Any, follower_k: Any, follower_mask: Any = None) -> Correspondences:
    """Match every leader frame to the follower frame with the largest ``q . k`` score.

    Args:
        leader_q: ``[T_l, D]`` per-frame leader queries (NumPy or torch).
        follower_k: ``[T_f, D]`` per-frame follower keys of the same layer and timestep.
        follower_mask: optional bool ``[T_f]``, True = real frame (padding is never chosen);
            None = every frame.

    Returns:
        `Correspondences`.

    Raises:
        TransferError: shapes that do not fit, non-finite values, or a mask with no frame.
    """
    q = as_feature_matrix(leader_q, "leader queries")
    k = as_feature_matrix(follower_k, "follower keys")
    if q.shape[1] != k.shape[1]:
        raise TransferError(
            f"leader queries are {q.shape[1]}-d and follower keys {k.shape[1]}-d; take both "
            "from the same layer of the same model"
        )
    if follower_mask is None:
        mask = np.ones(k.shape[0], dtype=bool)
    else:
        if hasattr(follower_mask, "detach"):
            follower_mask = follower_mask.detach().cpu().numpy()
        mask = np.asarray(follower_mask)
        if mask.dtype != np.bool_ or mask.shape != (k.shape[0],):
            raise TransferError(
                f"follower_mask must be a bool array of shape [{k.shape[0]}], got "
                f"{mask.dtype} {list(mask.shape)}"
            )
    if not mask.any():
        raise TransferError("follower_mask excludes every follower frame; nothing can match")
    scores = q @ k.T
    scores[:, ~mask] = -np.inf
    frames = scores.argmax(axis=1).astype(np.int64)
    return Correspondences(
        follower_frames=frames,
        scores=scores,
        best_scores=scores[np.arange(q.shape[0]), frames],
        follower_mask=mask.copy(),
    )
