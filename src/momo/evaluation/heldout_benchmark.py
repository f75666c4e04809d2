"""A model's own benchmark: `run_benchmark` over held-out pairs of its training-data cache.

The source is the cache's held-out split (`momo.evaluation.heldout.HeldOutSet`, clips cut to
``crop`` frames), the pairs a seeded `heldout_pairs` list (or a given JSON pair list of clip
names) and the descriptor space the content/style classifier's
(`momo.evaluation.descriptor.ClassifierEvaluator`). Everything else (baselines, resuming,
``summary.json`` / ``.md`` / ``.png``) is `run_benchmark`'s.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from momo.errors import EvaluationError
from momo.evaluation.descriptor import ClassifierEvaluator
from momo.evaluation.heldout import HeldOutSet, heldout_pairs
from momo.evaluation.runner import frame_limit, run_benchmark

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier
    from momo.evaluation.runner import BenchmarkReport
    from momo.models.bundle import MotionDiffusionModel

#: Pairs drawn when no pair list is given.
DEFAULT_PAIRS = 100
#: Followers of each drawn leader (half style pairs, half action pairs).
DEFAULT_FOLLOWERS = 4


def run_heldout_benchmark(
    model: MotionDiffusionModel,
    cache: DataCache,
    classifier: MotionClassifier,
    *,
    pairs: str | os.PathLike[str] | Sequence[Sequence[str]] | None = None,
    num_pairs: int = DEFAULT_PAIRS,
    followers_per_leader: int = DEFAULT_FOLLOWERS,
    crop: int | None = None,
    seed: int = 0,
    **run_options: Any,
) -> BenchmarkReport:
    """Run MoMo and baselines over held-out pairs of ``cache``, in the classifier's space.

    Args:
        model: the diffusion model.
        cache: the training-data cache whose test split is held out from ``model``.
        classifier: the content/style classifier (``load_or_train(cache)``).
        pairs: a JSON pair list or a list of ``[leader, follower]`` clip names; None: a
            seeded `heldout_pairs` draw of ``num_pairs`` pairs among the clips whose labels
            have a class in the classifier.
        num_pairs / followers_per_leader: the draw's size and structure.
        crop: every clip is cut to its first ``crop`` frames; None: the shorter of the
            classifier's training crop and the model's limit.
        seed: seed of the draw and of `run_benchmark`.
        **run_options: `run_benchmark`'s other keywords (baselines, out_dir, resume, progress,
            subset_size, command, inversion_cache) and `momo.transfer` options.

    Raises:
        EvaluationError: no classifier, a bad crop or pair list, or `run_benchmark`'s errors.
    """
    evaluator = ClassifierEvaluator(classifier)
    if "evaluator" in run_options:
        raise EvaluationError("the held-out benchmark's evaluator is its classifier")
    limit = frame_limit(model)
    crop = min(classifier.config.max_frames, limit) if crop is None else crop
    if not 1 <= crop <= limit:
        raise EvaluationError(f"the crop must be 1..{limit} frames for this model, got {crop}")
    source = HeldOutSet(cache, max_frames=crop)
    if pairs is None:
        pairs = heldout_pairs(
            source,
            num_pairs,
            followers_per_leader=followers_per_leader,
            seed=seed,
            content_labels=classifier.content_labels,
            style_labels=classifier.style_labels,
        )
    return run_benchmark(model, source, pairs, evaluator=evaluator, seed=seed, **run_options)
