"""Posed skeletons of motion files: vectorised forward kinematics and resampling to 20 fps.

Every importer (BVH, DeepMimic) turns its file into per-frame *local* joint rotations and
translations, resamples them to the target frame rate, and runs forward kinematics here to get a
`PosedSkeleton` (global positions and rotations of every source joint), which a joint map then
turns into the 22 SMPL joints.

Resampling method: a motion sampled at times ``t_i`` (any rate, even non-uniform) is evaluated at
``t_k = k / fps`` for ``k = 0 .. floor(duration * fps)``. Each local rotation is interpolated by
slerp between the two neighbouring source frames (shortest path), each local translation (root
position, animated offsets) linearly, and the joint positions come from forward kinematics of the
interpolated pose. Interpolating in the rotation domain keeps every bone length exact, which
linear interpolation of joint positions would not (it shortens bones that rotate between
samples). Where a target time coincides with a source frame (e.g. 120 -> 20 fps takes every
sixth frame, as HumanML3D does) the source pose is returned unchanged. No low-pass filter is
applied before downsampling, as in HumanML3D.

Quaternions here are scipy's scalar-last ``(x, y, z, w)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from momo.errors import MotionFormatError


@dataclass(frozen=True, eq=False)
class PosedSkeleton:
    """Global poses of every joint of a source skeleton over time.

    Attributes:
        names: source joint names, index = joint id.
        parents: parent of each joint (-1 for a root).
        positions: float64 ``[T, J, 3]`` global joint positions, in source units.
        rotations: float64 ``[T, J, 3, 3]`` global joint rotation matrices (the frame in which
            the joint's children offsets and end sites are expressed).
        rest_offsets: float64 ``[J, 3]`` each joint's offset from its parent in the rest pose
            (all local rotations identity), in its parent's frame, source units.
        end_sites: joint id -> float64 ``[3]`` local offset of its first End Site.
        fps: frame rate of the poses.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    positions: np.ndarray
    rotations: np.ndarray
    rest_offsets: np.ndarray
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)
    fps: float = 20.0

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.positions.shape[0])

    def turned(self, matrix: np.ndarray) -> PosedSkeleton:
        """The same poses seen in axes turned by a rotation ``matrix`` ``[3, 3]`` (world frame)."""
        matrix = np.asarray(matrix, dtype=np.float64)
        return PosedSkeleton(
            names=self.names,
            parents=self.parents,
            positions=self.positions @ matrix.T,
            rotations=matrix @ self.rotations,
            rest_offsets=self.rest_offsets,
            end_sites=self.end_sites,
            fps=self.fps,
        )

    def local_point(self, joint: int, offset: np.ndarray) -> np.ndarray:
        """Positions ``[T, 3]`` of a point fixed in a joint's local frame at ``offset`` ``[3]``."""
        return self.positions[:, joint] + self.rotations[:, joint] @ np.asarray(offset, float)

    def rest_vector(self, joint: int, target: int) -> np.ndarray | None:
        """Vector ``[3]`` from ``joint`` to its descendant ``target`` in the rest pose, in
        ``joint``'s frame (the sum of the rest offsets along the chain); None if ``target`` does
        not descend from ``joint``."""
        vector = np.zeros(3)
        node = target
        while node != joint:
            if node < 0:
                return None
            vector += self.rest_offsets[node]
            node = self.parents[node]
        return vector


