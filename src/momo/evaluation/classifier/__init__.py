"""A motion feature extractor for evaluation: a small content/style classifier.

A 1-D convolutional network reads normalised HumanML3D features (the 259 channels before the
foot contacts, which generated motions only predict; Guo et al.'s evaluator drops them too),
pools over time and predicts two labels with two heads: the *content* (what is done: walk,
wave-right-hand, ...) and the *style* (how: elderly, exhausted, ...). Its penultimate layer (the
pooled embedding both heads read) is the descriptor space of FID and diversity
(`momo.evaluation.quality`).

It is trained on the TRAIN split of a training-data cache only (`momo.data.cache.DataCache`,
mirrored copies included, with their mirrored labels), seeded, on random crops of 2-8 s, and is
saved to / loaded from a directory outside the repository (by default under
``momo.data.cache.default_cache_dir() / "classifiers"``, keyed by the data's fingerprint and the
settings). Only labels with enough training clips get a class; clips with other labels do not
train that head and are left out of that head's accuracy.

Network (shapes for a batch of B motions of T frames, hidden width H, embedding width E):

1. ``[B, T, 259]`` -> Linear -> GELU -> ``[B, T, H]``; padded frames are zeroed.
2. ``num_blocks`` residual blocks (LayerNorm, Conv1d kernel k, GELU, dropout); after every
   block but the last, the time axis is halved by a masked average (a frame of the coarser axis
   is valid when either of its two frames is). Padded frames are zeroed before every
   convolution, so a motion's result does not depend on what it is batched with.
3. Masked mean and max over time -> ``[B, 2H]`` -> Linear -> GELU -> the embedding ``[B, E]``.
4. Heads: Linear ``E -> C_content`` and ``E -> C_style``.
"""

from momo.evaluation.classifier.config import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    IGNORE,
    INPUT_CHANNELS,
    WEIGHTS_FILE,
    ClassifierConfig,
)
from momo.evaluation.classifier.model import (
    ClassifierPrediction,
    MotionClassifier,
    label_accuracy,
)
from momo.evaluation.classifier.network import MotionClassifierNet
from momo.evaluation.classifier.store import default_classifier_dir, load_or_train
from momo.evaluation.classifier.training import (
    label_vocabulary,
    train_classifier,
    train_from_cache,
)

__all__ = [
    "CONFIG_FILE",
    "FORMAT",
    "FORMAT_VERSION",
    "IGNORE",
    "INPUT_CHANNELS",
    "WEIGHTS_FILE",
    "ClassifierConfig",
    "ClassifierPrediction",
    "MotionClassifier",
    "MotionClassifierNet",
    "default_classifier_dir",
    "label_accuracy",
    "label_vocabulary",
    "load_or_train",
    "train_classifier",
    "train_from_cache",
]
