"""`fix_feet`: a motion with its feet pinned while they touch the floor.

The joints come from the features (`momo.features_to_joints`), the feet are pinned with
`momo.motion.foot_ik.fix_foot_joints` where the features' own four contact channels say so
(threshold 0.5; or, with ``contacts="floor"``, where the ankle or toe is within 5 cm of the
floor), and the result is written back into the features *in place* rather than by running
HumanML3D's whole `momo.joints_to_features` again (which would retarget onto the canonical bone
lengths and relabel the contacts): for the knees, ankles and toes, the root-relative positions
(ric), the joint velocities and the 6-D local rotations are re-derived from the fixed joints
exactly as HumanML3D derives them; the root channels and the contact channels are kept. So
``fix_feet(m).joints()`` are the fixed joints (to float32 rounding), its ``.npy`` and BVH agree,
and the root path and contact labels are those of ``m``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from momo.motion.foot_ik import BLEND_FRAMES, LEGS, MAX_CORRECTION, fix_foot_joints
from momo.motion.kinematics import features_to_joints
from momo.motion.motion import Motion
from momo.motion.representation import (
    FOOT_CONTACT,
    FOOT_JOINTS,
    LOCAL_VEL,
    NUM_JOINTS,
    REST_DIRECTIONS,
    RIC,
)
from momo.motion.rotations import matrix_to_6d, shortest_arc

#: Offset of the 6-D local rotations in the features (after root and ric).
_ROT6D_START = RIC.stop
#: Contact channel values above this count as contact.
CONTACT_LEVEL = 0.5
#: With ``contacts="floor"``: an ankle or toe lower than this (metres) touches the floor.
FLOOR_HEIGHT = 0.05


def feature_contacts(features: np.ndarray) -> np.ndarray:
    """The features' foot contacts as bool ``[T, 4]`` (left ankle, left toe, right ankle,
    right toe)."""
    return np.asarray(features)[:, FOOT_CONTACT] > CONTACT_LEVEL


def floor_contacts(joints: np.ndarray, height: float = FLOOR_HEIGHT) -> np.ndarray:
    """Which ankles and toes touch the floor, by height: bool ``[T, 4]`` (left ankle, left toe,
    right ankle, right toe) where the joint's Y is below ``height`` metres (floor at Y = 0)."""
    return np.asarray(joints)[:, list(FOOT_JOINTS), 1] < height


def _headings(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cos, sin`` ``[T]`` of each frame's heading, as `momo.features_to_joints` integrates it."""
    rot_vel = features[:, 0].astype(np.float64)
    half_angle = np.concatenate([[0.0], np.cumsum(rot_vel[:-1])])
    return np.cos(2.0 * half_angle), np.sin(2.0 * half_angle)


def _to_local(vectors: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """World vectors ``[T, K, 3]`` into each frame's heading frame (inverse of the rotation
    `momo.features_to_joints` applies)."""
    c, s = cos[:, None], sin[:, None]
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack([c * x + s * z, y, -s * x + c * z], axis=-1)


def leg_rotations_6d(joints: np.ndarray) -> dict[int, np.ndarray]:
    """HumanML3D's 6-D local rotations ``[T, 6]`` of the knees, ankles and toes, from joints.

    Along a leg chain (pelvis, hip, knee, ankle, toe) HumanML3D's IK accumulates the chain's
    rotation so that after each bone it equals the shortest arc from that bone's rest direction
    to the observed one; a bone's local rotation is therefore ``arc(parent bone)^-1 *
    arc(bone)``, whatever the root's rotation.
    """
    out: dict[int, np.ndarray] = {}
    for chain in LEGS:
        parent_arc: Rotation | None = None
        for parent, child in zip((0, *chain[:-1]), chain):
            bone = joints[:, child] - joints[:, parent]
            rest = np.broadcast_to(REST_DIRECTIONS[child], bone.shape)
            arc = Rotation.from_quat(shortest_arc(rest, bone))
            if parent_arc is not None:
                out[child] = matrix_to_6d((parent_arc.inv() * arc).as_matrix())
            parent_arc = arc
    return out


def fix_feet(
    motion: Motion,
    *,
    blend: int = BLEND_FRAMES,
    max_correction: float = MAX_CORRECTION,
    contacts: Literal["labels", "floor"] = "labels",
) -> Motion:
    """The motion with its feet pinned while in contact (see the module docstring).

    Args:
        motion: the motion.
        blend: frames over which each pin eases in and out (0: hard pins).
        max_correction: the most a pin moves an ankle or toe from where the motion has it
            (metres; see `momo.motion.foot_ik`).
        contacts: what says a foot is in contact: "labels", the features' four contact
            channels (above 0.5); or "floor", the joint itself lower than `FLOOR_HEIGHT`
            (`floor_contacts`). Generated contact labels often mark a foot that is lifted or
            travelling; "floor" pins only feet that are on the floor.

    Returns:
        A new `Motion` (same caption, name and meta, with ``meta["fix_feet"]`` recording the
        settings); a motion with no contact frame comes back with equal features.

    Raises:
        ValueError: if ``blend`` is negative, ``max_correction`` not positive or
            ``contacts`` unknown.
    """
    if contacts not in ("labels", "floor"):
        raise ValueError(f"contacts must be 'labels' or 'floor', got {contacts!r}")
    features = motion.features.astype(np.float64)
    joints = np.asarray(features_to_joints(features), dtype=np.float64)
    pinned = feature_contacts(features) if contacts == "labels" else floor_contacts(joints)
    fixed = fix_foot_joints(joints, pinned, blend=blend, max_correction=max_correction)
    moved = [j for j in range(1, NUM_JOINTS) if not np.array_equal(fixed[:, j], joints[:, j])]
    if moved:
        cos, sin = _headings(features)
        ric = features[:, RIC].reshape(-1, NUM_JOINTS - 1, 3)
        relative = fixed[:, moved] - fixed[:, :1] * np.array([1.0, 0.0, 1.0])
        ric[:, [j - 1 for j in moved]] = _to_local(relative, cos, sin)
        features[:, RIC] = ric.reshape(len(features), -1)
        # Row t's velocity is frame t -> t + 1; the last row's comes from beyond the motion.
        velocity = features[:, LOCAL_VEL].reshape(-1, NUM_JOINTS, 3)
        step = fixed[1:, moved] - fixed[:-1, moved]
        velocity[:-1, moved] = _to_local(step, cos[:-1], sin[:-1])
        features[:, LOCAL_VEL] = velocity.reshape(len(features), -1)
        for joint, rot6d in leg_rotations_6d(fixed).items():
            if joint in moved:
                start = _ROT6D_START + 6 * (joint - 1)
                features[:, start : start + 6] = rot6d
    settings = {"blend": blend, "max_correction": max_correction, "contacts": contacts}
    meta = {**motion.meta, "fix_feet": settings}
    return Motion(features.astype(np.float32), text=motion.text, name=motion.name, meta=meta)
