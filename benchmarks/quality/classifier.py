"""Section 1: held-out accuracy of the content/style classifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quality.common import accuracy

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier


def classifier_section(
    cache: DataCache, classifier: MotionClassifier, frames: int
) -> dict[str, Any]:
    """Held-out accuracy of the classifier on every test clip (not mirrored), first ``frames``."""
    rows = cache.rows("test", mirrored=False)
    features = [cache.clip_features(r)[:frames] for r in rows]
    prediction = classifier.predict(features)
    content = [cache.clips[r].label.content for r in rows]
    style = [cache.clips[r].label.style for r in rows]
    return {
        "test_clips": len(rows),
        "frames": frames,
        "content": accuracy(prediction.content, content, classifier.content_labels),
        "style": accuracy(prediction.style, style, classifier.style_labels),
        "content_labels": classifier.content_labels,
        "style_labels": classifier.style_labels,
        "chance_content": 1.0 / len(classifier.content_labels),
        "chance_style": 1.0 / len(classifier.style_labels),
    }
