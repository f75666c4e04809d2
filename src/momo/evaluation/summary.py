"""Per-pair auxiliary metrics and the per-method summary of a benchmark run.

The summary of a method: the mean of each auxiliary metric over the pairs; with an evaluator,
FID against the ground-truth test entries whose names contain a pair's id (the reference's FID
set), and MoMo's negative-sample R-precision and matching score (each output with its
follower's first caption, ranked against 31 ground-truth motions of seeded test batches; full
batches of 32 only), with the true caption length and with MoMo's padded length (``_paper``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.evaluation.embedding_metrics import frechet_distance, negative_sample_scores
from momo.evaluation.metrics import (
    contacts_from_features,
    foot_contact_agreement,
    transfer_metrics,
)

if TYPE_CHECKING:
    from momo.evaluation.evaluator import T2MEvaluator

logger = logging.getLogger(__name__)

#: Batch size of the reference's R-precision.
BATCH = 32
AUX_KEYS = (
    "leader_foot_contact",
    "follower_foot_contact",
    "leader_foot_contact_joints",
    "follower_foot_contact_joints",
    "leader_root_distance",
    "follower_root_distance",
    "follower_rotation_similarity",
    "follower_position_similarity",
)


def auxiliary_metrics(
    output: np.ndarray, leader: np.ndarray, follower: np.ndarray
) -> dict[str, float]:
    """MoMo's auxiliary metrics of one output (raw features), in the benchmark's names.

    ``leader_foot_contact`` / ``follower_foot_contact`` compare the feature's own contact
    channels (> 0.5), as the reference's benchmark does; the ``_joints`` variants compare
    contacts re-derived from joint positions by HumanML3D's rule (`transfer_metrics`).
    """
    values = transfer_metrics(output, leader, follower).as_dict()
    values["leader_foot_contact_joints"] = values.pop("leader_foot_contact")
    values["follower_foot_contact_joints"] = values.pop("follower_foot_contact")
    out_contacts = contacts_from_features(output)
    values["leader_foot_contact"] = foot_contact_agreement(
        out_contacts, contacts_from_features(leader)
    )
    values["follower_foot_contact"] = foot_contact_agreement(
        out_contacts, contacts_from_features(follower)
    )
    return {key: float(values[key]) for key in AUX_KEYS}


def summarize(
    records: list[dict[str, Any]],
    dataset: Any,
    evaluator: T2MEvaluator | None,
    methods: Sequence[str],
    pairs: list[tuple[str, str]],
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Per method, the summary columns (module docstring) over the pair records."""
    summary: dict[str, dict[str, Any]] = {}
    for method in methods:
        values = [r["methods"][method]["metrics"] for r in records]
        row: dict[str, Any] = {key: float(np.mean([v[key] for v in values])) for key in AUX_KEYS}
        row.update(pairs=len(records), cropped_pairs=sum(r["cropped"] for r in records))
        summary[method] = row
    if evaluator is None:
        return summary
    if hasattr(evaluator, "summary_columns"):  # a descriptor space of its own
        for method, columns in evaluator.summary_columns(records, methods, dataset, seed).items():
            summary[method].update(columns)
        return summary
    ground_truth = _ground_truth(dataset, evaluator, pairs)
    negatives = _negatives(dataset, evaluator, len(records), seed)
    tokens = [r["follower_tokens"] for r in records]
    text_true = evaluator.encode_texts(tokens)
    text_padded = evaluator.encode_texts(tokens, padded_length=True)
    for method in methods:
        motion = np.asarray([r["methods"][method]["embedding"] for r in records])
        summary[method].update(
            _evaluator_columns(motion, ground_truth, negatives, text_true, text_padded)
        )
    return summary


def summarize_by_kind(
    records: list[dict[str, Any]],
    dataset: Any,
    evaluator: T2MEvaluator | None,
    methods: Sequence[str],
    pairs: list[tuple[str, str]],
    seed: int,
) -> dict[str, dict[str, dict[str, Any]]]:
    """`summarize` over each kind of pair (the records' ``"kind"``, e.g. ``"style"`` and
    ``"action"``, set from the source's ``pair_kind``), in order of first appearance; {} when
    the records have no kind."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        if "kind" in record:
            groups.setdefault(record["kind"], []).append(i)
    return {
        kind: summarize(
            [records[i] for i in rows], dataset, evaluator, methods, [pairs[i] for i in rows], seed
        )
        for kind, rows in groups.items()
    }


def _evaluator_columns(
    motion: np.ndarray,
    ground_truth: np.ndarray,
    negatives: tuple[Any, Any] | None,
    text_true: Any,
    text_padded: Any,
) -> dict[str, Any]:
    columns: dict[str, Any] = {"fid": None}
    if len(motion) >= 2 and len(ground_truth) >= 2:
        columns["fid"] = frechet_distance(motion, ground_truth)
    for suffix, text in (("", text_true), ("_paper", text_padded)):
        columns[f"r_precision{suffix}"] = None
        columns[f"matching_score{suffix}"] = None
        columns[f"r_precision_top3{suffix}"] = None
        if negatives is not None:
            precision, score = negative_sample_scores(text, motion, *negatives, batch_size=BATCH)
            columns[f"r_precision{suffix}"] = precision.tolist()
            columns[f"r_precision_top3{suffix}"] = float(precision[2])
            columns[f"matching_score{suffix}"] = score
    return columns


def _ground_truth(
    dataset: Any, evaluator: T2MEvaluator, pairs: list[tuple[str, str]]
) -> np.ndarray:
    """Embeddings of the test entries whose names contain a pair's id (the reference's FID set)."""
    ids = {x for pair in pairs for x in pair}
    entries = [e for e in dataset.evaluation_set("test") if any(i in e.name for i in ids)]
    features = [dataset.entry_features(e) for e in entries]
    return evaluator.encode_motions(features).double().cpu().numpy()


def _negatives(
    dataset: Any, evaluator: T2MEvaluator, count: int, seed: int
) -> tuple[Any, Any] | None:
    """Ground-truth (text, motion) embeddings of seeded test batches, one row per output."""
    needed = count // BATCH * BATCH
    entries = dataset.evaluation_set("test")
    if needed == 0 or not entries:
        logger.info(
            "R-precision needs at least %d pairs and %d test entries; skipped", BATCH, BATCH
        )
        return None
    order = np.random.default_rng(seed).permutation(len(entries))
    chosen = [entries[int(i)] for i in np.resize(order, needed)]
    text = evaluator.encode_texts([list(e.captions[0].tokens) for e in chosen])
    motion = evaluator.encode_motions([dataset.entry_features(e) for e in chosen])
    return text, motion
