"""Writing a 22-joint motion as BVH on a given rig (retargeting onto the user's own skeleton).

The rig is any BVH file the reader understands (`momo.io.bvh_parse`): its joint names,
hierarchy, OFFSETs (rest pose), channel layout and rotation orders, units, up axis and frame
rate are kept; only the channel values are new. The 22 SMPL joints are found on the rig with the
same joint maps as the reader (`momo.io.joint_maps`); an SMPL joint "drives" a rig joint when its
map rule names a single rig joint.

Rotations are solved parents first, against the rig's rest pose, so that the driven rig joints
land on the motion's joint positions:

- a driven joint whose SMPL joint has several driven children (pelvis: hips and spine; chest:
  neck and collars) gets the global rotation that best maps its rest vectors to those children
  onto the observed ones (the Kabsch/Wahba solution that `scipy.spatial.transform.Rotation.
  align_vectors` computes, vectorised here over frames with one SVD per frame);
- a driven joint with one driven child gets the shortest-arc swing that turns the bone (as the
  parent's rotation carries it) onto the observed direction. Positions fix a bone's direction
  but not its twist; the swing adds no twist, so the result is the smallest change from the rig's
  rest pose that reaches the positions, which keeps limbs from corkscrewing;
- every other joint (fingers, twist bones, toes the layout lacks, leaves such as the head and
  hands) keeps its rest pose, or, with ``keep=`` the rig's own clip (the leader's own file),
  that clip's motion.

The root's position channels are solved so that the rig's pelvis lands on the motion's pelvis.
Local rotations are solved at the motion's 20 fps and resampled to the rig's frame rate with
`momo.io.skeleton.resample_local` (slerp), then written as Euler angles in each joint's own
channel order.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from momo.errors import MissingFileError, MotionFormatError
from momo.io.bvh import read_bvh
from momo.io.bvh_parse import BVHClip
from momo.io.bvh_pose import clip_local_pose, clip_rest_pose, pose_clip
from momo.io.bvh_write import checked_joints
from momo.io.joint_maps import (
    JointMap,
    apply_joint_map,
    detect_joint_map,
    load_joint_map,
)
from momo.io.map_rules import NameIndex
from momo.io.skeleton import quat_to_matrix, resample_local
from momo.io.units import choose_scale
from momo.io.up_axis import source_up_axis, up_axis_matrix
from momo.motion.representation import FPS, JOINT_NAMES, NUM_JOINTS, PARENTS
from momo.motion.rotations import shortest_arc
from momo.utils.files import atomic_output

_SMPL_CHILDREN: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c in range(NUM_JOINTS) if PARENTS[c] == j) for j in range(NUM_JOINTS)
)


@dataclass(frozen=True, eq=False)
class TargetRig:
    """A BVH rig to write motions on.

    Attributes:
        clip: the parsed rig file (its motion is used only with ``keep=True``).
        joint_map: the map that finds the SMPL joints on it.
        up_axis: the rig's up axis (``"y"``, ``"z"``, ...).
        scale: rig units -> metres.
        driven: SMPL joint index -> rig joint index, for joints a map rule names directly.
    """

    clip: BVHClip
    joint_map: JointMap
    up_axis: str
    scale: float
    driven: dict[int, int]

    @property
    def to_rig(self) -> np.ndarray:
        """The rotation ``[3, 3]`` from Y-up metres' axes to the rig's axes."""
        return up_axis_matrix(self.up_axis).T


def load_rig(
    clip: BVHClip,
    *,
    joint_map: JointMap | dict[str, Any] | str | os.PathLike[str] | None = None,
    up_axis: str = "auto",
    scale: float | None = None,
) -> TargetRig:
    """Read a parsed BVH clip as a rig to write on.

    Args:
        clip: the rig's BVH file, parsed (`momo.io.bvh.read_bvh`).
        joint_map: as for `momo.io.bvh.read_bvh_joints` (None: chosen by joint names).
        up_axis: the rig's up axis, or ``"auto"`` to detect it as the reader does.
        scale: rig units -> metres (None: as the reader chooses it).

    Raises:
        MotionFormatError: if no map fits, or the rig's root has no position channels or the
            map names no pelvis joint on it.
    """
    jmap = (
        detect_joint_map(clip.names, clip.source, parents=clip.parents)
        if joint_map is None
        else load_joint_map(joint_map)
    )
    skel = pose_clip(clip, clip.fps)
    axis, _ = source_up_axis(skel, jmap, up_axis, clip_rest_pose(clip), clip.source)
    factor, _ = choose_scale(apply_joint_map(skel, jmap, clip.source).joints, jmap, scale)
    index = NameIndex(clip.names)
    driven: dict[int, int] = {}
    for name, rule in jmap.rules.items():
        if not rule.resolves(index):
            continue
        resolved = rule.resolved(index)
        if isinstance(resolved, dict) and set(resolved) == {"joint"}:
            resolved = resolved["joint"]
        if isinstance(resolved, str):
            k = index.find(resolved)
            if k is not None and len(clip.joints[k].rotation_order) in (0, 3):
                driven[JOINT_NAMES.index(name)] = k
    root = clip.joints[0]
    if sum(c.endswith("position") for c in root.channels) != 3:
        raise MotionFormatError(
            f"{clip.source}: the rig's root {root.name!r} has no X/Y/Z position channels; "
            "pick a rig whose root moves"
        )
    if 0 not in driven:
        raise MotionFormatError(
            f"{clip.source}: joint map {jmap.name!r} names no single pelvis joint on this rig; "
            "pass a joint map whose 'pelvis' is a joint name"
        )
    return TargetRig(clip=clip, joint_map=jmap, up_axis=axis, scale=factor, driven=driven)


def _kabsch(rest: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Per-frame rotations ``[T, 3, 3]`` best mapping ``rest [T, K, 3]`` onto ``observed``.

    Weighted by the rest vectors' lengths (longer bones fix the rotation better).
    """
    weights = np.linalg.norm(rest, axis=-1)
    h = np.einsum("tk,tka,tkb->tab", weights, _unit(observed), _unit(rest))
    u, _, vt = np.linalg.svd(h)
    det = np.sign(np.linalg.det(u @ vt))
    u = u.copy()
    u[:, :, 2] *= det[:, None]
    return u @ vt


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def _chain(parents: tuple[int, ...], top: int, joint: int) -> list[int] | None:
    """Joints from just below ``top`` down to ``joint`` (None if not a descendant)."""
    path: list[int] = []
    while joint != top:
        if joint < 0:
            return None
        path.append(joint)
        joint = parents[joint]
    return path[::-1]


