"""Training the classifier on labelled clips (seeded random crops, two masked heads)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from momo.errors import MomoError
from momo.evaluation.classifier.config import IGNORE, INPUT_CHANNELS, ClassifierConfig
from momo.evaluation.classifier.model import MotionClassifier
from momo.evaluation.classifier.network import MotionClassifierNet

if TYPE_CHECKING:
    from momo.data.cache import DataCache

logger = logging.getLogger(__name__)


def label_vocabulary(labels: Sequence[str], min_count: int) -> list[str]:
    """Sorted labels occurring at least ``min_count`` times."""
    counts = Counter(labels)
    return sorted(label for label, n in counts.items() if n >= min_count)


def _targets(labels: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(vocabulary)}
    return np.array([index.get(label, IGNORE) for label in labels], dtype=np.int64)


def train_classifier(
    features: Sequence[np.ndarray],
    content: Sequence[str],
    style: Sequence[str],
    mean: np.ndarray,
    std: np.ndarray,
    config: ClassifierConfig | None = None,
    *,
    progress: bool = False,
    info: dict[str, Any] | None = None,
) -> MotionClassifier:
    """Train a classifier on clips with labels.

    Every epoch visits every clip once in a seeded random order; each batch draws one crop
    length in ``[min_frames, max_frames]`` and crops each clip at a random offset (shorter clips
    are taken whole and masked).

    Args:
        features: raw features ``[T_i, 263]`` of the training clips.
        content / style: their labels.
        mean / std: ``[263]`` normalisation (the training split's statistics).
        config: settings (default `ClassifierConfig()`).
        progress: show a progress bar.
        info: extra provenance stored with the classifier.

    Raises:
        MomoError: no clips, mismatched lists, or fewer than two classes in a head.
    """
    config = config or ClassifierConfig()
    if not features or not len(features) == len(content) == len(style):
        raise MomoError(
            f"need matching, non-empty clip and label lists, got {len(features)} clips, "
            f"{len(content)} content and {len(style)} style labels"
        )
    content_labels = label_vocabulary(content, config.min_clips_per_label)
    style_labels = label_vocabulary(style, config.min_clips_per_label)
    if len(content_labels) < 2 or len(style_labels) < 2:
        raise MomoError(
            f"each head needs >= 2 labels with >= {config.min_clips_per_label} clips; got "
            f"{content_labels} and {style_labels}. Lower min_clips_per_label or add data"
        )
    content_y = torch.from_numpy(_targets(content, content_labels))
    style_y = torch.from_numpy(_targets(style, style_labels))
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    normalised = [
        ((np.asarray(f, dtype=np.float32) - mean) / std)[:, :INPUT_CHANNELS] for f in features
    ]

    # Weights and dropout draw from a private copy of torch's generator state, seeded here.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net, history, seconds = _fit(
            config, normalised, content_y, style_y, len(content_labels), len(style_labels),
            progress,
        )  # fmt: skip
    provenance = dict(info or {})
    provenance.update(
        {"train_clips": len(normalised), "train_seconds": round(seconds, 1), "history": history}
    )
    return MotionClassifier(net, config, content_labels, style_labels, mean, std, provenance)


def _fit(
    config: ClassifierConfig,
    normalised: Sequence[np.ndarray],
    content_y: Tensor,
    style_y: Tensor,
    num_content: int,
    num_style: int,
    progress: bool,
) -> tuple[MotionClassifierNet, list[dict[str, float]], float]:
    """The training loop of `train_classifier`: (net in eval mode, per-epoch records, seconds)."""
    net = MotionClassifierNet(config, num_content, num_style)
    optimizer = torch.optim.AdamW(
        net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    total_steps = config.epochs * math.ceil(len(normalised) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s / total_steps, 1)))
    )
    rng = np.random.default_rng(config.seed)
    start_time = time.perf_counter()
    bar = _progress_bar(total_steps) if progress else None
    history = []
    net.train()
    for epoch in range(config.epochs):
        sums = np.zeros(4)
        for x, mask, rows in _crop_batches(config, normalised, rng):
            _, content_logits, style_logits = net(x, mask)
            loss_c = _masked_cross_entropy(content_logits, content_y[rows])
            loss_s = _masked_cross_entropy(style_logits, style_y[rows])
            optimizer.zero_grad(set_to_none=True)
            (loss_c + loss_s).backward()
            optimizer.step()
            scheduler.step()
            sums += [
                loss_c.item() * len(rows),
                loss_s.item() * len(rows),
                _correct(content_logits, content_y[rows]),
                _correct(style_logits, style_y[rows]),
            ]
            if bar is not None:
                bar.update(1)
        history.append(_epoch_record(epoch, sums, len(normalised), content_y, style_y))
        logger.info("classifier epoch %s", json.dumps(history[-1]))
    if bar is not None:
        bar.close()
    net.eval()
    return net, history, time.perf_counter() - start_time


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="classifier", unit="step")


def _crop_batches(
    config: ClassifierConfig, normalised: Sequence[np.ndarray], rng: np.random.Generator
) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
    """One epoch of batches: every clip once in a random order, one random crop length per
    batch, each clip cropped at a random offset (shorter clips whole and masked).

    Yields:
        (features ``[B, T, 259]``, mask ``[B, T]``, clip indices ``[B]``).
    """
    lengths = np.array([f.shape[0] for f in normalised], dtype=np.int64)
    order = rng.permutation(len(normalised))
    for start in range(0, len(order), config.batch_size):
        rows = order[start : start + config.batch_size]
        crop = int(rng.integers(config.min_frames, config.max_frames + 1))
        size = np.minimum(lengths[rows], crop)
        offset = np.floor(rng.random(len(rows)) * (lengths[rows] - size + 1)).astype(int)
        x = np.zeros((len(rows), int(size.max()), INPUT_CHANNELS), dtype=np.float32)
        mask = np.zeros(x.shape[:2], dtype=bool)
        for i, (row, n, o) in enumerate(zip(rows, size, offset)):
            x[i, :n] = normalised[row][o : o + n]
            mask[i, :n] = True
        yield torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(rows)


def _epoch_record(
    epoch: int, sums: np.ndarray, num_clips: int, content_y: Tensor, style_y: Tensor
) -> dict[str, float]:
    """Mean losses and train accuracies of one epoch from the summed batch statistics."""
    return {
        "epoch": epoch + 1,
        "content_loss": sums[0] / num_clips,
        "style_loss": sums[1] / num_clips,
        "content_train_accuracy": sums[2] / max(1, int((content_y != IGNORE).sum())),
        "style_train_accuracy": sums[3] / max(1, int((style_y != IGNORE).sum())),
    }


def _masked_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    if bool((target == IGNORE).all()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits, target, ignore_index=IGNORE)


def _correct(logits: Tensor, target: Tensor) -> int:
    keep = target != IGNORE
    return int((logits.argmax(-1)[keep] == target[keep]).sum())


def train_from_cache(
    cache: DataCache, config: ClassifierConfig | None = None, *, progress: bool = False
) -> MotionClassifier:
    """Train on the TRAIN split of a data cache (mirrored copies included); never the test split."""
    rows = cache.rows("train")
    if not rows:
        raise MomoError("the data cache has no train clips")
    return train_classifier(
        [cache.clip_features(r) for r in rows],
        [cache.clips[r].label.content for r in rows],
        [cache.clips[r].label.style for r in rows],
        cache.mean,
        cache.std,
        config,
        progress=progress,
        info={"data_fingerprint": cache.fingerprint(), "split": "train"},
    )
