"""Training data from BVH / DeepMimic archives: captions, windows, mirroring, statistics.

- `labels`: content/style labels of Bandai Namco and DeepMimic clips, left/right mirroring.
- `captions`: captions written from labels with varied templates.
- `splits`: the held-out test split by clip (seeded, stratified by label).
- `windows`: 2-8 s windows over whole-clip feature arrays and random crops.
- `statistics`: Mean/Std of the train split (HumanML3D's grouped Std).
- `build`: import, features, mirrored copies, captions and text embeddings -> one cache file.
- `folder` / `sidecars`: the same build from a user's folder of captioned motion files.
- `cache`: the cache file format (`DataCache`); `card`: clips and hours per label and split.
- `dataset`: `TrainingSet`, batches of normalised windows, frame masks and cached text.
- `synthetic`: a tiny random cache for tests and smoke runs.
- `humanml3d`: a user's HumanML3D folder (`HumanML3D`), as the evaluation reads it.
- `humanml3d_build`: the training cache of a HumanML3D folder (its split, Mean/Std, caption spans).
- `local_encoders`: the caption encoder of a build or run, from local model folders.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {"HumanML3D": "momo.data.humanml3d"}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'momo.data' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
