"""Windows over clips and random crops inside them."""

from __future__ import annotations

import numpy as np
import pytest

from momo.data.windows import build_window_index, crop_windows, window_starts
from momo.errors import MomoError


def test_window_starts_cover_the_clip_and_end_at_its_end() -> None:
    assert window_starts(100, 160, 40).tolist() == [0]
    assert window_starts(160, 160, 40).tolist() == [0]
    assert window_starts(250, 160, 40).tolist() == [0, 40, 80, 90]
    with pytest.raises(MomoError):
        window_starts(0, 160, 40)


def test_index_skips_short_clips_and_caps_length() -> None:
    index = build_window_index([30, 100, 250], min_frames=40, max_frames=160, stride=40)
    assert index.clip.tolist() == [1, 2, 2, 2, 2]
    assert index.length.tolist() == [100, 160, 160, 160, 160]
    assert len(build_window_index([10, 20], min_frames=40)) == 0


def test_crops_stay_inside_their_window() -> None:
    index = build_window_index([45, 100, 400], min_frames=40, max_frames=160, stride=40)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(index), size=500)
    clip, start, length = crop_windows(index, rows, 60, rng)
    assert (length == np.minimum(index.length[rows], 60)).all()
    assert (start >= index.start[rows]).all()
    assert (start + length <= index.start[rows] + index.length[rows]).all()
    assert (clip == index.clip[rows]).all()
    # Offsets vary where there is slack.
    assert len(set(start[clip == 2].tolist())) > 10
