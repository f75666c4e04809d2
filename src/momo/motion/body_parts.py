"""Channel masks of body parts in the 263-d HumanML3D features.

The features are, per frame: root angular velocity, XZ velocity and height (0..3), joint
positions relative to the root (joints 1..21, 3 each), 6-D joint rotations (joints 1..21, 6 each),
joint velocities (joints 0..21, 3 each) and four foot contacts. A body part is a set of joints;
its mask is True on every channel that describes those joints (and, for parts that carry the
root, on the root's channels and the foot contacts).
"""

from __future__ import annotations

import numpy as np

#: Joints of MDM's lower-body mask (SMPL order): pelvis, hips, knees, ankles, feet.
LOWER_BODY_JOINTS: tuple[int, ...] = (0, 1, 2, 4, 5, 7, 8, 10, 11)
#: The other joints: spine above the pelvis, neck, collars, head, shoulders, elbows, wrists.
UPPER_BODY_JOINTS: tuple[int, ...] = (3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)
#: Body parts by name: the joints they hold and whether the root channels and foot contacts
#: belong to them.
BODY_PARTS: dict[str, tuple[tuple[int, ...], bool]] = {
    "root": ((), True),
    "lower": (LOWER_BODY_JOINTS, True),
    "upper": (UPPER_BODY_JOINTS, False),
}


def body_part_mask(part: str) -> np.ndarray:
    """Bool ``[263]``: True on the channels of ``part`` (a key of `BODY_PARTS`).

    Raises:
        KeyError: an unknown part.
    """
    joints, with_root = BODY_PARTS[part]
    joint = np.zeros(22, dtype=bool)
    joint[list(joints)] = True
    return np.concatenate(
        [
            np.full(4, with_root),  # root angular velocity, linear velocity, height
            np.repeat(joint[1:], 3),  # ric positions of joints 1..21
            np.repeat(joint[1:], 6),  # 6-D rotations of joints 1..21
            np.repeat(joint, 3),  # velocities of joints 0..21
            np.full(4, with_root),  # foot contacts
        ]
    )


def lower_body_mask() -> np.ndarray:
    """Bool ``[263]``: MDM's lower-body mask (root, legs and foot contacts)."""
    return body_part_mask("lower")
