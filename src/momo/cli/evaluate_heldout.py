"""``momo evaluate --data CACHE``: the model's own benchmark on its cache's held-out split.

The options of this form (``--classifier``, ``--num-pairs``, ``--followers-per-leader``,
``--crop``) and how they become a `momo.evaluation.heldout_benchmark.run_heldout_benchmark`
call; the rest of ``momo evaluate`` (baselines, transfer options, resuming, sweeps) is shared.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from momo.errors import EvaluationError

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.evaluation.classifier import MotionClassifier


def add_heldout_options(parser: argparse.ArgumentParser) -> None:
    """Register the options of the held-out benchmark."""
    parser.add_argument(
        "--data", metavar="CACHE|default",
        help="a training-data cache (momo data build; 'default': momo's cache directory): "
        "evaluate on its held-out split, in the content/style classifier's descriptor space, "
        "instead of a HumanML3D folder",
    )  # fmt: skip
    parser.add_argument(
        "--classifier", metavar="DIR",
        help="with --data: a folder holding a content/style classifier trained on this data "
        "(one is trained with the default settings and saved there when it holds none, a few "
        "minutes); default: momo's cache directory",
    )  # fmt: skip
    parser.add_argument(
        "--num-pairs", type=int, default=100, metavar="N",
        help="with --data and no --pairs: held-out pairs drawn (seeded; default 100)",
    )  # fmt: skip
    parser.add_argument(
        "--followers-per-leader", type=int, default=4, metavar="K",
        help="with --data and no --pairs: followers per drawn leader, half of the same content "
        "in another style, half of another content (default 4)",
    )  # fmt: skip
    parser.add_argument(
        "--allow-data-mismatch", action="store_true",
        help="with --data: run even if the model records other training data than this cache "
        "(its test split is then not known to be held out)",
    )  # fmt: skip
    parser.add_argument(
        "--crop", type=int, default=None, metavar="F",
        help="with --data: clips cut to their first F frames (default: the classifier's "
        "training crop or the model's limit, whichever is shorter)",
    )  # fmt: skip


def check_heldout_args(args: argparse.Namespace) -> None:
    """Refuse option combinations that do not fit the chosen source."""
    if (args.data is None) == (args.humanml3d is None):
        raise EvaluationError("pass either --humanml3d DIR or --data CACHE (not both)")
    if args.data is None:
        if args.classifier is not None or args.crop is not None:
            raise EvaluationError("--classifier and --crop apply to --data only")
        return
    if args.evaluator is not None:
        raise EvaluationError(
            "--evaluator is the T2M evaluator of HumanML3D; with --data the descriptor space is "
            "the content/style classifier (--classifier)"
        )
    if args.match != "exact":
        raise EvaluationError("--match applies to HumanML3D ids; --data pairs name clips exactly")


def load_heldout(args: argparse.Namespace, model: Any) -> tuple[DataCache, MotionClassifier]:
    """The cache and its classifier, checked against each other and the model."""
    from momo.data.cache import DataCache, default_cache_path

    path = default_cache_path() if args.data == "default" else args.data
    cache = DataCache.load(path)
    trained_on = model.config.extra.get("training_data")
    if trained_on is not None and trained_on != cache.fingerprint():
        message = (
            f"the model was trained on data {trained_on}, but {path} is {cache.fingerprint()}: "
            "its test split is not known to be held out"
        )
        if not args.allow_data_mismatch:
            raise EvaluationError(
                f"{message}; pass the model's own cache (or --allow-data-mismatch)"
            )
        logger.warning(message)
    return cache, _classifier(args.classifier, cache)


def _classifier(directory: str | None, cache: DataCache) -> MotionClassifier:
    """The classifier kept in ``directory`` (any settings, but trained on this cache; default:
    momo's cache directory); one with the default settings is trained and saved there when it
    holds none."""
    from momo.evaluation.classifier import CONFIG_FILE, MotionClassifier, load_or_train

    if directory is None or not (Path(directory) / CONFIG_FILE).is_file():
        return load_or_train(cache, directory=directory, progress=True)
    classifier = MotionClassifier.load(directory)
    trained_on = classifier.info.get("data_fingerprint")
    if trained_on != cache.fingerprint():
        raise EvaluationError(
            f"the classifier in {directory} was trained on data {trained_on}, not on this cache "
            f"({cache.fingerprint()}); choose another --classifier folder"
        )
    return classifier


def heldout_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """`run_heldout_benchmark`'s own keywords from the arguments."""
    return {
        "pairs": args.pairs,
        "num_pairs": args.num_pairs,
        "followers_per_leader": args.followers_per_leader,
        "crop": args.crop,
    }
