"""Where trained classifiers live: keyed by the data and the settings, trained when absent."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from momo.errors import ModelLoadError
from momo.evaluation.classifier.config import CONFIG_FILE, ClassifierConfig
from momo.evaluation.classifier.model import MotionClassifier
from momo.evaluation.classifier.training import train_from_cache

if TYPE_CHECKING:
    from momo.data.cache import DataCache

logger = logging.getLogger(__name__)


def default_classifier_dir(cache: DataCache, config: ClassifierConfig | None = None) -> Path:
    """``default_cache_dir()/classifiers/<data fingerprint>-<settings digest>``."""
    from momo.data.cache import default_cache_dir

    config = config or ClassifierConfig()
    return default_cache_dir() / "classifiers" / f"{cache.fingerprint()}-{config.digest()}"


def load_or_train(
    cache: DataCache,
    config: ClassifierConfig | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> MotionClassifier:
    """Load the classifier of this data and these settings, training and saving it if absent.

    Args:
        cache: the training data (only its train split is used).
        config: settings (default `ClassifierConfig()`).
        directory: where it lives (default `default_classifier_dir`; must be outside the
            repository).
        progress: show a progress bar while training.

    Raises:
        ModelLoadError: a classifier found there was trained on other data or settings.
    """
    config = config or ClassifierConfig()
    directory = Path(directory) if directory is not None else default_classifier_dir(cache, config)
    if (directory / CONFIG_FILE).is_file():
        classifier = MotionClassifier.load(directory)
        fingerprint = classifier.info.get("data_fingerprint")
        if classifier.config != config or fingerprint != cache.fingerprint():
            raise ModelLoadError(
                f"the classifier in {directory} was trained with other data or settings "
                f"(data {fingerprint}, settings {classifier.config.digest()}); delete it or "
                "choose another directory"
            )
        logger.info("loaded the classifier from %s", directory)
        return classifier
    classifier = train_from_cache(cache, config, progress=progress)
    classifier.save(directory)
    logger.info("saved the classifier to %s", directory)
    return classifier
