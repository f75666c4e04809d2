"""The `Motion` value type: raw HumanML3D features plus an optional caption."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from momo.constants import FEATURE_DIM, FPS
from momo.errors import MotionFormatError


@dataclass(frozen=True, eq=False)
class Motion:
    """A motion in HumanML3D's 263-d representation at 20 fps.

    Args:
        features: raw (un-normalised) features, float32 ``[T, 263]``.
        text: a caption, or None.
        name: where the motion came from (file name, "generated", ...), for titles and logs.
        meta: free-form provenance (source skeleton, joint map, frame rate, ...).

    Raises:
        MotionFormatError: if ``features`` is not a finite ``[T, 263]`` array with T >= 1.
    """

    features: np.ndarray
    text: str | None = None
    name: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        features = np.asarray(self.features)
        if features.ndim != 2 or features.shape[-1] != FEATURE_DIM:
            raise MotionFormatError(
                f"motion features must have shape [T, {FEATURE_DIM}], got {list(features.shape)}; "
                "pass HumanML3D features, or load joints with momo.load_motion"
            )
        if features.shape[0] < 1:
            raise MotionFormatError("motion has no frames; pass at least one frame of features")
        if not np.isfinite(features).all():
            raise MotionFormatError(
                "motion features contain NaN or Inf; clean the source data before using it"
            )
        object.__setattr__(self, "features", np.ascontiguousarray(features, dtype=np.float32))

    @property
    def fps(self) -> int:
        """Frame rate of the representation (always 20)."""
        return FPS

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.features.shape[0])

    def __len__(self) -> int:
        return self.num_frames

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return self.num_frames / FPS

    def joints(self) -> np.ndarray:
        """Joint positions in metres, float32 ``[T, 22, 3]`` (via `momo.features_to_joints`)."""
        from momo.motion.kinematics import features_to_joints

        return np.asarray(features_to_joints(self.features), dtype=np.float32)

    def with_text(self, text: str | None) -> Motion:
        """Return a copy with another caption."""
        return Motion(self.features, text=text, name=self.name, meta=dict(self.meta))

    def __repr__(self) -> str:
        text = f", text={self.text!r}" if self.text else ""
        name = f", name={self.name!r}" if self.name else ""
        return f"Motion(frames={self.num_frames}{text}{name})"
