"""Helpers of the CLI tests: a synthetic walk and the one-line error check."""

from __future__ import annotations

import numpy as np

from momo.motion.representation import CANONICAL_BONE_LENGTHS, NUM_JOINTS, PARENTS, REST_DIRECTIONS


def walking_joints(frames: int = 24, speed: float = 1.0) -> np.ndarray:
    """The canonical rest pose (facing +Z, feet on the floor) sliding along +Z with swinging
    hands, at 20 fps: float32 [frames, 22, 3] metres."""
    pose = np.zeros((NUM_JOINTS, 3))
    for joint in range(1, NUM_JOINTS):
        pose[joint] = pose[PARENTS[joint]] + REST_DIRECTIONS[joint] * CANONICAL_BONE_LENGTHS[joint]
    pose[:, 1] -= pose[:, 1].min()
    t = np.arange(frames) / 20.0
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 2] += speed * t[:, None]
    joints[:, [20, 21], 2] += 0.2 * np.sin(2 * np.pi * t)[:, None] * np.array([1.0, -1.0])
    return joints.astype(np.float32)


def check_one_line_error(stderr: str, command: str, *fragments: str) -> None:
    """stderr holds exactly one line, ``momo COMMAND: error: ...``, containing every fragment."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {stderr!r}"
    assert lines[0].startswith(f"momo {command}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
