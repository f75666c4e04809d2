"""The cache file: round trip, refusal inside the checkout, overwrite protection, corruption."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from momo.data.cache import DataCache, check_outside_repository, default_cache_path
from momo.data.synthetic import synthetic_cache
from momo.errors import MomoError, MotionFormatError, OutputExistsError


def test_round_trip(tmp_path: Path) -> None:
    cache = synthetic_cache(num_clips=7, seed=1)
    path = cache.save(tmp_path / "data.safetensors")
    loaded = DataCache.load(path)
    np.testing.assert_array_equal(loaded.features, cache.features)
    np.testing.assert_array_equal(loaded.offsets, cache.offsets)
    np.testing.assert_array_equal(loaded.text_tokens, cache.text_tokens)
    np.testing.assert_array_equal(loaded.std, cache.std)
    assert loaded.clips == cache.clips and loaded.captions == cache.captions
    assert loaded.text_encoder == "synthetic" and loaded.info == cache.info
    np.testing.assert_array_equal(loaded.clip_features(3), cache.clip_features(3))


def test_no_silent_overwrite(tmp_path: Path) -> None:
    cache = synthetic_cache(num_clips=3)
    path = cache.save(tmp_path / "data.safetensors")
    with pytest.raises(OutputExistsError):
        cache.save(path)
    cache.save(path, overwrite=True)


def test_refuses_a_path_inside_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "src" / "momo").mkdir(parents=True)
    with pytest.raises(MomoError, match="inside the momo-motion checkout"):
        check_outside_repository(checkout / "cache" / "data.safetensors")
    assert (
        check_outside_repository(tmp_path / "elsewhere.safetensors").name == "elsewhere.safetensors"
    )
    repo_root = Path(__file__).resolve().parents[2]
    if (repo_root / ".git").exists():
        with pytest.raises(MomoError):
            synthetic_cache(num_clips=2).save(repo_root / "data.safetensors")
    assert not str(default_cache_path()).startswith(str(repo_root) + "/")


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="momo data build"):
        DataCache.load(tmp_path / "nothing.safetensors")
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_bytes(b"not a safetensors file")
    with pytest.raises(MotionFormatError):
        DataCache.load(bogus)
    from safetensors.numpy import save_file

    other = tmp_path / "other.safetensors"
    save_file({"x": np.zeros(3, dtype=np.float32)}, str(other))
    with pytest.raises(MotionFormatError, match="not a momo training-data cache"):
        DataCache.load(other)


def test_inconsistent_arrays_are_rejected() -> None:
    cache = synthetic_cache(num_clips=4)
    with pytest.raises(MotionFormatError):
        DataCache(
            features=cache.features[:10],
            offsets=cache.offsets,
            clips=cache.clips,
            mean=cache.mean,
            std=cache.std,
            captions=cache.captions,
            text_pooled=cache.text_pooled,
            text_tokens=cache.text_tokens,
            text_token_offsets=cache.text_token_offsets,
            text_encoder="synthetic",
        )


def test_from_clips_keeps_each_clip_and_caption_in_its_rows() -> None:
    rng = np.random.default_rng(0)
    features = [rng.normal(size=(n, 263)).astype(np.float32) for n in (5, 3, 7)]
    template = synthetic_cache(num_clips=3, num_captions=2)
    records = [
        dataclasses.replace(record, frames=len(array), seconds=len(array) / 20)
        for record, array in zip(template.clips, features)
    ]
    tokens = [rng.normal(size=(n, 4)).astype(np.float32) for n in (2, 4)]
    pooled = rng.normal(size=(2, 6))
    cache = DataCache.from_clips(
        features,
        records,
        mean=np.zeros(263, np.float32),
        std=np.ones(263, np.float32),
        captions=template.captions,
        tokens=tokens,
        pooled=pooled,
        text_encoder="test",
        info={},
    )
    assert cache.offsets.tolist() == [0, 5, 8] and cache.features.shape == (15, 263)
    for row, array in enumerate(features):
        np.testing.assert_array_equal(cache.clip_features(row), array)
    assert cache.text_token_offsets.tolist() == [0, 2, 6]
    np.testing.assert_array_equal(cache.text_tokens[2:], tokens[1])
    assert cache.text_pooled.dtype == np.float32 and cache.text_pooled.shape == (2, 6)
