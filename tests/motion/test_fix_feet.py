"""Pinning feet in contact: a synthetic sliding stance, leg IK and the features written back."""

from __future__ import annotations

import numpy as np
import pytest

import momo
from momo.evaluation.quality import foot_skating_ratio
from momo.io.api import features_keeping_frames
from momo.motion.fix_feet import feature_contacts, fix_feet, floor_contacts, leg_rotations_6d
from momo.motion.foot_ik import (
    LEGS,
    contact_runs,
    fix_foot_joints,
    pinned_targets,
    two_bone_ik,
)
from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    FOOT_CONTACT,
    NUM_JOINTS,
    PARENTS,
    REST_DIRECTIONS,
    RIC,
)

BONES = [(PARENTS[j], j) for j in range(1, NUM_JOINTS)]


def _bone_lengths(joints: np.ndarray) -> np.ndarray:
    return np.stack([np.linalg.norm(joints[:, c] - joints[:, p], axis=-1) for p, c in BONES], 1)


def sliding_stance(frames: int = 60, slide: float = 0.12) -> np.ndarray:
    """A crouched stance (knees bent forward, feet under the hips) whose whole body slides
    ``slide * sin(2 pi t)`` metres along X: planted feet that skate. Float64 [T, 22, 3]."""
    pose = np.zeros((NUM_JOINTS, 3))
    for j in range(1, NUM_JOINTS):
        pose[j] = pose[PARENTS[j]] + REST_DIRECTIONS[j] * CANONICAL_BONE_LENGTHS[j]
    reach = 0.7  # hip -> ankle, straight down
    for hip, knee, ankle, toe in LEGS:
        thigh, shin = CANONICAL_BONE_LENGTHS[knee], CANONICAL_BONE_LENGTHS[ankle]
        foot = pose[toe] - pose[ankle]
        along = (thigh**2 - shin**2 + reach**2) / (2 * reach)  # law of cosines
        pose[knee] = pose[hip] + [0.0, -along, np.sqrt(thigh**2 - along**2)]
        pose[ankle] = pose[hip] + [0.0, -reach, 0.0]
        pose[toe] = pose[ankle] + foot
    pose[:, 1] -= pose[:, 1].min()
    t = np.arange(frames) / 20.0
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 0] += slide * np.sin(2 * np.pi * t)[:, None]
    return joints


def test_contact_runs_merge_short_gaps() -> None:
    contact = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 1], dtype=bool)
    assert contact_runs(contact, merge_gap=2) == [(1, 5), (9, 9)]
    assert contact_runs(contact, merge_gap=0) == [(1, 2), (5, 5), (9, 9)]
    assert contact_runs(np.zeros(5, dtype=bool)) == []


def test_pinned_targets_ease_in_and_out() -> None:
    positions = np.zeros((20, 3))
    positions[:, 0] = np.arange(20.0)
    contact = np.zeros(20, dtype=bool)
    contact[8:12] = True
    pins, weight = pinned_targets(positions, contact, blend=3)
    assert np.all(weight[8:12] == 1.0) and np.all(pins[8:12, 0] == 9.5)
    assert np.all(weight[:5] == 0.0) and np.all(weight[15:] == 0.0)
    assert 0 < weight[5] < weight[6] < weight[7] < 1  # rising towards the run
    assert 1 > weight[12] > weight[13] > weight[14] > 0


def test_two_bone_ik_keeps_lengths_and_bend_side() -> None:
    rng = np.random.default_rng(0)
    hip = rng.normal(size=(50, 3))
    knee = hip + rng.normal(size=(50, 3)) * 0.3
    ankle = knee + rng.normal(size=(50, 3)) * 0.3
    target = hip + rng.normal(size=(50, 3)) * 0.3
    new_knee, new_ankle = two_bone_ik(hip, knee, ankle, target)
    for a, b, c, d in ((hip, knee, hip, new_knee), (knee, ankle, new_knee, new_ankle)):
        before, after = np.linalg.norm(b - a, axis=-1), np.linalg.norm(d - c, axis=-1)
        np.testing.assert_allclose(after, before, rtol=1e-9)
    thigh, shin = np.linalg.norm(knee - hip, axis=-1), np.linalg.norm(ankle - knee, axis=-1)
    reach = np.linalg.norm(target - hip, axis=-1)
    ok = (reach < thigh + shin) & (reach > abs(thigh - shin))
    assert ok.sum() > 10
    np.testing.assert_allclose(new_ankle[ok], target[ok], atol=1e-9)
    # Unreachable targets: the ankle lies on the hip -> target ray.
    far = ~ok
    direction = (new_ankle - hip)[far] / np.linalg.norm((new_ankle - hip)[far], axis=-1)[:, None]
    wanted = (target - hip)[far] / reach[far, None]
    np.testing.assert_allclose(direction, wanted, atol=1e-9)


