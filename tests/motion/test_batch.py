"""pad_features and lengths_to_mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.errors import MotionFormatError
from momo.motion.batch import lengths_to_mask, pad_features


def test_pads_with_zeros_and_masks_real_frames() -> None:
    rng = np.random.default_rng(0)
    items = [rng.normal(size=(t, 263)).astype(np.float32) for t in (3, 7, 5)]
    padded, mask = pad_features(items)
    assert padded.shape == (3, 7, 263) and padded.dtype == np.float32
    assert mask.dtype == bool and mask.sum(1).tolist() == [3, 7, 5]
    for i, item in enumerate(items):
        np.testing.assert_array_equal(padded[i, : len(item)], item)
        np.testing.assert_array_equal(padded[i, len(item) :], 0.0)
        assert mask[i, : len(item)].all() and not mask[i, len(item) :].any()


def test_max_frames_widens_and_rejects_longer_motions() -> None:
    padded, mask = pad_features([np.ones((4, 263))], max_frames=10)
    assert padded.shape == (1, 10, 263) and mask.sum() == 4
    with pytest.raises(MotionFormatError, match="motion 1 has 6 frames, more than max_frames=5"):
        pad_features([np.ones((4, 263)), np.ones((6, 263))], max_frames=5)


def test_torch_keeps_dtype_and_device() -> None:
    items = [torch.randn(2, 263, dtype=torch.float64), torch.randn(4, 263, dtype=torch.float64)]
    padded, mask = pad_features(items)
    assert isinstance(padded, torch.Tensor) and padded.dtype == torch.float64
    assert mask.dtype == torch.bool and mask.tolist()[0] == [True, True, False, False]
    assert torch.equal(padded[0, :2], items[0]) and torch.all(padded[0, 2:] == 0)


def test_bad_input() -> None:
    with pytest.raises(MotionFormatError, match="empty"):
        pad_features([])
    with pytest.raises(MotionFormatError, match="mix"):
        pad_features([np.zeros((2, 263)), torch.zeros(2, 263)])
    with pytest.raises(MotionFormatError, match="feature size"):
        pad_features([np.zeros((2, 263)), np.zeros((2, 262))])
    with pytest.raises(MotionFormatError, match=r"\[T, D\]"):
        pad_features([np.zeros((2, 3, 263))])


def test_lengths_to_mask() -> None:
    np.testing.assert_array_equal(
        lengths_to_mask([1, 3], max_frames=4), [[1, 0, 0, 0], [1, 1, 1, 0]]
    )
    mask = lengths_to_mask(torch.tensor([2, 1]))
    assert mask.dtype == torch.bool and mask.tolist() == [[True, True], [True, False]]