def _nearest_driven(parents: tuple[int, ...], driven: set[int]) -> list[list[int]]:
    """For each joint, the driven joints below it with no driven joint in between."""
    aims: list[list[int]] = [[] for _ in parents]
    for k in reversed(range(len(parents))):
        p = parents[k]
        if p >= 0:
            aims[p].extend([k] if k in driven else aims[k])
    return aims


class _Solver:
    """Local rotations and translations of the rig posed on target positions (rig units)."""

    def __init__(self, rig: TargetRig, target: np.ndarray, keep: bool) -> None:
        clip = rig.clip
        self.clip = clip
        self.parents = clip.parents
        self.target = target
        num_frames, num_joints = target.shape[0], len(clip.joints)
        self.local = np.broadcast_to(np.eye(3), (num_frames, num_joints, 3, 3)).copy()
        self.trans = np.broadcast_to(
            np.array([j.offset for j in clip.joints]), (num_frames, num_joints, 3)
        ).copy()
        if keep:
            quats, trans = clip_local_pose(clip)
            src = np.arange(clip.num_frames) * clip.frame_time
            dst = np.arange(num_frames) / FPS
            quats, trans = resample_local(quats, trans, src, dst)
            self.local, self.trans = quat_to_matrix(quats), trans
        self.rig_of = {k: j for j, k in rig.driven.items()}
        self.driven = rig.driven
        self.glob = np.empty_like(self.local)
        self.aims = _nearest_driven(self.parents, set(self.rig_of))
        above, walk = set(), self.parents[rig.driven[0]]
        while walk >= 0:
            above.add(walk)
            walk = self.parents[walk]
        self.above_pelvis = above
        self.pos = np.empty((num_frames, num_joints, 3))

    def chain_vector(self, top: int, joint: int) -> np.ndarray:
        """``[T, 3]`` vector from ``top`` to ``joint`` in ``top``'s frame (current locals)."""
        path = _chain(self.parents, top, joint)
        assert path is not None
        rot = np.broadcast_to(np.eye(3), self.local.shape[:1] + (3, 3))
        vec = np.zeros((self.local.shape[0], 3))
        for k in path:
            vec = vec + np.einsum("tab,tb->ta", rot, self.trans[:, k])
            rot = rot @ self.local[:, k]
        return vec

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        pelvis = self.driven[0]
        for k, parent in enumerate(self.parents):
            parent_rot = np.broadcast_to(np.eye(3), self.glob.shape[:1] + (3, 3))
            if parent >= 0:
                parent_rot = self.glob[:, parent]
            if k == 0:
                own = self.local[:, 0]
                offset = np.zeros_like(self.trans[:, 0])
                if pelvis != 0:
                    offset = np.einsum("tab,tb->ta", own, self.chain_vector(0, pelvis))
                self.trans[:, 0] = self.target[:, 0] - offset
                self.pos[:, 0] = self.trans[:, 0]
            else:
                self.pos[:, k] = self.pos[:, parent] + np.einsum(
                    "tab,tb->ta", parent_rot, self.trans[:, k]
                )
            self._solve_joint(k, parent_rot)
            self.glob[:, k] = parent_rot @ self.local[:, k]
        return self.local, self.trans

    def _solve_joint(self, k: int, parent_rot: np.ndarray) -> None:
        if k in self.above_pelvis or not self.clip.joints[k].rotation_order:
            return
        children = [(self.rig_of[q], q) for q in self.aims[k]]
        if not children:
            return
        # Rest vectors to the driven children with this joint's own rotation at identity.
        self.local[:, k] = np.eye(3)
        rest = np.stack([self.chain_vector(k, q) for _, q in children], axis=1)
        observed = np.stack([self.target[:, c] - self.pos[:, k] for c, _ in children], axis=1)
        if len(children) > 1:
            glob = _kabsch(rest, observed)
        else:
            current = np.einsum("tab,tb->ta", parent_rot, rest[:, 0])
            swing = Rotation.from_quat(shortest_arc(current, observed[:, 0])).as_matrix()
            glob = swing @ parent_rot
        local = np.einsum("tba,tbc->tac", parent_rot, glob)
        self.local[:, k] = local if len(children) > 1 else _continuous_twist(local, rest[:, 0])