def rest_pose(
    names: tuple[str, ...],
    parents: tuple[int, ...],
    offsets: np.ndarray,
    end_sites: dict[int, np.ndarray] | None = None,
) -> PosedSkeleton:
    """The one-frame pose with every local rotation zero (a skeleton's rest pose).

    Args:
        names: joint names.
        parents: parent of each joint (-1 for a root); parents precede children.
        offsets: ``[J, 3]`` each joint's offset from its parent (a root's is its position).
        end_sites: joint id -> local End Site offset ``[3]``.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    quats = np.zeros((1, len(names), 4))
    quats[..., 3] = 1.0
    positions, rotations = forward_kinematics(parents, quats, offsets[None])
    return PosedSkeleton(
        names=tuple(names),
        parents=tuple(parents),
        positions=positions,
        rotations=rotations,
        rest_offsets=offsets,
        end_sites=dict(end_sites or {}),
        fps=1.0,
    )


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of scalar-last quaternions ``[..., 4]`` (rotation b, then a)."""
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def euler_to_quat(angles: np.ndarray, order: str, *, degrees: bool = True) -> np.ndarray:
    """Quaternions of intrinsic Euler rotations (BVH convention), vectorised.

    ``order="ZXY"`` with angles ``(z, x, y)`` is ``Rz @ Rx @ Ry``, the same as scipy's
    ``Rotation.from_euler("ZXY", angles)``; this is a faster equivalent for large batches.

    Args:
        angles: ``[..., len(order)]`` angles, one per axis in ``order``.
        order: upper-case axes, e.g. ``"ZXY"`` (1 to 3 of them).
        degrees: angles in degrees (else radians).

    Returns:
        ``[..., 4]`` unit quaternions ``(x, y, z, w)``.
    """
    half = np.radians(angles) / 2.0 if degrees else np.asarray(angles, float) / 2.0
    out = np.zeros((*half.shape[:-1], 4))
    out[..., 3] = 1.0
    for k, axis in enumerate(order):
        q = np.zeros((*half.shape[:-1], 4))
        q[..., "XYZ".index(axis)] = np.sin(half[..., k])
        q[..., 3] = np.cos(half[..., k])
        out = quat_multiply(out, q)
    return out


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices ``[..., 3, 3]`` of unit scalar-last quaternions ``[..., 4]``."""
    x, y, z, w = np.moveaxis(q, -1, 0)
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz = x * y, x * z, y * z
    wx, wy, wz = w * x, w * y, w * z
    m = np.stack(
        [
            1 - 2 * (yy + zz),
            2 * (xy - wz),
            2 * (xz + wy),
            2 * (xy + wz),
            1 - 2 * (xx + zz),
            2 * (yz - wx),
            2 * (xz - wy),
            2 * (yz + wx),
            1 - 2 * (xx + yy),
        ],
        axis=-1,
    )
    return m.reshape(*q.shape[:-1], 3, 3)


def target_times(duration: float, fps: float) -> np.ndarray:
    """Sample times ``k / fps`` for ``k = 0 .. floor(duration * fps)`` (float64 ``[T]``).

    A small tolerance absorbs frame times written with few digits (``0.0333333`` for 30 fps).
    """
    count = int(np.floor(duration * fps + 1e-4)) + 1
    return np.arange(count, dtype=np.float64) / fps


def _bracket(src_times: np.ndarray, dst_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the source frame at or before each target time, and the blend weight to the next."""
    last = len(src_times) - 1
    if last == 0:
        return np.zeros(len(dst_times), dtype=np.int64), np.zeros(len(dst_times))
    idx = np.searchsorted(src_times, dst_times, side="right") - 1
    idx = np.clip(idx, 0, last - 1)
    span = src_times[idx + 1] - src_times[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(span > 0, (dst_times - src_times[idx]) / span, 0.0)
    return idx, np.clip(weight, 0.0, 1.0)


def slerp_quaternions(q0: np.ndarray, q1: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spherical linear interpolation along the shortest path.

    Args:
        q0, q1: unit quaternions ``[..., 4]`` (either convention; only the dot product matters).
        weight: blend weights broadcastable to ``[...]``, 0 gives ``q0``, 1 gives ``q1``.

    Returns:
        Unit quaternions ``[..., 4]``.
    """
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0.0, -q1, q1)
    dot = np.clip(np.abs(dot), 0.0, 1.0)
    w = np.asarray(weight, dtype=np.float64)[..., None]
    theta = np.arccos(dot)
    sin_theta = np.sin(theta)
    small = sin_theta < 1e-8
    safe = np.where(small, 1.0, sin_theta)
    a = np.where(small, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    b = np.where(small, w, np.sin(w * theta) / safe)
    out = a * q0 + b * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def resample_local(
    quats: np.ndarray,
    translations: np.ndarray,
    src_times: np.ndarray,
    dst_times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Resample local poses: slerp for rotations, linear for translations.

    Args:
        quats: ``[F, J, 4]`` unit quaternions of the local rotations.
        translations: ``[F, J, 3]`` local translations.
        src_times: ``[F]`` increasing source times in seconds.
        dst_times: ``[T]`` target times (within ``[src_times[0], src_times[-1]]``).

    Returns:
        ``(quats [T, J, 4], translations [T, J, 3])``.
    """
    idx, weight = _bracket(src_times, dst_times)
    if len(src_times) == 1:
        return quats[idx], translations[idx]
    nxt = idx + 1
    out_q = slerp_quaternions(quats[idx], quats[nxt], weight[:, None])
    w = weight[:, None, None]
    out_t = (1.0 - w) * translations[idx] + w * translations[nxt]
    exact = weight == 0.0
    out_q[exact] = quats[idx[exact]]
    return out_q, out_t


def forward_kinematics(
    parents: tuple[int, ...] | list[int],
    quats: np.ndarray,
    translations: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Global positions and rotations from local ones, vectorised over frames.

    ``global_rot[j] = global_rot[parent] @ local_rot[j]`` and
    ``position[j] = position[parent] + global_rot[parent] @ translation[j]``; a root's
    translation is its position. Parents must precede their children.

    Args:
        parents: parent index per joint (-1 for roots).
        quats: ``[T, J, 4]`` local rotations, scipy ``(x, y, z, w)``.
        translations: ``[T, J, 3]`` local translations (offsets from the parent).

    Returns:
        ``(positions [T, J, 3], rotations [T, J, 3, 3])``, float64.
    """
    num_frames, num_joints = quats.shape[:2]
    local = quat_to_matrix(quats / np.linalg.norm(quats, axis=-1, keepdims=True))
    positions = np.empty((num_frames, num_joints, 3))
    rotations = np.empty((num_frames, num_joints, 3, 3))
    for j, p in enumerate(parents):
        if p < 0:
            rotations[:, j] = local[:, j]
            positions[:, j] = translations[:, j]
        else:
            if p >= j:
                raise MotionFormatError("skeleton joints must be listed parents first")
            rotations[:, j] = rotations[:, p] @ local[:, j]
            positions[:, j] = positions[:, p] + np.einsum(
                "tab,tb->ta", rotations[:, p], translations[:, j]
            )
    return positions, rotations
