"""Build the training-data cache from a user's HumanML3D folder (``momo data build --humanml3d``).

The folder is read as HumanML3D's own training loader reads it (layout in
`momo.data.humanml3d`):

- the ids of ``train.txt`` are the train split and those of ``test.txt`` the held-out split
  (``val.txt`` is not read); ids listed in both are an error;
- a motion is used when it has 40 to 199 frames (``40 <= T < 200``); longer or shorter
  motions are skipped with all their captions, as the reference's loader skips them;
- caption lines with start and end 0 (or NaN) describe the whole motion: they become the
  captions of one clip holding the whole motion;
- a line with a start and an end describes frames ``int(start * 20) : int(end * 20)``: that span
  becomes a clip of its own (its rows copied from the motion) when it has 40 to 199 frames, with
  that line as its caption; lines naming the same span share one clip;
- the mirrored copies HumanML3D ships (ids ``M<id>``) are ordinary clips of their split, marked
  ``mirrored`` (so ``mirror: false`` in the training config leaves them out); nothing is mirrored
  again;
- ``Mean.npy`` / ``Std.npy`` are the cache's statistics, kept exactly (not recomputed).

Ids whose motion or caption file is missing, or whose captions cannot be read, are skipped and
counted in the cache's notes (the reference's loader skips them too); the build fails when the
train split keeps no clip. Clips are labelled with source ``"humanml3d"``, content
``"humanml3d"`` and the neutral style (HumanML3D has no content or style labels).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from momo.data.cache import ClipRecord, DataCache, pack_text
from momo.data.humanml3d import FPS, MAX_FRAMES, MIN_FRAMES, Caption, HumanML3D
from momo.data.labels import NEUTRAL_STYLE, ClipLabel
from momo.data.splits import TEST, TRAIN
from momo.errors import MomoError

#: The source (and content) name of HumanML3D clips in labels and data cards.
HUMANML3D_SOURCE = "humanml3d"
#: Split file -> split of the cache.
SPLIT_FILES: dict[str, str] = {"train": TRAIN, "test": TEST}


@dataclass(frozen=True)
class HumanML3DClip:
    """One training clip of a HumanML3D motion: the whole motion or one caption's span.

    Attributes:
        motion_id: the file id (``"000021"``, ``"M000021"``).
        start, stop: frames of the motion's features the clip holds.
        captions: its caption texts (whole-motion lines, or the lines naming this span).
        whole: True for the whole motion.
    """

    motion_id: str
    start: int
    stop: int
    captions: tuple[str, ...]
    whole: bool

    @property
    def name(self) -> str:
        """The id for the whole motion, ``<id>:<start>-<stop>`` for a span."""
        return self.motion_id if self.whole else f"{self.motion_id}:{self.start}-{self.stop}"

    @property
    def num_frames(self) -> int:
        """Frames of the clip."""
        return self.stop - self.start


def in_length_range(frames: int) -> bool:
    """HumanML3D's length filter: 40 <= frames < 200."""
    return MIN_FRAMES <= frames < MAX_FRAMES


def motion_clips(motion_id: str, frames: int, captions: list[Caption]) -> list[HumanML3DClip]:
    """The training clips of one motion of ``frames`` frames, by HumanML3D's loader's rules
    (module docstring): spans first, in caption order, then the whole motion.

    Returns an empty list when the motion fails the length filter.
    """
    if not in_length_range(frames):
        return []
    whole: list[str] = []
    spans: dict[tuple[int, int], list[str]] = {}
    for caption in captions:
        if caption.whole:
            whole.append(caption.text)
            continue
        start, stop = int(caption.start * FPS), min(int(caption.end * FPS), frames)
        if in_length_range(stop - start):
            spans.setdefault((start, stop), []).append(caption.text)
    clips = [
        HumanML3DClip(motion_id, start, stop, tuple(dict.fromkeys(texts)), whole=False)
        for (start, stop), texts in spans.items()
    ]
    if whole:
        clips.append(HumanML3DClip(motion_id, 0, frames, tuple(dict.fromkeys(whole)), whole=True))
    return clips


@dataclass
class HumanML3DScan:
    """The clips of the train and test splits and what was skipped."""

    clips: dict[str, list[HumanML3DClip]]
    skipped: Counter[str]


def _split_ids(data: HumanML3D) -> dict[str, list[str]]:
    """Ids of train.txt and test.txt (each id once); an id in both is an error."""
    ids = {name: list(dict.fromkeys(data.split(name))) for name in SPLIT_FILES}
    both = sorted(set(ids["train"]) & set(ids["test"]))
    if both:
        raise MomoError(
            f"{len(both)} ids are listed in both train.txt and test.txt of {data.root} "
            f"({', '.join(both[:3])}); a held-out motion must not be trained on"
        )
    if not ids["train"]:
        raise MomoError(f"{data.root / 'train.txt'} lists no id")
    return ids


