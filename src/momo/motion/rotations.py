"""Rotation helpers on top of `scipy.spatial.transform.Rotation`.

Quaternions here are NumPy arrays in SciPy's scalar-last order ``(x, y, z, w)``. SciPy composes
and inverts them without canonicalising the sign, which HumanML3D's angular-velocity feature
depends on (it is ``arcsin`` of the ``y`` component of a raw quaternion product).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

IDENTITY_QUAT = np.array([0.0, 0.0, 0.0, 1.0])
"""The identity rotation as a scalar-last quaternion ``(x, y, z, w)``."""


def shortest_arc(
    source: np.ndarray, target: np.ndarray, *, fallback_axis: np.ndarray | None = None
) -> np.ndarray:
    """Quaternions of the smallest rotations taking ``source`` directions onto ``target``.

    The unnormalised quaternion is ``(source x target, |source||target| + source . target)``,
    HumanML3D's ``qbetween``; its scalar part is never negative. Where the two directions are
    opposite (any rotation by pi about a perpendicular axis would do, and HumanML3D produces
    NaN), the rotation is by pi about ``fallback_axis`` if it is perpendicular to ``source``,
    else about a perpendicular axis chosen from ``source``. Where either vector is zero the result
    is the identity.

    Args:
        source: ``[N, 3]`` or ``[3]`` vectors (any non-negative length).
        target: ``[N, 3]`` or ``[3]`` vectors, broadcast against ``source``.
        fallback_axis: optional ``[3]`` axis for opposite directions.

    Returns:
        float64 ``[N, 4]`` unit quaternions ``(x, y, z, w)``.
    """
    source, target = np.broadcast_arrays(
        np.atleast_2d(np.asarray(source, dtype=np.float64)),
        np.atleast_2d(np.asarray(target, dtype=np.float64)),
    )
    lengths = np.sqrt((source**2).sum(-1) * (target**2).sum(-1))
    quat = np.concatenate(
        [np.cross(source, target), (lengths + (source * target).sum(-1))[:, None]], axis=-1
    )
    norm = np.linalg.norm(quat, axis=-1)
    zero = lengths <= 1e-12
    opposite = ~zero & (norm <= 1e-9 * lengths)
    quat[zero] = IDENTITY_QUAT
    if opposite.any():
        quat[opposite] = _half_turn_about_perpendicular(source[opposite], fallback_axis)
    norm = np.linalg.norm(quat, axis=-1, keepdims=True)
    return quat / norm


def _half_turn_about_perpendicular(
    source: np.ndarray, fallback_axis: np.ndarray | None
) -> np.ndarray:
    """``[M, 4]`` quaternions of a rotation by pi about an axis perpendicular to each ``source``."""
    unit = source / np.linalg.norm(source, axis=-1, keepdims=True)
    if fallback_axis is not None:
        axis = np.broadcast_to(np.asarray(fallback_axis, dtype=np.float64), unit.shape).copy()
        axis = axis - (axis * unit).sum(-1, keepdims=True) * unit
    else:
        axis = np.zeros_like(unit)
    weak = np.linalg.norm(axis, axis=-1) <= 1e-6
    if weak.any():
        basis = np.eye(3)[np.argmin(np.abs(unit[weak]), axis=-1)]
        axis[weak] = np.cross(unit[weak], basis)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    return np.concatenate([axis, np.zeros_like(axis[:, :1])], axis=-1)


def apply_per_frame(rotations: Rotation, points: np.ndarray) -> np.ndarray:
    """Rotate every point of frame t by rotation t.

    Args:
        rotations: a stack of T rotations.
        points: ``[T, J, 3]``.

    Returns:
        ``[T, J, 3]``.
    """
    return np.einsum("tij,tkj->tki", rotations.as_matrix(), points)


def matrix_to_6d(matrices: np.ndarray) -> np.ndarray:
    """Continuous 6-D rotation representation: the first two matrix columns, concatenated.

    Args:
        matrices: ``[..., 3, 3]`` rotation matrices.

    Returns:
        ``[..., 6]``: ``(R[:, 0], R[:, 1])``.
    """
    return np.concatenate([matrices[..., :, 0], matrices[..., :, 1]], axis=-1)
