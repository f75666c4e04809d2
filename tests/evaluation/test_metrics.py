"""MoMo's auxiliary metrics on constructed cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from momo.evaluation import metrics


def _still_then_moving(frames: int, start_moving: int, step: float) -> np.ndarray:
    joints = np.zeros((frames, 22, 3))
    for t in range(start_moving, frames):
        joints[t, :, 0] = (t - start_moving + 1) * step
    return joints


def test_contacts_from_joints_threshold() -> None:
    joints = _still_then_moving(8, start_moving=4, step=0.1)  # 0.01 m^2 per frame > 0.002
    contacts = metrics.contacts_from_joints(joints)
    assert contacts.shape == (7, 4)
    expected_rows = [True, True, True, False, False, False, False]
    assert contacts[:, 0].tolist() == expected_rows
    assert (contacts == contacts[:, :1]).all()
    slow = _still_then_moving(8, start_moving=0, step=0.04)  # 0.0016 m^2 < 0.002: contact
    assert metrics.contacts_from_joints(slow).all()


def test_contacts_reject_bad_shape() -> None:
    with pytest.raises(ValueError, match="22, 3"):
        metrics.contacts_from_joints(np.zeros((5, 21, 3)))


def test_foot_contact_agreement_counts_equal_labels_on_shared_frames() -> None:
    a = np.zeros((10, 4), dtype=bool)
    b = np.zeros((6, 4), dtype=bool)
    b[0, :3] = True  # 3 of the 24 shared labels differ
    assert metrics.foot_contact_agreement(a, b) == pytest.approx(21 / 24)


def test_root_path_distance() -> None:
    a = np.zeros((12, 22, 3))
    b = np.zeros((9, 22, 3))
    b[:, 0] = [3.0, 7.0, 4.0]  # height does not count; XZ offset has length 5
    assert metrics.root_path_distance(a, b) == pytest.approx(5.0)


def test_follower_similarity_extremes_and_mixture() -> None:
    rng = np.random.default_rng(0)
    leader = rng.normal(size=(20, 6))
    follower = rng.normal(size=(15, 6)) + 10.0
    assert metrics.follower_similarity(follower, leader, follower) == 1.0
    assert metrics.follower_similarity(leader, leader, follower) == 0.0
    mixed = np.concatenate([leader[:6], follower[:4]])
    assert metrics.follower_similarity(mixed, leader, follower) == pytest.approx(0.4)
    # Identical leader and follower: ties go to the leader.
    assert metrics.follower_similarity(leader, leader, leader.copy()) == 0.0


def test_transfer_metrics_of_output_equal_to_leader() -> None:
    rng = np.random.default_rng(1)
    leader_joints = np.cumsum(rng.normal(scale=0.02, size=(30, 22, 3)), axis=0)
    follower_joints = leader_joints + np.array([1.0, 0.0, 0.0])
    leader = rng.normal(size=(30, 263))
    follower = rng.normal(size=(30, 263)) + 5.0
    result = metrics.transfer_metrics(
        leader,
        leader,
        follower,
        output_joints=leader_joints,
        leader_joints=leader_joints,
        follower_joints=follower_joints,
    )
    assert result.leader_foot_contact == 1.0
    assert result.follower_foot_contact == 1.0  # a pure translation keeps every contact
    assert result.leader_root_distance == 0.0
    assert result.follower_root_distance == pytest.approx(1.0)
    assert result.follower_rotation_similarity == 0.0
    assert result.follower_position_similarity == 0.0
    assert set(result.as_dict()) >= {"leader_foot_contact", "follower_position_similarity"}
