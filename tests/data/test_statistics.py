"""Mean/Std over the training features: HumanML3D's grouped std, and the floor."""

from __future__ import annotations

import numpy as np
import pytest

from momo.data.statistics import feature_statistics
from momo.errors import MotionFormatError
from momo.motion.representation import FOOT_CONTACT, RIC, ROOT_HEIGHT


def test_grouped_and_per_channel_statistics() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 263)).astype(np.float32) * np.linspace(0.1, 2.0, 263)
    b = rng.normal(size=(70, 263)).astype(np.float32) + 1.0
    both = np.concatenate([a, b]).astype(np.float64)
    mean, std = feature_statistics([a, b], mode="per_channel")
    np.testing.assert_allclose(mean, both.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, both.std(0), rtol=1e-4)
    _, grouped = feature_statistics([a, b])
    np.testing.assert_allclose(grouped[RIC], both.std(0)[RIC].mean(), rtol=1e-4)
    np.testing.assert_allclose(
        grouped[FOOT_CONTACT], both.std(0)[FOOT_CONTACT].mean() / 5, rtol=1e-4
    )
    assert grouped.dtype == np.float32 and mean.dtype == np.float32


def test_tiny_std_is_floored() -> None:
    x = np.zeros((10, 263), dtype=np.float32)
    x[:, ROOT_HEIGHT] = 0.9
    mean, std = feature_statistics([x], mode="per_channel", min_std=1e-3)
    assert (std == np.float32(1e-3)).all() and mean[3] == np.float32(0.9)


def test_bad_input() -> None:
    with pytest.raises(MotionFormatError):
        feature_statistics([np.zeros((5, 262))])
    with pytest.raises(MotionFormatError):
        feature_statistics([])
    with pytest.raises(MotionFormatError):
        feature_statistics([np.full((5, 263), np.nan)])
