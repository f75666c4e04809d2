"""Synthetic periodic motions with a designed gait, for the mechanism tests (no data needed)."""

from __future__ import annotations

import numpy as np

from momo.motion.representation import FOOT_CONTACT

#: One gait cycle of `GAIT`: left support, double, right support, flight (each `STEP` frames).
STEP = 5
GAIT = np.repeat(np.array([1, 3, 2, 0]), STEP)


def walker_joints(num_frames: int, *, seed: int = 0, period: float = 20.0) -> np.ndarray:
    """``[T, 22, 3]`` joints of a skeleton whose bones swing with one period, walking forward."""
    from scipy.spatial.transform import Rotation

    from momo.motion.ik import forward_kinematics
    from momo.motion.representation import CANONICAL_BONE_LENGTHS

    rng = np.random.default_rng(seed)
    t = np.arange(num_frames, dtype=np.float64)[:, None, None]
    amplitude = rng.uniform(0.1, 0.4, (1, 22, 3))
    phase = rng.uniform(0.0, 2 * np.pi, (1, 22, 3))
    rotvec = amplitude * np.sin(2 * np.pi * t / period + phase)
    rotvec[:, 0] = 0.0
    quats = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_quat().reshape(num_frames, 22, 4)
    tt = t[:, 0, 0]
    root = np.stack(
        [np.zeros_like(tt), 0.95 + 0.03 * np.sin(4 * np.pi * tt / period), 0.05 * tt], axis=-1
    )
    return forward_kinematics(quats, root, CANONICAL_BONE_LENGTHS)


def walker_features(num_frames: int, *, seed: int = 0, offset: int = 0) -> np.ndarray:
    """``[T, 263]`` features of `walker_joints` with foot contacts set to the `GAIT` cycle
    (started ``offset`` frames into it)."""
    from momo.motion.kinematics import joints_to_features

    features = np.asarray(joints_to_features(walker_joints(num_frames + 1, seed=seed)))
    phase = gait_labels(num_frames, offset)
    left = (phase == 1) | (phase == 3)
    right = (phase == 2) | (phase == 3)
    contacts = np.stack([left, left, right, right], axis=1).astype(np.float32)
    features[:, FOOT_CONTACT] = contacts
    return features.astype(np.float32)


def gait_labels(num_frames: int, offset: int = 0) -> np.ndarray:
    """The designed gait phase of each frame (0 flight, 1 left, 2 right, 3 double)."""
    return GAIT[(np.arange(num_frames) + offset) % GAIT.size]