def _continuous_twist(local: np.ndarray, bone: np.ndarray) -> np.ndarray:
    """Local rotations ``[T, 3, 3]`` with twists about ``bone`` ``[T, 3]`` added so that they
    change as little as possible from frame to frame.

    A twist about the bone does not move the joint it aims at, so positions are unchanged; but a
    swing from the rest pose turns its twist by half a turn where the bone passes the opposite
    of its rest direction, and frames either side of such a flip would interpolate through
    wrong poses. Each frame gets the twist of its rotation relative to the previous frame
    (swing-twist decomposition), accumulated, so the result has no such jumps.
    """
    axis = _unit(bone)
    step = Rotation.from_matrix(np.einsum("tba,tbc->tac", local[1:], local[:-1])).as_quat()
    along = np.einsum("ta,ta->t", step[:, :3], axis[1:])
    angle = 2.0 * np.arctan2(along, step[:, 3])
    angle = (angle + np.pi) % (2.0 * np.pi) - np.pi
    total = np.concatenate([[0.0], np.cumsum(angle)])
    return local @ Rotation.from_rotvec(axis * total[:, None]).as_matrix()


def retarget_text(
    joints: np.ndarray,
    rig: TargetRig,
    *,
    num_frames: int | None = None,
    keep: bool = False,
) -> str:
    """The BVH text of a 20 fps motion on ``rig``, at the rig's frame rate.

    Args:
        joints: ``[T, 22, 3]`` joint positions in metres, Y up, at 20 fps.
        rig: the rig (`load_rig`).
        num_frames: frames to write at the rig's rate (default: the fewest that cover the
            motion's duration, so a reader resampling to 20 fps gets every frame back even when
            the rig's frame time is written with few digits; frames past the end hold the last
            pose).
        keep: undriven joints follow the rig clip's own motion (resampled to 20 fps for the
            solve) instead of its rest pose; for writing onto the file the motion came from.

    Raises:
        MotionFormatError: if ``joints`` is not a finite ``[T, 22, 3]`` array with T >= 1.
    """
    joints = checked_joints(joints)
    target = np.einsum("ab,tjb->tja", rig.to_rig, joints) / rig.scale
    local, trans = _Solver(rig, target, keep).solve()
    clip = rig.clip
    if num_frames is None:
        num_frames = int(np.ceil((joints.shape[0] - 1) * clip.fps / FPS - 1e-4)) + 1
    src = np.arange(joints.shape[0]) / FPS
    dst = np.arange(num_frames) * clip.frame_time
    quats = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_quat().reshape(*local.shape[:2], 4)
    quats, trans = resample_local(quats, trans, src, dst)
    return _bvh_text(clip, quats, trans)


