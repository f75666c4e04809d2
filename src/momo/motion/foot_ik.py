"""Pinning feet in contact on joint positions: contact targets and two-bone leg IK (NumPy).

Exported diffusion motions often let a foot that should stand still slide a little (foot
skating). The usual clean-up, done here on ``[T, 22, 3]`` joints:

1. per foot joint (ankle, toe), each run of frames its contact label marks (runs a gap of at
   most `MERGE_GAP` frames apart are merged) is pinned to one point, the joint's median position
   over the run (robust to the landing and lift-off frames a label may include); for `BLEND_FRAMES` frames either side the target eases from the joint's own
   position to the pin and back (smoothstep weights), so a foot does not jump when it lands or
   lifts off;
2. the leg (hip, knee, ankle) is solved by analytic two-bone IK towards the ankle target: the
   hip stays, the thigh and shin keep their lengths of that frame, and the knee stays in the
   plane of hip, ankle and its own position (its pole), so it bends the way it did; a target out
   of reach straightens the leg towards it;
3. the toe turns about the new ankle towards its own target, keeping the foot's length.

No target lies more than `MAX_CORRECTION` from the joint's own position: where a foot labelled
in contact travels further than that, the pin follows it (that stretch still slides, but the leg
is not pulled towards a point the body has left).

Only knees, ankles and toes move, and only in pinned frames and their blend windows; every other
joint, the root path and the contact labels are untouched.
"""

from __future__ import annotations

import numpy as np

from momo.motion.representation import FOOT_JOINTS

#: Frames over which a pinned target eases in before a contact and out after it.
BLEND_FRAMES = 4
#: Contact runs separated by at most this many free frames are pinned as one.
MERGE_GAP = 2
#: The most a pin moves a foot joint away from where the motion has it (metres): a contact run
#: over which the foot travels far (a mislabelled step) is followed once the pin would pull the
#: foot further, rather than straining the leg towards a point it left long ago.
MAX_CORRECTION = 0.15
#: Legs as (hip, knee, ankle, toe) joint indices: left, right.
LEGS: tuple[tuple[int, int, int, int], ...] = ((1, 4, 7, 10), (2, 5, 8, 11))

_EPS = 1e-9


def contact_runs(contact: np.ndarray, merge_gap: int = MERGE_GAP) -> list[tuple[int, int]]:
    """Inclusive ``(start, end)`` frame runs where ``contact`` (bool ``[T]``) holds, with runs
    at most ``merge_gap`` frames apart merged."""
    frames = np.flatnonzero(np.asarray(contact, dtype=bool))
    runs: list[tuple[int, int]] = []
    for t in frames.tolist():
        if runs and t - runs[-1][1] <= merge_gap + 1:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3.0 - 2.0 * x)


def pinned_targets(
    positions: np.ndarray, contact: np.ndarray, *, blend: int = BLEND_FRAMES
) -> tuple[np.ndarray, np.ndarray]:
    """Pinned positions of one joint and how strongly each frame is pinned.

    Args:
        positions: ``[T, 3]`` the joint's positions.
        contact: bool ``[T]`` its contact labels.
        blend: frames of easing either side of each contact run.

    Returns:
        ``(pins [T, 3], weight [T])``: the pin each frame eases towards (the median position
        over the nearest contact run) and the weight in [0, 1] (1 inside runs, 0 outside them and
        their blend windows). The target is ``weight * pins + (1 - weight) * positions``.
    """
    num_frames = positions.shape[0]
    pins = positions.astype(np.float64).copy()
    weight = np.zeros(num_frames)
    ramp = _smoothstep(1.0 - np.arange(1, blend + 1) / (blend + 1.0))
    for start, end in contact_runs(contact):
        pin = np.median(positions[start : end + 1], axis=0)
        frames = np.arange(max(start - blend, 0), min(end + blend, num_frames - 1) + 1)
        distance = np.maximum(start - frames, frames - end).clip(min=0)
        w = np.where(distance == 0, 1.0, ramp[np.minimum(distance, blend) - 1])
        better = w > weight[frames]
        weight[frames[better]] = w[better]
        pins[frames[better]] = pin
    return pins, weight


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > _EPS, n, 1.0)


