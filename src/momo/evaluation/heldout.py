"""The held-out split of a training-data cache as a benchmark source for `run_benchmark`.

`HeldOutSet` reads a `momo.data.cache.DataCache` the way the runner reads a
`momo.data.HumanML3D` folder: ids are clip names, ``resolve`` finds a clip of the held-out
(test) split with its first caption, ``entry_features`` gives its raw features cut to the
source's crop, ``evaluation_set`` lists the held-out clips (not mirrored) as the real
reference of FID, and ``mean`` / ``std`` are the cache's statistics. Each clip's content and
style labels (``label``) give every pair a kind (``pair_kind``): ``"style"`` (same content,
other style), ``"action"`` (other content) or ``"same"`` (same content and style).

`heldout_pairs` draws a seeded pair list of held-out clips: leaders, each with followers of
which half share its content in another style and the rest have another content.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.data.humanml3d import Caption, Entry
from momo.errors import EvaluationError
from momo.utils.files import atomic_output

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.data.labels import ClipLabel

#: Kinds of a pair, in the order summaries list them.
PAIR_KINDS = ("style", "action", "same")


class HeldOutSet:
    """One split of a training-data cache, read as the benchmark runner reads HumanML3D.

    Args:
        cache: the training-data cache.
        split: the split read (default the held-out ``"test"`` split).
        max_frames: every clip is cut to its first ``max_frames`` frames (None: whole clips).
        name: how error messages and settings name the cache (default its fingerprint).

    Raises:
        EvaluationError: the split has no clip, or ``max_frames`` is not positive.
    """

    def __init__(
        self,
        cache: DataCache,
        *,
        split: str = "test",
        max_frames: int | None = None,
        name: str | None = None,
    ) -> None:
        if max_frames is not None and max_frames < 1:
            raise EvaluationError(f"the crop must be at least 1 frame, got {max_frames}")
        rows = cache.rows(split)
        if not rows:
            raise EvaluationError(f"the data cache has no {split!r} clip; build it with a split")
        self.cache = cache
        self.split = split
        self.max_frames = max_frames
        self.root = name or f"the {split} split of data cache {cache.fingerprint()}"
        self._rows = {cache.clips[r].label.name: r for r in rows}

    @property
    def mean(self) -> np.ndarray:
        """float32 ``[263]`` feature mean of the cache (its train split)."""
        return np.asarray(self.cache.mean, dtype=np.float32)

    @property
    def std(self) -> np.ndarray:
        """float32 ``[263]`` feature standard deviation of the cache (its train split)."""
        return np.asarray(self.cache.std, dtype=np.float32)

    def description(self) -> dict[str, Any]:
        """What identifies this source in a run's settings."""
        return {
            "source": "data cache",
            "fingerprint": self.cache.fingerprint(),
            "split": self.split,
            "max_frames": self.max_frames,
        }

    def ids(self, *, mirrored: bool | None = False) -> list[str]:
        """Clip names of the split (by default without the mirrored copies), in cache order."""
        return [
            name
            for name, row in self._rows.items()
            if mirrored is None or self.cache.clips[row].label.mirrored == mirrored
        ]

    def row(self, motion_id: str) -> int:
        """Cache row of a clip of the split.

        Raises:
            EvaluationError: no clip of the split has this name.
        """
        row = self._rows.get(motion_id)
        if row is None:
            raise EvaluationError(
                f"no {self.split} clip of the data cache is named {motion_id!r}; pair ids of "
                "this source are clip names of its held-out split"
            )
        return row

    def label(self, motion_id: str) -> ClipLabel:
        """Content, style and source of a clip."""
        return self.cache.clips[self.row(motion_id)].label

    def pair_kind(self, leader: str, follower: str) -> str:
        """``"style"``, ``"action"`` or ``"same"`` (see the module docstring)."""
        a, b = self.label(leader), self.label(follower)
        if a.content != b.content:
            return "action"
        return "style" if a.style != b.style else "same"

    def resolve(self, motion_id: str, *, match: str = "exact", split: str | None = None) -> Entry:
        """The clip an id names, with its first caption (``match="contains"``: the first clip
        of the split whose name contains the id). ``split`` (if given) must be this source's."""
        if split is not None and split != self.split:
            raise EvaluationError(f"this source holds the {self.split!r} split, not {split!r}")
        if match == "contains":
            motion_id = next((n for n in self._rows if motion_id in n), motion_id)
        elif match != "exact":
            raise EvaluationError(f"unknown id matching {match!r}; use 'exact' or 'contains'")
        row = self.row(motion_id)
        return self._entry(row)

    def _entry(self, row: int) -> Entry:
        record = self.cache.clips[row]
        caption = self.cache.captions[record.captions[0]] if record.captions else ""
        frames = record.frames if self.max_frames is None else min(record.frames, self.max_frames)
        name = record.label.name
        return Entry(name, name, 0, frames, (Caption(caption, (), 0.0, 0.0),))

    def entry_features(self, entry: Entry) -> np.ndarray:
        """Raw features float32 ``[frames, 263]`` of an entry."""
        features = self.cache.clip_features(self.row(entry.motion_id))
        return np.asarray(features[entry.start : entry.stop], dtype=np.float32)

    def evaluation_set(self, split: str | None = None) -> list[Entry]:
        """Every clip of the split but the mirrored copies (the real reference of FID)."""
        if split is not None and split != self.split:
            raise EvaluationError(f"this source holds the {self.split!r} split, not {split!r}")
        return [self._entry(self._rows[name]) for name in self.ids()]


