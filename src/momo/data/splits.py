"""A held-out test split by clip: deterministic, seeded, stratified by label.

Clips are split as *groups* (a clip and the source's own mirrored copies of it stay together),
never as windows, so no frame of a test clip is ever trained on. Within each source the groups
are ordered by stratum (content, style) and, inside a stratum, by a seeded shuffle; then every
k-th group is held out, starting at a seeded offset (systematic sampling). Large strata thus lose
their exact share and strata with a single clip are held out in turn, which spreads the test set
over all labels. A group is kept for training when holding it out would leave its content label
without any training clip in its source (DeepMimic has one backflip: it is trained on).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from momo.data.labels import SOURCES, ClipLabel
from momo.errors import MomoError

TRAIN = "train"
TEST = "test"


def _stable_seed(seed: int, *parts: str) -> int:
    digest = hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def split_clips(
    clips: Sequence[ClipLabel], *, test_fraction: float = 0.1, seed: int = 0
) -> dict[str, str]:
    """Assign every clip to ``"train"`` or ``"test"``.

    Args:
        clips: labels of all clips (originals only; mirrored copies follow their original).
        test_fraction: share of groups held out per source, in [0, 0.5].
        seed: the same seed and clips always give the same split, whatever their order.

    Returns:
        clip name -> split name.

    Raises:
        MomoError: if ``test_fraction`` is out of range or two clips share a name.
    """
    if not 0.0 <= test_fraction <= 0.5:
        raise MomoError(f"test_fraction must be in [0, 0.5], got {test_fraction}")
    names = [clip.name for clip in clips]
    if len(set(names)) != len(names):
        raise MomoError("clip names must be unique to split by clip")

    groups: dict[tuple[str, str], list[ClipLabel]] = defaultdict(list)
    for clip in clips:
        groups[(clip.source, clip.group)].append(clip)

    assignment: dict[str, str] = {}
    sources = sorted({source for source, _ in groups}, key=_source_order)
    for source in sources:
        keys = [key for key in groups if key[0] == source]

        # Order groups by stratum, then by a seeded hash inside the stratum.
        def order(key: tuple[str, str], source: str = source) -> tuple[str, str, int, str]:
            first = min(groups[key], key=attrgetter("name"))
            return (first.content, first.style, _stable_seed(seed, source, key[1]), key[1])

        keys.sort(key=order)
        held_out: set[tuple[str, str]] = set()
        if test_fraction > 0 and keys:
            step = 1.0 / test_fraction
            rng = np.random.default_rng(_stable_seed(seed, source, "offset"))
            offset = float(rng.uniform(0.0, step))
            train_groups_per_content: dict[str, int] = defaultdict(int)
            for key in keys:
                for content in {clip.content for clip in groups[key]}:
                    train_groups_per_content[content] += 1
            position = offset
            while position < len(keys):
                key = keys[int(position)]
                contents = {clip.content for clip in groups[key]}
                if all(train_groups_per_content[c] > 1 for c in contents):
                    held_out.add(key)
                    for content in contents:
                        train_groups_per_content[content] -= 1
                position += step
        for key in keys:
            for clip in groups[key]:
                assignment[clip.name] = TEST if key in held_out else TRAIN
    return assignment


def _source_order(source: str) -> tuple[int, str]:
    return (SOURCES.index(source) if source in SOURCES else len(SOURCES), source)
