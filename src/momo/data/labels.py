"""Clip labels of the training sources: Bandai Namco datasets 1 and 2 and DeepMimic.

Each clip gets a :class:`ClipLabel` with a *content* label (what is done: walk, wave-left-hand,
backflip, ...) and a *style* label (how: normal, elderly, exhausted, ...). Bandai Namco clips are
labelled by their file names ``dataset-N_{content}_{style}_{id}.bvh``, checked against the label
lists shipped in ``cfg-N/`` (and against the per-clip JSON label files when they are at hand).
DeepMimic clips are labelled from their file names through an explicit table.

Labels use hyphens inside a label and never underscores, as Bandai Namco's do. Mirroring a clip
(left/right swap) maps its content label through :func:`mirror_label` ("wave-left-hand" <->
"wave-right-hand").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from momo.errors import MotionFormatError

#: Source names, in the order data cards list them.
SOURCES: tuple[str, ...] = ("bandai-namco-1", "bandai-namco-2", "deepmimic")

#: The neutral style label.
NEUTRAL_STYLE = "normal"

_BANDAI_NAME = re.compile(
    r"dataset-(?P<n>[12])_(?P<content>[a-z-]+)_(?P<style>[a-z-]+)_(?P<take>\d+)"
)
_SIDE_WORD = re.compile(r"\b(left|right)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ClipLabel:
    """What one clip of a training source shows, and where it comes from.

    Attributes:
        source: one of :data:`SOURCES`.
        name: unique clip name, e.g. ``"dataset-2_walk_active_001"`` or
            ``"deepmimic/long/humanoid3d_long_walk1"``.
        content: content label, e.g. ``"walk-turn-left"``.
        style: style label, e.g. ``"elderly"``; :data:`NEUTRAL_STYLE` when neutral.
        group: clips sharing a group are copies of one capture (e.g. a provided mirror) and are
            always put in the same split.
        member: path of the clip inside its archive (``"data/dataset-2_walk_active_001.bvh"``).
        loop: True when the source marks the clip as cyclic (DeepMimic ``"Loop": "wrap"``).
        mirrored: True for a left/right mirrored copy made by the data pipeline.
    """

    source: str
    name: str
    content: str
    style: str
    group: str
    member: str
    loop: bool = False
    mirrored: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """(source, content, style): the stratum of the clip in the train/test split."""
        return (self.source, self.content, self.style)


def mirror_label(label: str) -> str:
    """Swap the words "left" and "right" in a hyphenated label (``"walk-turn-left"``)."""
    parts = label.split("-")
    swap = {"left": "right", "right": "left"}
    return "-".join(swap.get(part, part) for part in parts)


def mirror_caption(text: str) -> str:
    """Swap the words "left" and "right" in free text, keeping their capitalisation.

    >>> mirror_caption("A person waves with the Left hand, then turns right")
    'A person waves with the Right hand, then turns left'
    """

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        other = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return other.upper()
        if word[0].isupper():
            return other.capitalize()
        return other

    return _SIDE_WORD.sub(swap, text)


def mirrored(clip: ClipLabel) -> ClipLabel:
    """The label of the left/right mirrored copy of ``clip`` (same group, so same split)."""
    return replace(
        clip,
        name=clip.name + "#mirror",
        content=mirror_label(clip.content),
        style=mirror_label(clip.style),
        mirrored=not clip.mirrored,
    )


# ---------------------------------------------------------------------------------------------
# Bandai Namco


def read_label_list(path: str | Path, dataset: int) -> tuple[str, ...]:
    """Read one ``cfg-N/*_label.txt`` file: lines ``dataset-N_{label}``, in index order.

    Raises:
        FileNotFoundError: if the file does not exist.
        MotionFormatError: if a line does not carry the ``dataset-N_`` prefix.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"label list {path} not found; it ships in the dataset's cfg-{dataset}/"
        )
    prefix = f"dataset-{dataset}_"
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith(prefix):
            raise MotionFormatError(f"{path}: line {line!r} does not start with {prefix!r}")
        labels.append(line[len(prefix) :])
    return tuple(labels)


@dataclass(frozen=True)
class BandaiLabelSet:
    """The content and style labels of one Bandai Namco dataset, in the order of ``cfg-N/``."""

    dataset: int
    contents: tuple[str, ...]
    styles: tuple[str, ...]

    @classmethod
    def from_cfg(cls, cfg_dir: str | Path, dataset: int) -> BandaiLabelSet:
        """Read ``content_label.txt`` and ``style_label.txt`` from ``cfg_dir`` (``.../cfg-N``)."""
        cfg_dir = Path(cfg_dir)
        return cls(
            dataset=dataset,
            contents=read_label_list(cfg_dir / "content_label.txt", dataset),
            styles=read_label_list(cfg_dir / "style_label.txt", dataset),
        )

    def from_indices(self, content: int, style: int) -> tuple[str, str]:
        """Labels for the indices in a clip's JSON label file ``{"content": i, "style": j}``."""
        if not (0 <= content < len(self.contents) and 0 <= style < len(self.styles)):
            raise MotionFormatError(
                f"label indices content={content}, style={style} out of range for dataset "
                f"{self.dataset} ({len(self.contents)} contents, {len(self.styles)} styles)"
            )
        return self.contents[content], self.styles[style]


def parse_bandai_name(member: str, labels: BandaiLabelSet) -> ClipLabel:
    """Label a Bandai Namco clip from its archive member name.

    Args:
        member: e.g. ``"data/dataset-2_wave-right-hand_exhausted_017.bvh"``.
        labels: the dataset's label lists (checked: an unknown label is an error, not a new class).

    Raises:
        MotionFormatError: if the name does not follow ``dataset-N_{content}_{style}_{id}`` or
            names a label missing from the lists.
    """
    stem = PurePosixPath(member).stem
    match = _BANDAI_NAME.fullmatch(stem)
    if match is None:
        raise MotionFormatError(
            f"{member!r} is not a Bandai Namco clip name (dataset-N_content_style_id.bvh)"
        )
    dataset = int(match["n"])
    if dataset != labels.dataset:
        raise MotionFormatError(f"{member!r} belongs to dataset {dataset}, not {labels.dataset}")
    content, style = match["content"], match["style"]
    if content not in labels.contents:
        raise MotionFormatError(f"{member!r}: unknown content {content!r} for dataset {dataset}")
    if style not in labels.styles:
        raise MotionFormatError(f"{member!r}: unknown style {style!r} for dataset {dataset}")
    return ClipLabel(
        source=f"bandai-namco-{dataset}",
        name=stem,
        content=content,
        style=style,
        group=stem,
        member=member,
    )


# ---------------------------------------------------------------------------------------------
# DeepMimic

#: DeepMimic base names (the file stem without ``humanoid3d_``/``sie_humanoid3d_``, trailing
#: digits and ``_mirror``) -> (content, style), read off the clip names. Checked on the imported
#: joints: the SIE ``run_left`` clips run along a gentle curve to the character's left (about
#: 20 degrees of turn, no side-stepping) and ``run_right`` to its right.
DEEPMIMIC_LABELS: dict[str, tuple[str, str]] = {
    "backflip": ("backflip", NEUTRAL_STYLE),
    "cartwheel": ("cartwheel", NEUTRAL_STYLE),
    "crawl": ("crawl", NEUTRAL_STYLE),
    "dance_a": ("dance", NEUTRAL_STYLE),
    "dance_b": ("dance", NEUTRAL_STYLE),
    "dance_spin": ("dance-spin", NEUTRAL_STYLE),
    "getup_facedown": ("get-up-face-down", NEUTRAL_STYLE),
    "getup_faceup": ("get-up-face-up", NEUTRAL_STYLE),
    "jog": ("jog", NEUTRAL_STYLE),
    "jump": ("jump", NEUTRAL_STYLE),
    "kick": ("kick", NEUTRAL_STYLE),
    "punch": ("punch", NEUTRAL_STYLE),
    "roll": ("roll", NEUTRAL_STYLE),
    "run": ("run", NEUTRAL_STYLE),
    "sideflip": ("sideflip", NEUTRAL_STYLE),
    "spin": ("spin", NEUTRAL_STYLE),
    "spinkick": ("spin-kick", NEUTRAL_STYLE),
    "stealthy_walk": ("walk", "stealthy"),
    "walk": ("walk", NEUTRAL_STYLE),
    "zombie_walk": ("walk", "zombie"),
    "long_walk": ("walk", NEUTRAL_STYLE),
    "long_zombie": ("walk", "zombie"),
    "run_forward": ("run", NEUTRAL_STYLE),
    "run_left": ("run-turn-left", NEUTRAL_STYLE),
    "run_right": ("run-turn-right", NEUTRAL_STYLE),
    "punch_forward": ("punch", NEUTRAL_STYLE),
    "punch_left": ("punch-left", NEUTRAL_STYLE),
}

#: The SIE clips come in left/right mirrored pairs: ``run_left`` k is the mirror of ``run_right``
#: (k + 7) mod 15 and ``run_forward`` 2k of 2k + 1 (equal frame counts, and the features of one
#: equal the mirrored features of the other to 2e-3; ``tests/data/test_labels.py`` checks this
#: on the data). Each pair is one group, so it never straddles the train/test split.
_SIE_MIRROR_OFFSET = 7
_SIE_TURN_COUNT = 15


def deepmimic_base_name(member: str) -> tuple[str, str, int | None, bool]:
    """Split a DeepMimic member name into (subset, base, number, provided mirror).

    ``"data/motions/long/humanoid3d_long_walk1_mirror.txt"`` -> ``("long", "long_walk", 1, True)``;
    ``"data/motions/sie/sie_humanoid3d_run_left03.txt"`` -> ``("sie", "run_left", 3, False)``.
    """
    path = PurePosixPath(member)
    subset = path.parent.name if path.parent.name in ("long", "sie") else "basic"
    stem = path.stem
    is_mirror = stem.endswith("_mirror")
    if is_mirror:
        stem = stem[: -len("_mirror")]
    stem = re.sub(r"^(sie_)?humanoid3d_", "", stem)
    match = re.fullmatch(r"(?P<base>.*?)(?P<num>\d+)?", stem)
    assert match is not None  # the pattern matches every string
    number = int(match["num"]) if match["num"] is not None else None
    return subset, match["base"], number, is_mirror


def _deepmimic_group(subset: str, base: str, number: int | None) -> str:
    if subset == "sie" and number is not None:
        if base == "run_forward":
            return f"sie/run_forward{number - number % 2:02d}"
        if base == "run_left":
            return f"sie/run_turn{number:02d}"
        if base == "run_right":
            return f"sie/run_turn{(number - _SIE_MIRROR_OFFSET) % _SIE_TURN_COUNT:02d}"
    suffix = "" if number is None else str(number)
    return f"{subset}/{base}{suffix}"


def parse_deepmimic_name(member: str, *, loop: bool = False) -> ClipLabel:
    """Label a DeepMimic clip from its archive member name.

    Args:
        member: e.g. ``"data/motions/humanoid3d_zombie_walk.txt"``.
        loop: whether the clip's file says ``"Loop": "wrap"``.

    Raises:
        MotionFormatError: for a name missing from :data:`DEEPMIMIC_LABELS`.
    """
    subset, base, number, is_mirror = deepmimic_base_name(member)
    if base not in DEEPMIMIC_LABELS:
        known = ", ".join(sorted(DEEPMIMIC_LABELS))
        raise MotionFormatError(f"{member!r}: unknown DeepMimic clip {base!r} (known: {known})")
    content, style = DEEPMIMIC_LABELS[base]
    stem = PurePosixPath(member).stem
    name = f"deepmimic/{stem}" if subset == "basic" else f"deepmimic/{subset}/{stem}"
    if is_mirror:
        # The provided mirror of a clip shows the mirrored content.
        content = mirror_label(content)
    return ClipLabel(
        source="deepmimic",
        name=name,
        content=content,
        style=style,
        group="deepmimic/" + _deepmimic_group(subset, base, number),
        member=member,
        loop=loop,
    )


def is_deepmimic_motion(member: str) -> bool:
    """Whether an archive member of the DeepMimic archive is a humanoid motion clip."""
    path = PurePosixPath(member)
    return path.suffix == ".txt" and "humanoid3d_" in path.stem and "motions" in path.parts


def is_bandai_motion(member: str) -> bool:
    """Whether an archive member of a Bandai Namco archive is a BVH clip."""
    path = PurePosixPath(member)
    return path.suffix.lower() == ".bvh" and path.stem.startswith("dataset-")
