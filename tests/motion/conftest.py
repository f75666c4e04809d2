"""Fixtures for the motion-representation tests: the HumanML3D sample, when `../shared` is present."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

SAMPLE_ID = "012314"


@pytest.fixture(scope="session")
def humanml3d_sample(shared_data: Path) -> dict[str, np.ndarray]:
    """HumanML3D motion 012314: ``features`` [170, 263], ``joints`` [170, 22, 3], ``mean``, ``std``."""
    folder = shared_data / "humanml3d-sample"
    if not folder.is_dir():
        pytest.skip(f"HumanML3D sample not found at {folder}")
    return {
        "features": np.load(folder / f"new_joint_vecs_{SAMPLE_ID}.npy"),
        "joints": np.load(folder / f"new_joints_{SAMPLE_ID}.npy"),
        "mean": np.load(folder / "Mean.npy"),
        "std": np.load(folder / "Std.npy"),
        "dir": folder,  # type: ignore[dict-item]
    }


def _make_motion(
    num_frames: int = 60,
    *,
    seed: int = 0,
    yaw_rate: float = 0.02,
    wiggle: float = 0.3,
    bone_scale: np.ndarray | float = 1.0,
    speed: float = 0.02,
) -> np.ndarray:
    """A smooth synthetic motion ``[T, 22, 3]`` (metres, Y up) built by posing a skeleton.

    Bones get sinusoidal local rotations of amplitude up to ``wiggle`` radians; the body turns
    about +Y by ``yaw_rate`` radians per frame and drifts forward by ``speed`` m per frame.
    ``bone_scale`` scales the canonical bone lengths (scalar or per joint ``[22]``).
    """
    from scipy.spatial.transform import Rotation

    from momo.motion.ik import forward_kinematics
    from momo.motion.representation import CANONICAL_BONE_LENGTHS

    rng = np.random.default_rng(seed)
    t = np.arange(num_frames, dtype=np.float64)[:, None, None]
    amplitude = rng.uniform(0.0, wiggle, (1, 22, 3))
    frequency = rng.uniform(0.05, 0.25, (1, 22, 3))
    phase = rng.uniform(0.0, 2 * np.pi, (1, 22, 3))
    rotvec = amplitude * np.sin(frequency * t + phase)
    rotvec[:, 0] = 0.0
    rotvec[:, 0, 1] = rng.uniform(-np.pi, np.pi) + yaw_rate * t[:, 0, 0]
    quats = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_quat().reshape(num_frames, 22, 4)
    tt = t[:, 0, 0]
    root = np.stack([0.3 * np.sin(0.05 * tt), 0.95 + 0.02 * np.sin(0.3 * tt), speed * tt], axis=-1)
    return forward_kinematics(quats, root, CANONICAL_BONE_LENGTHS * bone_scale)


@pytest.fixture(scope="session")
def make_motion() -> Callable[..., np.ndarray]:
    """Factory of synthetic motions (see `_make_motion`), independent of `../shared`."""
    return _make_motion
