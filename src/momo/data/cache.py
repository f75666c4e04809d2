"""The training-data cache: one safetensors file outside the repository.

Layout (all arrays in one ``.safetensors`` file, described by a JSON string in its metadata):

- ``features`` float32 [N, 263]: raw (un-normalised) features of every clip and of its mirrored
  copy, concatenated; clip ``i`` is rows ``offset[i] : offset[i] + length[i]``.
- ``clip_offsets`` / ``clip_lengths`` int64 [C].
- ``mean`` / ``std`` float32 [263]: statistics of the train split (mirrors included).
- ``text_pooled`` float32 [U, D_pool]: sentence vectors of the U unique captions.
- ``text_tokens`` float32 [K, D_tok]: their token states, concatenated; caption ``j`` owns rows
  ``text_token_offsets[j] : text_token_offsets[j + 1]`` (``text_token_offsets`` int64 [U + 1]).
- metadata ``momo_data``: JSON with the format version, the build settings, the text encoder,
  the captions, and one record per clip (label fields, split, caption ids, seconds, frames).

The file is written atomically; building it is the slow part (import, features, text encoding),
reading it takes about a second.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from momo.data.labels import ClipLabel
from momo.errors import MomoError, MotionFormatError
from momo.utils.files import atomic_output

FORMAT = "momo-motion-training-data"
FORMAT_VERSION = 1
DEFAULT_CACHE_NAME = "training-data-v1.safetensors"


def default_cache_dir() -> Path:
    """``$MOMO_CACHE_DIR``, else ``$XDG_CACHE_HOME/momo-motion``, else ``~/.cache/momo-motion``."""
    if os.environ.get("MOMO_CACHE_DIR"):
        return Path(os.environ["MOMO_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "momo-motion"


def default_cache_path() -> Path:
    """Where ``momo data build`` writes and ``momo train`` reads by default."""
    return default_cache_dir() / DEFAULT_CACHE_NAME


def check_outside_repository(path: str | os.PathLike[str]) -> Path:
    """Refuse a cache path inside a momo-motion git checkout (data must never be committed).

    Raises:
        MomoError: if a parent of ``path`` is a git working tree holding ``src/momo``.
    """
    resolved = Path(path).expanduser().resolve()
    for parent in resolved.parents:
        if (parent / ".git").exists() and (parent / "src" / "momo").is_dir():
            raise MomoError(
                f"the data cache {resolved} would be inside the momo-motion checkout {parent}; "
                "choose a path outside it (default: ~/.cache/momo-motion/)"
            )
    return resolved


@dataclass(frozen=True)
class ClipRecord:
    """One clip of the cache: its label, split and where its rows are.

    Attributes:
        label: content, style, source, names.
        split: ``"train"`` or ``"test"``.
        captions: caption ids (rows of the text cache) of this clip.
        frames: feature frames (equals the clip's length in the features array).
        seconds: duration of the imported clip at 20 fps.
    """

    label: ClipLabel
    split: str
    captions: tuple[int, ...]
    frames: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "label": asdict(self.label),
            "split": self.split,
            "captions": list(self.captions),
            "frames": self.frames,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipRecord:
        """Inverse of :meth:`to_dict`."""
        return cls(
            label=ClipLabel(**data["label"]),
            split=str(data["split"]),
            captions=tuple(int(i) for i in data["captions"]),
            frames=int(data["frames"]),
            seconds=float(data["seconds"]),
        )


@dataclass
class DataCache:
    """Everything training needs, in memory (see the module docstring for the file layout).

    Attributes:
        features: float32 [N, 263] raw features of all clips.
        offsets: int64 [C] first row of each clip.
        clips: C records, in row order.
        mean: float32 [263].
        std: float32 [263].
        captions: the U unique captions.
        text_pooled: float32 [U, D_pool].
        text_tokens: float32 [K, D_tok].
        text_token_offsets: int64 [U + 1].
        text_encoder: name of the encoder that made the text arrays (e.g. "minilm").
        info: build settings and timings (free-form JSON).
    """

    features: np.ndarray
    offsets: np.ndarray
    clips: list[ClipRecord]
    mean: np.ndarray
    std: np.ndarray
    captions: list[str]
    text_pooled: np.ndarray
    text_tokens: np.ndarray
    text_token_offsets: np.ndarray
    text_encoder: str
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_clips(
        cls,
        features: Sequence[np.ndarray],
        clips: Sequence[ClipRecord],
        *,
        mean: np.ndarray,
        std: np.ndarray,
        captions: Sequence[str],
        tokens: Sequence[np.ndarray],
        pooled: np.ndarray,
        text_encoder: str,
        info: dict[str, Any],
    ) -> DataCache:
        """Gather per-clip arrays into a cache: rows concatenated in order, text packed.

        Args:
            features: C arrays [T_i, 263], one per record of ``clips``, in row order.
            clips: the C records (``frames`` equal to ``T_i``).
            mean / std: [263] statistics of the train split.
            captions: the U unique captions.
            tokens: U token-state arrays [S_j, D_tok] (see :func:`pack_text`).
            pooled: [U, D_pool] sentence vectors.
            text_encoder: name of the encoder that made ``tokens`` and ``pooled``.
            info: build settings (free-form JSON).

        Raises:
            MotionFormatError: if the parts do not agree (see :meth:`validate`).
        """
        lengths = [int(array.shape[0]) for array in features]
        offsets = np.concatenate([[0], np.cumsum(lengths[:-1])]).astype(np.int64)
        text_tokens, text_token_offsets, text_pooled = pack_text(tokens, pooled)
        return cls(
            features=np.concatenate(features).astype(np.float32),
            offsets=offsets,
            clips=list(clips),
            mean=mean,
            std=std,
            captions=list(captions),
            text_pooled=text_pooled,
            text_tokens=text_tokens,
            text_token_offsets=text_token_offsets,
            text_encoder=text_encoder,
            info=info,
        )

    @property
    def lengths(self) -> np.ndarray:
        """int64 [C] feature frames per clip."""
        return np.array([clip.frames for clip in self.clips], dtype=np.int64)

    def fingerprint(self) -> str:
        """A short hash of the clips, captions, split and statistics (identifies the data)."""
        digest = hashlib.sha256()
        digest.update(json.dumps([clip.to_dict() for clip in self.clips]).encode())
        digest.update(json.dumps(self.captions).encode())
        digest.update(str(self.features.shape).encode())
        digest.update(np.ascontiguousarray(self.mean, dtype=np.float32).tobytes())
        digest.update(np.ascontiguousarray(self.std, dtype=np.float32).tobytes())
        return digest.hexdigest()[:16]

    def clip_features(self, row: int) -> np.ndarray:
        """Raw features [T, 263] of clip ``row`` (a view)."""
        start = int(self.offsets[row])
        return self.features[start : start + self.clips[row].frames]

    def rows(self, split: str | None = None, *, mirrored: bool | None = None) -> list[int]:
        """Clip rows of a split (None: all), optionally only (non-)mirrored copies."""
        return [
            i
            for i, clip in enumerate(self.clips)
            if (split is None or clip.split == split)
            and (mirrored is None or clip.label.mirrored == mirrored)
        ]

    def validate(self) -> None:
        """Check that the arrays and records agree.

        Raises:
            MotionFormatError: on any inconsistency (a corrupt or foreign cache file).
        """
        n_clips = len(self.clips)
        problems = []
        if self.features.ndim != 2 or self.features.shape[1] != self.mean.shape[0]:
            problems.append(f"features {self.features.shape} vs mean {self.mean.shape}")
        if self.offsets.shape != (n_clips,):
            problems.append(f"{self.offsets.shape[0]} offsets for {n_clips} clips")
        else:
            ends = self.offsets + self.lengths
            if n_clips and (self.offsets.min() < 0 or ends.max() > self.features.shape[0]):
                problems.append("clip rows outside the features array")
        if self.std.shape != self.mean.shape or not (self.std > 0).all():
            problems.append("std must be positive and shaped like mean")
        n_captions = len(self.captions)
        if self.text_pooled.shape[0] != n_captions:
            problems.append(f"{self.text_pooled.shape[0]} pooled vectors for {n_captions} captions")
        if self.text_token_offsets.shape != (n_captions + 1,) or (
            n_captions and self.text_token_offsets[-1] != self.text_tokens.shape[0]
        ):
            problems.append("text token offsets do not match the token array")
        for clip in self.clips:
            if not clip.captions or max(clip.captions) >= n_captions:
                problems.append(f"clip {clip.label.name} has invalid caption ids")
                break
        if problems:
            raise MotionFormatError("inconsistent training-data cache: " + "; ".join(problems))

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the cache atomically to ``path`` (a ``.safetensors`` file outside any git tree).

        Raises:
            OutputExistsError: if the file exists and ``overwrite`` is False.
            MomoError: if the path is inside a git working tree.
        """
        from safetensors.numpy import save_file

        path = check_outside_repository(path)
        metadata = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "text_encoder": self.text_encoder,
            "captions": self.captions,
            "clips": [clip.to_dict() for clip in self.clips],
            "info": self.info,
        }
        tensors = {
            "features": np.ascontiguousarray(self.features, dtype=np.float32),
            "clip_offsets": np.ascontiguousarray(self.offsets, dtype=np.int64),
            "clip_lengths": self.lengths,
            "mean": np.ascontiguousarray(self.mean, dtype=np.float32),
            "std": np.ascontiguousarray(self.std, dtype=np.float32),
            "text_pooled": np.ascontiguousarray(self.text_pooled, dtype=np.float32),
            "text_tokens": np.ascontiguousarray(self.text_tokens, dtype=np.float32),
            "text_token_offsets": np.ascontiguousarray(self.text_token_offsets, dtype=np.int64),
        }
        with atomic_output(path, overwrite=overwrite) as tmp:
            save_file(tensors, str(tmp), metadata={"momo_data": json.dumps(metadata)})
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DataCache:
        """Read a cache written by :meth:`save`.

        Raises:
            FileNotFoundError: if there is no file (build it with ``momo data build``).
            MotionFormatError: if the file is not a cache of this format version.
        """
        from safetensors import SafetensorError, safe_open

        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"no training-data cache at {path}; build it with `momo data build` "
                "(or pass --cache with the path you built)"
            )
        try:
            with safe_open(str(path), framework="np") as handle:
                raw_meta = (handle.metadata() or {}).get("momo_data")
                arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        except (SafetensorError, OSError) as error:
            raise MotionFormatError(
                f"{path} is not a readable safetensors file: {error}"
            ) from error
        if raw_meta is None:
            raise MotionFormatError(f"{path} is not a momo training-data cache (no metadata)")
        meta = json.loads(raw_meta)
        if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            raise MotionFormatError(
                f"{path} is a {meta.get('format')!r} v{meta.get('format_version')} file, not "
                f"{FORMAT!r} v{FORMAT_VERSION}; rebuild it with `momo data build --overwrite`"
            )
        missing = {
            "features", "clip_offsets", "mean", "std", "text_pooled", "text_tokens",
            "text_token_offsets",
        } - set(arrays)  # fmt: skip
        if missing:
            raise MotionFormatError(f"{path} lacks arrays {sorted(missing)}; rebuild it")
        clips = [ClipRecord.from_dict(record) for record in meta["clips"]]
        lengths = arrays.get("clip_lengths")
        if lengths is not None and lengths.tolist() != [clip.frames for clip in clips]:
            raise MotionFormatError(f"{path}: clip lengths disagree with the clip records")
        return cls(
            features=arrays["features"],
            offsets=arrays["clip_offsets"],
            clips=clips,
            mean=arrays["mean"],
            std=arrays["std"],
            captions=list(meta["captions"]),
            text_pooled=arrays["text_pooled"],
            text_tokens=arrays["text_tokens"],
            text_token_offsets=arrays["text_token_offsets"],
            text_encoder=str(meta["text_encoder"]),
            info=dict(meta.get("info", {})),
        )


def pack_text(
    tokens: Sequence[np.ndarray], pooled: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pack per-caption token states [S_j, D] into (tokens [K, D], offsets [U + 1], pooled [U, D])."""
    lengths = np.array([t.shape[0] for t in tokens], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = (
        np.concatenate(tokens, axis=0).astype(np.float32)
        if tokens
        else np.zeros((0, pooled.shape[-1] if pooled.ndim == 2 else 0), dtype=np.float32)
    )
    return flat, offsets, np.asarray(pooled, dtype=np.float32)
