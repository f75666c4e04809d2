"""Build the training-data cache from a user's folder of motions (``momo data build --from DIR``).

The folder is searched recursively for BVH (``.bvh``), HumanML3D ``.npy`` (features or joints)
and DeepMimic (``.txt`` / ``.json``) motions; captions come from sidecars or a mapping file
(`momo.data.sidecars`). A ``.txt`` file beside a motion of the same stem is that motion's
caption sidecar; any other ``.txt`` is a DeepMimic motion when it holds a JSON object, and
ignored otherwise (a README). Every motion is imported as `momo.load_motion` would (the same
``joint_map``), then goes through the bundled build's steps (`momo.data.build.assemble_cache`):
left/right mirrored copies with "left" and "right" swapped in their captions, the held-out split
by clip, Mean/Std of the train split, cached text embeddings and the data card.

Files that cannot be used (unreadable, unknown skeleton, no caption, too short) are listed in
the cache's notes with their reason and skipped; the build fails only when no clip is left.

Each clip is labelled with source ``"folder"``, its relative path as name, its sub-folder as
content label (``"clip"`` at the top level; the split is stratified by it) and the neutral style.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from momo.data.build import MAX_WORKERS, BuildConfig, ImportedClip, assemble_cache, run_imports
from momo.data.cache import DataCache
from momo.data.labels import NEUTRAL_STYLE, ClipLabel, mirror_caption
from momo.data.sidecars import caption_lines, mapping_key, read_caption_mapping
from momo.data.windows import MIN_WINDOW_FRAMES
from momo.errors import MomoError

#: The source name of folder clips (in labels and data cards).
FOLDER_SOURCE = "folder"
#: Suffixes searched for motions.
MOTION_SUFFIXES: tuple[str, ...] = (".bvh", ".npy", ".json", ".txt")
_NOT_LABEL = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FolderConfig:
    """Settings of a build from a folder.

    Attributes:
        folder: the folder searched recursively for motions.
        captions: a CSV / JSON mapping file -> captions (None: sidecars only).
        joint_map: how BVH / DeepMimic skeletons map to the 22 SMPL joints, as `momo.load_motion`
            takes it (None: chosen by joint names).
        up_axis: the files' up axis, as `momo.load_motion` takes it (``"auto"``: detected).
        test_fraction: share of clips (by sub-folder label) held out for testing.
        seed: seed of the split.
        workers: import processes (1..2; 1 runs in this process).
        min_frames: clips with fewer feature frames are dropped.
        statistics: ``"grouped"`` (HumanML3D's) or ``"per_channel"`` Std.
        text_encoder: name of the encoder whose embeddings are cached (``"minilm"``).
    """

    folder: Path
    captions: Path | None = None
    joint_map: str | dict[str, Any] | None = None
    up_axis: str = "auto"
    test_fraction: float = 0.1
    seed: int = 0
    workers: int = 1
    min_frames: int = MIN_WINDOW_FRAMES
    statistics: str = "grouped"
    text_encoder: str = "minilm"

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= MAX_WORKERS:
            raise MomoError(f"workers must be 1 or {MAX_WORKERS}, got {self.workers}")

    def build_config(self) -> BuildConfig:
        """The shared settings, as the bundled build takes them (no bundled sources)."""
        return BuildConfig(
            data_root=self.folder,
            sources=(),
            test_fraction=self.test_fraction,
            seed=self.seed,
            workers=self.workers,
            min_frames=self.min_frames,
            statistics=self.statistics,
            text_encoder=self.text_encoder,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (stored in the cache's info)."""
        return {
            "folder": str(self.folder),
            "captions": None if self.captions is None else str(self.captions),
            "joint_map": self.joint_map,
            "up_axis": self.up_axis,
            "workers": self.workers,
        }


@dataclass(frozen=True)
class FolderClip:
    """One motion file found in the folder.

    Attributes:
        label: its label (source ``"folder"``, name = relative path).
        path: the file.
        captions: its captions (empty: it cannot be trained on).
    """

    label: ClipLabel
    path: Path
    captions: tuple[str, ...]


@dataclass
class FolderScan:
    """What :func:`scan_folder` found."""

    clips: list[FolderClip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def content_label(relative_parent: str) -> str:
    """A hyphenated content label from a sub-folder path (``"Walk/Old"`` -> ``"walk-old"``)."""
    label = _NOT_LABEL.sub("-", relative_parent.lower()).strip("-")
    return label or "clip"


def _is_json_object(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _sidecar_captions(path: Path) -> list[str]:
    sidecar = path.with_suffix(".txt")
    if path.suffix.lower() == ".txt" or not sidecar.is_file():
        return []
    try:
        return caption_lines(sidecar.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return []


def scan_folder(
    folder: Path, mapping: dict[str, list[str]] | None = None, *, exclude: Path | None = None
) -> FolderScan:
    """Find the motions under ``folder`` and their captions (see the module docstring).

    Args:
        folder: the folder.
        mapping: captions from a mapping file, by `momo.data.sidecars.mapping_key`.
        exclude: a file not to read as a motion (the mapping file).

    Raises:
        FileNotFoundError: if ``folder`` is not a directory.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; pass --from with a folder of motions")
    mapping = mapping or {}
    excluded = exclude.resolve() if exclude is not None else None
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.resolve() != excluded
    )
    stems = {p.with_suffix("") for p in files if p.suffix.lower() in (".bvh", ".npy", ".json")}
    scan = FolderScan()
    ignored_text: list[str] = []
    used_keys: set[str] = set()
    for path in files:
        suffix = path.suffix.lower()
        relative = path.relative_to(folder).as_posix()
        if suffix not in MOTION_SUFFIXES:
            continue
        if suffix == ".txt" and (path.with_suffix("") in stems or not _is_json_object(path)):
            if path.with_suffix("") not in stems:
                ignored_text.append(relative)
            continue
        key = mapping_key(relative)
        used_keys.add(key)
        captions = tuple(dict.fromkeys([*mapping.get(key, []), *_sidecar_captions(path)]))
        parent = Path(relative).parent.as_posix()
        label = ClipLabel(
            source=FOLDER_SOURCE,
            name=relative,
            content=content_label("" if parent == "." else parent),
            style=NEUTRAL_STYLE,
            group=key,
            member=relative,
        )
        scan.clips.append(FolderClip(label, path, captions))
    if ignored_text:
        scan.notes.append(
            f"{len(ignored_text)} .txt files are neither beside a motion nor DeepMimic motions "
            f"and were ignored ({', '.join(ignored_text[:3])}{', ...' if len(ignored_text) > 3 else ''})"
        )
    unused = sorted(set(mapping) - used_keys)
    if unused:
        scan.notes.append(
            f"{len(unused)} entries of the captions file name no motion file "
            f"({', '.join(unused[:3])}{', ...' if len(unused) > 3 else ''})"
        )
    return scan


def import_file(
    label: ClipLabel,
    path: str | Path,
    joint_map: str | dict[str, Any] | None = None,
    up_axis: str = "auto",
) -> ImportedClip:
    """Import one motion file and convert it and its mirror to features (runs in a worker).

    A file that cannot be read gives an :class:`ImportedClip` with ``error`` set (never raises
    for bad file contents).
    """
    from momo.io.api import load_joints
    from momo.motion.kinematics import joints_to_features
    from momo.motion.mirror import mirror_joints

    try:
        joints, info = load_joints(path, joint_map=joint_map, up_axis=up_axis)
        joints = np.asarray(joints, dtype=np.float32)
        features = np.asarray(joints_to_features(joints), dtype=np.float32)
        mirror = np.asarray(joints_to_features(mirror_joints(joints)), dtype=np.float32)
    except (MomoError, OSError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        return ImportedClip(label, error=reason)
    ready = {k: v for k, v in info.items() if isinstance(v, (str, int, float, bool))}
    return ImportedClip(label, features, mirror, info=ready)


def _import_task(task: tuple[ClipLabel, str, str | dict[str, Any] | None, str]) -> ImportedClip:
    return import_file(*task)


def import_folder(
    clips: Sequence[FolderClip], config: FolderConfig, *, progress: bool = True
) -> list[ImportedClip]:
    """Import every captioned clip (uncaptioned ones come back with their reason as error)."""
    results = [
        ImportedClip(
            clip.label,
            error=f"no caption: add {clip.path.with_suffix('.txt').name} beside it or a row "
            "for it in the captions file",
        )
        for clip in clips
        if not clip.captions
    ]

    def tasks() -> Iterator[tuple[ClipLabel, str, str | dict[str, Any] | None, str]]:
        for clip in clips:
            if clip.captions:
                yield clip.label, str(clip.path), config.joint_map, config.up_axis

    results.extend(run_imports(_import_task, tasks(), config.workers, progress))
    return sorted(results, key=lambda r: r.label.name)


def _usable(clips: Sequence[ImportedClip], min_frames: int) -> None:
    """Raise when no clip can be trained on, with the first reasons."""
    if any(c.features is not None and c.features.shape[0] >= min_frames for c in clips):
        return
    reasons = [
        f"{c.label.name}: {c.error or f'{0 if c.features is None else c.features.shape[0]} frames'}"
        for c in clips[:5]
    ]
    raise MomoError(
        f"none of the {len(clips)} motion files can be trained on (each needs a caption and at "
        f"least {min_frames} frames at 20 fps): " + "; ".join(reasons)
    )


def build_folder_cache(config: FolderConfig, *, progress: bool = True) -> DataCache:
    """Scan, import, mirror, split, caption and encode a folder's motions into one cache.

    Raises:
        FileNotFoundError: if the folder or the captions file does not exist.
        MomoError: if the folder holds no motion file, or none can be trained on.
    """
    started = time.monotonic()
    mapping = read_caption_mapping(config.captions) if config.captions is not None else {}
    scan = scan_folder(config.folder, mapping, exclude=config.captions)
    if not scan.clips:
        raise MomoError(
            f"no motion files ({', '.join(MOTION_SUFFIXES)}) under {config.folder}; pass --from "
            "with the folder holding your clips"
        )
    imported = import_folder(scan.clips, config, progress=progress)
    _usable(imported, config.min_frames)
    import_seconds = time.monotonic() - started
    captions = {clip.label.name: clip.captions for clip in scan.clips}

    def captions_of(label: ClipLabel) -> tuple[str, ...]:
        texts = captions[label.name.removesuffix("#mirror")]
        return tuple(dict.fromkeys(mirror_caption(t) for t in texts)) if label.mirrored else texts

    cache = assemble_cache(
        imported, config.build_config(), notes=scan.notes, captions_of=captions_of
    )
    failed = [c for c in imported if c.error is not None]
    cache.info["folder"] = config.to_dict()
    cache.info["files_found"] = len(scan.clips)
    cache.info["files_skipped"] = len(cache.info.get("dropped", []))
    cache.info["clips_imported"] = len(imported) - len(failed)
    cache.info["import_seconds"] = round(import_seconds, 1)
    cache.info["build_seconds"] = round(time.monotonic() - started, 1)
    return cache
