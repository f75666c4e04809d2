"""Mean and Std of the 263-d features over a training split.

HumanML3D's procedure (``cal_mean_variance``) is the default: per-channel means, and standard
deviations averaged within each feature group (root angular velocity, root linear velocity, root
height, ric, rotations, local velocities, foot contacts), the contacts' divided by 5. Averaging
within a group keeps the relative scale of the channels of one group (so the loss weighs a joint
that barely moves no more than HumanML3D's does) and guards against near-zero channels; a floor
``min_std`` guards any remaining tiny value. ``"per_channel"`` is plain per-channel z-scoring
with the same floor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import (
    FEATURE_DIM,
    FOOT_CONTACT,
    LOCAL_VEL,
    RIC,
    ROOT_HEIGHT,
    ROOT_LIN_VEL,
    ROOT_ROT_VEL,
    ROT6D,
)

#: Feature groups whose standard deviations HumanML3D averages.
FEATURE_GROUPS: tuple[slice, ...] = (
    ROOT_ROT_VEL,
    ROOT_LIN_VEL,
    ROOT_HEIGHT,
    RIC,
    ROT6D,
    LOCAL_VEL,
    FOOT_CONTACT,
)

#: HumanML3D divides the foot-contact std by this ("feat_bias"), weighting contacts up.
CONTACT_STD_DIVISOR = 5.0


def feature_statistics(
    features: Iterable[np.ndarray],
    *,
    mode: Literal["grouped", "per_channel"] = "grouped",
    min_std: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and Std [263] (float32) over all frames of ``features``.

    Args:
        features: arrays [T_i, 263] (raw features of the training split).
        mode: ``"grouped"`` (HumanML3D's) or ``"per_channel"``.
        min_std: floor on every Std entry.

    Raises:
        MotionFormatError: for a wrong shape, non-finite values or no frames at all.
    """
    total = np.zeros(FEATURE_DIM, dtype=np.float64)
    total_sq = np.zeros(FEATURE_DIM, dtype=np.float64)
    count = 0
    for array in features:
        array = np.asarray(array)
        if array.ndim != 2 or array.shape[1] != FEATURE_DIM:
            raise MotionFormatError(f"expected features [T, {FEATURE_DIM}], got {array.shape}")
        if not np.isfinite(array).all():
            raise MotionFormatError("features contain NaN or infinite values")
        array = array.astype(np.float64)
        total += array.sum(axis=0)
        total_sq += np.square(array).sum(axis=0)
        count += array.shape[0]
    if count == 0:
        raise MotionFormatError("no frames to compute statistics from")
    mean = total / count
    # Two-pass-free variance; clip tiny negative values from rounding.
    std = np.sqrt(np.maximum(total_sq / count - np.square(mean), 0.0))
    if mode == "grouped":
        for group in FEATURE_GROUPS:
            std[group] = std[group].mean()
        std[FOOT_CONTACT] /= CONTACT_STD_DIVISOR
    elif mode != "per_channel":
        raise MotionFormatError(f"unknown statistics mode {mode!r} (grouped or per_channel)")
    std = np.maximum(std, min_std)
    return mean.astype(np.float32), std.astype(np.float32)
