"""Normalizer: arithmetic, torch/NumPy, loading and saving, near-zero std."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from momo.errors import ModelLoadError, MotionFormatError, OutputExistsError
from momo.motion.normalization import MIN_STD, Normalizer


@pytest.fixture
def stats() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=263).astype(np.float32), rng.uniform(0.1, 2.0, 263).astype(np.float32)


def test_normalize_and_denormalize_numpy(stats) -> None:
    mean, std = stats
    norm = Normalizer(mean, std)
    x = np.random.default_rng(1).normal(size=(2, 5, 263))
    y = norm.normalize(x)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, (x - mean.astype(np.float64)) / std.astype(np.float64))
    np.testing.assert_allclose(norm.denormalize(y), x, atol=1e-12)
    assert norm.normalize(x.astype(np.float32)).dtype == np.float32
    assert norm.mean.dtype == norm.std.dtype == np.float32 and norm.mean.shape == (263,)


def test_normalize_torch_keeps_dtype_and_grad(stats) -> None:
    norm = Normalizer(*stats)
    x = torch.randn(3, 263, dtype=torch.float64, requires_grad=True)
    y = norm.normalize(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float64
    np.testing.assert_allclose(y.detach().numpy(), norm.normalize(x.detach().numpy()), atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad[0].numpy(), 1.0 / stats[1].astype(np.float64), rtol=1e-6)
    assert torch.allclose(norm.denormalize(y), x)


def test_padding_zeros_normalise_to_minus_mean_over_std(stats) -> None:
    norm = Normalizer(*stats)
    np.testing.assert_allclose(norm.normalize(np.zeros(263, np.float32)), -stats[0] / stats[1])


def test_near_zero_std_is_replaced_by_one(stats, caplog) -> None:
    mean, std = stats
    std = std.copy()
    std[[5, 259]] = 0.0
    std[7] = MIN_STD / 10
    with caplog.at_level(logging.WARNING, logger="momo.motion.normalization"):
        norm = Normalizer(mean, std)
    assert "[5, 7, 259]" in caplog.text
    np.testing.assert_array_equal(norm.std[[5, 7, 259]], 1.0)
    y = norm.normalize(np.ones((4, 263), np.float32))
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y[:, 5], 1.0 - mean[5])


def test_humanml3d_statistics_round_trip(humanml3d_sample: dict, tmp_path: Path) -> None:
    norm = Normalizer.from_dir(humanml3d_sample["dir"])
    np.testing.assert_array_equal(norm.mean, humanml3d_sample["mean"])
    np.testing.assert_array_equal(norm.std, humanml3d_sample["std"])
    x = humanml3d_sample["features"]
    np.testing.assert_allclose(norm.denormalize(norm.normalize(x)), x, atol=1e-5)


def test_save_and_reload(stats, tmp_path: Path) -> None:
    norm = Normalizer(*stats)
    folder = norm.save(tmp_path / "ckpt")
    again = Normalizer.from_dir(folder)
    np.testing.assert_array_equal(again.mean, norm.mean)
    np.testing.assert_array_equal(again.std, norm.std)
    with pytest.raises(OutputExistsError):
        norm.save(folder)
    Normalizer(stats[0] + 1, stats[1]).save(folder, overwrite=True)
    np.testing.assert_allclose(Normalizer.from_dir(folder).mean, stats[0] + 1)


def test_from_dir_errors(stats, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Normalizer.from_dir(tmp_path / "missing")
    np.save(tmp_path / "Mean.npy", stats[0])
    with pytest.raises(ModelLoadError, match=r"Std\.npy not found"):
        Normalizer.from_dir(tmp_path)
    np.save(tmp_path / "Std.npy", stats[1][:100])
    with pytest.raises(ModelLoadError, match=r"shape \[100\], expected \[263\]"):
        Normalizer.from_dir(tmp_path)
    (tmp_path / "Std.npy").write_bytes(b"not a npy file")
    with pytest.raises(ModelLoadError, match="cannot read"):
        Normalizer.from_dir(tmp_path)
    bad = stats[1].copy()
    bad[3] = np.nan
    np.save(tmp_path / "Std.npy", bad)
    with pytest.raises(ModelLoadError, match="NaN"):
        Normalizer.from_dir(tmp_path)
    with pytest.raises(ModelLoadError, match="not a directory"):
        Normalizer.from_dir(tmp_path / "Mean.npy")


def test_constructor_and_shape_errors(stats) -> None:
    with pytest.raises(ModelLoadError, match="same length|differ"):
        Normalizer(stats[0], stats[1][:10])
    with pytest.raises(ModelLoadError, match="negative"):
        Normalizer(stats[0], -stats[1])
    with pytest.raises(MotionFormatError, match="263"):
        Normalizer(*stats).normalize(np.zeros((3, 262)))


def test_out_of_range_groups(stats) -> None:
    mean, std = stats
    norm = Normalizer(mean, std)
    rng = np.random.default_rng(2)
    typical = mean + std * rng.normal(size=(40, 263)).astype(np.float32)
    assert norm.out_of_range_groups(typical) == {}
    lifted = typical.copy()
    lifted[:, 3] += 20 * std[3]  # root height 20 standard deviations up (e.g. centimetres)
    lifted[:, 259:] += 100 * std[259:]  # foot contacts are never reported
    found = norm.out_of_range_groups(lifted)
    assert list(found) == ["root height"]
    assert 19 < found["root height"] < 21
    assert norm.out_of_range_groups(lifted, threshold=25) == {}
