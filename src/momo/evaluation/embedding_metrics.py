"""Metrics over evaluator embeddings, as the reference evaluation code computes them.

Every function takes NumPy arrays or torch tensors (as `T2MEvaluator` returns them) and works in
float64. Text and motion embeddings are paired by row. The batched metrics use consecutive
batches of ``batch_size`` rows and drop the remainder, as the reference's data loaders do
(``drop_last=True``); the reference also shuffles before batching, so pass rows in the order you
want batched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from momo.errors import EvaluationError


def _as_matrix(x: Any, what: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 2:
        raise EvaluationError(f"{what} must be a [N, D] matrix, got shape {list(array.shape)}")
    if not np.isfinite(array).all():
        raise EvaluationError(f"{what} contains NaN or Inf")
    return array


def _paired(text_emb: Any, motion_emb: Any) -> tuple[np.ndarray, np.ndarray]:
    text, motion = (
        _as_matrix(text_emb, "text embeddings"),
        _as_matrix(motion_emb, "motion embeddings"),
    )
    if text.shape != motion.shape:
        raise EvaluationError(
            f"text and motion embeddings must pair row by row, got {list(text.shape)} and "
            f"{list(motion.shape)}"
        )
    return text, motion


def _full_batches(rows: int, batch_size: int) -> list[slice]:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise EvaluationError(f"batch_size must be a positive integer, got {batch_size!r}")
    if rows < batch_size:
        raise EvaluationError(
            f"{rows} rows make no full batch of {batch_size}; the reference drops partial "
            "batches, so pass at least one full batch (or a smaller batch_size)"
        )
    return [
        slice(start, start + batch_size) for start in range(0, rows - batch_size + 1, batch_size)
    ]


def euclidean_distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise distances ``[N, M]`` by the reference's expansion sqrt(|a|^2 - 2ab + |b|^2)."""
    squared = np.sum(a**2, axis=1, keepdims=True) - 2.0 * a @ b.T + np.sum(b**2, axis=1)
    return np.sqrt(np.maximum(squared, 0.0))


def _top_k_hits(distances: np.ndarray, top_k: int) -> np.ndarray:
    """Per k: how many rows have their own column among their k nearest (ranked by argsort)."""
    order = np.argsort(distances, axis=1)
    own = order[:, :top_k] == np.arange(len(distances))[:, None]
    return np.cumsum(own, axis=1).astype(bool).sum(axis=0)


def r_precision(text_emb: Any, motion_emb: Any, top_k: int = 3, batch_size: int = 32) -> np.ndarray:
    """R-precision top-1..top_k: how often a caption ranks its own motion among the k nearest.

    Ranked within consecutive batches of ``batch_size`` rows (the remainder is dropped).

    Returns:
        float64 ``[top_k]``, non-decreasing.
    """
    text, motion = _paired(text_emb, motion_emb)
    hits, used = np.zeros(top_k), 0
    for batch in _full_batches(len(text), batch_size):
        hits += _top_k_hits(euclidean_distance_matrix(text[batch], motion[batch]), top_k)
        used += batch_size
    return hits / used


def matching_score(text_emb: Any, motion_emb: Any, batch_size: int = 32) -> float:
    """Mean distance between each caption and its own motion, over the full batches."""
    text, motion = _paired(text_emb, motion_emb)
    batches = _full_batches(len(text), batch_size)
    used = len(batches) * batch_size
    return float(np.linalg.norm(text[:used] - motion[:used], axis=1).sum() / used)


