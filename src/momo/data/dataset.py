"""The training set: batches of normalised feature windows, frame masks and captions.

Each batch draws one crop length (2-8 s), then B windows uniformly over all windows of the
split's clips (mirrored copies included when ``mirror`` is on), crops each at a random offset,
and picks one of each clip's captions at random (with ``crop="whole"`` the windows are taken
whole instead, each with its own length). Text embeddings come from the cache (computed
once per unique caption when the cache was built), so no text encoder runs while training.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from momo.data.cache import DataCache
from momo.data.splits import TRAIN
from momo.data.windows import (
    MAX_WINDOW_FRAMES,
    MIN_WINDOW_FRAMES,
    WindowIndex,
    build_window_index,
    crop_windows,
)
from momo.errors import MomoError
from momo.models.text_encoders import TextEmbedding


@dataclass(frozen=True)
class MotionBatch:
    """One training batch.

    Attributes:
        x0: float32 [B, L, 263] normalised features; padded frames hold raw zeros normalised
            (``-mean / std``), as the model sees padding at inference.
        frame_mask: bool [B, L], True = real frame.
        text: cached text embedding of the captions (B rows).
        captions: the B captions.
        caption_ids: int64 [B] rows of the text cache.
        clip_rows: int64 [B] cache rows of the clips the windows come from.
    """

    x0: Tensor
    frame_mask: Tensor
    text: TextEmbedding
    captions: list[str]
    caption_ids: Tensor
    clip_rows: Tensor


class TrainingSet:
    """Random windows of one split of a :class:`DataCache`.

    Args:
        cache: the built cache.
        split: ``"train"`` (default) or ``"test"``.
        min_frames: shortest crop (and shortest clip used), default 40 (2 s).
        max_frames: longest crop, default 160 (8 s).
        stride: frames between window starts in long clips.
        mirror: include the mirrored copies of the split's clips.
        crop: ``"random"``: each batch crops its windows to one random length (default);
            ``"whole"``: windows are taken whole (up to ``max_frames``), as HumanML3D's loader
            takes motions and caption spans, so a caption always sees the frames it describes.
    """

    def __init__(
        self,
        cache: DataCache,
        *,
        split: str = TRAIN,
        min_frames: int = MIN_WINDOW_FRAMES,
        max_frames: int = MAX_WINDOW_FRAMES,
        stride: int = MIN_WINDOW_FRAMES,
        mirror: bool = True,
        crop: str = "random",
    ) -> None:
        if crop not in ("random", "whole"):
            raise MomoError(f"crop must be 'random' or 'whole', got {crop!r}")
        self.cache = cache
        self.crop = crop
        self.min_frames = int(min_frames)
        self.max_frames = int(max_frames)
        self.rows = np.array(cache.rows(split, mirrored=None if mirror else False), dtype=np.int64)
        lengths = cache.lengths[self.rows] if len(self.rows) else np.zeros(0, dtype=np.int64)
        local = build_window_index(
            lengths, min_frames=self.min_frames, max_frames=self.max_frames, stride=stride
        )
        # Windows refer to cache rows directly.
        self.windows = WindowIndex(
            self.rows[local.clip] if len(local) else local.clip, local.start, local.length
        )
        if len(self.windows) == 0:
            raise MomoError(
                f"the {split!r} split has no clip of at least {self.min_frames} frames; "
                "build the cache from more data or lower min_frames"
            )
        self.mean = torch.from_numpy(np.asarray(cache.mean, dtype=np.float32))
        self.std = torch.from_numpy(np.asarray(cache.std, dtype=np.float32))
        self._tokens = torch.from_numpy(np.ascontiguousarray(cache.text_tokens, dtype=np.float32))
        self._token_offsets = np.asarray(cache.text_token_offsets, dtype=np.int64)
        self._pooled = torch.from_numpy(np.ascontiguousarray(cache.text_pooled, dtype=np.float32))
        self._clip_captions = [np.array(clip.captions, dtype=np.int64) for clip in cache.clips]

    def __len__(self) -> int:
        """Number of windows."""
        return len(self.windows)

    @property
    def num_clips(self) -> int:
        """Clips (mirrored copies included) with at least one window."""
        return int(np.unique(self.windows.clip).shape[0])

    def text_embedding(self, caption_ids: Sequence[int] | np.ndarray) -> TextEmbedding:
        """Cached embedding of captions (rows of the text cache): tokens padded to the longest."""
        ids = np.asarray(caption_ids, dtype=np.int64)
        starts = self._token_offsets[ids]
        counts = self._token_offsets[ids + 1] - starts
        width = int(counts.max())
        positions = np.arange(width, dtype=np.int64)
        mask = positions[None, :] < counts[:, None]
        gather = np.where(mask, starts[:, None] + positions[None, :], 0)
        tokens = self._tokens[torch.from_numpy(gather)] * torch.from_numpy(mask)[..., None]
        return TextEmbedding(tokens, torch.from_numpy(mask), self._pooled[torch.from_numpy(ids)])

    def iter_batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[MotionBatch]:
        """Endless batches (see :meth:`sample_batch`), each with its own random crop length."""
        while True:
            yield self.sample_batch(batch_size, rng)

    def sample_batch(
        self, batch_size: int, rng: np.random.Generator, crop_frames: int | None = None
    ) -> MotionBatch:
        """Draw one batch.

        Args:
            batch_size: B.
            rng: the data generator (advanced; its state makes batches reproducible).
            crop_frames: crop length; default uniform in [min_frames, max_frames] (``max_frames``
                when windows are taken whole).
        """
        if crop_frames is None and self.crop == "whole":
            crop_frames = self.max_frames
        if crop_frames is None:
            crop_frames = int(rng.integers(self.min_frames, self.max_frames + 1))
        rows = rng.integers(0, len(self.windows), size=batch_size)
        clip_rows, starts, lengths = crop_windows(self.windows, rows, crop_frames, rng)
        caption_ids = np.array(
            [
                self._clip_captions[row][rng.integers(len(self._clip_captions[row]))]
                for row in clip_rows.tolist()
            ],
            dtype=np.int64,
        )
        frames = int(lengths.max())
        raw = np.zeros((batch_size, frames, self.mean.shape[0]), dtype=np.float32)
        for i, (row, start, length) in enumerate(
            zip(clip_rows.tolist(), starts.tolist(), lengths.tolist())
        ):
            offset = int(self.cache.offsets[row]) + start
            raw[i, :length] = self.cache.features[offset : offset + length]
        frame_mask = torch.from_numpy(np.arange(frames)[None, :] < lengths[:, None])
        x0 = (torch.from_numpy(raw) - self.mean) / self.std
        return MotionBatch(
            x0=x0,
            frame_mask=frame_mask,
            text=self.text_embedding(caption_ids),
            captions=[self.cache.captions[i] for i in caption_ids.tolist()],
            caption_ids=torch.from_numpy(caption_ids),
            clip_rows=torch.from_numpy(clip_rows),
        )
