"""Build the training-data cache from the motion archives (``momo data build``).

Steps:

1. Stream each archive (Bandai Namco datasets 1 and 2, DeepMimic's humanoid clips) with
   ``momo.io.archives.iter_archive`` and label every motion member from its name
   (``momo.data.labels``); Bandai Namco's per-clip JSON label files are checked against the names.
2. In at most ``workers`` processes: import its bytes with
   ``momo.io.archives.load_archive_member_joints`` ([T, 22, 3] metres at 20 fps), convert to
   features with ``joints_to_features``, and do the same for the left/right mirrored joints
   (``mirror_joints``), as HumanML3D made its mirrored data.
3. Drop clips shorter than the shortest window (listed in the data card with the reason), split
   the rest by clip (``momo.data.splits``), write every clip's captions, encode each distinct
   caption once with the text encoder, compute Mean/Std over the train split (mirrors
   included), and save one cache file.

The archives are read in place (never unpacked); only the cache file is written.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.data.cache import ClipRecord, DataCache
from momo.data.captions import clip_captions
from momo.data.labels import (
    SOURCES,
    BandaiLabelSet,
    ClipLabel,
    is_bandai_motion,
    is_deepmimic_motion,
    mirrored,
    parse_bandai_name,
    parse_deepmimic_name,
)
from momo.data.splits import TRAIN, split_clips
from momo.data.statistics import feature_statistics
from momo.data.windows import MIN_WINDOW_FRAMES
from momo.errors import MomoError, MotionFormatError
from momo.motion.representation import FPS

if TYPE_CHECKING:
    from momo.models.text_encoders import TextEncoder

logger = logging.getLogger(__name__)

#: Archive of each source, relative to the data folder (``../shared/data``).
SOURCE_ARCHIVES: dict[str, str] = {
    "bandai-namco-1": "bandai-namco/dataset-1.tar.xz",
    "bandai-namco-2": "bandai-namco/dataset-2.tar.xz",
    "deepmimic": "deepmimic/deepmimic-motions.tar.xz",
}
MAX_WORKERS = 2


@dataclass(frozen=True)
class BuildConfig:
    """Settings of a cache build.

    Attributes:
        data_root: the folder holding ``bandai-namco/`` and ``deepmimic/``.
        sources: which sources to read (names of :data:`SOURCES`).
        test_fraction: share of clips (by group, per source) held out for testing.
        seed: seed of the split.
        workers: import processes (1..2; 1 runs in this process).
        min_frames: clips with fewer feature frames are dropped (default: the shortest window).
        limit: read at most this many clips per source (quick builds for tests; None: all).
        statistics: ``"grouped"`` (HumanML3D's) or ``"per_channel"`` Std.
        text_encoder: name of the encoder whose embeddings are cached (``"minilm"``).
    """

    data_root: Path
    sources: tuple[str, ...] = SOURCES
    test_fraction: float = 0.1
    seed: int = 0
    workers: int = MAX_WORKERS
    min_frames: int = MIN_WINDOW_FRAMES
    limit: int | None = None
    statistics: str = "grouped"
    text_encoder: str = "minilm"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.sources) - set(SOURCES))
        if unknown:
            raise MomoError(f"unknown sources {unknown}; choose from {list(SOURCES)}")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise MomoError(f"workers must be 1 or {MAX_WORKERS}, got {self.workers}")
        if self.limit is not None and self.limit < 1:
            raise MomoError(f"limit must be positive, got {self.limit}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (stored in the cache's info)."""
        return {
            "data_root": str(self.data_root),
            "sources": list(self.sources),
            "test_fraction": self.test_fraction,
            "seed": self.seed,
            "workers": self.workers,
            "min_frames": self.min_frames,
            "limit": self.limit,
            "statistics": self.statistics,
            "text_encoder": self.text_encoder,
        }


@dataclass
class ImportedClip:
    """Result of importing one clip in a worker.

    Attributes:
        label: the clip's label.
        features: float32 [T-1, 263] or None when the import failed.
        mirrored_features: float32 [T-1, 263] of the mirrored joints, or None.
        error: why the import failed (None on success).
        info: what the importer reported (source fps, frames, ...), JSON-ready.
    """

    label: ClipLabel
    features: np.ndarray | None = None
    mirrored_features: np.ndarray | None = None
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def _json_ready(info: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in info.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, (np.integer, np.floating)):
            out[key] = value.item()
    return out


def import_clip(label: ClipLabel, member: str, data: bytes) -> ImportedClip:
    """Import one archive member and convert it (runs in a worker process).

    Args:
        label: the clip's label.
        member: the member name (its suffix picks the format).
        data: the member's bytes.
    """
    from momo.io.archives import load_archive_member_joints
    from momo.motion.kinematics import joints_to_features
    from momo.motion.mirror import mirror_joints

    try:
        joints, info = load_archive_member_joints(member, data)
        joints = np.asarray(joints, dtype=np.float32)
        features = np.asarray(joints_to_features(joints), dtype=np.float32)
        mirror = np.asarray(joints_to_features(mirror_joints(joints)), dtype=np.float32)
        return ImportedClip(label, features, mirror, info=_json_ready(dict(info)))
    except MotionFormatError as error:
        return ImportedClip(label, error=" ".join(str(error).split()))


def _import_task(task: tuple[ClipLabel, str, bytes]) -> ImportedClip:
    return import_clip(*task)


@dataclass
class _Scan:
    """What the archive scan learned besides the clips."""

    bandai_json: dict[str, tuple[str, str]] = field(default_factory=dict)
    skipped_members: list[str] = field(default_factory=list)
    provided_mirrors: list[str] = field(default_factory=list)


def _iter_source(
    source: str, data_root: Path, limit: int | None, scan: _Scan
) -> Iterator[tuple[ClipLabel, str, bytes]]:
    """Stream one archive, yielding (label, member name, bytes) per motion member."""
    from momo.io.archives import iter_archive

    archive = data_root / SOURCE_ARCHIVES[source]
    if not archive.is_file():
        raise FileNotFoundError(
            f"{archive} not found; pass --data with the folder holding bandai-namco/ and deepmimic/"
        )
    if source == "deepmimic":
        yield from _deepmimic_clips(iter_archive(archive, suffixes=()), limit, scan)
        return
    dataset = int(source[-1])
    labels = BandaiLabelSet.from_cfg(data_root / "bandai-namco" / f"cfg-{dataset}", dataset)
    count = 0
    for name, data in iter_archive(archive, suffixes=()):
        stem = PurePosixPath(name).stem
        if name.endswith(".json") and stem.startswith("dataset-"):
            # The per-clip label file: {"content": i, "style": j} into cfg-N's lists.
            indices = json.loads(data.decode("utf-8"))
            scan.bandai_json[stem] = labels.from_indices(
                int(indices["content"]), int(indices["style"])
            )
            continue
        if not is_bandai_motion(name):
            scan.skipped_members.append(f"{source}:{name}")
            continue
        yield parse_bandai_name(name, labels), name, data
        count += 1
        if limit is not None and count >= limit:
            return


def _deepmimic_clips(
    members: Iterator[tuple[str, bytes]], limit: int | None, scan: _Scan
) -> Iterator[tuple[ClipLabel, str, bytes]]:
    """DeepMimic's humanoid clips, one per group.

    The archive ships left/right mirrored copies of some captures (``long/*_mirror`` and the SIE
    left/right and forward pairs, grouped in `momo.data.labels`). The pipeline mirrors every
    clip itself, so only the first member of each group (by name) is kept; the others would
    count the same capture twice.
    """
    clips: dict[str, list[tuple[ClipLabel, str, bytes]]] = {}
    for name, data in members:
        if not is_deepmimic_motion(name):
            scan.skipped_members.append(f"deepmimic:{name}")
            continue
        loop = json.loads(data.decode("utf-8")).get("Loop") == "wrap"
        label = parse_deepmimic_name(name, loop=loop)
        clips.setdefault(label.group, []).append((label, name, data))
    for count, group in enumerate(sorted(clips), start=1):
        first, *copies = sorted(clips[group], key=lambda item: item[1])
        scan.provided_mirrors.extend(name for _, name, _ in copies)
        yield first
        if limit is not None and count >= limit:
            return


def run_imports(
    work: Callable[[Any], ImportedClip], tasks: Iterable[Any], workers: int, progress: bool
) -> list[ImportedClip]:
    """``work`` applied to every task, in this process (``workers == 1``) or in spawned worker
    processes (``work`` must then be a module-level function), with a progress bar."""
    from tqdm.auto import tqdm

    results = []
    bar = tqdm(desc="importing clips", unit="clip", disable=not progress)
    if workers == 1:
        for task in tasks:
            results.append(work(task))
            bar.update(1)
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            for result in pool.imap_unordered(work, tasks, chunksize=4):
                results.append(result)
                bar.update(1)
    bar.close()
    return results


def import_clips(
    config: BuildConfig, *, progress: bool = True
) -> tuple[list[ImportedClip], list[str]]:
    """Import and convert every clip of the configured sources.

    Returns:
        (clips sorted by name, notes about the archives: label checks, skipped members).
    """
    scan = _Scan()
    results: list[ImportedClip] = []

    def tasks() -> Iterator[tuple[ClipLabel, str, bytes]]:
        for source in config.sources:
            yield from _iter_source(source, config.data_root, config.limit, scan)

    results.extend(run_imports(_import_task, tasks(), config.workers, progress))
    notes = []
    mismatched = [
        r.label.name
        for r in results
        if r.label.name in scan.bandai_json
        and scan.bandai_json[r.label.name] != (r.label.content, r.label.style)
    ]
    checked = sum(1 for r in results if r.label.name in scan.bandai_json)
    if checked:
        notes.append(
            f"Bandai Namco labels: {checked} clip names checked against their JSON label files, "
            f"{len(mismatched)} disagree"
            + (f" ({', '.join(mismatched[:5])})" if mismatched else "")
        )
    if mismatched:
        logger.warning("%d clips' names disagree with their JSON labels", len(mismatched))
    if scan.provided_mirrors:
        notes.append(
            f"{len(scan.provided_mirrors)} DeepMimic clips are mirrored copies of others in the "
            "archive and were skipped (every clip is mirrored by the pipeline itself)"
        )
    if scan.skipped_members:
        notes.append(
            f"{len(scan.skipped_members)} archive members are not motion clips and were skipped"
        )
    return sorted(results, key=lambda r: r.label.name), notes


def encode_captions(
    captions: Sequence[str],
    encoder: str | TextEncoder,
    *,
    batch_size: int = 64,
    progress: bool = False,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Token states (one [S_j, D] array per caption, real tokens only) and pooled vectors [U, D].

    Args:
        captions: the U captions.
        encoder: an encoder name (`momo.models.text_encoders.text_encoder_from_name`) or an
            encoder object (e.g. one loaded from local folders).
        batch_size: captions per forward pass.
        progress: show a progress bar.
    """
    from tqdm.auto import tqdm

    from momo.models.text_encoders import text_encoder_from_name

    if isinstance(encoder, str):
        encoder = text_encoder_from_name(encoder)
    tokens: list[np.ndarray] = []
    pooled: list[np.ndarray] = []
    bar = tqdm(total=len(captions), desc="encoding captions", unit="caption", disable=not progress)
    for start in range(0, len(captions), batch_size):
        embedding = encoder.encode(list(captions[start : start + batch_size]))
        for row in range(embedding.batch_size):
            mask = embedding.token_mask[row]
            tokens.append(embedding.tokens[row][mask].cpu().numpy().astype(np.float32))
        pooled.append(embedding.pooled.cpu().numpy().astype(np.float32))
        bar.update(embedding.batch_size)
    bar.close()
    return tokens, np.concatenate(pooled) if pooled else np.zeros((0, 0), np.float32)


def assemble_cache(
    clips: Sequence[ImportedClip],
    config: BuildConfig,
    *,
    notes: Sequence[str] = (),
    encoder: str | None = None,
    captions_of: Callable[[ClipLabel], Sequence[str]] = clip_captions,
) -> DataCache:
    """Split, caption, encode and gather imported clips into a :class:`DataCache`.

    ``captions_of`` gives the captions of a clip or mirrored copy (default: written from its
    labels by `momo.data.captions.clip_captions`; a folder build reads the user's captions).
    """
    notes = list(notes)
    kept: list[ImportedClip] = []
    dropped: list[dict[str, Any]] = []
    short: Counter[str] = Counter()
    short_seconds = 0.0
    for clip in clips:
        if clip.error is not None:
            notes.append(f"dropped {clip.label.name}: import failed ({clip.error})")
            dropped.append({"name": clip.label.name, "reason": clip.error})
        elif clip.features is None or clip.features.shape[0] < config.min_frames:
            frames = 0 if clip.features is None else int(clip.features.shape[0])
            short[f"{clip.label.source} / {clip.label.content}"] += 1
            short_seconds += frames / FPS
            dropped.append({"name": clip.label.name, "reason": f"{frames} frames"})
        else:
            kept.append(clip)
    if short:
        counts = ", ".join(f"{key} {n}" for key, n in sorted(short.items()))
        notes.append(
            f"dropped {sum(short.values())} clips shorter than the shortest window "
            f"({config.min_frames} frames = {config.min_frames / FPS:.1f} s; "
            f"{short_seconds / 3600:.3f} h in all): {counts}"
        )
    if not kept:
        raise MomoError("no clip could be imported; see the log for the reasons")
    split = split_clips(
        [c.label for c in kept], test_fraction=config.test_fraction, seed=config.seed
    )

    entries: list[tuple[ClipLabel, np.ndarray]] = []
    for clip in kept:
        entries.append((clip.label, clip.features))  # type: ignore[arg-type]
        entries.append((mirrored(clip.label), clip.mirrored_features))  # type: ignore[arg-type]
    caption_lists = [tuple(captions_of(label)) for label, _ in entries]
    captions = sorted({text for texts in caption_lists for text in texts})
    caption_row = {text: row for row, text in enumerate(captions)}

    records, arrays = [], []
    for (label, features), texts in zip(entries, caption_lists):
        frames = int(features.shape[0])
        records.append(
            ClipRecord(
                label=label,
                split=split[label.name.removesuffix("#mirror")],
                captions=tuple(caption_row[t] for t in texts),
                frames=frames,
                seconds=frames / FPS,
            )
        )
        arrays.append(features)
    train = [a for a, r in zip(arrays, records) if r.split == TRAIN]
    mean, std = feature_statistics(train, mode=config.statistics)  # type: ignore[arg-type]

    encoder_name = encoder or config.text_encoder
    started = time.monotonic()
    tokens, pooled = encode_captions(captions, encoder_name)
    logger.info("encoded %d captions in %.1f s", len(captions), time.monotonic() - started)
    return DataCache.from_clips(
        arrays,
        records,
        mean=mean,
        std=std,
        captions=captions,
        tokens=tokens,
        pooled=pooled,
        text_encoder=encoder_name,
        info={"build": config.to_dict(), "notes": notes, "dropped": dropped},
    )


def build_cache(config: BuildConfig, *, progress: bool = True) -> DataCache:
    """Import, convert, split, caption and encode everything (steps 1-3 of the module docstring).

    The build time in seconds is stored in ``cache.info["build_seconds"]``.
    """
    started = time.monotonic()
    clips, notes = import_clips(config, progress=progress)
    imported = time.monotonic()
    cache = assemble_cache(clips, config, notes=notes)
    cache.info["import_seconds"] = round(imported - started, 1)
    cache.info["build_seconds"] = round(time.monotonic() - started, 1)
    cache.info["clips_imported"] = len(clips)
    return cache


def default_data_root() -> Path:
    """``$MOMO_DATA_DIR``, else ``../shared/data`` beside the current directory."""
    if os.environ.get("MOMO_DATA_DIR"):
        return Path(os.environ["MOMO_DATA_DIR"]).expanduser()
    return Path("..") / "shared" / "data"
