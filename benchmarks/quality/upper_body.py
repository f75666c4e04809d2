"""An upper-body action classifier: `momo.evaluation.classifier` trained on the train split with
every channel of the root and the lower body zeroed, so it can only tell actions apart by the
spine, arms and head (is the follower's wave visible in an output that walks?)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier


def upper_body_channels() -> np.ndarray:
    """Feature channels of the upper-body joints (`momo.motion.body_parts`, part "upper"): their
    positions, 6-D rotations and local velocities."""
    from momo.motion.body_parts import body_part_mask

    return np.flatnonzero(body_part_mask("upper"))


def upper_body_only(features: np.ndarray) -> np.ndarray:
    """``features`` [T, 263] with every channel but the upper body's set to zero."""
    out = np.zeros_like(np.asarray(features, dtype=np.float32))
    keep = upper_body_channels()
    out[:, keep] = np.asarray(features, dtype=np.float32)[:, keep]
    return out


class UpperBodyClassifier:
    """Predicts a clip's content label from its upper body alone."""

    def __init__(self, classifier: MotionClassifier) -> None:
        self.classifier = classifier

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.content_labels)

    def predict(self, motions: Sequence[np.ndarray]) -> list[str]:
        """Content label of each raw [T, 263] motion, read from its upper body."""
        return list(self.classifier.predict([upper_body_only(m) for m in motions]).content)


def upper_body_classifier(cache: DataCache, directory: str | Path) -> UpperBodyClassifier:
    """Train (or load from ``directory``) the classifier on the cache's upper bodies."""
    from momo.evaluation.classifier import ClassifierConfig, load_or_train

    masked = dataclasses.replace(cache, features=upper_body_only(cache.features))
    return UpperBodyClassifier(load_or_train(masked, ClassifierConfig(), directory=directory))