def heldout_pairs(
    source: HeldOutSet,
    count: int,
    *,
    followers_per_leader: int = 4,
    seed: int = 0,
    content_labels: Sequence[str] | None = None,
    style_labels: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """A seeded list of ``count`` ``(leader, follower)`` clip names of the held-out split.

    Candidates are the split's clips (not mirrored) whose content and style are among
    ``content_labels`` / ``style_labels`` (None: any). Leaders are drawn without replacement
    (a seeded order of the candidates, so with ``count`` a multiple of ``followers_per_leader``
    the list is the first ``count`` pairs of any longer list drawn with the same seed);
    of each leader's ``followers_per_leader`` followers, half (rounded down) share its content
    in another style when such clips exist (``"style"`` pairs), the rest have another content
    (``"action"`` pairs). A leader's pairs are consecutive, style pairs first.

    Raises:
        EvaluationError: ``count`` or ``followers_per_leader`` is not positive, or there are
            not enough candidates.
    """
    if count < 1 or followers_per_leader < 1:
        raise EvaluationError(
            f"need at least one pair and one follower per leader, got {count} and "
            f"{followers_per_leader}"
        )
    candidates = _candidates(source, content_labels, style_labels)
    leaders_needed = math.ceil(count / followers_per_leader)
    if len(candidates) < max(leaders_needed, 2):
        raise EvaluationError(
            f"{len(candidates)} held-out clips have a known content and style; {count} pairs "
            f"with {followers_per_leader} followers per leader need {leaders_needed} leaders"
        )
    rng = np.random.default_rng(seed)
    labels = {name: source.label(name) for name in candidates}
    order = rng.permutation(len(candidates))  # leaders in this order: a draw of fewer pairs
    leaders = [candidates[int(i)] for i in order[:leaders_needed]]  # is a prefix of a larger
    pairs: list[tuple[str, str]] = []
    for leader in leaders:
        k = min(followers_per_leader, count - len(pairs))
        lead = labels[leader]
        same_content = [
            c for c in candidates
            if labels[c].content == lead.content and labels[c].style != lead.style
        ]  # fmt: skip
        other_content = [c for c in candidates if labels[c].content != lead.content]
        n_style = min(k // 2, len(same_content))
        if k - n_style > len(other_content):
            raise EvaluationError(
                f"the held-out clips have too few contents to give {leader} {k - n_style} "
                "followers of another content"
            )
        style = rng.choice(len(same_content), n_style, replace=False)
        action = rng.choice(len(other_content), k - n_style, replace=False)
        pairs += [(leader, same_content[int(i)]) for i in style]
        pairs += [(leader, other_content[int(i)]) for i in action]
    return pairs


def _candidates(
    source: HeldOutSet,
    content_labels: Sequence[str] | None,
    style_labels: Sequence[str] | None,
) -> list[str]:
    contents = None if content_labels is None else set(content_labels)
    styles = None if style_labels is None else set(style_labels)
    return [
        name
        for name in source.ids()
        if (contents is None or source.label(name).content in contents)
        and (styles is None or source.label(name).style in styles)
    ]


def write_pair_list(
    path: str | os.PathLike[str], pairs: Sequence[Sequence[str]], *, overwrite: bool = False
) -> Path:
    """Write pairs as the JSON pair list `run_benchmark` and ``momo evaluate --pairs`` read.

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is False.
    """
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps([list(pair) for pair in pairs], indent=1) + "\n")
    return path
