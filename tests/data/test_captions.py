"""Captions from labels: varied templates, every label covered, mirroring consistent."""

from __future__ import annotations

import pytest

from momo.data.captions import CONTENT_PHRASES, STYLE_WORDS, captions_for, unique_captions
from momo.data.labels import (
    DEEPMIMIC_LABELS,
    NEUTRAL_STYLE,
    ClipLabel,
    mirror_caption,
    mirror_label,
)
from momo.errors import MotionFormatError

BANDAI_1_CONTENTS = [
    "walk",
    "run",
    "dash",
    "walk-back",
    "walk-left",
    "walk-right",
    "bow",
    "bye",
    "guide",
    "byebye",
    "respond",
    "call",
    "punch",
    "kick",
    "slash",
    "dance-long",
    "dance-short",
]
BANDAI_1_STYLES = [
    "normal",
    "happy",
    "sad",
    "angry",
    "proud",
    "not-confident",
    "masculinity",
    "feminine",
    "childish",
    "old",
    "tired",
    "active",
    "musical",
    "giant",
    "chimpira",
]
BANDAI_2_CONTENTS = [
    "walk",
    "walk-turn-left",
    "walk-turn-right",
    "run",
    "wave-both-hands",
    "wave-left-hand",
    "wave-right-hand",
    "raise-up-both-hands",
    "raise-up-left-hand",
    "raise-up-right-hand",
]
BANDAI_2_STYLES = ["active", "elderly", "exhausted", "feminine", "masculine", "normal", "youthful"]


def test_examples_from_the_requirement() -> None:
    assert "a person walks forward in an elderly way" in captions_for("walk", "elderly")
    assert "an exhausted person waves with the right hand" in captions_for(
        "wave-right-hand", "exhausted"
    )


def test_neutral_captions_carry_no_style_words() -> None:
    captions = captions_for("run", NEUTRAL_STYLE)
    assert len(captions) == len(CONTENT_PHRASES["run"])
    style_words = {w for words in STYLE_WORDS.values() for w in words.adjectives + words.adverbs}
    assert not any(word in caption.split() for caption in captions for word in style_words)


def test_every_label_of_every_source_has_several_distinct_captions() -> None:
    labels = [(c, s) for c in BANDAI_1_CONTENTS for s in BANDAI_1_STYLES]
    labels += [(c, s) for c in BANDAI_2_CONTENTS for s in BANDAI_2_STYLES]
    labels += list(DEEPMIMIC_LABELS.values())
    for content, style in labels:
        captions = captions_for(content, style)
        assert len(captions) >= 3, (content, style)
        assert len(set(captions)) == len(captions)
        # Mirrored labels exist and mirror the text exactly.
        mirrored = captions_for(mirror_label(content), mirror_label(style))
        assert mirrored == tuple(mirror_caption(c) for c in captions), (content, style)


def test_styles_of_one_content_give_disjoint_captions() -> None:
    seen: dict[str, str] = {}
    for style in BANDAI_2_STYLES:
        for caption in captions_for("walk", style):
            assert seen.setdefault(caption, style) == style


def test_unknown_labels_raise() -> None:
    with pytest.raises(MotionFormatError):
        captions_for("moonwalk", NEUTRAL_STYLE)
    with pytest.raises(MotionFormatError):
        captions_for("walk", "sleepy")


def test_unique_captions_sorted_and_deduplicated() -> None:
    clip = ClipLabel("bandai-namco-2", "a", "walk", "normal", "a", "a.bvh")
    other = ClipLabel("bandai-namco-2", "b", "walk", "normal", "b", "b.bvh")
    assert unique_captions([clip, other]) == sorted(captions_for("walk", "normal"))
