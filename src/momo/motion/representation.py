"""HumanML3D's 22-joint skeleton and the layout of its 263-d per-frame feature vector.

Conventions: metres, 20 frames per second, Y up; the character initially faces +Z and its left
is +X. Joints follow the SMPL order (first 22 SMPL joints).

Feature layout per frame (``FEATURE_DIM = 263``):

=================  ======  ===========================================================
slice              size    meaning
=================  ======  ===========================================================
``ROOT_ROT_VEL``   1       root angular velocity about +Y (half-angle, radians / frame)
``ROOT_LIN_VEL``   2       root XZ velocity in the root's heading frame
``ROOT_HEIGHT``    1       root height (Y)
``RIC``            21x3    joints 1..21 relative to the root XZ, in the heading frame
``ROT6D``          21x6    local joint rotations 1..21, first two matrix columns
``LOCAL_VEL``      22x3    joint velocities in the heading frame of the earlier frame
``FOOT_CONTACT``   4       contacts of left ankle, left foot, right ankle, right foot
=================  ======  ===========================================================

Every array constant here is read-only.
"""

from __future__ import annotations

import numpy as np

from momo.constants import FEATURE_DIM, FPS  # the representation's size and frame rate

NUM_JOINTS = 22
"""Number of joints of the HumanML3D skeleton."""

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)
"""SMPL joint names, index = joint id."""

PARENTS: tuple[int, ...] = (
    -1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    9,
    9,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
)
"""Parent of each joint (-1 for the root, the pelvis)."""

KINEMATIC_CHAINS: tuple[tuple[int, ...], ...] = (
    (0, 2, 5, 8, 11),
    (0, 1, 4, 7, 10),
    (0, 3, 6, 9, 12, 15),
    (9, 14, 17, 19, 21),
    (9, 13, 16, 18, 20),
)
"""HumanML3D's kinematic chains: right leg, left leg, spine to head, right arm, left arm.

The arm chains start at spine3 (joint 9); HumanML3D's IK/FK starts them from the root
rotation, not from the rotation accumulated along the spine (see `momo.motion.ik`).
"""

_REST = np.zeros((NUM_JOINTS, 3), dtype=np.float64)
for _joint, _direction in {
    1: (1, 0, 0),
    2: (-1, 0, 0),
    3: (0, 1, 0),
    4: (0, -1, 0),
    5: (0, -1, 0),
    6: (0, 1, 0),
    7: (0, -1, 0),
    8: (0, -1, 0),
    9: (0, 1, 0),
    10: (0, 0, 1),
    11: (0, 0, 1),
    12: (0, 1, 0),
    13: (1, 0, 0),
    14: (-1, 0, 0),
    15: (0, 0, 1),
    16: (0, -1, 0),
    17: (0, -1, 0),
    18: (0, -1, 0),
    19: (0, -1, 0),
    20: (0, -1, 0),
    21: (0, -1, 0),
}.items():
    _REST[_joint] = _direction
_REST.flags.writeable = False
REST_DIRECTIONS: np.ndarray = _REST
"""float64 ``[22, 3]``: unit bone direction of the rest pose, parent -> joint (root: zeros)."""

CANONICAL_BONE_LENGTHS: np.ndarray = np.array(
    [
        0.00000000,  # pelvis (root, no bone)
        0.10307395,  # left_hip
        0.10988336,  # right_hip
        0.13156825,  # spine1
        0.39362316,  # left_knee
        0.39018814,  # right_knee
        0.14319026,  # spine2
        0.43243301,  # left_ankle
        0.42564334,  # right_ankle
        0.05736470,  # spine3
        0.14338175,  # left_foot
        0.14941866,  # right_foot
        0.21936000,  # neck
        0.13748683,  # left_collar
        0.14338283,  # right_collar
        0.10303927,  # head
        0.13161399,  # left_shoulder
        0.12298431,  # right_shoulder
        0.25683985,  # left_elbow
        0.26309187,  # right_elbow
        0.26601185,  # left_wrist
        0.26987630,  # right_wrist
    ],
    dtype=np.float64,
)
"""float64 ``[22]``: bone length (metres) from each joint to its parent on HumanML3D's canonical
skeleton (root: 0).

Derivation: every HumanML3D motion is retargeted onto one skeleton, so its lengths can be read off
any of them. These are the Euclidean distances joint -> parent at frame 0 of HumanML3D's
``new_joints/012314.npy`` (float32 positions, distances taken in float64, rounded to 1e-8 m);
across all 170 frames of that file the distances vary by less than 2e-6 m (float32 noise).
``tests/motion/test_representation.py`` re-derives them from the file when it is available.
"""
CANONICAL_BONE_LENGTHS.flags.writeable = False

