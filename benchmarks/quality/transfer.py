"""Section 3: transfer on real held-out pairs, through the evaluation runner.

`momo.evaluation.heldout_benchmark.run_heldout_benchmark` (the same run as ``momo evaluate
--data``): seeded held-out pairs (half of each leader's followers share its content in another
style, the rest have another content), MoMo's auxiliary metrics and the classifier's content /
style accuracies for MoMo and the chosen baselines.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier
    from momo.models.bundle import MotionDiffusionModel

logger = logging.getLogger("default_model_quality")


def transfer_section(
    model: MotionDiffusionModel,
    cache: DataCache,
    classifier: MotionClassifier,
    *,
    pairs: int,
    followers_per_leader: int,
    crop: int,
    seed: int,
    baselines: Sequence[str] = ("leader", "follower"),
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The runner's summary (all pairs and per kind) and per-pair records of one variant
    (``options``: extra keyword arguments of `momo.transfer`, e.g. ``reuse_inversion``)."""
    from momo.evaluation.heldout_benchmark import run_heldout_benchmark

    start = time.perf_counter()
    report = run_heldout_benchmark(
        model, cache, classifier, num_pairs=pairs, followers_per_leader=followers_per_leader,
        crop=crop, seed=seed, baselines=tuple(baselines), progress=False, **(options or {}),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    logger.info("transfer: %d pairs, %.0f s", len(report.pairs), seconds)
    return {
        "pairs": len(report.pairs),
        "leaders": len({r["leader"] for r in report.pairs}),
        "crop": crop,
        "transfer_options": dict(options or {}),
        "seconds": seconds,
        "summary": report.summary,
        "by_kind": report.by_kind,
        "table": report.markdown(),
        "settings": report.settings,
        "records": report.pairs,
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


def transfer_options(name: str, model: Any) -> dict[str, Any]:
    """``momo.transfer`` options of a variant name: ``exact``, ``reuse_inversion`` or
    ``key=value`` options (values as JSON; ``steps=A:B`` and ``layers=A:B`` are spans of the
    model's timesteps and self-attention layers), joined by '+'."""
    options: dict[str, Any] = {}
    for part in name.split("+"):
        if part in ("exact", ""):
            continue
        if part == "reuse_inversion":
            options["reuse_inversion"] = True
            continue
        key, _, value = part.partition("=")
        if key in ("steps", "layers", "leader_body_steps") and ":" in value:
            from momo.pipelines.transfer.schedule import parse_span

            size = (
                model.num_timesteps
                if key != "layers"
                else len(model.denoiser.self_attention_modules())
            )
            options[key] = parse_span(value, size, key)
        else:
            options[key] = json.loads(value)
    return options
