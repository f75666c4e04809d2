"""A content/style classifier as the benchmark's descriptor space (in place of the T2M evaluator).

`ClassifierEvaluator` gives `run_benchmark` what it asks of an evaluator: ``encode_motions``
(the classifier's penultimate-layer embedding of each output, stored in the pair records) and
``source`` (recorded in the settings). At the end of a run its ``summary_columns`` turn the
stored embeddings into, per method:

- ``fid``: Fréchet distance between the outputs' embeddings and those of the real reference
  clips (the source's ``evaluation_set``: the held-out clips, cut like the pairs), and
  ``diversity`` of the outputs (MDM's, `momo.evaluation.quality.diversity`). They live in the
  classifier's space, so they are not comparable with the T2M evaluator's FID.
- ``content_accuracy_leader``: how often the classifier's content head, read off the stored
  embedding, names the leader's content; ``style_accuracy_follower`` the follower's style;
  ``content_accuracy_follower`` the follower's content (high when an action transfer copies
  the follower instead). Pairs whose label has no class in the classifier are not counted
  (`momo.evaluation.classifier.label_accuracy`).
- R-precision and matching score need a text-motion space: they are None (not applicable).

The source must give each id's labels (``label(id)`` with ``content`` and ``style``, as
`momo.evaluation.heldout.HeldOutSet` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from momo.errors import EvaluationError
from momo.evaluation.classifier.model import label_accuracy
from momo.evaluation.quality import diversity, fid

if TYPE_CHECKING:
    from momo.evaluation.classifier import MotionClassifier

#: Columns of the T2M evaluator that have no meaning in a classifier's space.
NOT_APPLICABLE = (
    "r_precision",
    "r_precision_top3",
    "matching_score",
    "r_precision_paper",
    "r_precision_top3_paper",
    "matching_score_paper",
)


class ClassifierEvaluator:
    """The descriptor space and label accuracies of a trained content/style classifier.

    Args:
        classifier: a trained `MotionClassifier` (``load_or_train``).
        name: how the run's settings name it (default: its data fingerprint and settings).

    Raises:
        EvaluationError: ``classifier`` is not a trained classifier.
    """

    def __init__(self, classifier: MotionClassifier, *, name: str | None = None) -> None:
        if classifier is None or not hasattr(classifier, "predict"):
            raise EvaluationError(
                "the descriptor evaluator needs a trained content/style classifier "
                "(momo.evaluation.classifier.load_or_train)"
            )
        self.classifier = classifier
        fingerprint = classifier.info.get("data_fingerprint", "unknown data")
        self.source = name or f"classifier {fingerprint}-{classifier.config.digest()}"

    def encode_motions(self, motions: Sequence[Any]) -> torch.Tensor:
        """Penultimate-layer embeddings ``[B, E]`` (float64) of raw features ``[T_i, 263]``."""
        arrays = [np.asarray(getattr(m, "features", m), dtype=np.float32) for m in motions]
        return torch.from_numpy(self.classifier.embed(arrays))

    def labels_of(self, embeddings: np.ndarray) -> tuple[list[str], list[str]]:
        """Predicted (content, style) labels of embeddings ``[N, E]`` (the heads' argmax)."""
        net = self.classifier.net
        x = torch.as_tensor(np.asarray(embeddings), dtype=net.content_head.weight.dtype)
        with torch.inference_mode():
            content = net.content_head(x).argmax(-1).tolist()
            style = net.style_head(x).argmax(-1).tolist()
        return (
            [self.classifier.content_labels[i] for i in content],
            [self.classifier.style_labels[i] for i in style],
        )

    def reference(self, dataset: Any) -> np.ndarray:
        """Embeddings ``[N, E]`` of the source's real reference clips."""
        entries = dataset.evaluation_set()
        if len(entries) < 2:
            raise EvaluationError(f"{dataset.root} has fewer than 2 reference clips for FID")
        return self.classifier.embed([dataset.entry_features(e) for e in entries])

    def summary_columns(
        self,
        records: Sequence[dict[str, Any]],
        methods: Sequence[str],
        dataset: Any,
        seed: int = 0,
        reference: np.ndarray | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Per method, the columns of the module docstring over the pair records.

        Raises:
            EvaluationError: the source gives no labels, or a record has no embedding.
        """
        if not hasattr(dataset, "label"):
            raise EvaluationError(
                "the classifier's accuracies need a source with clip labels "
                "(momo.evaluation.heldout.HeldOutSet)"
            )
        reference = self.reference(dataset) if reference is None else reference
        leaders = [dataset.label(r["leader"]) for r in records]
        followers = [dataset.label(r["follower"]) for r in records]
        columns = {}
        for method in methods:
            embeddings = _embeddings(records, method)
            content, style = self.labels_of(embeddings)
            row: dict[str, Any] = dict.fromkeys(NOT_APPLICABLE)
            row["fid"] = fid(embeddings, reference) if len(embeddings) >= 2 else None
            row["diversity"] = diversity(embeddings, seed=seed) if len(embeddings) >= 2 else None
            row["content_accuracy_leader"] = self._accuracy(content, leaders, "content")
            row["style_accuracy_follower"] = self._accuracy(style, followers, "style")
            row["content_accuracy_follower"] = self._accuracy(content, followers, "content")
            columns[method] = row
        return columns

    def _accuracy(self, predicted: list[str], labels: Sequence[Any], head: str) -> float | None:
        vocabulary = getattr(self.classifier, f"{head}_labels")
        value, counted = label_accuracy(predicted, [getattr(x, head) for x in labels], vocabulary)
        return None if counted == 0 else value


def _embeddings(records: Sequence[dict[str, Any]], method: str) -> np.ndarray:
    rows = [r["methods"][method]["embedding"] for r in records]
    if any(row is None for row in rows):
        raise EvaluationError(
            f"some pair records hold no {method} embedding; they were written without the "
            "classifier: run again into a new --out"
        )
    return np.asarray(rows, dtype=np.float64)