def negative_sample_scores(
    text_emb: Any,
    motion_emb: Any,
    gt_text_emb: Any,
    gt_motion_emb: Any,
    *,
    top_k: int = 3,
    batch_size: int = 32,
) -> tuple[np.ndarray, float]:
    """MoMo's transfer-benchmark R-precision and matching score (negative samples).

    Each output (caption ``text_emb[i]``, motion ``motion_emb[i]``) is ranked against the
    ground-truth motions of the batch at the same positions, its own row replaced: row i of the
    distance matrix is output caption i against ground-truth motions ``j != i`` and output
    motion i at column i. As in the reference, distances are stored in float32 before ranking
    and summing.

    Args:
        text_emb, motion_emb: ``[N, D]`` the outputs' captions and motions.
        gt_text_emb, gt_motion_emb: ``[M, D]`` ground truth, batched alongside (only
            ``gt_motion_emb`` enters the distances; ``gt_text_emb`` is checked for shape).
        top_k, batch_size: as `r_precision`; only batches full on both sides count.

    Returns:
        (R-precision ``[top_k]``, matching score).
    """
    text, motion = _paired(text_emb, motion_emb)
    _, gt_motion = _paired(gt_text_emb, gt_motion_emb)
    if gt_motion.shape[1] != motion.shape[1]:
        raise EvaluationError("ground-truth and output embeddings differ in width")
    hits, score, used = np.zeros(top_k), 0.0, 0
    for batch in _full_batches(min(len(text), len(gt_motion)), batch_size):
        distances = np.zeros((batch_size, batch_size), dtype=np.float32)
        for i in range(batch_size):
            candidates = gt_motion[batch].copy()
            candidates[i] = motion[batch][i]
            distances[i] = euclidean_distance_matrix(text[batch][i : i + 1], candidates)[0]
        score += float(np.trace(distances))
        hits += _top_k_hits(distances, top_k)
        used += batch_size
    return hits / used, score / used


def frechet_distance(emb_a: Any, emb_b: Any, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to two embedding sets (FID), as the reference.

    Means and sample covariances (``np.cov``, N - 1); the matrix square root by
    `scipy.linalg.sqrtm`, retried with ``eps`` on the diagonals when it is not finite.

    Raises:
        EvaluationError: fewer than two rows in a set, widths differ, or the square root has a
            large imaginary part (ill-conditioned covariances: use more motions).
    """
    from scipy import linalg

    a, b = _as_matrix(emb_a, "first embeddings"), _as_matrix(emb_b, "second embeddings")
    if len(a) < 2 or len(b) < 2 or a.shape[1] != b.shape[1]:
        raise EvaluationError(
            f"FID needs two sets of at least 2 embeddings of one width, got {list(a.shape)} "
            f"and {list(b.shape)}"
        )
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    sigma_a, sigma_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(sigma_a @ sigma_b)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma_a)) * eps
        covmean = linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise EvaluationError(
                f"FID: the covariance square root has an imaginary part of "
                f"{np.abs(covmean.imag).max():.3g}; use more motions than embedding dimensions"
            )
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))


def pair_indices(rows: int, times: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The two index draws of the reference's diversity: legacy ``RandomState(seed).choice`` twice."""
    if times >= rows:
        raise EvaluationError(f"need more than {times} rows to draw {times} pairs, got {rows}")
    rng = np.random.RandomState(seed)
    first = rng.choice(rows, times, replace=False)
    second = rng.choice(rows, times, replace=False)
    return first, second


def diversity(emb: Any, times: int = 300, seed: int = 0) -> float:
    """Mean distance between ``times`` random pairs of rows (MDM's diversity).

    The pairs are the reference's draw after ``np.random.seed(seed)``: `pair_indices`.
    """
    array = _as_matrix(emb, "embeddings")
    first, second = pair_indices(len(array), times, seed)
    return float(np.linalg.norm(array[first] - array[second], axis=1).mean())


def multimodality(emb: Any, times: int = 10, seed: int = 0) -> float:
    """Mean distance between random pairs of motions generated from the same caption.

    Args:
        emb: ``[captions, repeats, D]`` motion embeddings, ``repeats > times``.
        times: pairs per caption (the same repeat indices for every caption, as the reference).
        seed: the legacy NumPy seed set before the draw.
    """
    if hasattr(emb, "detach"):
        emb = emb.detach().cpu().numpy()
    array = np.asarray(emb, dtype=np.float64)
    if array.ndim != 3 or not np.isfinite(array).all():
        raise EvaluationError(
            f"multimodality needs finite [captions, repeats, D] embeddings, got {list(array.shape)}"
        )
    first, second = pair_indices(array.shape[1], times, seed)
    return float(np.linalg.norm(array[:, first] - array[:, second], axis=2).mean())
