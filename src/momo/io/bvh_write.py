"""Writing motions as BVH: a 22-joint SMPL-named skeleton on the motion's own bone lengths.

The skeleton (`bvh_skeleton`) is a T-pose: legs down, spine and head up, feet forward (+Z), arms
out along +X (left) and -X (right). Bone lengths are the motion's own (`fitted_bone_lengths`): the
least-squares constant length of each bone over the frames, which is the motion's exact length
when it is stable (motions from real skeletons, or decoded from HumanML3D features, round-trip
to float rounding) and the best fixed length for a generated motion whose bones stretch a
little; the fit's residual is logged once per written file. The two joints with
several children (the pelvis: hips and spine1; spine3: neck and collars) carry their children at
fixed offsets, so the *directions* of those offsets are fitted to the motion: for each frame the
rotation that best aligns HumanML3D's rest directions to the observed child directions (a
weighted Kabsch/Wahba fit) is found, the observed directions are brought back through it, and
their normalised average becomes the rest offset. On motions made from real skeletons (where
pelvis and chest are rigid), those offsets match every frame and the written file reproduces the
joints exactly.

Rotations are solved hierarchically from the joint positions, parents first:

- a joint with several children gets the rotation that best maps its rest child offsets onto
  the observed child directions (Kabsch, weighted by bone length), so one rotation serves all
  children;
- a joint with one child gets its parent's rotation followed by the shortest-arc rotation that
  turns the child's rest offset onto the observed direction (no twist added);
- a leaf (feet, head, wrists) keeps its parent's rotation.

Local rotations are written as ``Zrotation Yrotation Xrotation`` (intrinsic, degrees), positions
in centimetres, at 20 fps. The root (pelvis) also has position channels.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial.transform import Rotation

from momo.errors import MotionFormatError
from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    FPS,
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
    REST_DIRECTIONS,
)
from momo.motion.rotations import shortest_arc
from momo.utils.files import atomic_output

if TYPE_CHECKING:  # pragma: no cover
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)

#: Units of the written file: centimetres (a common BVH convention).
CENTIMETRES_PER_METRE = 100.0
EULER_ORDER = "ZYX"

_CHILDREN: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c in range(NUM_JOINTS) if PARENTS[c] == j) for j in range(NUM_JOINTS)
)
_T_POSE = {
    4: (0, -1, 0),
    5: (0, -1, 0),
    6: (0, 1, 0),
    7: (0, -1, 0),
    8: (0, -1, 0),
    9: (0, 1, 0),
    10: (0, 0, 1),
    11: (0, 0, 1),
    15: (0, 1, 0),
    16: (1, 0, 0),
    17: (-1, 0, 0),
    18: (1, 0, 0),
    19: (-1, 0, 0),
    20: (1, 0, 0),
    21: (-1, 0, 0),
}
# End Site lengths (metres) of the leaves: toe tips, crown, hands.
_END_SITE_LENGTH = {10: 0.05, 11: 0.05, 15: 0.10, 20: 0.08, 21: 0.08}


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def kabsch(rest: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rotations that best map rest directions onto observed ones, per frame.

    Args:
        rest: ``[K, 3]`` directions in the joint's rest frame.
        observed: ``[T, K, 3]`` observed directions.
        weights: ``[K]`` non-negative weights.

    Returns:
        ``[T, 3, 3]`` rotation matrices R minimising ``sum_k w_k |R rest_k - observed_k|^2``.
    """
    h = np.einsum("k,tka,kb->tab", weights, observed, rest)
    u, _, vt = np.linalg.svd(h)
    det = np.sign(np.linalg.det(u @ vt))
    u = u.copy()
    u[:, :, 2] *= det[:, None]
    return u @ vt


#: Bones whose length varies less than this over a motion (metres) count as stable.
STABLE_BONE_TOLERANCE = 1e-3