def two_bone_ik(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Knee and ankle ``[N, 3]`` that bring the ankle to ``target`` with the hip fixed.

    The thigh ``|knee - hip|`` and shin ``|ankle - knee|`` keep their lengths (per row); the
    knee stays on the side of the hip-ankle line it was on (its pole). A target nearer than
    ``|thigh - shin|`` or farther than ``thigh + shin`` is approached along its direction.

    Args:
        hip, knee, ankle: ``[N, 3]`` current positions.
        target: ``[N, 3]`` where the ankle should go.

    Returns:
        ``(knee, ankle)`` new positions.
    """
    thigh = np.linalg.norm(knee - hip, axis=-1)
    shin = np.linalg.norm(ankle - knee, axis=-1)
    reach = target - hip
    lo, hi = np.abs(thigh - shin), thigh + shin
    distance = np.clip(np.linalg.norm(reach, axis=-1), lo + 1e-9 * hi, hi * (1.0 - 1e-12))
    axis = _unit(reach)
    degenerate = np.linalg.norm(reach, axis=-1) <= _EPS
    axis[degenerate] = _unit(ankle - hip)[degenerate]
    new_ankle = hip + axis * distance[:, None]
    along = (thigh**2 - shin**2 + distance**2) / (2.0 * distance)
    height = np.sqrt(np.clip(thigh**2 - along**2, 0.0, None))
    bend = knee - hip
    pole = bend - np.einsum("na,na->n", bend, axis)[:, None] * axis
    # A leg straight along the target has no bend plane: bend it forward (+Z, else +X).
    for fallback in (np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])):
        straight = np.linalg.norm(pole, axis=-1) <= 1e-6 * hi
        if not straight.any():
            break
        side = fallback - np.einsum("a,na->n", fallback, axis)[:, None] * axis
        pole = np.where(straight[:, None], side, pole)
    new_knee = hip + axis * along[:, None] + _unit(pole) * height[:, None]
    return new_knee, new_ankle


def _limited(target: np.ndarray, position: np.ndarray, limit: float) -> np.ndarray:
    """``target`` moved towards ``position`` until at most ``limit`` away from it."""
    offset = target - position
    norm = np.linalg.norm(offset, axis=-1, keepdims=True)
    return position + offset * np.minimum(1.0, limit / np.maximum(norm, 1e-12))


def fix_foot_joints(
    joints: np.ndarray,
    contacts: np.ndarray,
    *,
    blend: int = BLEND_FRAMES,
    max_correction: float = MAX_CORRECTION,
) -> np.ndarray:
    """Joints with the feet pinned where ``contacts`` says so (see the module docstring).

    Args:
        joints: ``[T, 22, 3]`` positions in metres.
        contacts: bool ``[T, 4]`` contact labels of `momo.motion.representation.FOOT_JOINTS`
            (left ankle, left toe, right ankle, right toe), e.g. the features' contact channels.
        blend: frames of easing either side of each contact run (0: hard pins).
        max_correction: the most an ankle or toe target may lie from the joint's own position
            (metres).

    Returns:
        float64 ``[T, 22, 3]``: a copy with knees, ankles and toes moved in pinned frames and
        their blend windows only.

    Raises:
        ValueError: if the shapes do not match or ``blend`` is negative.
    """
    joints = np.asarray(joints, dtype=np.float64)
    contacts = np.asarray(contacts, dtype=bool)
    if joints.ndim != 3 or joints.shape[1:] != (22, 3):
        raise ValueError(f"joints must be [T, 22, 3], got {list(joints.shape)}")
    if contacts.shape != (joints.shape[0], len(FOOT_JOINTS)):
        raise ValueError(
            f"contacts must be [T, 4] for {joints.shape[0]} frames, got {list(contacts.shape)}"
        )
    if blend < 0:
        raise ValueError(f"blend must be >= 0 frames, got {blend}")
    if not max_correction > 0:
        raise ValueError(f"max_correction must be > 0 metres, got {max_correction}")
    fixed = joints.copy()
    for hip, knee, ankle, toe in LEGS:
        ankle_pin, ankle_w = pinned_targets(
            joints[:, ankle], contacts[:, FOOT_JOINTS.index(ankle)], blend=blend
        )
        toe_pin, toe_w = pinned_targets(
            joints[:, toe], contacts[:, FOOT_JOINTS.index(toe)], blend=blend
        )
        frames = np.flatnonzero((ankle_w > 0) | (toe_w > 0))
        if frames.size == 0:
            continue
        w = ankle_w[frames, None]
        target = w * ankle_pin[frames] + (1.0 - w) * joints[frames, ankle]
        target = _limited(target, joints[frames, ankle], max_correction)
        new_knee, new_ankle = two_bone_ik(
            joints[frames, hip], joints[frames, knee], joints[frames, ankle], target
        )
        foot = joints[frames, toe] - joints[frames, ankle]
        w = toe_w[frames, None]
        aim = w * toe_pin[frames] + (1.0 - w) * (new_ankle + foot)
        aim = _limited(aim, joints[frames, toe], max_correction)
        length = np.linalg.norm(foot, axis=-1, keepdims=True)
        fixed[frames, knee] = new_knee
        fixed[frames, ankle] = new_ankle
        fixed[frames, toe] = new_ankle + _unit(aim - new_ankle) * length
    return fixed
