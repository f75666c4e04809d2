"""Windows of 2-8 s cut from whole-clip feature arrays, and random crops of them.

Features are computed once per whole clip; windows are index ranges into those arrays (HumanML3D
cuts its sub-motions from feature arrays the same way: every feature but the root rotation is
relative to the root heading, so a crop starting mid-clip is a valid motion).

A clip of T feature frames yields windows of ``min(T, max_frames)`` frames every ``stride``
frames, the last one ending at the clip's end; clips shorter than ``min_frames`` yield none.
Training draws windows uniformly, so long clips count in proportion to their length, then crops
each to the batch's crop length at a random offset inside the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from momo.errors import MomoError

#: 20 fps: 2 s and 8 s.
MIN_WINDOW_FRAMES = 40
MAX_WINDOW_FRAMES = 160


def window_starts(num_frames: int, max_frames: int, stride: int) -> np.ndarray:
    """First frames of the windows of one clip.

    Windows are ``min(num_frames, max_frames)`` frames long, start every ``stride`` frames, and
    the last one ends at the clip's last frame. Returns int64 [N] (N >= 1 for num_frames >= 1).
    """
    if num_frames < 1 or max_frames < 1 or stride < 1:
        raise MomoError(
            f"windows need positive sizes, got num_frames={num_frames}, max_frames={max_frames}, "
            f"stride={stride}"
        )
    last = max(0, num_frames - max_frames)
    starts = np.arange(0, last + 1, stride, dtype=np.int64)
    if starts[-1] != last:
        starts = np.append(starts, last)
    return starts


@dataclass(frozen=True)
class WindowIndex:
    """Windows over a list of clips (all arrays int64 [N]).

    Attributes:
        clip: row of the clip each window comes from.
        start: first frame of the window in its clip.
        length: frames in the window (``min(clip length, max_frames)``).
    """

    clip: np.ndarray
    start: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return int(self.clip.shape[0])


def build_window_index(
    lengths: Sequence[int] | np.ndarray,
    *,
    min_frames: int = MIN_WINDOW_FRAMES,
    max_frames: int = MAX_WINDOW_FRAMES,
    stride: int = MIN_WINDOW_FRAMES,
) -> WindowIndex:
    """Windows of every clip of at least ``min_frames`` frames.

    Args:
        lengths: feature frames per clip [C].
        min_frames: shortest window (and shortest clip used).
        max_frames: longest window.
        stride: frames between window starts within a clip.
    """
    if not 1 <= min_frames <= max_frames:
        raise MomoError(f"need 1 <= min_frames <= max_frames, got {min_frames}, {max_frames}")
    clips, starts, sizes = [], [], []
    for row, num_frames in enumerate(np.asarray(lengths, dtype=np.int64).tolist()):
        if num_frames < min_frames:
            continue
        s = window_starts(num_frames, max_frames, stride)
        clips.append(np.full_like(s, row))
        starts.append(s)
        sizes.append(np.full_like(s, min(num_frames, max_frames)))
    if not clips:
        empty = np.zeros(0, dtype=np.int64)
        return WindowIndex(empty, empty.copy(), empty.copy())
    return WindowIndex(np.concatenate(clips), np.concatenate(starts), np.concatenate(sizes))


def crop_windows(
    index: WindowIndex, rows: np.ndarray, crop_frames: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop chosen windows to ``crop_frames`` frames at a random offset inside each window.

    Windows shorter than ``crop_frames`` are taken whole (the batch pads and masks them).

    Args:
        index: the windows.
        rows: int [B] windows to crop.
        crop_frames: crop length for this batch.
        rng: the data generator (advanced).

    Returns:
        (clip [B], start [B], length [B]) int64: frames ``start:start+length`` of each clip.
    """
    rows = np.asarray(rows, dtype=np.int64)
    window_length = index.length[rows]
    length = np.minimum(window_length, crop_frames)
    slack = window_length - length
    offset = np.floor(rng.random(rows.shape[0]) * (slack + 1)).astype(np.int64)
    return index.clip[rows], index.start[rows] + offset, length
