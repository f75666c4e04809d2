"""Shared pieces of the quality benchmark: clips as it uses them, joints, accuracies, formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.models.bundle import MotionDiffusionModel

#: Guidance of generation from held-out captions (the paper's text-to-motion setting).
GUIDANCE = 2.5


@dataclass(frozen=True)
class Clip:
    """A held-out (or train) clip as the benchmark uses it."""

    row: int
    name: str
    content: str
    style: str
    caption: str
    features: np.ndarray  # raw [T, 263], already cropped


def model_frame_limit(model: MotionDiffusionModel) -> int:
    """Longest motion to use: the model's limit and the crop length it was trained on."""
    limit = model.max_frames
    trained = model.config.extra.get("training_config", {}).get("max_frames")
    return min(limit, int(trained)) if trained else limit


def take_clip(cache: DataCache, row: int, frames: int, rng: np.random.Generator) -> Clip:
    record = cache.clips[row]
    caption = cache.captions[int(rng.choice(record.captions))]
    return Clip(
        row=row,
        name=record.label.name,
        content=record.label.content,
        style=record.label.style,
        caption=caption,
        features=np.asarray(cache.clip_features(row)[:frames], dtype=np.float32),
    )


def joints_of(features: Sequence[np.ndarray]) -> list[np.ndarray]:
    from momo.motion.kinematics import features_to_joints

    return [np.asarray(features_to_joints(np.asarray(f, dtype=np.float64))) for f in features]


def accuracy(
    predicted: Sequence[str], truth: Sequence[str], vocabulary: Sequence[str]
) -> dict[str, Any]:
    from momo.evaluation.classifier import label_accuracy

    value, n = label_accuracy(predicted, truth, vocabulary)
    return {"accuracy": value, "count": n}


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"
