"""`T2MEvaluator`: Guo et al.'s text-motion matching model, loaded from a user's evaluator folder.

The folder is the one MDM and MoMo users already have (``external_models/`` there)::

    t2m/text_mot_match/model/finest.tar         the three networks' state dicts
    t2m/Comp_v6_KLD01/meta/mean.npy, std.npy    the evaluator's own feature normalisation
    glove/our_vab_data.npy, our_vab_words.pkl, our_vab_idx.pkl

Layer sizes are read off the weights. Motions are prepared as the reference dataset does: cut to
a multiple of 4 frames from frame 0 (at most 196), normalised with the evaluator's statistics and
zero-padded to 196 frames. The padding is part of the input: the convolutions let the last used
movement step see up to three frames past the motion's end, which are zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from momo.errors import EvaluationError, ModelLoadError
from momo.evaluation.t2m_networks import MotionEncoder, MovementEncoder, TextEncoder
from momo.evaluation.t2m_text import POS_CLASSES, WordVectors, prepare_texts

#: Files of the evaluator folder, relative to its root.
CHECKPOINT_FILE = "t2m/text_mot_match/model/finest.tar"
MEAN_FILE = "t2m/Comp_v6_KLD01/meta/mean.npy"
STD_FILE = "t2m/Comp_v6_KLD01/meta/std.npy"
GLOVE_DIR = "glove"
#: Frames every motion is zero-padded to, and the longest motion the evaluator reads.
MAX_MOTION_FRAMES = 196
#: Frames per movement step (two stride-2 convolutions).
UNIT_LENGTH = 4
#: Per-frame features of the evaluator's input; the movement encoder drops the 4 foot contacts.
POSE_DIM = 263


@dataclass(frozen=True)
class T2MSizes:
    """Layer sizes of an evaluator, read off its weights (official: 300/15/512/512/512/512/1024)."""

    word: int
    pos: int
    text_hidden: int
    output: int
    movement_input: int
    movement_hidden: int
    movement_latent: int
    motion_hidden: int

    @classmethod
    def from_state_dicts(cls, checkpoint: dict[str, Any]) -> T2MSizes:
        """Read the sizes from the ``text_encoder`` / ``motion_encoder`` / ``movement_encoder`` dicts."""
        text, motion = checkpoint["text_encoder"], checkpoint["motion_encoder"]
        movement = checkpoint["movement_encoder"]
        return cls(
            word=int(text["pos_emb.weight"].shape[0]),
            pos=int(text["pos_emb.weight"].shape[1]),
            text_hidden=int(text["input_emb.weight"].shape[0]),
            output=int(text["output_net.3.weight"].shape[0]),
            movement_input=int(movement["main.0.weight"].shape[1]),
            movement_hidden=int(movement["main.0.weight"].shape[0]),
            movement_latent=int(movement["main.3.weight"].shape[0]),
            motion_hidden=int(motion["input_emb.weight"].shape[0]),
        )


def _load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelLoadError(
            f"evaluator weights {path} not found; pass the evaluator folder that holds "
            f"{CHECKPOINT_FILE} (MDM/MoMo's external_models/)"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for unreadable or unsafe files
        raise ModelLoadError(
            f"cannot read evaluator weights {path}: {exc}".splitlines()[0]
        ) from None
    parts = ("text_encoder", "motion_encoder", "movement_encoder")
    if not isinstance(checkpoint, dict) or not all(
        isinstance(checkpoint.get(part), dict) for part in parts
    ):
        raise ModelLoadError(f"{path} lacks the state dicts {', '.join(parts)}")
    return checkpoint


def _load_statistic(path: Path, name: str) -> np.ndarray:
    if not path.is_file():
        raise ModelLoadError(f"evaluator {name} {path} not found; the evaluator folder needs it")
    try:
        value = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ModelLoadError(f"{path} is not a plain .npy array ({exc})") from None
    if value.shape != (POSE_DIM,) or not np.isfinite(value).all():
        raise ModelLoadError(f"{path} must hold {POSE_DIM} finite values, got {value.shape}")
    if name == "std" and (value <= 0).any():
        raise ModelLoadError(f"{path} has non-positive standard deviations")
    return value


def _build_networks(
    checkpoint: dict[str, Any], sizes: T2MSizes
) -> tuple[TextEncoder, MotionEncoder, MovementEncoder]:
    networks = (
        TextEncoder(sizes.word, sizes.pos, sizes.text_hidden, sizes.output),
        MotionEncoder(sizes.movement_latent, sizes.motion_hidden, sizes.output),
        MovementEncoder(sizes.movement_input, sizes.movement_hidden, sizes.movement_latent),
    )
    for network, part in zip(networks, ("text_encoder", "motion_encoder", "movement_encoder")):
        try:
            network.load_state_dict(checkpoint[part], strict=True)
        except RuntimeError as exc:
            raise ModelLoadError(
                f"evaluator {part} weights do not fit Guo et al.'s network: "
                + " ".join(str(exc).split())[:400]
            ) from None
    return networks


class T2MEvaluator:
    """Guo et al.'s text-motion matching evaluator; embeds captions and motions in one space.

    Build it with `T2MEvaluator.load`. Embeddings come back in input order, in the evaluator's
    dtype, on its device.
    """

    def __init__(
        self,
        text_encoder: TextEncoder,
        motion_encoder: MotionEncoder,
        movement_encoder: MovementEncoder,
        words: WordVectors,
        mean: np.ndarray,
        std: np.ndarray,
        *,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if dtype not in (torch.float32, torch.float64):
            raise EvaluationError(f"evaluator dtype must be float32 or float64, got {dtype}")
        self.device = torch.device(device)
        self.dtype = dtype
        self.text_encoder = text_encoder.to(self.device, dtype).eval()
        self.motion_encoder = motion_encoder.to(self.device, dtype).eval()
        self.movement_encoder = movement_encoder.to(self.device, dtype).eval()
        self.words = words
        #: Where the evaluator was loaded from (recorded with benchmark results), if known.
        self.source: str | None = None
        # The reference casts its float32 inputs to the network dtype before any arithmetic.
        self._vectors = torch.as_tensor(words.vectors).to(self.device, dtype)
        self._mean = torch.as_tensor(mean).to(self.device, dtype)
        self._std = torch.as_tensor(std).to(self.device, dtype)

    @classmethod
    def load(
        cls,
        root: str | Path,
        *,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> T2MEvaluator:
        """Load the evaluator from its folder (layout in the module docstring).

        Raises:
            ModelLoadError: a file is missing or malformed, or the sizes do not fit together.
        """
        root = Path(root)
        if not root.is_dir():
            raise ModelLoadError(
                f"evaluator folder {root} not found; pass MDM/MoMo's external_models/"
            )
        checkpoint = _load_checkpoint(root / CHECKPOINT_FILE)
        try:
            sizes = T2MSizes.from_state_dicts(checkpoint)
        except (KeyError, IndexError) as exc:
            raise ModelLoadError(f"evaluator weights lack the tensor {exc}") from None
        words = WordVectors.load(root / GLOVE_DIR)
        if sizes.pos != len(POS_CLASSES) or sizes.word != words.dim:
            raise ModelLoadError(
                f"evaluator text encoder expects {sizes.word}-d words and {sizes.pos} POS classes; "
                f"the GloVe files give {words.dim}-d words and there are {len(POS_CLASSES)} classes"
            )
        if sizes.movement_input != POSE_DIM - 4:
            raise ModelLoadError(
                f"evaluator movement encoder reads {sizes.movement_input} features, expected "
                f"{POSE_DIM - 4} (HumanML3D features without foot contacts)"
            )
        networks = _build_networks(checkpoint, sizes)
        mean = _load_statistic(root / MEAN_FILE, "mean")
        std = _load_statistic(root / STD_FILE, "std")
        evaluator = cls(*networks, words, mean, std, device=device, dtype=dtype)
        evaluator.source = str(root.resolve())
        return evaluator

    @property
    def embedding_dim(self) -> int:
        """Width of the shared text-motion embedding."""
        return int(self.text_encoder.output_net[3].out_features)

    @torch.no_grad()
    def encode_texts(
        self,
        tokens: Sequence[Sequence[str]],
        *,
        padded_length: bool = False,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """Embed captions given as HumanML3D ``word/POS`` tokens: ``[B, D]`` in input order.

        Args:
            tokens: B captions, each a sequence of tokens (before sos/eos; the evaluator adds
                them, pads to 22 and cuts past 20 tokens).
            padded_length: reproduce MoMo's transfer-benchmark quirk, whose caption length is
                always 22 so the text GRU also reads the padding (the paper's numbers); default
                False, the true length (what MDM's fixed loader does).
            batch_size: captions per forward pass (results do not depend on it).
        """
        prepared = prepare_texts(tokens, self.words, padded_length=padded_length)
        eye = torch.eye(len(POS_CLASSES), device=self.device, dtype=self.dtype)
        chunks = []
        for start in range(0, len(prepared.lengths), _check_batch_size(batch_size)):
            rows = slice(start, start + batch_size)
            word_rows = torch.as_tensor(prepared.word_rows[rows], device=self.device)
            pos = torch.as_tensor(prepared.pos_index[rows], device=self.device)
            lengths = torch.as_tensor(prepared.lengths[rows])
            chunks.append(self.text_encoder(self._vectors[word_rows], eye[pos], lengths))
        return self._concat(chunks)

    @torch.no_grad()
    def encode_motions(self, motions: Sequence[Any], *, batch_size: int = 256) -> torch.Tensor:
        """Embed motions given as raw HumanML3D features: ``[B, D]`` in input order.

        Args:
            motions: B motions, each a ``[T, 263]`` array, tensor or `momo.Motion` (T >= 4;
                frames past 196 are not read).
            batch_size: motions per forward pass (results do not depend on it).
        """
        features = [_motion_features(motion, i) for i, motion in enumerate(motions)]
        chunks = []
        for start in range(0, len(features), _check_batch_size(batch_size)):
            prepared, lengths = self.prepare_motions(features[start : start + batch_size])
            movements = self.movement_encoder(prepared[..., : POSE_DIM - 4])
            chunks.append(self.motion_encoder(movements, lengths // UNIT_LENGTH))
        return self._concat(chunks)

    def prepare_motions(
        self, motions: Sequence[np.ndarray | torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cut, normalise and pad raw ``[T, 263]`` motions as the reference dataset does.

        Returns:
            the prepared motions ``[B, 196, 263]`` (evaluator dtype and device) and the used
            frame counts int64 ``[B]`` (multiples of 4).
        """
        batch = torch.zeros(
            (len(motions), MAX_MOTION_FRAMES, POSE_DIM), device=self.device, dtype=self.dtype
        )
        lengths = torch.zeros(len(motions), dtype=torch.int64)
        for i, motion in enumerate(motions):
            used = min(len(motion), MAX_MOTION_FRAMES) // UNIT_LENGTH * UNIT_LENGTH
            raw = torch.as_tensor(motion[:used]).to(self.device, self.dtype)
            batch[i, :used] = (raw - self._mean) / self._std
            lengths[i] = used
        return batch, lengths

    def _concat(self, chunks: list[torch.Tensor]) -> torch.Tensor:
        if not chunks:
            return torch.zeros((0, self.embedding_dim), device=self.device, dtype=self.dtype)
        return torch.cat(chunks)


def _check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise EvaluationError(f"batch_size must be a positive integer, got {batch_size!r}")
    return batch_size


def _motion_features(motion: Any, index: int) -> np.ndarray | torch.Tensor:
    """Raw features of one motion (array, tensor or Motion), checked."""
    features = getattr(motion, "features", motion)
    if isinstance(features, torch.Tensor):
        features = features.detach()
        finite = bool(torch.isfinite(features).all())
    else:
        features = np.asarray(features)
        finite = bool(np.isfinite(features).all()) if features.dtype.kind == "f" else True
    if features.ndim != 2 or features.shape[1] != POSE_DIM:
        raise EvaluationError(
            f"motion {index} has shape {list(features.shape)}; pass raw HumanML3D features "
            f"[T, {POSE_DIM}]"
        )
    if len(features) < UNIT_LENGTH:
        raise EvaluationError(
            f"motion {index} has {len(features)} frames; the evaluator needs at least {UNIT_LENGTH}"
        )
    if not finite:
        raise EvaluationError(f"motion {index} contains NaN or Inf")
    return features
