"""Synthetic third-party-style BVH rigs, written in tests from the canonical SMPL skeleton.

`smpl_rig` poses HumanML3D's canonical skeleton (the 22 SMPL joints, centimetres, Y up) through a
few seconds of leg and arm swings and a walk along +Z, as local rotations. `rig_text` writes any
such rig as BVH text, optionally renamed (DAZ, LAFAN1, ... names) or seen in other axes (a Z-up
export); the tests import the variants and compare them with the plain SMPL-named import.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
    REST_DIRECTIONS,
)


@dataclass(frozen=True)
class Rig:
    """A BVH skeleton and its motion.

    Attributes:
        names: joint names, parents before children.
        parents: parent index per joint (-1 for the root).
        offsets: ``[J, 3]`` OFFSETs (file units).
        root_positions: ``[F, 3]`` root position channel values.
        rotations: ``[F, J]`` scipy rotations, local, one per joint and frame.
        frame_time: seconds per frame.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    root_positions: np.ndarray
    rotations: Rotation
    frame_time: float = 0.05


def smpl_rig(frames: int = 46, frame_time: float = 0.05) -> Rig:
    """The canonical SMPL skeleton (cm) walking 1 m/s along +Z, swinging legs and arms."""
    offsets = np.zeros((NUM_JOINTS, 3))
    for j in range(1, NUM_JOINTS):
        offsets[j] = REST_DIRECTIONS[j] * CANONICAL_BONE_LENGTHS[j] * 100.0
    ankle_height = -sum(offsets[j][1] for j in (0, 1, 4, 7))
    t = np.arange(frames) * frame_time
    swing = np.sin(2 * np.pi * t)
    rotvec = np.zeros((frames, NUM_JOINTS, 3))
    rotvec[:, 1, 0] = 0.4 * swing  # left hip about X
    rotvec[:, 2, 0] = -0.4 * swing
    rotvec[:, 4, 0] = 0.3 * (1 + swing)  # knees bend backwards
    rotvec[:, 5, 0] = 0.3 * (1 - swing)
    rotvec[:, 16, 2] = -1.2  # arms down from the T-pose
    rotvec[:, 17, 2] = 1.2
    rotvec[:, 18, 0] = 0.3 * swing
    rotvec[:, 19, 0] = -0.3 * swing
    rotvec[:, 0, 1] = 0.2 * np.sin(np.pi * t)  # the body turns a little
    root = np.stack([np.zeros(frames), np.full(frames, ankle_height + 5.0), 100.0 * t], axis=-1)
    return Rig(
        names=tuple(JOINT_NAMES),
        parents=tuple(PARENTS),
        offsets=offsets,
        root_positions=root,
        rotations=Rotation.from_rotvec(rotvec.reshape(-1, 3)),
        frame_time=frame_time,
    )


def renamed(rig: Rig, names: dict[str, str]) -> Rig:
    """The rig with joints renamed (SMPL name -> new name)."""
    return replace(rig, names=tuple(names.get(n, n) for n in rig.names))


def turned(rig: Rig, matrix: np.ndarray) -> Rig:
    """The same motion seen in axes turned by ``matrix`` (e.g. Y up -> Z up): every offset and
    the root path are turned, and every local rotation conjugated."""
    turn = Rotation.from_matrix(matrix)
    count = len(rig.names)
    turns = Rotation.from_matrix(np.broadcast_to(matrix, (len(rig.rotations), 3, 3)))
    rotations = turns * rig.rotations * turns.inv()
    assert len(rotations) == rig.root_positions.shape[0] * count
    return replace(
        rig,
        offsets=turn.apply(rig.offsets),
        root_positions=turn.apply(rig.root_positions),
        rotations=rotations,
    )


def rig_text(rig: Rig, frame_time: float | None = None) -> str:
    """BVH text of a rig: root with position and ZYX rotation channels, joints with ZYX, an End
    Site on every leaf."""
    count = len(rig.names)
    children = [[c for c in range(count) if rig.parents[c] == j] for j in range(count)]
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        keyword = "ROOT" if rig.parents[j] < 0 else "JOINT"
        lines.append(f"{pad}{keyword} {rig.names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.6f}' for v in rig.offsets[j])}")
        channels = "Zrotation Yrotation Xrotation"
        if rig.parents[j] < 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {channels}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {channels}")
        for c in children[j]:
            emit(c, depth + 1)
        if not children[j]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 0 1", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(0, 0)
    frames = rig.root_positions.shape[0]
    euler = rig.rotations.as_euler("ZYX", degrees=True).reshape(frames, count, 3)
    order = []

    def visit(j: int) -> None:
        order.append(j)
        for c in children[j]:
            visit(c)

    visit(0)
    time = rig.frame_time if frame_time is None else frame_time
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {time:.6f}"]
    for f in range(frames):
        values = list(rig.root_positions[f]) + [v for j in order for v in euler[f, j]]
        lines.append(" ".join(f"{v:.6f}" for v in values))
    return "\n".join(lines) + "\n"
