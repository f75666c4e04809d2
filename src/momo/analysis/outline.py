"""Per-frame outline labels of a motion: gait phase from the foot contacts, root-motion phase.

The outline of a motion (the paper's term) is its timing: which foot is down, where in its
periodic cycle the body is. Two labels are read from the raw 263-d features:

- `gait_phase`: flight / left support / right support / double support from the four
  foot-contact channels (left ankle, left toe, right ankle, right toe);
- `root_phase`: the phase angle of the vertical bobbing of the root (the analytic signal of
  the detrended root height), cut into equal sectors. A walk bobs once per step, so each
  sector recurs once per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from momo.errors import TransferError
from momo.motion.representation import FEATURE_DIM, FOOT_CONTACT, ROOT_HEIGHT

#: Names of the `gait_phase` labels, by label value.
GAIT_PHASES: tuple[str, ...] = ("flight", "left support", "right support", "double support")

#: Default number of sectors of `root_phase`.
DEFAULT_ROOT_PHASE_BINS = 4


def _raw_features(features: Any) -> np.ndarray:
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != FEATURE_DIM or array.shape[0] < 1:
        raise TransferError(
            f"features must be a [T, {FEATURE_DIM}] array of raw features, got {list(array.shape)}"
        )
    return array


def gait_phase(features: Any, threshold: float = 0.5) -> np.ndarray:
    """Gait phase of each frame from the foot contacts.

    Args:
        features: ``[T, 263]`` raw (un-normalised) features.
        threshold: a contact channel above it counts as "on the ground".

    Returns:
        ``[T]`` int64: 0 flight, 1 left support, 2 right support, 3 double support
        (`GAIT_PHASES`).
    """
    contacts = _raw_features(features)[:, FOOT_CONTACT] > threshold
    left = contacts[:, 0] | contacts[:, 1]
    right = contacts[:, 2] | contacts[:, 3]
    return (left.astype(np.int64) + 2 * right.astype(np.int64)).astype(np.int64)


def root_phase(features: Any, bins: int = DEFAULT_ROOT_PHASE_BINS) -> np.ndarray:
    """Phase sector of the root's vertical oscillation in each frame.

    The root height is detrended (linear fit removed) and turned into its analytic signal
    (`scipy.signal.hilbert`); the angle, in ``[-pi, pi)``, is cut into ``bins`` equal sectors.

    Args:
        features: ``[T, 263]`` raw features.
        bins: number of sectors (>= 2).

    Returns:
        ``[T]`` int64 in ``0..bins-1`` (all zeros for a motion shorter than 4 frames or with a
        constant root height).
    """
    from scipy.signal import detrend, hilbert

    if bins < 2:
        raise TransferError(f"bins must be >= 2, got {bins}")
    height = _raw_features(features)[:, ROOT_HEIGHT][:, 0]
    if height.shape[0] < 4:
        return np.zeros(height.shape[0], dtype=np.int64)
    bobbing = detrend(height)
    if np.ptp(bobbing) <= 1e-9:
        return np.zeros(height.shape[0], dtype=np.int64)
    angle = np.angle(hilbert(bobbing))
    sector = np.floor((angle + np.pi) / (2 * np.pi) * bins).astype(np.int64)
    return np.clip(sector, 0, bins - 1)
