"""Plausibility checks of imported motions (size, floor, handedness, gait).

Used by the tests on samples of the shared data and by ``benchmarks/import_all.py`` on all of
it. A mirrored import (left and right swapped) is the silent bug these look for hardest: the
canonical placement turns every motion to face +Z with its *labelled* left hip on +X, so a
mirror shows only as feet pointing backwards and walks going backwards, which is what
`foot_forwardness` and `travel_along_facing` measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from momo.io.joint_maps import standing_height
from momo.motion.representation import FOOT_CONTACT, FPS

#: Plausible stature of an adult performer (metres).
HEIGHT_RANGE: tuple[float, float] = (1.4, 2.0)
#: How far below the floor (Y = 0) any joint may go (metres).
FLOOR_TOLERANCE = 0.05

_UP = np.array([0.0, 1.0, 0.0])


def _horizontal_unit(v: np.ndarray) -> np.ndarray:
    v = v * np.array([1.0, 0.0, 1.0])
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-9, n, 1.0)


def body_facing(joints: np.ndarray) -> np.ndarray:
    """Per-frame horizontal facing ``[T, 3]``: ``cross(up, across)`` with across from the right
    to the left hip and shoulder, as HumanML3D defines it (its left on +X when facing +Z)."""
    across = (joints[:, 2] - joints[:, 1]) + (joints[:, 17] - joints[:, 16])
    return _horizontal_unit(np.cross(_UP, across))


def foot_forwardness(joints: np.ndarray) -> float | None:
    """Median cosine between ankle -> toe and the body's facing, on planted feet of upright frames.

    A foot counts where its toe is within 8 cm of the clip's lowest foot joint and moves less
    than 2 cm to the next frame, in frames where the head is at least 0.3 m above the pelvis.
    About +0.9 for a correctly labelled human skeleton, about -0.9 if left and right are
    swapped. None if no frame qualifies (lying or crawling clips).
    """
    upright = joints[:-1, 15, 1] - joints[:-1, 0, 1] > 0.3
    facing = body_facing(joints)[:-1]
    floor = joints[:, [7, 8, 10, 11], 1].min()
    cosines = []
    for ankle, toe in ((7, 10), (8, 11)):
        speed = np.linalg.norm(joints[1:, toe] - joints[:-1, toe], axis=-1)
        planted = upright & (joints[:-1, toe, 1] < floor + 0.08) & (speed < 0.02)
        direction = _horizontal_unit(joints[:-1, toe] - joints[:-1, ankle])
        cosines.append(np.sum(direction * facing, axis=-1)[planted])
    values = np.concatenate(cosines)
    return float(np.median(values)) if values.size else None


def travel_along_facing(joints: np.ndarray) -> float:
    """Mean root speed (metres per frame) along the body's facing of each frame.

    Positive when the body moves the way it faces, whatever path it takes (a long walk that
    comes back to its start still scores positive).
    """
    facing = body_facing(joints)[:-1]
    velocity = (joints[1:, 0] - joints[:-1, 0]) * np.array([1.0, 0.0, 1.0])
    return float(np.mean(np.sum(velocity * facing, axis=-1)))


def contact_alternations(features: np.ndarray) -> int:
    """How often single support switches between the left and right foot (from contacts)."""
    contacts = np.asarray(features)[:, FOOT_CONTACT] > 0.5
    left = contacts[:, 0] | contacts[:, 1]
    right = contacts[:, 2] | contacts[:, 3]
    states = [("L" if lt else "R") for lt, rt in zip(left, right) if lt != rt]
    return sum(1 for a, b in zip(states, states[1:]) if a != b)


@dataclass
class PlausibilityReport:
    """Measurements of one imported clip and the checks that failed.

    Attributes:
        height: stature estimate in metres (`momo.io.joint_maps.standing_height`).
        lowest: lowest joint height over the clip (metres, source floor at 0).
        left_hip_x: canonical frame 0's left-hip X minus right-hip X (positive: left on +X).
        foot_forward: `foot_forwardness` of the import (None if the clip is never upright).
        travel: `travel_along_facing` (forward walks only, else None).
        alternations: `contact_alternations` (walks only, else None).
        failures: names of the failed checks.
    """

    height: float
    lowest: float
    left_hip_x: float
    foot_forward: float | None
    travel: float | None = None
    alternations: int | None = None
    failures: list[str] = field(default_factory=list)


def check_import(
    joints: np.ndarray,
    features: np.ndarray,
    *,
    walk: bool = False,
    forward_walk: bool = False,
) -> PlausibilityReport:
    """Check an imported clip.

    Args:
        joints: ``[T, 22, 3]`` as imported (metres, the source's placement, floor at Y = 0).
        features: ``joints_to_features(joints)``.
        walk: the clip is a walk: require alternating foot contacts (single support switching
            sides at least once per 2.5 s, and at least once).
        forward_walk: the clip walks forwards: require travel along the body's facing.

    Returns:
        The measurements and failed checks (``height``, ``floor``, ``left_hip``, ``feet``,
        ``travel``, ``gait``).
    """
    from momo.motion.kinematics import features_to_joints

    canonical = np.asarray(features_to_joints(features))
    report = PlausibilityReport(
        height=standing_height(joints),
        lowest=float(joints[..., 1].min()),
        left_hip_x=float(canonical[0, 1, 0] - canonical[0, 2, 0]),
        foot_forward=foot_forwardness(joints),
    )
    lo, hi = HEIGHT_RANGE
    if not lo <= report.height <= hi:
        report.failures.append("height")
    if report.lowest < -FLOOR_TOLERANCE:
        report.failures.append("floor")
    if not report.left_hip_x > 0:
        report.failures.append("left_hip")
    if report.foot_forward is not None and not report.foot_forward > 0.3:
        report.failures.append("feet")
    if forward_walk:
        report.travel = travel_along_facing(joints)
        if not report.travel > 0:
            report.failures.append("travel")
    if walk:
        report.alternations = contact_alternations(features)
        seconds = features.shape[0] / FPS
        if report.alternations < max(1, int(seconds / 2.5)):
            report.failures.append("gait")
    return report