def scan_humanml3d(data: HumanML3D) -> HumanML3DScan:
    """The clips of every id of train.txt and test.txt (motion headers and captions only)."""
    scan = HumanML3DScan({TRAIN: [], TEST: []}, Counter())
    for split_file, ids in _split_ids(data).items():
        split = SPLIT_FILES[split_file]
        for motion_id in ids:
            if not data.has_motion(motion_id):
                scan.skipped["listed but no motion file"] += 1
                continue
            if not (data.root / "texts" / f"{motion_id}.txt").is_file():
                scan.skipped["no caption file"] += 1
                continue
            try:
                frames = data.num_frames(motion_id)
                captions = data.captions(motion_id)
            except MomoError:
                scan.skipped["unreadable motion or caption file"] += 1
                continue
            clips = motion_clips(motion_id, frames, captions)
            if not clips:
                scan.skipped[f"not {MIN_FRAMES}-{MAX_FRAMES - 1} frames"] += 1
            scan.clips[split].extend(clips)
    if not scan.clips[TRAIN]:
        reasons = ", ".join(f"{n} {why}" for why, n in scan.skipped.most_common()) or "none"
        raise MomoError(
            f"no motion of {data.root / 'train.txt'} can be trained on (skipped: {reasons}); "
            "pass the HumanML3D folder holding new_joint_vecs/ and texts/"
        )
    return scan


def _label(clip: HumanML3DClip) -> ClipLabel:
    return ClipLabel(
        source=HUMANML3D_SOURCE,
        name=clip.name,
        content=HUMANML3D_SOURCE,
        style=NEUTRAL_STYLE,
        group=clip.motion_id.removeprefix("M"),
        member=f"new_joint_vecs/{clip.motion_id}.npy",
        mirrored=clip.motion_id.startswith("M"),
    )


def _fill_features(
    data: HumanML3D, ordered: list[tuple[str, HumanML3DClip]], width: int
) -> tuple[np.ndarray, np.ndarray]:
    """All clips' rows in one preallocated array (each motion file read once), and offsets."""
    lengths = np.array([clip.num_frames for _, clip in ordered], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths[:-1])]).astype(np.int64)
    features = np.empty((int(lengths.sum()), width), dtype=np.float32)
    by_motion: dict[str, list[int]] = {}
    for row, (_, clip) in enumerate(ordered):
        by_motion.setdefault(clip.motion_id, []).append(row)
    for motion_id, rows in by_motion.items():
        motion = data.motion(motion_id)
        for row in rows:
            clip = ordered[row][1]
            features[offsets[row] : offsets[row] + clip.num_frames] = motion[clip.start : clip.stop]
    return features, offsets


def _records(
    ordered: list[tuple[str, HumanML3DClip]], caption_row: dict[str, int]
) -> Iterator[ClipRecord]:
    for split, clip in ordered:
        yield ClipRecord(
            label=_label(clip),
            split=split,
            captions=tuple(caption_row[text] for text in clip.captions),
            frames=clip.num_frames,
            seconds=clip.num_frames / FPS,
        )


def build_humanml3d_cache(
    folder: str | Path, text_encoder: Any = "minilm", *, progress: bool = True
) -> DataCache:
    """Read a HumanML3D folder into a training-data cache (rules in the module docstring).

    Args:
        folder: the HumanML3D folder.
        text_encoder: the encoder of the cached caption embeddings: a name
            (`momo.models.text_encoders.text_encoder_from_name`) or an encoder object (e.g. one
            loaded from local folders); it must be the one of the model to train.
        progress: show a progress bar while encoding captions.

    Raises:
        MomoError: the folder, a required part of it (new_joint_vecs/, texts/, Mean.npy,
            Std.npy, train.txt, test.txt) or every train motion is missing or unusable.
    """
    from momo.data.build import encode_captions

    started = time.monotonic()
    data = HumanML3D(folder)
    mean, std = data.mean, data.std
    if not (std > 0).all():
        raise MomoError(f"{data.root / 'Std.npy'} holds values <= 0; training divides by it")
    scan = scan_humanml3d(data)
    ordered = [(split, clip) for split in (TRAIN, TEST) for clip in scan.clips[split]]
    features, offsets = _fill_features(data, ordered, mean.shape[0])
    captions = sorted({text for _, clip in ordered for text in clip.captions})
    caption_row = {text: row for row, text in enumerate(captions)}
    records = list(_records(ordered, caption_row))
    import_seconds = time.monotonic() - started
    tokens, pooled = encode_captions(captions, text_encoder, progress=progress)
    text_tokens, token_offsets, text_pooled = pack_text(tokens, pooled)
    encoder_name = text_encoder if isinstance(text_encoder, str) else text_encoder.name
    notes = [f"skipped {n} ids of train.txt/test.txt: {why}" for why, n in scan.skipped.items()]
    spans = sum(not clip.whole for _, clip in ordered)
    notes.append(
        f"{spans} of {len(ordered)} clips are caption spans (copied rows of their motion); "
        "Mean/Std are the folder's Mean.npy/Std.npy"
    )
    info = {
        "build": {
            "humanml3d": str(data.root),
            "min_frames": MIN_FRAMES,
            "max_frames": MAX_FRAMES - 1,
            "statistics": "dataset",
            "text_encoder": encoder_name,
        },
        "notes": notes,
        "dropped": [],
        "import_seconds": round(import_seconds, 1),
        "build_seconds": round(time.monotonic() - started, 1),
        "clips_imported": len(ordered),
    }
    return DataCache(
        features=features,
        offsets=offsets,
        clips=records,
        mean=mean,
        std=std,
        captions=captions,
        text_pooled=text_pooled,
        text_tokens=text_tokens,
        text_token_offsets=token_offsets,
        text_encoder=encoder_name,
        info=info,
    )