LEFT_JOINTS: tuple[int, ...] = (1, 4, 7, 10, 13, 16, 18, 20)
"""Left-side joints; ``LEFT_JOINTS[k]`` mirrors ``RIGHT_JOINTS[k]``."""

RIGHT_JOINTS: tuple[int, ...] = (2, 5, 8, 11, 14, 17, 19, 21)
"""Right-side joints; ``RIGHT_JOINTS[k]`` mirrors ``LEFT_JOINTS[k]``."""

_MIRROR_OF = {**dict(zip(LEFT_JOINTS, RIGHT_JOINTS)), **dict(zip(RIGHT_JOINTS, LEFT_JOINTS))}
MIRROR_JOINTS: tuple[int, ...] = tuple(_MIRROR_OF.get(j, j) for j in range(NUM_JOINTS))
"""``MIRROR_JOINTS[j]``: the joint that ``j`` becomes under a left/right mirror (itself if central)."""

FOOT_JOINTS: tuple[int, ...] = (7, 10, 8, 11)
"""Joints of the four foot-contact channels, in channel order: left ankle, left foot (toe),
right ankle, right foot (toe)."""

LEFT_FOOT_JOINTS: tuple[int, ...] = (7, 10)
"""Left ankle and left foot (toe)."""

RIGHT_FOOT_JOINTS: tuple[int, ...] = (8, 11)
"""Right ankle and right foot (toe)."""

FACE_JOINTS: tuple[int, int, int, int] = (2, 1, 17, 16)
"""Right hip, left hip, right shoulder, left shoulder: the joints that define the facing."""

ROOT_ROT_VEL = slice(0, 1)
"""Root angular velocity about +Y (half-angle convention, radians per frame)."""
ROOT_LIN_VEL = slice(1, 3)
"""Root linear velocity on XZ in the heading frame."""
ROOT_HEIGHT = slice(3, 4)
"""Root height (Y) in metres."""
RIC = slice(4, 67)
"""Joints 1..21 relative to the root's XZ, rotated into the heading frame (21 x 3)."""
ROT6D = slice(67, 193)
"""Local rotations of joints 1..21 as 6-D (first two rotation-matrix columns; 21 x 6)."""
LOCAL_VEL = slice(193, 259)
"""Velocities of all 22 joints in the heading frame of the earlier frame (22 x 3)."""
FOOT_CONTACT = slice(259, 263)
"""Foot contacts (0/1) of `FOOT_JOINTS`."""

__all__ = [
    "CANONICAL_BONE_LENGTHS",
    "FACE_JOINTS",
    "FEATURE_DIM",
    "FOOT_CONTACT",
    "FOOT_JOINTS",
    "FPS",
    "JOINT_NAMES",
    "KINEMATIC_CHAINS",
    "LEFT_FOOT_JOINTS",
    "LEFT_JOINTS",
    "LOCAL_VEL",
    "MIRROR_JOINTS",
    "NUM_JOINTS",
    "PARENTS",
    "REST_DIRECTIONS",
    "RIC",
    "RIGHT_FOOT_JOINTS",
    "RIGHT_JOINTS",
    "ROOT_HEIGHT",
    "ROOT_LIN_VEL",
    "ROOT_ROT_VEL",
    "ROT6D",
]
