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


def test_frame_mask_and_text_drop_mark_real_frames_and_unconditional_rows() -> None:
    from momo.motion.batch import frame_mask, text_drop

    mask = frame_mask([3, 5, 1], 5)
    assert mask.dtype == torch.bool and mask.shape == (3, 5)
    assert mask.sum(1).tolist() == [3, 5, 1] and not mask[0, 3:].any()
    assert text_drop(["walk", "", None]).tolist() == [False, True, True]


def test_normalized_batch_pads_raw_zeros_before_normalising() -> None:
    from momo.motion.batch import normalized_batch
    from momo.motion.normalization import Normalizer

    rng = np.random.default_rng(1)
    mean = rng.normal(size=263).astype(np.float32)
    std = rng.uniform(0.5, 2.0, 263).astype(np.float32)
    items = [rng.normal(size=(t, 263)).astype(np.float32) for t in (4, 2)]
    x, mask = normalized_batch(items, Normalizer(mean, std), dtype=torch.float64)
    assert x.shape == (2, 4, 263) and x.dtype == torch.float64
    assert mask.tolist() == [[True] * 4, [True, True, False, False]]
    expected_pad = -mean.astype(np.float64) / std.astype(np.float64)
    np.testing.assert_allclose(x[1, 2:].numpy(), np.stack([expected_pad] * 2), rtol=1e-6)
    np.testing.assert_allclose(
        x[0].numpy(), (items[0] - mean.astype(np.float64)) / std.astype(np.float64), rtol=1e-6
    )
