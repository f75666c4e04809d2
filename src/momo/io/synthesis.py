"""Synthesis of the SMPL joints a source skeleton lacks (spine, neck, head, collars, feet).

Each joint is placed from the joints a joint map found, at the proportions of HumanML3D's
canonical skeleton (`momo.motion.representation.CANONICAL_BONE_LENGTHS`) or of fits to
HumanML3D's data, so that a skeleton with fewer joints still gives a plausible 22-joint body.
"""

from __future__ import annotations

import numpy as np

from momo.motion.representation import CANONICAL_BONE_LENGTHS

_SPINE = (0, 3, 6, 9, 12)  # pelvis, spine1, spine2, spine3, neck
_CUMULATIVE_SPINE = np.cumsum([0.0] + [float(CANONICAL_BONE_LENGTHS[j]) for j in _SPINE[1:]])
_CANONICAL_LEG = float(np.mean(CANONICAL_BONE_LENGTHS[[4, 5]] + CANONICAL_BONE_LENGTHS[[7, 8]]))
# Collar = spine3 + a (neck - spine3) + b (shoulder - spine3): least-squares fit over the 170
# frames of HumanML3D's sample motion 012314 (both sides, residual about 1.3 cm).
_COLLAR_NECK_WEIGHT = 0.34
_COLLAR_SHOULDER_WEIGHT = 0.36
# Ankle -> foot (toe) points forward and this many degrees down on HumanML3D's skeleton (median
# over the same sample).
_FOOT_DROP_DEGREES = 19.5


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def synthesise_missing(joints: np.ndarray, known: np.ndarray) -> list[int]:
    """Fill the SMPL joints a skeleton lacks, in place.

    - neck (if only the head is known): on the line from the highest known spine joint to the
      head, at the canonical skeleton's proportions;
    - spine1..3: on the line between the nearest known spine joints below and above, at the
      canonical skeleton's proportions;
    - head: above the neck along spine3 -> neck, at the canonical neck-to-head length scaled by
      the skeleton's leg length;
    - collars: ``spine3 + 0.34 (neck - spine3) + 0.36 (shoulder - spine3)`` (fit to HumanML3D);
    - feet: ahead of the ankle in the body's facing direction, 19.5 degrees down, at the
      canonical foot length scaled by the leg length.

    Args:
        joints: ``[T, 22, 3]``; rows of unknown joints are overwritten.
        known: bool ``[22]``, True where ``joints`` holds mapped values; updated in place.

    Returns:
        Indices of the synthesised joints.
    """
    done: list[int] = []
    legs = np.linalg.norm(joints[:, [1, 2]] - joints[:, [4, 5]], axis=-1) + np.linalg.norm(
        joints[:, [4, 5]] - joints[:, [7, 8]], axis=-1
    )
    body_scale = float(np.median(legs)) / _CANONICAL_LEG

    if not known[12]:  # neck from the head
        below = max(k for k in range(4) if known[_SPINE[k]])
        top = joints[:, _SPINE[below]]
        head_cum = _CUMULATIVE_SPINE[4] + CANONICAL_BONE_LENGTHS[15]
        t = (_CUMULATIVE_SPINE[4] - _CUMULATIVE_SPINE[below]) / (
            head_cum - _CUMULATIVE_SPINE[below]
        )
        joints[:, 12] = top + t * (joints[:, 15] - top)
        known[12] = True
        done.append(12)
    for k in (1, 2, 3):
        j = _SPINE[k]
        if known[j]:
            continue
        lo = max(i for i in range(k) if known[_SPINE[i]])
        hi = min(i for i in range(k + 1, 5) if known[_SPINE[i]])
        t = (_CUMULATIVE_SPINE[k] - _CUMULATIVE_SPINE[lo]) / (
            _CUMULATIVE_SPINE[hi] - _CUMULATIVE_SPINE[lo]
        )
        joints[:, j] = joints[:, _SPINE[lo]] + t * (joints[:, _SPINE[hi]] - joints[:, _SPINE[lo]])
        known[j] = True
        done.append(j)
    if not known[15]:
        direction = _unit(joints[:, 12] - joints[:, 9])
        joints[:, 15] = joints[:, 12] + direction * CANONICAL_BONE_LENGTHS[15] * body_scale
        known[15] = True
        done.append(15)
    for collar, shoulder in ((13, 16), (14, 17)):
        if known[collar]:
            continue
        spine3 = joints[:, 9]
        joints[:, collar] = (
            spine3
            + _COLLAR_NECK_WEIGHT * (joints[:, 12] - spine3)
            + _COLLAR_SHOULDER_WEIGHT * (joints[:, shoulder] - spine3)
        )
        known[collar] = True
        done.append(collar)
    if not (known[10] and known[11]):
        up = np.array([0.0, 1.0, 0.0])
        across = (joints[:, 2] - joints[:, 1]) + (joints[:, 17] - joints[:, 16])
        across[:, 1] = 0.0
        forward = _unit(np.cross(up, across))
        drop = np.radians(_FOOT_DROP_DEGREES)
        for foot, ankle in ((10, 7), (11, 8)):
            if known[foot]:
                continue
            length = CANONICAL_BONE_LENGTHS[foot] * body_scale
            joints[:, foot] = joints[:, ankle] + length * (
                np.cos(drop) * forward - np.sin(drop) * up
            )
            known[foot] = True
            done.append(foot)
    return done
