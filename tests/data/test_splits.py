"""Held-out split by clip: deterministic, seeded, stratified, groups kept together."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from momo.data.labels import ClipLabel
from momo.data.splits import TEST, TRAIN, split_clips
from momo.errors import MomoError


def _clips() -> list[ClipLabel]:
    clips = []
    for content in ("walk", "run", "wave-left-hand"):
        for style in ("normal", "elderly", "active"):
            for take in range(20):
                name = f"dataset-2_{content}_{style}_{take:03d}"
                clips.append(ClipLabel("bandai-namco-2", name, content, style, name, name))
    # A source with one clip per content, plus a provided mirror sharing a group.
    for content in ("backflip", "crawl", "walk"):
        for take in range(2 if content == "walk" else 1):
            name = f"deepmimic/{content}{take}"
            clips.append(ClipLabel("deepmimic", name, content, "normal", name, name))
    clips.append(
        ClipLabel("deepmimic", "deepmimic/walk0_mirror", "walk", "normal", "deepmimic/walk0", "m")
    )
    return clips


def test_split_is_deterministic_and_order_independent() -> None:
    clips = _clips()
    first = split_clips(clips, test_fraction=0.1, seed=3)
    shuffled = clips[:]
    random.Random(0).shuffle(shuffled)
    assert split_clips(shuffled, test_fraction=0.1, seed=3) == first
    assert split_clips(clips, test_fraction=0.1, seed=4) != first


def test_split_is_stratified() -> None:
    clips = _clips()
    split = split_clips(clips, test_fraction=0.1, seed=0)
    per_stratum = Counter(c.key for c in clips if split[c.name] == TEST and c.source != "deepmimic")
    # 20 clips per stratum, every 10th held out: exactly 2 from each of the 9 strata.
    assert len(per_stratum) == 9 and set(per_stratum.values()) == {2}


def test_groups_stay_together_and_last_clip_of_a_content_is_trained_on() -> None:
    clips = _clips()
    for seed in range(20):
        split = split_clips(clips, test_fraction=0.5, seed=seed)
        assert split["deepmimic/walk0"] == split["deepmimic/walk0_mirror"]
        assert split["deepmimic/backflip0"] == TRAIN and split["deepmimic/crawl0"] == TRAIN
        walks = {split["deepmimic/walk0"], split["deepmimic/walk1"]}
        assert TRAIN in walks


def test_zero_fraction_and_bad_input() -> None:
    clips = _clips()
    assert set(split_clips(clips, test_fraction=0.0).values()) == {TRAIN}
    with pytest.raises(MomoError):
        split_clips(clips, test_fraction=0.9)
    with pytest.raises(MomoError):
        split_clips(clips + clips[:1])
