"""Labelled real clips for `measure_mechanism`: a training-data cache's split, or a folder.

- `clips_from_cache`: the clips of one split (by default the held-out ``test`` split that a
  model built with ``momo data build`` + ``momo train`` never saw) of a data cache, with their
  content and style labels and one of their captions; mirrored copies are left out (the
  measurement mirrors clips itself).
- `clips_from_folder`: HumanML3D-style ``.npy`` feature files ``[T, 263]`` (the folder itself or
  its ``new_joint_vecs/``), captions from ``texts/<name>.txt`` when present; no motif labels.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from momo.analysis.mechanism import LabelledClip
from momo.errors import MotionFormatError
from momo.motion.motion import Motion
from momo.motion.representation import FEATURE_DIM

logger = logging.getLogger(__name__)


def _pick(count: int, limit: int | None, seed: int) -> list[int]:
    """Up to ``limit`` of ``range(count)``: a seeded choice, in ascending order."""
    if limit is None or limit >= count:
        return list(range(count))
    if limit < 1:
        raise MotionFormatError(f"limit must be >= 1, got {limit}")
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(count, size=limit, replace=False))


def clips_from_cache(
    path: str | os.PathLike[str],
    *,
    split: str = "test",
    limit: int | None = None,
    seed: int = 0,
    model_data: str | None = None,
) -> list[LabelledClip]:
    """Clips of one split of a training-data cache (see `momo data build`).

    Args:
        path: the cache file (``.safetensors``).
        split: ``"test"`` (held out) or ``"train"``.
        limit: at most this many clips (a seeded choice); None: all.
        seed: seed of the choice of clips and of each clip's caption.
        model_data: the data fingerprint a model was trained on
            (``model.config.extra["training_data"]``); a warning is logged when the cache is
            another one, since its test split may then not be held out for that model.

    Raises:
        MotionFormatError: not a cache, or no clip in that split.
    """
    from momo.data.cache import DataCache

    cache = DataCache.load(path)
    if model_data is not None and model_data != cache.fingerprint():
        logger.warning(
            "the model was trained on data %s, this cache is %s: its %r clips may not be "
            "held out for this model",
            model_data,
            cache.fingerprint(),
            split,
        )
    rows = cache.rows(split, mirrored=False)
    if not rows:
        raise MotionFormatError(f"{path}: the cache has no {split!r} clips")
    rng = np.random.default_rng(seed)
    clips = []
    for index in _pick(len(rows), limit, seed):
        record = cache.clips[rows[index]]
        caption = cache.captions[int(rng.choice(record.captions))]
        motion = Motion(
            np.asarray(cache.clip_features(rows[index]), dtype=np.float32),
            text=caption,
            name=record.label.name,
        )
        clips.append(LabelledClip(motion, record.label.content, record.label.style))
    return clips


def _caption(texts: Path, stem: str) -> str | None:
    """First caption of HumanML3D's ``texts/<stem>.txt`` (``caption#tokens#start#end`` lines)."""
    path = texts / f"{stem}.txt"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        caption = line.split("#", 1)[0].strip()
        if caption:
            return caption
    return None


def clips_from_folder(
    folder: str | os.PathLike[str], *, limit: int | None = None, seed: int = 0
) -> list[LabelledClip]:
    """HumanML3D-style feature files ``[T, 263]`` (raw, un-normalised) as unlabelled clips.

    Args:
        folder: holds ``*.npy`` feature files, or a ``new_joint_vecs/`` folder of them, and
            optionally ``texts/`` with HumanML3D caption files.
        limit: at most this many clips (a seeded choice of the sorted files); None: all.
        seed: seed of the choice.

    Raises:
        MotionFormatError: no feature files, or a file that is not ``[T, 263]`` and finite.
    """
    root = Path(folder)
    vectors = root / "new_joint_vecs" if (root / "new_joint_vecs").is_dir() else root
    files = sorted(vectors.glob("*.npy"))
    if not files:
        raise MotionFormatError(
            f"{root}: no .npy feature files (expected HumanML3D's new_joint_vecs/*.npy)"
        )
    texts = root / "texts"
    clips = []
    for index in _pick(len(files), limit, seed):
        path = files[index]
        features = np.load(path, allow_pickle=False)
        if features.ndim != 2 or features.shape[1] != FEATURE_DIM:
            raise MotionFormatError(
                f"{path}: expected [T, {FEATURE_DIM}] features, got {list(features.shape)}"
            )
        if not np.isfinite(features).all():
            raise MotionFormatError(f"{path}: features contain NaN or Inf")
        motion = Motion(
            features.astype(np.float32), text=_caption(texts, path.stem), name=path.stem
        )
        clips.append(LabelledClip(motion))
    return clips
