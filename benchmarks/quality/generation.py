"""Section 2: generation from held-out captions against real held-out clips and a train floor."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from quality.common import GUIDANCE, accuracy, joints_of, take_clip

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier
    from momo.models.bundle import MotionDiffusionModel

logger = logging.getLogger("default_model_quality")


def generation_section(
    model: MotionDiffusionModel,
    cache: DataCache,
    classifier: MotionClassifier,
    *,
    num: int,
    frame_limit: int,
    batch_size: int,
    seed: int,
    pin_feet_steps: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """Generate from held-out captions; compare with the real held-out clips and a train floor.

    ``pin_feet_steps`` is passed to `momo.generate` (None: the model's stored default).
    """
    from momo.evaluation.quality import diversity, fid, motion_set_quality
    from momo.pipelines.generate import generate

    rng = np.random.default_rng(seed)
    test_rows = cache.rows("test", mirrored=False)
    chosen = sorted(rng.choice(test_rows, min(num, len(test_rows)), replace=False).tolist())
    real = [take_clip(cache, r, frame_limit, rng) for r in chosen]
    train_rows = cache.rows("train", mirrored=False)
    floor_rows = rng.choice(train_rows, len(real), replace=False).tolist()
    train_real = [take_clip(cache, r, frame_limit, rng) for r in floor_rows]

    # Batches of similar lengths (less padding); one seed per batch.
    order = sorted(range(len(real)), key=lambda i: real[i].features.shape[0])
    generated: list[np.ndarray | None] = [None] * len(real)
    pinned: list[int] = []
    start = time.perf_counter()
    for b, first in enumerate(range(0, len(order), batch_size)):
        batch = order[first : first + batch_size]
        motions = generate(
            model,
            [real[i].caption for i in batch],
            num_frames=[int(real[i].features.shape[0]) for i in batch],
            guidance_scale=GUIDANCE,
            seed=seed + b,
            pin_feet_steps=pin_feet_steps,
            progress=False,
        )
        for i, motion in zip(batch, motions):
            generated[i] = motion.features
        pinned = list(motions[0].meta.get("pin_feet_steps", []))
        logger.info(
            "generation: %d/%d motions, %.0f s", first + len(batch), len(real),
            time.perf_counter() - start,
        )  # fmt: skip
    gen_seconds = time.perf_counter() - start
    gen_features = [g for g in generated if g is not None]

    sets = {
        "real held-out": [c.features for c in real],
        "real train (floor)": [c.features for c in train_real],
        "generated": gen_features,
    }
    predictions = {name: classifier.predict(feats) for name, feats in sets.items()}
    labels = {
        "real held-out": real,
        "real train (floor)": train_real,
        "generated": real,  # labels of the caption's clip
    }
    reference = predictions["real held-out"].embeddings
    rows = {}
    for name, feats in sets.items():
        p = predictions[name]
        truth = labels[name]
        rows[name] = {
            "motions": len(feats),
            "fid_vs_real_held_out": (
                0.0 if name == "real held-out" else fid(p.embeddings, reference)
            ),
            "diversity": diversity(p.embeddings, seed=seed),
            "content": accuracy(p.content, [c.content for c in truth], classifier.content_labels),
            "style": accuracy(p.style, [c.style for c in truth], classifier.style_labels),
            **motion_set_quality(joints_of(feats)).as_dict(),
        }
    return {
        "num": len(real),
        "frame_limit": frame_limit,
        "guidance_scale": GUIDANCE,
        "sampler": "ddpm",
        "pin_feet_steps": pinned,
        "batch_size": batch_size,
        "seed": seed,
        "mean_frames": float(np.mean([c.features.shape[0] for c in real])),
        "generation_seconds": gen_seconds,
        "sets": rows,
        "clips": [
            {"name": c.name, "caption": c.caption, "frames": int(len(c.features))} for c in real
        ],
    }