def test_two_bone_ik_reproduces_a_reachable_pose() -> None:
    joints = sliding_stance(10)
    hip, knee, ankle, _ = LEGS[0]
    new_knee, new_ankle = two_bone_ik(
        joints[:, hip], joints[:, knee], joints[:, ankle], joints[:, ankle]
    )
    np.testing.assert_allclose(new_knee, joints[:, knee], atol=1e-12)
    np.testing.assert_allclose(new_ankle, joints[:, ankle], atol=1e-12)


def test_fix_pins_the_contact_leg_and_leaves_the_rest() -> None:
    joints = sliding_stance()
    contacts = np.zeros((len(joints), 4), dtype=bool)
    contacts[:, :2] = True  # left ankle and toe in contact throughout; right leg free
    fixed = fix_foot_joints(joints, contacts, blend=3)
    assert foot_skating_ratio(joints, foot_joints=(10,)) > 0.3
    assert foot_skating_ratio(fixed, foot_joints=(10,)) == 0.0
    assert foot_skating_ratio(fixed, foot_joints=(11,)) == foot_skating_ratio(joints)
    toe_speed = np.linalg.norm(np.diff(fixed[:, 10], axis=0), axis=-1)
    assert toe_speed.max() < 1e-9  # pinned: the left toe no longer moves
    assert np.linalg.norm(np.diff(joints[:, 10], axis=0), axis=-1).max() > 0.02
    np.testing.assert_allclose(_bone_lengths(fixed), _bone_lengths(joints), rtol=1e-6)
    moved = {j for j in range(NUM_JOINTS) if not np.array_equal(fixed[:, j], joints[:, j])}
    assert moved == {4, 7, 10}  # left knee, ankle, toe only; root and right leg untouched


def test_free_frames_outside_the_blend_window_are_untouched() -> None:
    joints = sliding_stance()
    contacts = np.zeros((len(joints), 4), dtype=bool)
    contacts[20:30, 2:] = True
    fixed = fix_foot_joints(joints, contacts, blend=4)
    changed = np.flatnonzero(np.any(fixed != joints, axis=(1, 2)))
    assert changed.size > 0
    assert changed.min() >= 16 and changed.max() <= 33


def test_corrections_are_limited() -> None:
    """A foot labelled in contact while it travels 1.2 m: no joint moves more than the limit
    allows (ankle and toe at most max_correction, the knee at most a little more)."""
    joints = sliding_stance()
    joints[:, [4, 7, 10], 2] += np.linspace(0.0, 1.2, len(joints))[:, None]
    contacts = np.zeros((len(joints), 4), dtype=bool)
    contacts[:, :2] = True
    fixed = fix_foot_joints(joints, contacts, max_correction=0.1)
    moved = np.linalg.norm(fixed - joints, axis=-1)
    assert moved[:, [7, 10]].max() <= 0.1 + 1e-9
    assert moved.max() < 0.3
    np.testing.assert_allclose(_bone_lengths(fixed), _bone_lengths(joints), rtol=1e-6)


def test_bad_arguments_raise() -> None:
    joints = sliding_stance(5)
    with pytest.raises(ValueError, match=r"\[T, 4\]"):
        fix_foot_joints(joints, np.zeros((5, 3), dtype=bool))
    with pytest.raises(ValueError, match="blend"):
        fix_foot_joints(joints, np.zeros((5, 4), dtype=bool), blend=-1)
    with pytest.raises(ValueError, match="max_correction"):
        fix_foot_joints(joints, np.zeros((5, 4), dtype=bool), max_correction=0.0)


