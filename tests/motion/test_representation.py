"""Skeleton constants and feature layout."""

from __future__ import annotations

import numpy as np
import pytest

from momo.motion import representation as rep


def test_feature_slices_tile_263_channels() -> None:
    slices = [
        rep.ROOT_ROT_VEL,
        rep.ROOT_LIN_VEL,
        rep.ROOT_HEIGHT,
        rep.RIC,
        rep.ROT6D,
        rep.LOCAL_VEL,
        rep.FOOT_CONTACT,
    ]
    sizes = [1, 2, 1, 21 * 3, 21 * 6, 22 * 3, 4]
    start = 0
    for s, size in zip(slices, sizes):
        assert s.start == start and s.stop - s.start == size
        start = s.stop
    assert start == rep.FEATURE_DIM == 263


def test_chains_agree_with_parents_and_cover_every_joint_once() -> None:
    seen = []
    for chain in rep.KINEMATIC_CHAINS:
        for parent, child in zip(chain[:-1], chain[1:]):
            assert rep.PARENTS[child] == parent
            seen.append(child)
    assert sorted(seen) == list(range(1, rep.NUM_JOINTS))
    assert rep.PARENTS[0] == -1 and len(rep.PARENTS) == len(rep.JOINT_NAMES) == rep.NUM_JOINTS


def test_names_and_mirror_pairs_are_consistent() -> None:
    for left, right in zip(rep.LEFT_JOINTS, rep.RIGHT_JOINTS):
        assert rep.JOINT_NAMES[left].startswith("left_")
        assert rep.JOINT_NAMES[right] == "right_" + rep.JOINT_NAMES[left][len("left_") :]
        assert rep.MIRROR_JOINTS[left] == right and rep.MIRROR_JOINTS[right] == left
    assert [rep.JOINT_NAMES[j] for j in rep.FOOT_JOINTS] == [
        "left_ankle",
        "left_foot",
        "right_ankle",
        "right_foot",
    ]


def test_rest_directions_are_unit_and_mirror_symmetric() -> None:
    d = rep.REST_DIRECTIONS
    assert d.shape == (22, 3)
    np.testing.assert_array_equal(d[0], 0.0)
    np.testing.assert_allclose(np.linalg.norm(d[1:], axis=-1), 1.0)
    flip = np.array([-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(d[list(rep.MIRROR_JOINTS)] * flip, d)


def test_array_constants_are_read_only() -> None:
    with pytest.raises(ValueError):
        rep.REST_DIRECTIONS[1, 0] = 2.0
    with pytest.raises(ValueError):
        rep.CANONICAL_BONE_LENGTHS[1] = 2.0


def test_canonical_bone_lengths_match_humanml3d(humanml3d_sample: dict) -> None:
    joints = humanml3d_sample["joints"].astype(
        np.float64
    )  # [T, 22, 3], all on the canonical skeleton
    parents = np.array(rep.PARENTS[1:])
    measured = np.linalg.norm(joints[:, 1:] - joints[:, parents], axis=-1)  # [T, 21]
    assert rep.CANONICAL_BONE_LENGTHS[0] == 0.0
    np.testing.assert_allclose(rep.CANONICAL_BONE_LENGTHS[1:], measured[0], atol=1e-7)
    np.testing.assert_allclose(measured, np.broadcast_to(measured[0], measured.shape), atol=1e-5)
