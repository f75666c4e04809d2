"""momo-motion: zero-shot motion transfer with motion diffusion models (MoMo).

A *leader* motion gives the outline (what happens, when, along which path); each *follower*
gives the motifs (style, gestures, nuance). Importing this package stays light: the public
names below are resolved on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it (the documented public API). Resolved lazily so `import momo` does not
# pull in torch, transformers or matplotlib.
_EXPORTS: dict[str, str] = {
    "MomoError": "momo.errors",
    "MotionFormatError": "momo.errors",
    "ModelLoadError": "momo.errors",
    "TransferError": "momo.errors",
    "OutputExistsError": "momo.errors",
    "EvaluationError": "momo.errors",
    "Motion": "momo.motion.motion",
    "features_to_joints": "momo.motion.kinematics",
    "joints_to_features": "momo.motion.kinematics",
    "fix_feet": "momo.motion.fix_feet",
    "load_motion": "momo.io.api",
    "save_motion": "momo.io.api",
    "TextEncoder": "momo.models.text_encoders",
    "TextEmbedding": "momo.text_embedding",
    "MotionDiffusionModel": "momo.models.bundle",
    "load_model": "momo.models.loading",
    "invert": "momo.pipelines.invert",
    "generate": "momo.pipelines.generate",
    "transfer": "momo.pipelines.transfer.pipeline",
    "TransferResult": "momo.pipelines.transfer.result",
    "T2MEvaluator": "momo.evaluation.evaluator",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'momo' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from momo.errors import (
        EvaluationError,
        ModelLoadError,
        MomoError,
        MotionFormatError,
        OutputExistsError,
        TransferError,
    )
    from momo.evaluation.evaluator import T2MEvaluator
    from momo.io.api import load_motion, save_motion
    from momo.models.bundle import MotionDiffusionModel
    from momo.models.loading import load_model
    from momo.models.text_encoders import TextEncoder
    from momo.motion.fix_feet import fix_feet
    from momo.motion.kinematics import features_to_joints, joints_to_features
    from momo.motion.motion import Motion
    from momo.pipelines.generate import generate
    from momo.pipelines.invert import invert
    from momo.pipelines.transfer.pipeline import transfer
    from momo.pipelines.transfer.result import TransferResult
    from momo.text_embedding import TextEmbedding
