"""Section 3: transfer on real held-out pairs next to the output = leader / follower baselines."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from quality.common import Clip, summarise, take_clip

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier
    from momo.models.bundle import MotionDiffusionModel

logger = logging.getLogger("default_model_quality")


def choose_pairs(
    cache: DataCache,
    classifier: MotionClassifier,
    *,
    pairs: int,
    followers_per_leader: int,
    crop: int,
    seed: int,
) -> list[tuple[Clip, list[tuple[Clip, str]]]]:
    """Seeded leaders, each with followers that differ from it in content or style.

    Candidates are held-out clips (not mirrored) whose content and style labels both have a
    class in the classifier, so every accuracy is defined. Of each leader's followers,
    ``followers_per_leader // 2`` share its content in another style ("style") when such clips
    exist; the others have another content ("content").
    """
    rng = np.random.default_rng(seed)
    content_known, style_known = set(classifier.content_labels), set(classifier.style_labels)
    candidates = [
        r
        for r in cache.rows("test", mirrored=False)
        if cache.clips[r].label.content in content_known
        and cache.clips[r].label.style in style_known
    ]
    num_leaders = math.ceil(pairs / followers_per_leader)
    leaders = rng.choice(candidates, num_leaders, replace=False).tolist()
    plan = []
    remaining = pairs
    for leader_row in leaders:
        k = min(followers_per_leader, remaining)
        lead = cache.clips[leader_row].label
        same_content = [
            r for r in candidates
            if cache.clips[r].label.content == lead.content
            and cache.clips[r].label.style != lead.style
        ]  # fmt: skip
        other_content = [r for r in candidates if cache.clips[r].label.content != lead.content]
        n_style = min(k // 2, len(same_content))
        style_rows = rng.choice(same_content, n_style, replace=False).tolist()
        content_rows = rng.choice(other_content, k - n_style, replace=False).tolist()
        followers = [(take_clip(cache, r, crop, rng), "style") for r in style_rows] + [
            (take_clip(cache, r, crop, rng), "content") for r in content_rows
        ]
        plan.append((take_clip(cache, leader_row, crop, rng), followers))
        remaining -= k
    return plan


def transfer_section(
    model: MotionDiffusionModel,
    cache: DataCache,
    classifier: MotionClassifier,
    *,
    pairs: int,
    followers_per_leader: int,
    crop: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Transfer on real held-out pairs, with the two baselines (``options``: extra keyword
    arguments of `momo.transfer`, e.g. ``reuse_inversion``)."""
    import momo
    from momo.motion.motion import Motion

    plan = choose_pairs(
        cache, classifier, pairs=pairs, followers_per_leader=followers_per_leader, crop=crop,
        seed=seed,
    )  # fmt: skip
    records: list[dict[str, Any]] = []
    outputs: list[np.ndarray] = []
    config: dict[str, Any] = {}
    start = time.perf_counter()
    for i, (leader, followers) in enumerate(plan):
        result = momo.transfer(
            model,
            Motion(leader.features, text=leader.caption, name=leader.name),
            [Motion(f.features, text=f.caption, name=f.name) for f, _ in followers],
            seed=seed + i,
            progress=False,
            **(options or {}),
        )
        if not config:
            keys = ("layers", "steps", "guidance_scale", "seed", "num_steps", "reuse_inversion")
            config = {k: result.config[k] for k in keys}
            config["steps"] = [min(config["steps"]), max(config["steps"])]
        for (follower, kind), output, values in zip(followers, result.outputs, result.metrics()):
            outputs.append(output.features)
            records.append(_pair_record(leader, follower, kind, values.as_dict()))
        logger.info(
            "transfer: %d/%d pairs, %.0f s", len(records), pairs, time.perf_counter() - start
        )
    seconds = time.perf_counter() - start

    methods = {
        "momo": outputs,
        "output_is_leader": [r.pop("_leader") for r in records],
        "output_is_follower": [r.pop("_follower") for r in records],
    }
    leader_content = [r["leader_content"] for r in records]
    follower_style = [r["follower_style"] for r in records]
    _classify(records, methods, classifier)
    return {
        "pairs": len(records),
        "leaders": len(plan),
        "crop": crop,
        "transfer_config": config,
        "seconds": seconds,
        "summary": _summaries(records, methods),
        "label_sanity": {
            "leader_content_known": all(c in classifier.content_labels for c in leader_content),
            "follower_style_known": all(s in classifier.style_labels for s in follower_style),
        },
        "records": records,
    }


def parse_variant(name: str) -> dict[str, Any]:
    """Transfer options of a variant name: ``exact``, ``reuse_inversion``, ``steps<N>`` or a
    ``+``-joined combination (e.g. ``reuse_inversion+steps50``)."""
    options: dict[str, Any] = {}
    for part in name.split("+"):
        if part == "exact":
            continue
        if part == "reuse_inversion":
            options["reuse_inversion"] = True
        elif part.startswith("steps") and part[5:].isdigit():
            options["num_steps"] = int(part[5:])
        else:
            raise ValueError(
                f"unknown transfer variant {part!r}: use exact, reuse_inversion, steps<N> or a "
                "'+' combination"
            )
    return options


def _pair_record(leader: Clip, follower: Clip, kind: str, momo: dict[str, Any]) -> dict[str, Any]:
    """One pair's record: names, texts, labels, lengths and the metrics of MoMo and baselines."""
    from momo.evaluation.metrics import transfer_metrics

    return {
        "leader": leader.name,
        "follower": follower.name,
        "kind": kind,
        "leader_text": leader.caption,
        "follower_text": follower.caption,
        "leader_content": leader.content,
        "follower_style": follower.style,
        "leader_frames": int(len(leader.features)),
        "follower_frames": int(len(follower.features)),
        "momo": momo,
        "output_is_leader": transfer_metrics(
            leader.features, leader.features, follower.features
        ).as_dict(),
        "output_is_follower": transfer_metrics(
            follower.features, leader.features, follower.features
        ).as_dict(),
        "_leader": leader.features,
        "_follower": follower.features,
    }


def _classify(
    records: list[dict[str, Any]],
    methods: dict[str, list[np.ndarray]],
    classifier: MotionClassifier,
) -> None:
    """Add to each record, per method, whether the classifier sees the leader's content and the
    follower's style in that method's output."""
    for method, feats in methods.items():
        p = classifier.predict(feats)
        for r, content, style in zip(records, p.content, p.style):
            r[method]["content_is_leaders"] = float(content == r["leader_content"])
            r[method]["style_is_followers"] = float(style == r["follower_style"])
            r[method]["predicted"] = [content, style]


def _summaries(
    records: list[dict[str, Any]], methods: dict[str, list[np.ndarray]]
) -> dict[str, dict[str, dict[str, float]]]:
    """Per pair kind (all, style, content) and method: means and standard errors."""
    summary = {}
    for kind in ("all", "style", "content"):
        subset = [r for r in records if kind == "all" or r["kind"] == kind]
        if subset:
            summary[kind] = {
                method: summarise([r[method] for r in subset]) | {"pairs": len(subset)}
                for method in methods
            }
    return summary
