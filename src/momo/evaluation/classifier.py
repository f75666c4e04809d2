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

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from momo.errors import ModelLoadError, MomoError
from momo.utils.files import atomic_output

if TYPE_CHECKING:
    from momo.data.cache import DataCache

logger = logging.getLogger(__name__)

FORMAT = "momo-motion-classifier"
FORMAT_VERSION = 1
WEIGHTS_FILE = "classifier.safetensors"
CONFIG_FILE = "classifier.json"
#: Channels the classifier reads: everything before the four foot-contact channels.
INPUT_CHANNELS = 259
#: Target of labels a head does not learn (outside its vocabulary).
IGNORE = -100


@dataclass(frozen=True)
class ClassifierConfig:
    """Network and training settings of the classifier.

    Attributes:
        hidden: width H of the convolutional trunk.
        embedding_dim: width E of the penultimate layer (the FID / diversity space).
        num_blocks: residual convolution blocks (the time axis halves between blocks).
        kernel_size: temporal kernel of the convolutions (odd).
        dropout: dropout in the blocks and before the heads.
        epochs: passes over the train clips (one random crop per clip per pass).
        batch_size: clips per step.
        learning_rate: AdamW peak learning rate (cosine decay to 5% of it, no warm-up).
        weight_decay: AdamW weight decay.
        min_frames / max_frames: range of the random crop length (one length per batch).
        min_clips_per_label: a label gets a class when it has at least this many train clips
            (mirrored copies included).
        seed: seeds the initial weights, the batch order and the crops.
    """

    hidden: int = 96
    embedding_dim: int = 64
    num_blocks: int = 3
    kernel_size: int = 5
    dropout: float = 0.1
    epochs: int = 8
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    min_frames: int = 40
    max_frames: int = 160
    min_clips_per_label: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if min(self.hidden, self.embedding_dim, self.num_blocks, self.epochs, self.batch_size) < 1:
            problems.append("hidden, embedding_dim, num_blocks, epochs and batch_size must be >= 1")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            problems.append(f"kernel_size must be odd and >= 1, got {self.kernel_size}")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if not 1 <= self.min_frames <= self.max_frames:
            problems.append(
                f"need 1 <= min_frames <= max_frames, got {self.min_frames}, {self.max_frames}"
            )
        if self.min_clips_per_label < 1:
            problems.append("min_clips_per_label must be >= 1")
        if problems:
            raise MomoError("invalid classifier config: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    def digest(self) -> str:
        """A short hash of the settings (part of the default save directory's name)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:10]


class MotionClassifierNet(nn.Module):
    """The network (see the module docstring); maps ``[B, T, 259]`` + mask to (embedding, logits)."""

    def __init__(self, config: ClassifierConfig, num_content: int, num_style: int) -> None:
        super().__init__()
        h = config.hidden
        self.input = nn.Linear(INPUT_CHANNELS, h)
        self.norms = nn.ModuleList(nn.LayerNorm(h) for _ in range(config.num_blocks))
        self.convs = nn.ModuleList(
            nn.Conv1d(h, h, config.kernel_size, padding=config.kernel_size // 2)
            for _ in range(config.num_blocks)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.embed = nn.Linear(2 * h, config.embedding_dim)
        self.content_head = nn.Linear(config.embedding_dim, num_content)
        self.style_head = nn.Linear(config.embedding_dim, num_style)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Classify a batch.

        Args:
            x: normalised features ``[B, T, 259]`` (padded frames arbitrary).
            mask: bool ``[B, T]``, True on valid frames (at least one per row).

        Returns:
            (embedding ``[B, E]``, content logits ``[B, C_content]``, style logits
            ``[B, C_style]``).
        """
        m = mask.to(x.dtype)[:, :, None]
        h = F.gelu(self.input(x)) * m
        for i, (norm, conv) in enumerate(zip(self.norms, self.convs)):
            y = conv((norm(h) * m).transpose(1, 2)).transpose(1, 2)
            h = (h + self.dropout(F.gelu(y))) * m
            if i < len(self.convs) - 1 and h.shape[1] > 1:
                h, m = _halve(h, m)
        count = m.sum(dim=1).clamp(min=1.0)
        mean = h.sum(dim=1) / count
        peak = h.masked_fill(m == 0, float("-inf")).amax(dim=1)
        embedding = F.gelu(self.embed(torch.cat([mean, peak], dim=-1)))
        dropped = self.dropout(embedding)
        return embedding, self.content_head(dropped), self.style_head(dropped)


def _halve(h: Tensor, m: Tensor) -> tuple[Tensor, Tensor]:
    """Masked average of frame pairs: ``[B, T, H]``, ``[B, T, 1]`` -> ``[B, ceil(T/2), ...]``."""
    if h.shape[1] % 2:
        h = F.pad(h, (0, 0, 0, 1))
        m = F.pad(m, (0, 0, 0, 1))
    b, t, c = h.shape
    total = h.reshape(b, t // 2, 2, c).sum(dim=2)
    count = m.reshape(b, t // 2, 2, 1).sum(dim=2)
    return total / count.clamp(min=1.0), (count > 0).to(h.dtype)


@dataclass(frozen=True)
class ClassifierPrediction:
    """What the classifier says about N motions.

    Attributes:
        embeddings: float64 ``[N, E]`` penultimate-layer descriptors.
        content: N predicted content labels.
        style: N predicted style labels.
    """

    embeddings: np.ndarray
    content: list[str]
    style: list[str]


@dataclass
class MotionClassifier:
    """A trained content/style classifier with its label vocabularies and normalisation.

    Attributes:
        net: the network (eval mode).
        config: its settings.
        content_labels / style_labels: class names, in logit order.
        mean / std: float32 ``[263]`` feature statistics it normalises with (the train split's).
        info: provenance (data fingerprint, train clips, final losses, seconds).
    """

    net: MotionClassifierNet
    config: ClassifierConfig
    content_labels: list[str]
    style_labels: list[str]
    mean: np.ndarray
    std: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def _batch(self, motions: Sequence[np.ndarray]) -> tuple[Tensor, Tensor]:
        lengths = [int(np.asarray(f).shape[0]) for f in motions]
        frames = max(lengths)
        x = np.zeros((len(motions), frames, INPUT_CHANNELS), dtype=np.float32)
        mask = np.zeros((len(motions), frames), dtype=bool)
        scale = self.std[:INPUT_CHANNELS]
        for i, (features, n) in enumerate(zip(motions, lengths)):
            x[i, :n] = (
                np.asarray(features)[:, :INPUT_CHANNELS] - self.mean[:INPUT_CHANNELS]
            ) / scale
            mask[i, :n] = True
        return torch.from_numpy(x), torch.from_numpy(mask)

    def predict(self, motions: Sequence[np.ndarray], batch_size: int = 64) -> ClassifierPrediction:
        """Embed and classify raw features.

        Args:
            motions: raw (un-normalised) features ``[T_i, 263]`` (or ``[T_i, >= 259]``), T_i >= 1.
                The network was trained on crops of ``config.min_frames``..``config.max_frames``
                frames; crop longer motions before calling for comparable results.
            batch_size: motions per forward pass (similar lengths batch best).

        Returns:
            embeddings and predicted labels, in input order.
        """
        for i, features in enumerate(motions):
            shape = np.asarray(features).shape
            if len(shape) != 2 or shape[0] < 1 or shape[1] < INPUT_CHANNELS:
                raise MomoError(f"motion {i} must be raw features [T >= 1, 263], got {list(shape)}")
        if not motions:
            return ClassifierPrediction(np.zeros((0, self.config.embedding_dim)), [], [])
        embeddings, content, style = [], [], []
        self.net.eval()
        with torch.inference_mode():
            for start in range(0, len(motions), batch_size):
                x, mask = self._batch(motions[start : start + batch_size])
                embedding, content_logits, style_logits = self.net(x, mask)
                embeddings.append(embedding.double().numpy())
                content += [self.content_labels[i] for i in content_logits.argmax(-1).tolist()]
                style += [self.style_labels[i] for i in style_logits.argmax(-1).tolist()]
        return ClassifierPrediction(np.concatenate(embeddings), content, style)

    def embed(self, motions: Sequence[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Penultimate-layer descriptors ``[N, E]`` of raw features ``[T_i, 263]``."""
        return self.predict(motions, batch_size).embeddings

    def save(self, directory: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write weights and settings to ``directory`` (outside any momo checkout).

        Raises:
            OutputExistsError: if the files exist and ``overwrite`` is False.
            MomoError: if the directory is inside a momo-motion git checkout.
        """
        from safetensors.torch import save_file

        from momo.data.cache import check_outside_repository

        directory = check_outside_repository(directory)
        tensors = {k: v.detach().contiguous() for k, v in self.net.state_dict().items()}
        tensors["mean"] = torch.from_numpy(np.asarray(self.mean, dtype=np.float32))
        tensors["std"] = torch.from_numpy(np.asarray(self.std, dtype=np.float32))
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "content_labels": self.content_labels,
            "style_labels": self.style_labels,
            "info": self.info,
        }
        with atomic_output(directory / WEIGHTS_FILE, overwrite=overwrite) as tmp:
            save_file(tensors, str(tmp))
        with atomic_output(directory / CONFIG_FILE, overwrite=overwrite) as tmp:
            tmp.write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> MotionClassifier:
        """Read a classifier written by :meth:`save`.

        Raises:
            FileNotFoundError: if the directory or its files are missing.
            ModelLoadError: if the files are not a classifier of this format version.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        directory = Path(directory).expanduser()
        for name in (CONFIG_FILE, WEIGHTS_FILE):
            if not (directory / name).is_file():
                raise FileNotFoundError(
                    f"no classifier at {directory} ({name} missing); train one with "
                    "momo.evaluation.classifier.load_or_train"
                )
        try:
            meta = json.loads((directory / CONFIG_FILE).read_text())
            tensors = load_file(str(directory / WEIGHTS_FILE))
        except (json.JSONDecodeError, SafetensorError, OSError) as error:
            raise ModelLoadError(f"unreadable classifier in {directory}: {error}") from error
        if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(
                f"{directory} holds a {meta.get('format')!r} v{meta.get('format_version')}, not a "
                f"{FORMAT!r} v{FORMAT_VERSION}; delete it and train again"
            )
        config = ClassifierConfig(**meta["config"])
        content, style = list(meta["content_labels"]), list(meta["style_labels"])
        net = MotionClassifierNet(config, len(content), len(style))
        mean, std = tensors.pop("mean").numpy(), tensors.pop("std").numpy()
        try:
            net.load_state_dict(tensors)
        except RuntimeError as error:
            raise ModelLoadError(
                f"classifier weights in {directory} do not fit: {error}"
            ) from error
        net.eval()
        return cls(net, config, content, style, mean, std, dict(meta.get("info", {})))


# ---------------------------------------------------------------------------------------------
# Training


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
    lengths = np.array([f.shape[0] for f in normalised], dtype=np.int64)
    net = MotionClassifierNet(config, num_content, num_style)
    optimizer = torch.optim.AdamW(
        net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(normalised) / config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s / total_steps, 1)))
    )
    rng = np.random.default_rng(config.seed)
    start_time = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total_steps, desc="classifier", unit="step")
    history = []
    net.train()
    for epoch in range(config.epochs):
        order = rng.permutation(len(normalised))
        sums = np.zeros(4)
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
            _, content_logits, style_logits = net(torch.from_numpy(x), torch.from_numpy(mask))
            index = torch.from_numpy(rows)
            loss_c = _masked_cross_entropy(content_logits, content_y[index])
            loss_s = _masked_cross_entropy(style_logits, style_y[index])
            loss = loss_c + loss_s
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            sums += [
                loss_c.item() * len(rows),
                loss_s.item() * len(rows),
                _correct(content_logits, content_y[index]),
                _correct(style_logits, style_y[index]),
            ]
            if bar is not None:
                bar.update(1)
        record = {
            "epoch": epoch + 1,
            "content_loss": sums[0] / len(order),
            "style_loss": sums[1] / len(order),
            "content_train_accuracy": sums[2] / max(1, int((content_y != IGNORE).sum())),
            "style_train_accuracy": sums[3] / max(1, int((style_y != IGNORE).sum())),
        }
        history.append(record)
        logger.info("classifier epoch %s", json.dumps(record))
    if bar is not None:
        bar.close()
    net.eval()
    return net, history, time.perf_counter() - start_time


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


def label_accuracy(
    predicted: Sequence[str], truth: Sequence[str], vocabulary: Sequence[str]
) -> tuple[float, int]:
    """Accuracy over the motions whose true label is in the classifier's vocabulary.

    Returns:
        (accuracy, number of motions counted); accuracy is NaN when none counts.
    """
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} labels")
    known = set(vocabulary)
    pairs = [(p, t) for p, t in zip(predicted, truth) if t in known]
    if not pairs:
        return float("nan"), 0
    return float(np.mean([p == t for p, t in pairs])), len(pairs)