def fitted_bone_lengths(joints: np.ndarray) -> tuple[np.ndarray, float]:
    """Each bone's fixed length that best fits a motion, and how far the motion is from it.

    The least-squares constant for a bone's per-frame lengths is their mean. A bone of (near)
    zero length keeps the canonical length, so that the skeleton stays well-formed.

    Args:
        joints: ``[T, 22, 3]`` joint positions in metres.

    Returns:
        ``(lengths [22], deviation)``: lengths in metres (index 0 unused) and the largest
        difference between a bone's length in a frame and its fitted length (0 for a motion on
        a rigid skeleton; below `STABLE_BONE_TOLERANCE` it counts as the motion's own lengths).
    """
    observed = np.linalg.norm(joints[:, 1:] - joints[:, list(PARENTS[1:])], axis=-1)
    lengths = np.concatenate([[0.0], observed.mean(axis=0)])
    deviation = float(np.abs(observed - lengths[1:]).max()) if observed.size else 0.0
    tiny = lengths < 1e-6
    tiny[0] = False
    lengths[tiny] = CANONICAL_BONE_LENGTHS[tiny]
    return lengths, deviation


def bvh_skeleton(joints: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Rest offsets of the written skeleton, fitted to a motion where it matters.

    Args:
        joints: ``[T, 22, 3]`` joint positions in metres.
        lengths: ``[22]`` bone lengths (default: `fitted_bone_lengths` of ``joints``).

    Returns:
        float64 ``[22, 3]``: each joint's offset from its parent in metres (root: zeros).
    """
    if lengths is None:
        lengths, _ = fitted_bone_lengths(joints)
    offsets = np.zeros((NUM_JOINTS, 3))
    for j, direction in _T_POSE.items():
        offsets[j] = np.asarray(direction, float) * lengths[j]
    for parent in (0, 9):
        children = list(_CHILDREN[parent])
        observed = _unit(joints[:, children] - joints[:, [parent]])
        template = REST_DIRECTIONS[children]
        weights = lengths[children]
        frames = kabsch(template, observed, weights)
        in_rest = np.einsum("tba,tkb->tka", frames, observed)  # R^T u
        mean = in_rest.mean(axis=0)
        directions = _unit(mean)
        degenerate = np.linalg.norm(mean, axis=-1) < 1e-6
        directions[degenerate] = template[degenerate]
        for k, c in enumerate(children):
            offsets[c] = directions[k] * lengths[c]
    return offsets


def solve_rotations(joints: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Global joint rotations that pose the skeleton ``offsets`` like ``joints``.

    Args:
        joints: ``[T, 22, 3]`` positions.
        offsets: ``[22, 3]`` rest offsets (from `bvh_skeleton`).

    Returns:
        ``[T, 22, 3, 3]`` global rotation matrices (see the module docstring for the method).
    """
    num_frames = joints.shape[0]
    glob = np.empty((num_frames, NUM_JOINTS, 3, 3))
    for j in range(NUM_JOINTS):
        children = _CHILDREN[j]
        parent_rot = (
            np.broadcast_to(np.eye(3), (num_frames, 3, 3)) if j == 0 else glob[:, PARENTS[j]]
        )
        if len(children) > 1:
            observed = _unit(joints[:, list(children)] - joints[:, [j]])
            rest = _unit(offsets[list(children)])
            weights = np.linalg.norm(offsets[list(children)], axis=-1)
            glob[:, j] = kabsch(rest, observed, weights)
        elif len(children) == 1:
            (c,) = children
            current = np.einsum("tab,b->ta", parent_rot, offsets[c])
            target = joints[:, c] - joints[:, j]
            swing = Rotation.from_quat(shortest_arc(current, target)).as_matrix()
            glob[:, j] = swing @ parent_rot
        else:
            glob[:, j] = parent_rot
    return glob


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def checked_joints(joints: np.ndarray) -> np.ndarray:
    """``joints`` as float64 ``[T, 22, 3]``, checked before a BVH is written.

    Raises:
        MotionFormatError: if ``joints`` is not a finite ``[T, 22, 3]`` array with T >= 1.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or joints.shape[0] < 1:
        raise MotionFormatError(
            f"joints must have shape [T, {NUM_JOINTS}, 3] with T >= 1, got {list(joints.shape)}"
        )
    if not np.isfinite(joints).all():
        raise MotionFormatError("joints contain NaN or Inf; clean the motion before writing it")
    return joints


def bvh_text(joints: np.ndarray, *, frame_time: float = 1.0 / FPS) -> str:
    """The BVH file text for a joint motion.

    Args:
        joints: ``[T, 22, 3]`` joint positions in metres (Y up), SMPL layout.
        frame_time: seconds per frame (0.05 for HumanML3D's 20 fps).

    Returns:
        The file's text (SMPL joint names, centimetres, ``ZYX`` Euler channels).

    Raises:
        MotionFormatError: if ``joints`` is not a finite ``[T, 22, 3]`` array with T >= 1.
    """
    joints = checked_joints(joints)
    offsets = bvh_skeleton(joints)
    glob = solve_rotations(joints, offsets)
    local = np.empty_like(glob)
    local[:, 0] = glob[:, 0]
    parents = list(PARENTS[1:])
    local[:, 1:] = np.einsum("tjba,tjbc->tjac", glob[:, parents], glob[:, 1:])
    with warnings.catch_warnings():
        # Gimbal lock only means the angles are not unique; they still encode the rotation.
        warnings.simplefilter("ignore", UserWarning)
        euler = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler(EULER_ORDER, degrees=True)
    euler = euler.reshape(joints.shape[0], NUM_JOINTS, 3)

    cm = CENTIMETRES_PER_METRE
    lines: list[str] = ["HIERARCHY"]
    rotation_channels = " ".join(f"{axis}rotation" for axis in EULER_ORDER)

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        keyword = "ROOT" if j == 0 else "JOINT"
        lines.append(f"{pad}{keyword} {JOINT_NAMES[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {_fmt(offsets[j] * cm)}")
        if j == 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {rotation_channels}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {rotation_channels}")
        for c in _CHILDREN[j]:
            emit(c, depth + 1)
        if not _CHILDREN[j]:
            tip = _unit(offsets[j]) * _END_SITE_LENGTH.get(j, 0.05) * cm
            lines.append(f"{pad}  End Site")
            lines.append(pad + "  {")
            lines.append(f"{pad}    OFFSET {_fmt(tip)}")
            lines.append(pad + "  }")
        lines.append(pad + "}")

    emit(0, 0)
    lines.append("MOTION")
    lines.append(f"Frames: {joints.shape[0]}")
    lines.append(f"Frame Time: {frame_time:.6f}")
    order = _depth_first_order()
    for t in range(joints.shape[0]):
        row = [_fmt(joints[t, 0] * cm)] + [_fmt(euler[t, j]) for j in order]
        lines.append(" ".join(row))
    return "\n".join(lines) + "\n"


def _depth_first_order() -> list[int]:
    order: list[int] = []

    def visit(j: int) -> None:
        order.append(j)
        for c in _CHILDREN[j]:
            visit(c)

    visit(0)
    return order


def write_bvh(
    motion: Motion | np.ndarray,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> float:
    """Write a motion (or ``[T, 22, 3]`` joints in metres) as a 20 fps BVH file, atomically.

    Args:
        motion: a `momo.Motion` (its joints come from `features_to_joints`) or joint positions.
        path: the output path (``.bvh``).
        overwrite: replace an existing file.

    Returns:
        The largest distance in metres between an input joint and the same joint as read back
        from the written file (forward kinematics of what was written), a measure of how
        faithfully the skeleton reproduces the motion; it is also logged (INFO), once per file,
        with whether the motion's own bone lengths were stable or fitted.

    Raises:
        OutputExistsError: if the file exists and ``overwrite`` is False.
        MotionFormatError: if the joints are malformed.
    """
    joints = motion if isinstance(motion, np.ndarray) else motion.joints()
    joints = np.asarray(joints, dtype=np.float64)
    text = bvh_text(joints)
    error = _read_back_error(text, joints)
    _, deviation = fitted_bone_lengths(checked_joints(joints))
    how = (
        "the motion's own bone lengths"
        if deviation < STABLE_BONE_TOLERANCE
        else f"bone lengths fitted over {joints.shape[0]} frames (they vary by up to "
        f"{deviation * 1000:.1f} mm)"
    )
    logger.info(
        "%s: SMPL skeleton on %s; joints reproduced within %.1f mm", path, how, error * 1000
    )
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return error


def _read_back_error(text: str, joints: np.ndarray) -> float:
    from momo.io.bvh_parse import parse_bvh
    from momo.io.bvh_pose import pose_clip

    skel = pose_clip(parse_bvh(text, "<written>"))
    index = {n: i for i, n in enumerate(skel.names)}
    back = skel.positions[:, [index[n] for n in JOINT_NAMES]] / CENTIMETRES_PER_METRE
    return float(np.max(np.linalg.norm(back - joints, axis=-1)))
