"""Cache building: assembly of imported clips, and a small build from the real archives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from momo.data.build import BuildConfig, ImportedClip, assemble_cache, build_cache
from momo.data.cache import DataCache
from momo.data.captions import clip_captions
from momo.data.card import cache_card
from momo.data.labels import ClipLabel, mirror_caption
from momo.errors import MomoError


def _imported(name: str, content: str, frames: int, seed: int) -> ImportedClip:
    rng = np.random.default_rng(seed)
    label = ClipLabel("bandai-namco-2", name, content, "exhausted", name, f"data/{name}.bvh")
    features = rng.normal(size=(frames, 263)).astype(np.float32)
    return ImportedClip(label, features, features[:, ::-1].copy())


def test_assemble_mirrors_captions_drops_short_clips_and_splits(tmp_path: Path) -> None:
    clips = [
        _imported(f"dataset-2_wave-left-hand_exhausted_{i:03d}", "wave-left-hand", 50 + i, i)
        for i in range(12)
    ]
    clips.append(_imported("dataset-2_walk_exhausted_001", "walk", 30, 99))  # too short
    failed = ClipLabel("bandai-namco-2", "broken", "walk", "exhausted", "broken", "b.bvh")
    clips.append(ImportedClip(failed, error="malformed file"))
    cache = assemble_cache(clips, BuildConfig(data_root=tmp_path, test_fraction=0.25))

    originals = [c for c in cache.clips if not c.label.mirrored]
    mirrors = [c for c in cache.clips if c.label.mirrored]
    assert len(originals) == len(mirrors) == 12
    for original, mirror in zip(originals, mirrors):
        assert mirror.label.content == "wave-right-hand" and mirror.split == original.split
        texts = [cache.captions[i] for i in original.captions]
        mirrored_texts = [cache.captions[i] for i in mirror.captions]
        assert mirrored_texts == [mirror_caption(t) for t in texts]
        assert "an exhausted person waves with the right hand" in mirrored_texts
    assert sum(c.split == "test" for c in originals) == 3
    # Mean/Std over the train split, mirrors included.
    train = np.concatenate([cache.clip_features(i) for i in cache.rows("train")])
    np.testing.assert_allclose(cache.mean, train.mean(0), atol=1e-5)
    assert cache.text_pooled.shape == (len(cache.captions), 384)
    notes = " ".join(cache.info["notes"])
    assert "dropped broken: import failed (malformed file)" in notes
    assert "dropped 1 clips shorter than the shortest window" in notes
    with pytest.raises(MomoError):
        assemble_cache(clips[-2:], BuildConfig(data_root=tmp_path))


def test_small_real_build(shared_data: Path, tmp_path: Path) -> None:
    config = BuildConfig(
        data_root=shared_data, sources=("bandai-namco-1", "deepmimic"), limit=4, workers=1
    )
    cache = build_cache(config, progress=False)
    path = cache.save(tmp_path / "small.safetensors")
    loaded = DataCache.load(path)
    assert loaded.fingerprint() == cache.fingerprint()
    sources = {c.label.source for c in loaded.clips}
    assert sources == {"bandai-namco-1", "deepmimic"}
    for row, clip in enumerate(loaded.clips):
        features = loaded.clip_features(row)
        assert features.shape == (clip.frames, 263) and np.isfinite(features).all()
        assert [loaded.captions[i] for i in clip.captions] == list(clip_captions(clip.label))
    assert np.isfinite(loaded.std).all() and (loaded.std > 0).all()
    assert cache.info["clips_imported"] == 8
    assert "Training data" in cache_card(loaded).to_text()


def test_deepmimic_provided_mirrors_are_skipped() -> None:
    from momo.data.build import _deepmimic_clips, _Scan

    names = [
        "data/motions/long/humanoid3d_long_walk1_mirror.txt",
        "data/motions/long/humanoid3d_long_walk1.txt",
        "data/motions/sie/sie_humanoid3d_run_right07.txt",
        "data/motions/sie/sie_humanoid3d_run_left00.txt",
        "data/motions/sie/sie_humanoid3d_run_left01.txt",
        "data/motions/humanoid3d_walk.txt",
        "data/motions/sie/LICENSE",
    ]
    scan = _Scan()
    members = ((name, b'{"Loop": "wrap", "Frames": []}') for name in names)
    kept = [name for _, name, _ in _deepmimic_clips(members, None, scan)]
    assert sorted(kept) == [
        "data/motions/humanoid3d_walk.txt",
        "data/motions/long/humanoid3d_long_walk1.txt",
        "data/motions/sie/sie_humanoid3d_run_left00.txt",
        "data/motions/sie/sie_humanoid3d_run_left01.txt",
    ]
    assert sorted(scan.provided_mirrors) == [names[0], names[2]]
    assert scan.skipped_members == ["deepmimic:data/motions/sie/LICENSE"]