def _stance_motion() -> momo.Motion:
    features = features_keeping_frames(sliding_stance())
    features[:, FOOT_CONTACT] = 1.0  # both feet down throughout
    return momo.Motion(features, text="stands", name="stance")


def test_fix_feet_writes_the_fixed_joints_into_the_features() -> None:
    motion = _stance_motion()
    joints = motion.joints().astype(np.float64)
    fixed = fix_feet(motion, blend=3)
    expected = fix_foot_joints(joints, feature_contacts(motion.features), blend=3)
    np.testing.assert_allclose(fixed.joints(), expected, atol=2e-6)
    np.testing.assert_array_equal(fixed.features[:, :4], motion.features[:, :4])  # root
    np.testing.assert_array_equal(fixed.features[:, FOOT_CONTACT], motion.features[:, FOOT_CONTACT])
    np.testing.assert_allclose(fixed.joints()[:, 0], motion.joints()[:, 0], atol=0)
    assert foot_skating_ratio(motion.joints()) > 0.3
    assert foot_skating_ratio(fixed.joints()) == 0.0
    lengths = _bone_lengths(fixed.joints().astype(np.float64))
    np.testing.assert_allclose(lengths, _bone_lengths(joints), rtol=1e-5)
    assert fixed.text == "stands" and fixed.meta["fix_feet"]["blend"] == 3


def test_leg_rotations_match_humanml3d_features() -> None:
    """The 6-D leg rotations re-derived from joints are the ones joints_to_features makes."""
    features = features_keeping_frames(sliding_stance())
    joints = momo.features_to_joints(features.astype(np.float64))
    for joint, rot6d in leg_rotations_6d(joints).items():
        start = RIC.stop + 6 * (joint - 1)
        np.testing.assert_allclose(features[:, start : start + 6], rot6d, atol=1e-5)


def test_fix_feet_without_contacts_changes_nothing() -> None:
    motion = _stance_motion()
    features = motion.features.copy()
    features[:, FOOT_CONTACT] = 0.0
    plain = momo.Motion(features)
    np.testing.assert_array_equal(fix_feet(plain).features, plain.features)


def test_floor_contacts_are_the_low_ankles_and_toes() -> None:
    joints = np.zeros((3, NUM_JOINTS, 3))
    joints[:, :, 1] = 1.0
    joints[0, [7, 10], 1] = 0.01  # left ankle and toe down at frame 0
    joints[1, 11, 1] = 0.049  # right toe just below 5 cm at frame 1
    joints[2, 8, 1] = 0.051  # right ankle just above it at frame 2
    expected = [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    np.testing.assert_array_equal(floor_contacts(joints), np.array(expected, dtype=bool))


def test_floor_contacts_pin_feet_the_labels_leave_sliding() -> None:
    labelled = _stance_motion()
    unlabelled = momo.Motion(labelled.features.copy(), text="stands")
    unlabelled.features[:, FOOT_CONTACT] = 0.0  # labels say the feet never touch the floor
    assert np.array_equal(fix_feet(unlabelled).features, unlabelled.features)
    fixed = fix_feet(unlabelled, blend=3, contacts="floor")
    joints = unlabelled.joints().astype(np.float64)
    expected = fix_foot_joints(joints, floor_contacts(joints), blend=3)
    assert floor_contacts(joints)[:, [1, 3]].all()  # the stance's toes are on the floor
    np.testing.assert_allclose(fixed.joints(), expected, atol=2e-6)
    assert foot_skating_ratio(unlabelled.joints()) > 0.3
    assert foot_skating_ratio(fixed.joints()) < foot_skating_ratio(unlabelled.joints()) / 3
    np.testing.assert_array_equal(fixed.features[:, FOOT_CONTACT], 0.0)  # labels kept
    assert fixed.meta["fix_feet"]["contacts"] == "floor"
    with pytest.raises(ValueError, match="contacts"):
        fix_feet(unlabelled, contacts="channels")  # type: ignore[arg-type]
