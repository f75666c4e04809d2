"""Captions written from clip labels with varied sentence templates.

A caption joins a *verb phrase* for the content ("waves with the right hand") with words for the
style ("exhausted", "wearily", "like a giant") in one of several templates:

    a person walks forward in an elderly way
    an exhausted person waves with the right hand
    someone runs forward angrily
    a person walks forward like a zombie

Every clip gets all the captions its label allows (a deterministic list); training picks one at
random per sample, as HumanML3D's loaders do with its three captions. Captions of a mirrored
clip are those of the mirrored label, which equal the originals with "left" and "right" swapped
(:func:`momo.data.labels.mirror_caption`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from momo.data.labels import NEUTRAL_STYLE, ClipLabel
from momo.errors import MotionFormatError

#: Content label -> verb phrases (third person, present tense). Labels with "left"/"right" come
#: in mirrored pairs whose phrases differ only by that word.
CONTENT_PHRASES: dict[str, tuple[str, ...]] = {
    # Bandai Namco 1 and 2
    "walk": ("walks forward", "walks", "walks straight ahead"),
    "run": ("runs forward", "runs", "runs straight ahead"),
    "dash": ("dashes forward", "sprints forward", "runs fast"),
    "walk-back": ("walks backward", "walks backwards", "steps backward"),
    "walk-left": ("walks to the left", "moves to the left", "walks toward the left"),
    "walk-right": ("walks to the right", "moves to the right", "walks toward the right"),
    "bow": ("bows", "takes a bow", "bends forward in a bow"),
    "bye": ("waves goodbye", "waves a hand to say goodbye", "says goodbye with a wave"),
    "byebye": ("waves bye-bye", "waves goodbye eagerly", "waves bye-bye with a hand"),
    "guide": ("gestures to show the way", "guides someone with a gesture", "points the way"),
    "respond": ("responds to someone", "reacts to a call", "answers someone with a gesture"),
    "call": ("calls someone over", "beckons someone", "calls out to someone"),
    "punch": ("punches", "throws a punch", "punches forward"),
    "kick": ("kicks", "kicks forward", "does a kick"),
    "slash": ("slashes with a sword", "swings a sword", "slashes"),
    "dance-long": ("dances", "performs a dance", "dances in place"),
    "dance-short": ("dances", "does a short dance", "performs a short dance"),
    "walk-turn-left": (
        "walks and turns left",
        "walks forward and turns to the left",
        "turns left while walking",
    ),
    "walk-turn-right": (
        "walks and turns right",
        "walks forward and turns to the right",
        "turns right while walking",
    ),
    "wave-both-hands": ("waves with both hands", "waves both hands", "waves both arms"),
    "wave-left-hand": (
        "waves with the left hand",
        "waves the left hand",
        "raises the left hand and waves",
    ),
    "wave-right-hand": (
        "waves with the right hand",
        "waves the right hand",
        "raises the right hand and waves",
    ),
    "raise-up-both-hands": ("raises both hands", "raises both hands up", "lifts both hands up"),
    "raise-up-left-hand": (
        "raises the left hand",
        "raises the left hand up",
        "lifts the left hand up",
    ),
    "raise-up-right-hand": (
        "raises the right hand",
        "raises the right hand up",
        "lifts the right hand up",
    ),
    # DeepMimic
    "backflip": ("does a backflip", "performs a back flip", "flips backwards"),
    "cartwheel": ("does a cartwheel", "performs a cartwheel", "turns a cartwheel"),
    "crawl": ("crawls forward", "crawls on hands and knees", "crawls on all fours"),
    "dance": ("dances", "dances energetically", "dances in place"),
    "dance-spin": ("dances and spins around", "spins while dancing", "dances with a spin"),
    "get-up-face-down": (
        "gets up from lying face down",
        "stands up from lying on the stomach",
        "gets up off the floor from face down",
    ),
    "get-up-face-up": (
        "gets up from lying on the back",
        "stands up from lying face up",
        "gets up off the floor from face up",
    ),
    "jog": ("jogs forward", "jogs", "jogs at an easy pace"),
    "jump": ("jumps forward", "jumps", "leaps forward"),
    "roll": ("rolls on the ground", "does a forward roll", "rolls forward"),
    "sideflip": ("does a side flip", "performs a sideways flip", "flips sideways"),
    "spin": ("spins around", "turns around on the spot", "spins in place"),
    "spin-kick": ("does a spinning kick", "spins and kicks", "performs a spin kick"),
    "run-turn-left": (
        "runs and turns left",
        "runs in a curve to the left",
        "turns left while running",
    ),
    "run-turn-right": (
        "runs and turns right",
        "runs in a curve to the right",
        "turns right while running",
    ),
    "punch-left": ("punches to the left", "throws a punch to the left", "punches toward the left"),
    "punch-right": (
        "punches to the right",
        "throws a punch to the right",
        "punches toward the right",
    ),
}


@dataclass(frozen=True)
class StyleWords:
    """Words for one style label.

    Attributes:
        adjectives: for "an {adj} person ..." and "... in an {adj} way" (may be empty).
        adverbs: for "a person walks {adverb}" (may be empty).
        manners: complete manner phrases, e.g. "like a giant" (may be empty).
    """

    adjectives: tuple[str, ...] = ()
    adverbs: tuple[str, ...] = ()
    manners: tuple[str, ...] = ()


#: Style label -> words. Bandai Namco's "old"/"elderly", "tired"/"exhausted" and
#: "masculinity"/"masculine" are the same styles in its two datasets and get the same words.
STYLE_WORDS: dict[str, StyleWords] = {
    "happy": StyleWords(("happy", "cheerful"), ("happily", "cheerfully")),
    "sad": StyleWords(("sad", "gloomy"), ("sadly",)),
    "angry": StyleWords(("angry", "furious"), ("angrily",)),
    "proud": StyleWords(("proud",), ("proudly",), ("with pride",)),
    "not-confident": StyleWords(("unconfident", "timid"), ("timidly", "hesitantly")),
    "masculinity": StyleWords(("masculine",), (), ("in a manly way",)),
    "masculine": StyleWords(("masculine",), (), ("in a manly way",)),
    "feminine": StyleWords(("feminine",), (), ("in a girly way",)),
    "childish": StyleWords(("childish", "childlike"), ("childishly",), ("like a child",)),
    "old": StyleWords(("elderly", "old"), (), ("like an old person",)),
    "elderly": StyleWords(("elderly", "old"), (), ("like an old person",)),
    "tired": StyleWords(("tired", "exhausted"), ("wearily",)),
    "exhausted": StyleWords(("exhausted", "tired"), ("wearily",)),
    "active": StyleWords(("energetic", "active"), ("energetically", "actively")),
    "musical": StyleWords(("theatrical",), ("theatrically",), ("like in a musical",)),
    "giant": StyleWords((), ("heavily",), ("like a giant",)),
    "chimpira": StyleWords(("thuggish",), (), ("like a thug", "like a street punk")),
    "youthful": StyleWords(("youthful", "young"), ("youthfully",)),
    "stealthy": StyleWords(("stealthy", "sneaky"), ("stealthily", "sneakily")),
    "zombie": StyleWords((), (), ("like a zombie", "in a zombie-like way")),
}

_SUBJECTS = ("a person", "someone", "the person")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def captions_for(content: str, style: str) -> tuple[str, ...]:
    """All captions for a (content, style) label, in a fixed order without duplicates.

    Neutral style: one caption per verb phrase, subjects rotating ("a person walks forward",
    "someone walks", ...). Other styles: per verb phrase, the templates its words allow:
    "a person {vp} in {a} {adj} way", "{a} {adj} person {vp}", "someone {vp} {adverb}",
    "a person {vp} {manner}".

    Raises:
        MotionFormatError: if the content or style has no words (add them to the tables).
    """
    if content not in CONTENT_PHRASES:
        raise MotionFormatError(f"no caption phrases for content label {content!r}")
    phrases = CONTENT_PHRASES[content]
    if style == NEUTRAL_STYLE:
        return tuple(f"{_SUBJECTS[i % len(_SUBJECTS)]} {vp}" for i, vp in enumerate(phrases))
    if style not in STYLE_WORDS:
        raise MotionFormatError(f"no caption words for style label {style!r}")
    words = STYLE_WORDS[style]
    captions: list[str] = []
    for i, vp in enumerate(phrases):
        # Rotate through the word lists so different phrases meet different words.
        if words.adjectives:
            adj = words.adjectives[i % len(words.adjectives)]
            captions.append(f"a person {vp} in {_article(adj)} {adj} way")
            captions.append(f"{_article(adj)} {adj} person {vp}")
        if words.adverbs:
            captions.append(f"someone {vp} {words.adverbs[i % len(words.adverbs)]}")
        if words.manners:
            captions.append(f"a person {vp} {words.manners[i % len(words.manners)]}")
    return tuple(dict.fromkeys(captions))


def clip_captions(clip: ClipLabel) -> tuple[str, ...]:
    """All captions of a clip (see :func:`captions_for`)."""
    return captions_for(clip.content, clip.style)


def unique_captions(clips: Sequence[ClipLabel]) -> list[str]:
    """Every distinct caption of ``clips``, sorted (the rows of the text-embedding cache)."""
    return sorted({text for clip in clips for text in clip_captions(clip)})
