"""BVH files in and out.

Reading (`read_bvh_joints`): parse any hierarchy (`momo.io.bvh_parse`), turn channels into local
rotations and translations, resample to 20 fps (slerp of rotations, see `momo.io.skeleton`), run
forward kinematics, map the skeleton onto the 22 SMPL joints (`momo.io.joint_maps`, chosen by
joint names or passed by the caller) and scale to metres. The result keeps the file's own axes
(Y up is assumed, as in the BVH convention) and placement.

Writing (`write_bvh`): see `momo.io.bvh_write`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from momo.io.bvh_parse import BVHClip, decode_text, parse_bvh
from momo.io.bvh_write import bvh_text, write_bvh
from momo.io.joint_maps import (
    JointMap,
    detect_joint_map,
    import_skeleton,
    load_joint_map,
)
from momo.io.skeleton import (
    PosedSkeleton,
    euler_to_quat,
    forward_kinematics,
    resample_local,
    target_times,
)
from momo.motion.representation import FPS

__all__ = [
    "BVHClip",
    "bvh_text",
    "clip_local_pose",
    "parse_bvh",
    "pose_clip",
    "read_bvh",
    "read_bvh_joints",
    "write_bvh",
]


def read_bvh(path: str | os.PathLike[str]) -> BVHClip:
    """Parse a BVH file.

    Raises:
        FileNotFoundError: if the path does not exist.
        MotionFormatError: if the file is not a well-formed BVH file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"motion file not found: {path}")
    return parse_bvh(decode_text(path.read_bytes(), str(path)), source=str(path))


def clip_local_pose(clip: BVHClip) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations and translations of every joint in every frame of a clip.

    Translations start from each joint's OFFSET; a position channel replaces the component on
    its axis. Rotation channels are intrinsic Euler angles in listed order (degrees).

    Returns:
        ``(quats [F, J, 4] scipy (x, y, z, w), translations [F, J, 3])`` in file units.
    """
    num_frames, num_joints = clip.num_frames, len(clip.joints)
    quats = np.zeros((num_frames, num_joints, 4))
    quats[..., 3] = 1.0
    translations = np.empty((num_frames, num_joints, 3))
    groups: dict[str, list[tuple[int, list[int]]]] = {}
    for j, (joint, columns) in enumerate(zip(clip.joints, clip.channel_columns())):
        translations[:, j] = joint.offset
        rotation_columns: list[int] = []
        for column, channel in zip(columns, joint.channels):
            if channel.endswith("position"):
                translations[:, j, "XYZ".index(channel[0])] = clip.motion[:, column]
            else:
                rotation_columns.append(column)
        if rotation_columns:
            groups.setdefault(joint.rotation_order, []).append((j, rotation_columns))
    for order, items in groups.items():
        joint_ids = [j for j, _ in items]
        angles = np.stack([clip.motion[:, cols] for _, cols in items], axis=1)
        quats[:, joint_ids] = euler_to_quat(angles, order)
    return quats, translations


def pose_clip(clip: BVHClip, fps: float = FPS) -> PosedSkeleton:
    """Global poses of every joint of a clip, resampled to ``fps`` (file units).

    Frames are resampled by slerp of local rotations and linear interpolation of translations
    (`momo.io.skeleton`); a clip already at ``fps`` is left as it is.
    """
    quats, translations = clip_local_pose(clip)
    if abs(clip.frame_time * fps - 1.0) > 1e-6:
        src = np.arange(clip.num_frames) * clip.frame_time
        dst = target_times(src[-1], fps)
        quats, translations = resample_local(quats, translations, src, dst)
    positions, rotations = forward_kinematics(clip.parents, quats, translations)
    end_sites = {
        j: joint.end_sites[0] for j, joint in enumerate(clip.joints) if len(joint.end_sites)
    }
    return PosedSkeleton(
        names=clip.names,
        parents=clip.parents,
        positions=positions,
        rotations=rotations,
        rest_offsets=np.array([joint.offset for joint in clip.joints]),
        end_sites=end_sites,
        fps=float(fps),
    )


def read_bvh_joints(
    source: str | os.PathLike[str] | BVHClip,
    *,
    joint_map: JointMap | dict[str, Any] | str | os.PathLike[str] | None = None,
    scale: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import a BVH file as the 22 SMPL joints in metres at 20 fps.

    Args:
        source: a BVH path or an already parsed clip.
        joint_map: None to choose a known map by joint names, or a map (see
            `momo.io.joint_maps.load_joint_map`).
        scale: source units -> metres; None uses the map's unit or infers it from the size.

    Returns:
        ``(joints, info)``: float32 ``[T, 22, 3]`` and a dict describing the import (format,
        skeleton joint map, source frame rate and frame count, scale and how it was chosen,
        synthesised joints, height estimate).

    Raises:
        FileNotFoundError: if the path does not exist.
        MotionFormatError: for malformed files or skeletons no map fits.
    """
    clip = source if isinstance(source, BVHClip) else read_bvh(source)
    jmap = (
        detect_joint_map(clip.names, clip.source)
        if joint_map is None
        else load_joint_map(joint_map)
    )
    return import_skeleton(
        pose_clip(clip, FPS),
        jmap,
        scale,
        format_name="bvh",
        source=clip.source,
        details={
            "source_joints": len(clip.joints),
            "source_fps": clip.fps,
            "source_frames": clip.num_frames,
        },
    )
