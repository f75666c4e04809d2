"""Poses of a parsed BVH clip: channels -> local rotations and translations -> global poses.

Used by the BVH reader (`momo.io.bvh`) and by the writer's read-back check
(`momo.io.bvh_write`), so neither imports the other.
"""

from __future__ import annotations

import numpy as np

from momo.errors import MotionFormatError
from momo.io.budget import check_frame_rate, check_pose_size
from momo.io.bvh_parse import BVHClip
from momo.io.skeleton import (
    PosedSkeleton,
    euler_to_quat,
    forward_kinematics,
    resample_local,
    rest_pose,
    target_times,
)
from momo.motion.representation import FPS


def clip_local_pose(clip: BVHClip, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations and translations of every joint in (some) frames of a clip.

    Translations start from each joint's OFFSET; a position channel replaces the component on
    its axis. Rotation channels are intrinsic Euler angles in listed order (degrees).

    Args:
        clip: the parsed clip.
        rows: indices of the frames wanted (default: all).

    Returns:
        ``(quats [F, J, 4] scipy (x, y, z, w), translations [F, J, 3])`` in file units.
    """
    motion = clip.motion if rows is None else clip.motion[rows]
    num_frames, num_joints = motion.shape[0], len(clip.joints)
    quats = np.zeros((num_frames, num_joints, 4))
    quats[..., 3] = 1.0
    translations = np.empty((num_frames, num_joints, 3))
    groups: dict[str, list[tuple[int, list[int]]]] = {}
    for j, (joint, columns) in enumerate(zip(clip.joints, clip.channel_columns())):
        translations[:, j] = joint.offset
        rotation_columns: list[int] = []
        for column, channel in zip(columns, joint.channels):
            if channel.endswith("position"):
                translations[:, j, "XYZ".index(channel[0])] = motion[:, column]
            else:
                rotation_columns.append(column)
        if rotation_columns:
            groups.setdefault(joint.rotation_order, []).append((j, rotation_columns))
    for order, items in groups.items():
        joint_ids = [j for j, _ in items]
        angles = np.stack([motion[:, cols] for _, cols in items], axis=1)
        quats[:, joint_ids] = euler_to_quat(angles, order)
    return quats, translations


def pose_clip(clip: BVHClip, fps: float = FPS) -> PosedSkeleton:
    """Global poses of every joint of a clip, resampled to ``fps`` (file units).

    Frames are resampled by slerp of local rotations and linear interpolation of translations
    (`momo.io.skeleton`); a clip already at ``fps`` is left as it is. Only the source frames
    next to a target time are turned into rotations, and the number of target frames is checked
    against `momo.io.budget.MAX_POSE_VALUES` before anything is allocated.

    Raises:
        MotionFormatError: if the frame rate is implausible or the clip too long to hold.
    """
    check_frame_rate(clip.fps, clip.source)
    num_joints = len(clip.joints)
    duration = (clip.num_frames - 1) * clip.frame_time
    if abs(clip.frame_time * fps - 1.0) <= 1e-6:
        check_pose_size(duration, clip.fps, num_joints, clip.source)
        quats, translations = clip_local_pose(clip)
    else:
        check_pose_size(duration, fps, num_joints, clip.source)
        src = np.arange(clip.num_frames) * clip.frame_time
        dst = target_times(src[-1], fps)
        nearest = np.searchsorted(src, dst, side="right") - 1
        rows = np.unique(np.clip(np.concatenate([nearest, nearest + 1]), 0, len(src) - 1))
        quats, translations = clip_local_pose(clip, rows)
        quats, translations = resample_local(quats, translations, src[rows], dst)
    positions, rotations = forward_kinematics(clip.parents, quats, translations)
    if not np.isfinite(positions).all():
        raise MotionFormatError(
            f"{clip.source}: the poses overflow (offsets or positions too large); check the file"
        )
    return PosedSkeleton(
        names=clip.names,
        parents=clip.parents,
        positions=positions,
        rotations=rotations,
        rest_offsets=np.array([joint.offset for joint in clip.joints]),
        end_sites=_end_sites(clip),
        fps=float(fps),
    )


def clip_rest_pose(clip: BVHClip) -> PosedSkeleton:
    """The clip's skeleton with every rotation zero and every offset as in the HIERARCHY."""
    offsets = np.array([joint.offset for joint in clip.joints])
    return rest_pose(clip.names, clip.parents, offsets, _end_sites(clip))


def _end_sites(clip: BVHClip) -> dict[int, np.ndarray]:
    return {j: joint.end_sites[0] for j, joint in enumerate(clip.joints) if len(joint.end_sites)}