def _bvh_text(clip: BVHClip, quats: np.ndarray, trans: np.ndarray) -> str:
    """The rig's HIERARCHY followed by the given local poses as channel values."""
    num_frames = quats.shape[0]
    columns = np.zeros((num_frames, sum(len(j.channels) for j in clip.joints)))
    for k, (joint, cols) in enumerate(zip(clip.joints, clip.channel_columns())):
        order = joint.rotation_order
        angles = np.zeros((num_frames, 3))
        if len(order) == 3:
            with warnings.catch_warnings():
                # Gimbal lock only means the angles are not unique; they encode the rotation.
                warnings.simplefilter("ignore", UserWarning)
                angles = Rotation.from_quat(quats[:, k]).as_euler(order, degrees=True)
        rotation_index = 0
        for column, channel in zip(cols, joint.channels):
            if channel.endswith("position"):
                columns[:, column] = trans[:, k, "XYZ".index(channel[0])]
            else:
                columns[:, column] = angles[:, rotation_index]
                rotation_index += 1
    lines = _hierarchy_lines(clip)
    lines += ["MOTION", f"Frames: {num_frames}", f"Frame Time: {clip.frame_time:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in columns]
    return "\n".join(lines) + "\n"


def _hierarchy_lines(clip: BVHClip) -> list[str]:
    lines = ["HIERARCHY"]
    children: list[list[int]] = [[] for _ in clip.joints]
    for k, p in enumerate(clip.parents):
        if p >= 0:
            children[p].append(k)

    def fmt(values: np.ndarray) -> str:
        return " ".join(f"{v:.6f}" for v in values)

    def emit(k: int, depth: int) -> None:
        joint, pad = clip.joints[k], "  " * depth
        lines.append(f"{pad}{'ROOT' if k == 0 else 'JOINT'} {joint.name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {fmt(joint.offset)}")
        lines.append(f"{pad}  CHANNELS {len(joint.channels)} {' '.join(joint.channels)}".rstrip())
        for c in children[k]:
            emit(c, depth + 1)
        for site in joint.end_sites:
            lines.extend([f"{pad}  End Site", pad + "  {", f"{pad}    OFFSET {fmt(site)}"])
            lines.append(pad + "  }")
        lines.append(pad + "}")

    emit(0, 0)
    return lines


def frames_on_rig(num_frames: int, clip: BVHClip) -> int | None:
    """The rig clip's own frame count if a 20 fps motion of ``num_frames`` is that clip's length
    (its import at 20 fps has that many frames), else None (write what the motion spans)."""
    duration = (clip.num_frames - 1) * clip.frame_time
    imported = int(np.floor(duration * FPS + 1e-4)) + 1
    return clip.num_frames if imported == num_frames else None


def write_on_rig(
    joints: np.ndarray,
    path: str | os.PathLike[str],
    rig_path: str | os.PathLike[str],
    *,
    keep: bool = False,
    joint_map: JointMap | dict[str, Any] | str | os.PathLike[str] | None = None,
    up_axis: str = "auto",
    overwrite: bool = False,
) -> None:
    """Write ``[T, 22, 3]`` joints (metres, Y up, 20 fps) as a BVH file on the rig of another
    BVH file, atomically.

    A motion as long as the rig file's own clip gets exactly that clip's frame count.

    Args:
        joints: the motion's joint positions.
        path: the output path.
        rig_path: the BVH file whose skeleton to use.
        keep: joints the 22-joint layout does not drive follow the rig file's own motion (for
            the file the motion came from) instead of staying at rest.
        joint_map: the rig's joint map (None: chosen by joint names).
        up_axis: the rig's up axis, or ``"auto"``.
        overwrite: replace an existing output.

    Raises:
        MissingFileError: if ``rig_path`` does not exist.
        MotionFormatError: if it is not a BVH file a joint map fits, or the joints are malformed.
        OutputExistsError: if the output exists and ``overwrite`` is False.
    """
    if not os.path.isfile(rig_path):
        raise MissingFileError(f"skeleton file not found: {rig_path}; pass an existing .bvh")
    if not str(rig_path).lower().endswith(".bvh"):
        raise MotionFormatError(f"{rig_path}: a skeleton to write on must be a .bvh file")
    clip = read_bvh(rig_path)
    frames = frames_on_rig(np.asarray(joints).shape[0], clip)
    rig = load_rig(clip, joint_map=joint_map, up_axis=up_axis)
    text = retarget_text(joints, rig, num_frames=frames, keep=keep)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
