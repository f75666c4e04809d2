"""BVH files in and out.

Reading (`read_bvh_joints`): parse any hierarchy (`momo.io.bvh_parse`), turn channels into local
rotations and translations, resample to 20 fps (slerp of rotations, see `momo.io.skeleton`), run
forward kinematics, map the skeleton onto the 22 SMPL joints (`momo.io.joint_maps`, chosen by
joint names or passed by the caller), turn it Y up (the up axis is detected from the rest pose,
`momo.io.up_axis`, or given) and scale to metres. The result keeps the file's own placement.

Writing (`write_bvh`): see `momo.io.bvh_write`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from momo.io.bvh_parse import BVHClip, decode_text, nominal_fps, parse_bvh
from momo.io.bvh_pose import clip_local_pose, clip_rest_pose, pose_clip
from momo.io.bvh_write import bvh_text, write_bvh
from momo.io.joint_maps import (
    JointMap,
    detect_joint_map,
    import_skeleton,
    load_joint_map,
)
from momo.io.up_axis import source_up_axis, turn_y_up
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


def read_bvh_joints(
    source: str | os.PathLike[str] | BVHClip,
    *,
    joint_map: JointMap | dict[str, Any] | str | os.PathLike[str] | None = None,
    scale: float | None = None,
    up_axis: str = "auto",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import a BVH file as the 22 SMPL joints in metres at 20 fps, Y up.

    Args:
        source: a BVH path or an already parsed clip.
        joint_map: None to choose a known map by joint names, or a map (see
            `momo.io.joint_maps.load_joint_map`).
        scale: source units -> metres; None uses the map's unit or infers it from the size.
        up_axis: the file's up axis (``"y"``, ``"z"``, ``"-x"``, ...) or ``"auto"`` to detect it.

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
        detect_joint_map(clip.names, clip.source, parents=clip.parents)
        if joint_map is None
        else load_joint_map(joint_map)
    )
    skel = pose_clip(clip, FPS)
    axis, how = source_up_axis(skel, jmap, up_axis, clip_rest_pose(clip), clip.source)
    return import_skeleton(
        turn_y_up(skel, axis),
        jmap,
        scale,
        format_name="bvh",
        source=clip.source,
        details={
            "source_joints": len(clip.joints),
            "source_fps": nominal_fps(clip.frame_time),
            "source_frames": clip.num_frames,
            "up_axis": axis,
            "up_axis_source": how,
        },
    )
