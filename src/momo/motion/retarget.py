"""Retargeting onto HumanML3D's canonical skeleton and canonicalising a motion's placement."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from momo.errors import MotionFormatError
from momo.motion.ik import UP, forward_kinematics, heading_rotations, inverse_kinematics
from momo.motion.representation import CANONICAL_BONE_LENGTHS, FACE_JOINTS, NUM_JOINTS, PARENTS

_PARENT_INDEX = np.array(PARENTS[1:])


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Distance of every joint to its parent.

    Args:
        joints: ``[..., 22, 3]`` positions.

    Returns:
        ``[..., 22]`` lengths (index 0, the root, is 0).
    """
    joints = np.asarray(joints, dtype=np.float64)
    lengths = np.linalg.norm(joints[..., 1:, :] - joints[..., _PARENT_INDEX, :], axis=-1)
    return np.concatenate([np.zeros_like(lengths[..., :1]), lengths], axis=-1)


def leg_length(lengths: np.ndarray) -> float:
    """HumanML3D's leg length: right thigh (joint 5) plus right shin (joint 8).

    The reference measures each bone offset by its largest absolute component; offsets are
    bone length times an axis-aligned unit rest direction, so that is the bone length.
    """
    return float(lengths[5] + lengths[8])


def retarget(
    joints: np.ndarray, target_bone_lengths: np.ndarray = CANONICAL_BONE_LENGTHS
) -> np.ndarray:
    """Move a motion onto another skeleton the way HumanML3D does (``uniform_skeleton``).

    The root trajectory (all three coordinates) is scaled by the ratio of leg lengths (target
    over source, the source measured at frame 0); local rotations are solved by IK (without
    temporal smoothing) and FK re-poses the target skeleton with them. Every bone keeps its
    observed direction and gets the target length.

    Args:
        joints: float ``[T, 22, 3]`` positions (finite), any proportions.
        target_bone_lengths: ``[22]`` bone lengths of the target skeleton; default HumanML3D's.

    Returns:
        float64 ``[T, 22, 3]`` positions on the target skeleton.

    Raises:
        MotionFormatError: if the source's right leg has zero length at frame 0.
    """
    joints = np.asarray(joints, dtype=np.float64)
    target_bone_lengths = np.asarray(target_bone_lengths, dtype=np.float64)
    if target_bone_lengths.shape != (NUM_JOINTS,) or not (target_bone_lengths[1:] > 0).all():
        raise ValueError(
            f"target bone lengths must be {NUM_JOINTS} positive lengths (index 0 unused), got "
            f"shape {list(target_bone_lengths.shape)}"
        )
    source_leg = leg_length(bone_lengths(joints[0]))
    if not source_leg > 1e-6:
        raise MotionFormatError(
            "cannot retarget: the right hip, knee and ankle (joints 2, 5, 8) coincide at frame 0; "
            "check the joint map of the source skeleton"
        )
    scale = leg_length(np.asarray(target_bone_lengths)) / source_leg
    quats = inverse_kinematics(joints, smooth_forward=False)
    return forward_kinematics(quats, joints[:, 0] * scale, target_bone_lengths)


def canonicalize(joints: np.ndarray, target_bone_lengths: np.ndarray | None = None) -> np.ndarray:
    """HumanML3D's placement of a motion: retarget, floor, origin, face +Z.

    Steps (HumanML3D's ``process_file``, first part): `retarget` onto the canonical skeleton; subtract the lowest Y
    over all joints and frames; move frame 0's root to the XZ origin; rotate everything about +Y
    so frame 0 faces +Z, the facing being ``cross(up, across)`` with
    ``across = (p[R_hip] - p[L_hip]) + (p[R_shoulder] - p[L_shoulder])`` at frame 0.

    Args:
        joints: float ``[T, 22, 3]`` positions in metres (finite), Y up, SMPL joint order.
        target_bone_lengths: ``[22]`` target skeleton; default HumanML3D's canonical one.

    Returns:
        float64 ``[T, 22, 3]``: on the canonical skeleton, on the floor, frame 0's root at XZ
        origin and facing +Z (its left hip on +X).

    Raises:
        MotionFormatError: if the facing of frame 0 is undefined (hips and shoulders have no
            horizontal left-right extent) or the right leg has zero length.
    """
    if target_bone_lengths is None:
        target_bone_lengths = CANONICAL_BONE_LENGTHS
    positions = retarget(joints, target_bone_lengths)
    positions[..., 1] -= positions[..., 1].min()
    positions -= positions[0, 0] * np.array([1.0, 0.0, 1.0])

    r_hip, l_hip, r_shoulder, l_shoulder = FACE_JOINTS
    first = positions[0]
    across = (first[r_hip] - first[l_hip]) + (first[r_shoulder] - first[l_shoulder])
    across_norm = np.linalg.norm(across)
    forward = np.cross(UP, across / across_norm) if across_norm > 1e-9 else np.zeros(3)
    forward_norm = np.linalg.norm(forward)
    if not forward_norm > 1e-9:
        raise MotionFormatError(
            "cannot tell which way the first frame faces: the hips and shoulders (joints 1, 2, 16, "
            "17) have no horizontal left-right extent; check the joint map and the up axis (Y)"
        )
    facing = Rotation.from_quat(heading_rotations((forward / forward_norm)[None])[0])
    return facing.apply(positions.reshape(-1, 3)).reshape(positions.shape)
