"""A user's HumanML3D folder, read as the reference's evaluation dataset reads it.

Layout (the official one)::

    new_joint_vecs/<id>.npy   raw features [T, 263] (mirrored copies are M<id>)
    texts/<id>.txt            one line per caption: caption#word/POS word/POS ...#start#end
    Mean.npy, Std.npy         the dataset's feature normalisation
    train.txt, val.txt, test.txt   one id per line

A caption line with start and end 0 (or NaN) describes the whole motion; other lines describe
the segment from ``int(start * 20)`` to ``int(end * 20)``. The reference's evaluation set keeps a
motion, and each segment as an entry of its own, when it has 40 to 199 frames (`entries`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from momo.errors import EvaluationError

FPS = 20
FEATURE_DIM = 263
#: The reference's length filter: at least 40 frames, fewer than 200.
MIN_FRAMES, MAX_FRAMES = 40, 200
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Caption:
    """One caption line: text, its ``word/POS`` tokens and the segment it describes (seconds).

    ``start == end == 0`` means the whole motion.
    """

    text: str
    tokens: tuple[str, ...]
    start: float
    end: float

    @property
    def whole(self) -> bool:
        """Whether the caption describes the whole motion."""
        return self.start == 0.0 and self.end == 0.0


@dataclass(frozen=True)
class Entry:
    """An item of the evaluation set: a motion (or a segment of one) and its captions.

    Attributes:
        name: the id for whole motions; ``<letter>_<id>`` for segments (A for the first
            segment line, B for the next, ...; the reference picks random letters).
        motion_id: the file id.
        start, stop: the frames of the file's motion used.
        captions: the captions of this entry (all whole-motion lines, or the segment's one).
    """

    name: str
    motion_id: str
    start: int
    stop: int
    captions: tuple[Caption, ...]

    @property
    def num_frames(self) -> int:
        """Frames of the entry."""
        return self.stop - self.start


def parse_caption_line(line: str, where: str) -> Caption:
    """Parse ``caption#tokens#start#end``; NaN times count as 0, as in the reference."""
    fields = line.rstrip("\n").split("#")
    if len(fields) < 4:
        raise EvaluationError(
            f"{where}: expected 'caption#word/POS ...#start#end', got {line.strip()[:80]!r}; "
            "use HumanML3D's texts/ folder (with POS tokens)"
        )
    try:
        start, end = float(fields[2]), float(fields[3])
    except ValueError:
        raise EvaluationError(f"{where}: start/end {fields[2:4]} are not numbers") from None
    return Caption(
        text=fields[0],
        tokens=tuple(token for token in fields[1].split(" ") if token),
        start=0.0 if math.isnan(start) else start,
        end=0.0 if math.isnan(end) else end,
    )


class HumanML3D:
    """Read access to a HumanML3D folder (motions load on demand).

    Args:
        root: the folder (layout in the module docstring).

    Raises:
        EvaluationError: the folder or one of its required parts is missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise EvaluationError(f"HumanML3D folder {self.root} not found")
        for part in ("new_joint_vecs", "texts"):
            if not (self.root / part).is_dir():
                raise EvaluationError(
                    f"{self.root} lacks {part}/; pass the HumanML3D folder that holds "
                    "new_joint_vecs/, texts/, Mean.npy, Std.npy and the split files"
                )
        self._sets: dict[str, list[Entry]] = {}

    def _statistic(self, name: str) -> np.ndarray:
        path = self.root / name
        if not path.is_file():
            raise EvaluationError(f"{path} not found; HumanML3D's folder ships it")
        try:
            value = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise EvaluationError(f"{path} is not a plain .npy array ({exc})") from None
        if value.shape != (FEATURE_DIM,) or not np.isfinite(value).all():
            raise EvaluationError(f"{path} must hold {FEATURE_DIM} finite values")
        return value.astype(np.float32)

    @property
    def mean(self) -> np.ndarray:
        """``Mean.npy``: float32 [263]."""
        return self._statistic("Mean.npy")

    @property
    def std(self) -> np.ndarray:
        """``Std.npy``: float32 [263]."""
        return self._statistic("Std.npy")

    def split(self, name: str = "test") -> list[str]:
        """Ids listed in ``<name>.txt``, in file order."""
        if name not in SPLITS:
            raise EvaluationError(f"unknown split {name!r}; use one of {', '.join(SPLITS)}")
        path = self.root / f"{name}.txt"
        if not path.is_file():
            raise EvaluationError(f"{path} not found; HumanML3D's folder ships the split files")
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]

    def has_motion(self, motion_id: str) -> bool:
        """Whether ``new_joint_vecs/<id>.npy`` exists."""
        return (self.root / "new_joint_vecs" / f"{motion_id}.npy").is_file()

    def num_frames(self, motion_id: str) -> int:
        """Frames of a motion file, read from its header."""
        return int(self._open(motion_id, mmap=True).shape[0])

    def motion(self, motion_id: str) -> np.ndarray:
        """Raw features float32 ``[T, 263]`` of ``new_joint_vecs/<id>.npy``."""
        features = np.asarray(self._open(motion_id, mmap=False), dtype=np.float32)
        if not np.isfinite(features).all():
            raise EvaluationError(f"motion {motion_id} contains NaN or Inf")
        return features

    def _open(self, motion_id: str, *, mmap: bool) -> np.ndarray:
        path = self.root / "new_joint_vecs" / f"{motion_id}.npy"
        if not path.is_file():
            raise EvaluationError(f"motion {motion_id!r} not found: {path} does not exist")
        try:
            features = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise EvaluationError(f"{path} is not a plain .npy array ({exc})") from None
        if features.ndim != 2 or features.shape[1] != FEATURE_DIM:
            raise EvaluationError(
                f"{path} has shape {list(features.shape)}; expected [T, {FEATURE_DIM}]"
            )
        return features

    def captions(self, motion_id: str) -> list[Caption]:
        """All caption lines of ``texts/<id>.txt``, in file order."""
        path = self.root / "texts" / f"{motion_id}.txt"
        if not path.is_file():
            raise EvaluationError(f"captions of {motion_id!r} not found: {path} does not exist")
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not lines:
            raise EvaluationError(f"{path} holds no caption")
        return [parse_caption_line(line, f"{path}:{i + 1}") for i, line in enumerate(lines)]

    def entries(self, motion_id: str) -> list[Entry]:
        """The reference's evaluation entries of one id: segments first, then the whole motion.

        Segment lines become entries of their own when their frames pass the 40-199 filter;
        the whole motion is an entry when some line describes it and it passes the filter.
        """
        frames = self.num_frames(motion_id)
        captions = self.captions(motion_id)
        entries, whole = [], []
        for k, caption in enumerate(captions):
            if caption.whole:
                whole.append(caption)
                continue
            start, stop = int(caption.start * FPS), min(int(caption.end * FPS), frames)
            if MIN_FRAMES <= stop - start < MAX_FRAMES:
                letter = chr(ord("A") + k % 26)
                entries.append(Entry(f"{letter}_{motion_id}", motion_id, start, stop, (caption,)))
        if whole and MIN_FRAMES <= frames < MAX_FRAMES:
            entries.append(Entry(motion_id, motion_id, 0, frames, tuple(whole)))
        return entries

    def evaluation_set(self, split: str = "test") -> list[Entry]:
        """All entries of a split, sorted by length (stable), as the reference's dataset orders them."""
        entries = [entry for motion_id in self.split(split) for entry in self.entries(motion_id)]
        return sorted(entries, key=lambda entry: entry.num_frames)

    def entry_features(self, entry: Entry) -> np.ndarray:
        """Raw features ``[frames, 263]`` of an entry."""
        return self.motion(entry.motion_id)[entry.start : entry.stop]

    def resolve(self, motion_id: str, *, match: str = "exact", split: str = "test") -> Entry:
        """The entry a benchmark id stands for, with its first caption.

        Args:
            motion_id: a HumanML3D id such as ``"013190"``.
            match: ``"exact"``: the file ``<id>.npy`` whole, with the first line of its
                captions (default). ``"contains"``: the reference's lookup, the first entry of
                the length-sorted evaluation set whose name contains the id; this can be a
                mirrored copy (``M<id>``), another id containing it, or a text segment.
            split: the split searched by ``"contains"``.
        """
        if match == "exact":
            frames = self.num_frames(motion_id)
            return Entry(motion_id, motion_id, 0, frames, (self.captions(motion_id)[0],))
        if match != "contains":
            raise EvaluationError(f"unknown id matching {match!r}; use 'exact' or 'contains'")
        if split not in self._sets:
            self._sets[split] = self.evaluation_set(split)
        for entry in self._sets[split]:
            if motion_id in entry.name:
                return Entry(
                    entry.name, entry.motion_id, entry.start, entry.stop, entry.captions[:1]
                )
        raise EvaluationError(
            f"no {split} entry of {self.root} has a name containing {motion_id!r}"
        )
