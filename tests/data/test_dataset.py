"""Training batches: normalised windows, masks, captions and their cached embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.data.dataset import TrainingSet
from momo.data.splits import TEST, TRAIN
from momo.data.synthetic import synthetic_cache
from momo.errors import MomoError


def test_batch_contents_match_the_cache() -> None:
    cache = synthetic_cache(num_clips=10, min_frames=45, max_frames=200, seed=2)
    data = TrainingSet(cache, min_frames=40, max_frames=160, stride=40)
    batch = data.sample_batch(16, np.random.default_rng(0), crop_frames=80)
    assert batch.x0.shape == (16, 80, 263) and batch.frame_mask.shape == (16, 80)
    assert batch.frame_mask.dtype == torch.bool
    mean, std = torch.from_numpy(cache.mean), torch.from_numpy(cache.std)
    for i in range(16):
        row = int(batch.clip_rows[i])
        assert cache.clips[row].split == TRAIN
        raw = batch.x0[i] * std + mean
        length = int(batch.frame_mask[i].sum())
        assert length == min(80, cache.clips[row].frames)
        clip = torch.from_numpy(cache.clip_features(row))
        # The window is a contiguous crop of its clip.
        found = any(
            torch.allclose(raw[:length], clip[s : s + length], atol=1e-5)
            for s in range(clip.shape[0] - length + 1)
        )
        assert found
        # Padding holds raw zeros normalised.
        torch.testing.assert_close(
            batch.x0[i, length:], ((0 - mean) / std).expand_as(batch.x0[i, length:])
        )
        assert int(batch.caption_ids[i]) in cache.clips[row].captions
        assert batch.captions[i] == cache.captions[int(batch.caption_ids[i])]


def test_text_embedding_gathers_cached_tokens() -> None:
    cache = synthetic_cache(num_clips=6, num_captions=3)
    data = TrainingSet(cache)
    emb = data.text_embedding([2, 0, 2])
    for row, caption in enumerate([2, 0, 2]):
        start, end = cache.text_token_offsets[caption], cache.text_token_offsets[caption + 1]
        n = end - start
        assert int(emb.token_mask[row].sum()) == n
        np.testing.assert_array_equal(emb.tokens[row, :n].numpy(), cache.text_tokens[start:end])
        assert not emb.tokens[row, n:].any()
        np.testing.assert_array_equal(emb.pooled[row].numpy(), cache.text_pooled[caption])


def test_same_seed_same_batches_and_crop_lengths_vary() -> None:
    data = TrainingSet(synthetic_cache(num_clips=10, max_frames=200))
    a = [data.sample_batch(4, np.random.default_rng(5)) for _ in range(2)]
    b = data.sample_batch(4, np.random.default_rng(5))
    torch.testing.assert_close(a[0].x0, b.x0)
    rng = np.random.default_rng(1)
    lengths = {data.sample_batch(2, rng).x0.shape[1] for _ in range(20)}
    assert len(lengths) > 5 and min(lengths) >= 40 and max(lengths) <= 160


def test_test_split_and_no_windows() -> None:
    cache = synthetic_cache(num_clips=8, test_every=4)
    test = TrainingSet(cache, split=TEST)
    assert {cache.clips[int(r)].split for r in test.windows.clip} == {TEST}
    with pytest.raises(MomoError, match="no clip"):
        TrainingSet(cache, min_frames=150, max_frames=160)


def test_iter_batches_draws_fresh_batches() -> None:
    data = TrainingSet(synthetic_cache(num_clips=8, max_frames=200))
    batches = data.iter_batches(3, np.random.default_rng(0))
    first, second = next(batches), next(batches)
    assert first.x0.shape[0] == second.x0.shape[0] == 3
    assert first.x0.shape != second.x0.shape or not torch.equal(first.x0, second.x0)
