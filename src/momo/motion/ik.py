"""HumanML3D's inverse and forward kinematics on the 22-joint skeleton (NumPy).

Rotations are scalar-last quaternions ``(x, y, z, w)`` (SciPy's order), ``[T, 22, 4]``, where
index 0 holds the root rotation and index j > 0 the local rotation of the bone parent(j) -> j
relative to the accumulated rotation of its chain. Two quirks of the reference are kept because
official checkpoints were trained on features made with them (HumanML3D's inverse kinematics):

* the root rotation's facing direction uses ``across = (p[1] - p[2]) + (p[17] - p[16])`` (the hip
  term points left and the shoulder term right, so the shoulders dominate), and frame 0's root
  rotation is fixed to the identity;
* both arm chains start at joint 9 from the *root* rotation, not from the rotation accumulated
  along the spine.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation

from momo.motion.representation import KINEMATIC_CHAINS, NUM_JOINTS, REST_DIRECTIONS
from momo.motion.rotations import IDENTITY_QUAT, shortest_arc

UP = np.array([0.0, 1.0, 0.0])
"""World up (+Y)."""
FORWARD = np.array([0.0, 0.0, 1.0])
"""The canonical facing (+Z)."""

FORWARD_SMOOTHING_SIGMA = 20.0
"""Standard deviation, in frames, of the Gaussian that smooths the IK facing direction."""

_EPS = 1e-9


def facing_directions(
    joints: np.ndarray, across_joints: tuple[int, int, int, int], *, smooth: bool = False
) -> np.ndarray:
    """Per-frame horizontal facing direction, HumanML3D style.

    ``across = (p[a] - p[b]) + (p[c] - p[d])`` for ``across_joints = (a, b, c, d)`` is normalised,
    ``forward = cross(up, across)``; if ``smooth``, ``forward`` (not yet renormalised) is
    smoothed over time with ``gaussian_filter1d(sigma=20, mode="nearest")``; then it is normalised.

    Args:
        joints: ``[T, 22, 3]`` positions.
        across_joints: the four joint indices ``(a, b, c, d)`` above. HumanML3D's IK uses
            ``(1, 2, 17, 16)``; its initial facing uses the right-minus-left ``(2, 1, 17, 16)``.
        smooth: apply the temporal Gaussian smoothing.

    Returns:
        float64 ``[T, 3]`` unit vectors with zero Y; all-zero rows where the direction is undefined
        (the across vector is zero or vertical).
    """
    a, b, c, d = across_joints
    across = (joints[:, a] - joints[:, b]) + (joints[:, c] - joints[:, d])
    across = _normalise(across)
    forward = np.cross(UP, across)
    if smooth:
        forward = gaussian_filter1d(forward, FORWARD_SMOOTHING_SIGMA, axis=0, mode="nearest")
    return _normalise(forward)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > _EPS)


def heading_rotations(forward: np.ndarray) -> np.ndarray:
    """Rotations about +Y that map each facing direction onto +Z.

    Args:
        forward: ``[T, 3]`` horizontal directions (zero rows give the identity).

    Returns:
        ``[T, 4]`` quaternions ``(x, y, z, w)`` with ``w >= 0`` (HumanML3D's ``qbetween``); a
        direction exactly opposite to +Z gives a half turn about +Y.
    """
    return shortest_arc(forward, FORWARD, fallback_axis=UP)


def inverse_kinematics(joints: np.ndarray, *, smooth_forward: bool = False) -> np.ndarray:
    """HumanML3D's IK: root rotation and per-bone local rotations from joint positions.

    The root rotation maps the quirky facing direction (see the module docstring) onto +Z,
    except at frame 0 where it is the identity. Along each chain ``[c0, c1, ...]``, starting with
    ``R`` = the root rotation, bone ``c(j) -> c(j+1)`` gets
    ``local = inverse(R) * shortest_arc(rest direction of c(j+1), observed direction)``, stored
    at ``c(j+1)``, and ``R = R * local``. A zero-length bone (direction undefined) keeps its
    chain's current orientation, i.e. gets the identity local rotation up to rounding.

    Args:
        joints: float ``[T, 22, 3]`` positions (finite).
        smooth_forward: smooth the facing direction over time (HumanML3D does for the features,
            not for retargeting).

    Returns:
        float64 ``[T, 22, 4]`` quaternions ``(x, y, z, w)``; index 0 is the root rotation.
    """
    joints = np.asarray(joints, dtype=np.float64)
    num_frames = joints.shape[0]
    forward = facing_directions(joints, (1, 2, 17, 16), smooth=smooth_forward)
    root_quat = heading_rotations(forward)
    root_quat[0] = IDENTITY_QUAT

    quats = np.tile(IDENTITY_QUAT, (num_frames, NUM_JOINTS, 1))
    quats[:, 0] = root_quat
    root = Rotation.from_quat(root_quat)
    for chain in KINEMATIC_CHAINS:
        accumulated = root
        for parent, child in zip(chain[:-1], chain[1:]):
            rest = np.tile(REST_DIRECTIONS[child], (num_frames, 1))
            bone = joints[:, child] - joints[:, parent]
            zero = np.linalg.norm(bone, axis=-1) <= _EPS
            if zero.any():
                bone = np.where(zero[:, None], accumulated.apply(rest), bone)
            arc = Rotation.from_quat(shortest_arc(rest, bone))
            local = accumulated.inv() * arc
            quats[:, child] = local.as_quat()
            accumulated = accumulated * local
    return quats


def forward_kinematics(
    quats: np.ndarray, root_positions: np.ndarray, bone_lengths: np.ndarray
) -> np.ndarray:
    """HumanML3D's FK, the mirror of `inverse_kinematics`.

    Each chain starts from the root rotation (index 0); ``R = R * local(c(i))`` and
    ``p[c(i)] = p[c(i-1)] + R applied to (rest direction(c(i)) * bone length(c(i)))``.

    Args:
        quats: ``[T, 22, 4]`` quaternions ``(x, y, z, w)``, index 0 the root rotation.
        root_positions: ``[T, 3]`` root (pelvis) positions.
        bone_lengths: ``[22]`` length of each joint's bone to its parent (index 0 unused).

    Returns:
        float64 ``[T, 22, 3]`` positions.
    """
    quats = np.asarray(quats, dtype=np.float64)
    num_frames = quats.shape[0]
    offsets = REST_DIRECTIONS * np.asarray(bone_lengths, dtype=np.float64)[:, None]
    joints = np.zeros((num_frames, NUM_JOINTS, 3))
    joints[:, 0] = root_positions
    root = Rotation.from_quat(quats[:, 0])
    for chain in KINEMATIC_CHAINS:
        accumulated = root
        for parent, child in zip(chain[:-1], chain[1:]):
            accumulated = accumulated * Rotation.from_quat(quats[:, child])
            joints[:, child] = joints[:, parent] + accumulated.apply(
                np.tile(offsets[child], (num_frames, 1))
            )
    return joints
