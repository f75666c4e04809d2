"""Which way is up in a motion file, and turning a Y-up copy of its joints.

BVH files say nothing about their axes. Most are Y up, but exporters from Z-up tools (Blender,
3ds Max, MotionBuilder set to Z up) write Z-up files, which a Y-up reader shows lying on the
floor. Two views of the mapped SMPL joints each name the axis along which the neck sits farthest
above the ankles (when one axis carries at least 80 % of that vector):

- the skeleton's *rest pose* (every local rotation zero), a T- or A-pose on most rigs, but not on
  all (Bandai Namco's rest pose lies along +X);
- the motion's median pose, which is wrong for clips spent lying or crawling.

When they agree, that axis is used; when they disagree and one of them says +Y, the BVH
convention (+Y) is kept; otherwise the rest pose wins; with neither decisive, +Y.

The turn that brings the detected axis to +Y is a proper rotation (never a mirror), so left and
right are kept; which way the body faces afterwards does not matter, as HumanML3D's
canonicalisation turns every motion to face +Z.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from momo.errors import MotionFormatError

if TYPE_CHECKING:  # pragma: no cover
    from momo.io.joint_maps import JointMap
    from momo.io.skeleton import PosedSkeleton

#: Values `up_axis=` takes.
UP_AXES: tuple[str, ...] = ("auto", "y", "z", "x", "-y", "-z", "-x")

# Rotation matrices taking each axis to +Y (right-handed, det +1).
_TO_Y_UP: dict[str, np.ndarray] = {
    "y": np.eye(3),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # -90 deg about X
    "-z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),  # +90 deg about X
    "x": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # +90 deg about Z
    "-x": np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # -90 deg about Z
    "-y": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]),  # 180 deg about X
}
# The dominant axis must carry this share of the up vector's length to decide on its own.
_DECISIVE = 0.8


def check_up_axis(value: str | None) -> str:
    """Normalise an ``up_axis`` argument (``"auto"``, ``"y"``, ``"Z"``, ``"+z"``, ``"-y"``, ...).

    Raises:
        MotionFormatError: for anything else.
    """
    if value is None:
        return "auto"
    text = str(value).strip().lower().lstrip("+")
    if text not in UP_AXES:
        raise MotionFormatError(
            f"up axis {value!r} is not one of {', '.join(UP_AXES)}; pass auto to detect it"
        )
    return text


def body_up_axis(joints: np.ndarray) -> tuple[str, float]:
    """The signed axis along which a skeleton stands, and how decisively.

    Args:
        joints: SMPL joints ``[T, 22, 3]`` (or ``[22, 3]``).

    Returns:
        ``(axis, share)``: the axis (``"y"``, ``"-z"``, ...) of the largest component of the
        median vector from the ankles to the neck, and that component's share of its length.
    """
    j = np.asarray(joints, dtype=np.float64).reshape(-1, 22, 3)
    up = np.median(j[:, 12] - 0.5 * (j[:, 7] + j[:, 8]), axis=0)
    norm = float(np.linalg.norm(up))
    if not norm > 0:
        return "y", 0.0
    k = int(np.argmax(np.abs(up)))
    axis = "xyz"[k] if up[k] > 0 else "-" + "xyz"[k]
    return axis, float(abs(up[k]) / norm)


def choose_up_axis(
    requested: str, rest: np.ndarray | None, motion: np.ndarray | None
) -> tuple[str, str]:
    """Resolve ``up_axis`` for an import (see the module docstring for the rule).

    Args:
        requested: a value accepted by `check_up_axis`.
        rest: the rest pose's SMPL joints ``[22, 3]``, or None if unknown.
        motion: the motion's SMPL joints ``[T, 22, 3]``, or None if unknown.

    Returns:
        ``(axis, how)``, e.g. ``("z", "detected (rest pose and motion agree)")``.
    """
    requested = check_up_axis(requested)
    if requested != "auto":
        return requested, "given"
    views = {}
    for name, joints in (("rest pose", rest), ("motion", motion)):
        if joints is not None:
            axis, share = body_up_axis(joints)
            if share >= _DECISIVE:
                views[name] = axis
    if len(set(views.values())) == 1:
        axis = next(iter(views.values()))
        return axis, f"detected from the {' and '.join(views)}"
    if "y" in views.values():
        return "y", "the BVH convention (rest pose and motion disagree)"
    if "rest pose" in views:
        return views["rest pose"], "detected from the rest pose (the motion disagrees)"
    return "y", "the BVH convention (neither the rest pose nor the motion decides)"


def source_up_axis(
    skel: PosedSkeleton,
    jmap: JointMap,
    requested: str = "auto",
    rest: PosedSkeleton | None = None,
    source: str = "",
) -> tuple[str, str]:
    """The up axis of a posed source skeleton and how it was chosen (`choose_up_axis`).

    Args:
        skel: the source's poses.
        jmap: the joint map that finds the SMPL joints on it.
        requested: ``"auto"`` or an axis to use as given.
        rest: the skeleton's rest pose (one frame), if known.
        source: the file's name, for messages.

    Raises:
        MotionFormatError: if ``requested`` is not an axis, or the map does not fit.
    """
    if check_up_axis(requested) != "auto":
        return choose_up_axis(requested, None, None)
    from momo.io.joint_maps import apply_joint_map

    rest_joints = None
    if rest is not None:
        try:
            rest_joints = apply_joint_map(rest, jmap, source).joints
        except MotionFormatError:
            rest_joints = None  # a rest pose with coinciding joints says nothing
    return choose_up_axis("auto", rest_joints, apply_joint_map(skel, jmap, source).joints)


def turn_y_up(skel: PosedSkeleton, axis: str) -> PosedSkeleton:
    """The skeleton turned so that ``axis`` points up (+Y); unchanged if it already does."""
    return skel if axis == "y" else skel.turned(up_axis_matrix(axis))


def up_axis_matrix(axis: str) -> np.ndarray:
    """The rotation ``[3, 3]`` that turns ``axis`` to +Y (never a mirror: handedness is kept)."""
    return _TO_Y_UP[check_up_axis(axis)].copy()
