"""Settings and file format of the evaluation classifier."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from momo.errors import MomoError

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
