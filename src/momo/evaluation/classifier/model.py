"""A trained classifier: inference on raw features, save and load, label accuracy."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from momo.errors import ModelLoadError, MomoError
from momo.evaluation.classifier.config import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    INPUT_CHANNELS,
    WEIGHTS_FILE,
    ClassifierConfig,
)
from momo.evaluation.classifier.network import MotionClassifierNet
from momo.utils.files import atomic_output


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
