"""A small synthetic training-data cache, for tests and smoke runs without motion data.

Each clip is a bundle of sinusoids over the 263 channels whose frequency and phase depend on its
caption, so a denoiser can learn something (its loss goes down) in a few steps. Text embeddings
are fixed random vectors per caption, so no text encoder is needed. This is not motion: it only
exercises the data and training machinery.
"""

from __future__ import annotations

import numpy as np

from momo.data.cache import ClipRecord, DataCache
from momo.data.labels import ClipLabel
from momo.data.splits import TEST, TRAIN
from momo.data.statistics import feature_statistics
from momo.motion.representation import FEATURE_DIM, FPS


def synthetic_cache(
    *,
    num_clips: int = 12,
    num_captions: int = 3,
    min_frames: int = 40,
    max_frames: int = 120,
    token_dim: int = 16,
    pooled_dim: int = 16,
    test_every: int = 4,
    seed: int = 0,
) -> DataCache:
    """Build a :class:`DataCache` of ``num_clips`` clips in memory.

    Args:
        num_clips: clips (every ``test_every``-th goes to the test split).
        num_captions: distinct captions ("synthetic motion 0", ...), one per clip in turn.
        min_frames / max_frames: clip length range (feature frames).
        token_dim / pooled_dim: widths of the fake text embeddings.
        test_every: hold out every n-th clip (0: none).
        seed: everything is a function of it.
    """
    rng = np.random.default_rng(seed)
    captions = [f"synthetic motion {i}" for i in range(num_captions)]
    channel_phase = rng.uniform(0, 2 * np.pi, size=FEATURE_DIM)
    channel_scale = rng.uniform(0.2, 2.0, size=FEATURE_DIM)
    features, records = [], []
    for row in range(num_clips):
        caption = row % num_captions
        frames = int(rng.integers(min_frames, max_frames + 1))
        t = np.arange(frames)[:, None] / FPS
        frequency = 0.5 + caption
        clip = channel_scale * np.sin(2 * np.pi * frequency * t + channel_phase + 0.3 * caption)
        clip += 0.01 * rng.normal(size=clip.shape)
        features.append(clip.astype(np.float32))
        split = TEST if test_every and row % test_every == test_every - 1 else TRAIN
        name = f"synthetic_{row:03d}"
        label = ClipLabel("synthetic", name, f"content-{caption}", "normal", name, name)
        records.append(ClipRecord(label, split, (caption,), frames, frames / FPS))
    train = [f for f, r in zip(features, records) if r.split == TRAIN]
    mean, std = feature_statistics(train)
    tokens = [
        rng.normal(size=(int(rng.integers(2, 6)), token_dim)).astype(np.float32) for _ in captions
    ]
    pooled = rng.normal(size=(num_captions, pooled_dim)).astype(np.float32)
    return DataCache.from_clips(
        features,
        records,
        mean=mean,
        std=std,
        captions=captions,
        tokens=tokens,
        pooled=pooled,
        text_encoder="synthetic",
        info={"synthetic": True, "seed": seed},
    )
