"""Left/right mirroring in joint and feature space."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.errors import MotionFormatError
from momo.motion import representation as rep
from momo.motion.kinematics import features_to_joints, joints_to_features
from momo.motion.mirror import mirror_features, mirror_joints

# A left/right symmetric version of the canonical skeleton (HumanML3D's own is slightly
# asymmetric: e.g. left shin 0.432 m, right shin 0.426 m).
SYMMETRIC = (rep.CANONICAL_BONE_LENGTHS + rep.CANONICAL_BONE_LENGTHS[list(rep.MIRROR_JOINTS)]) / 2


def test_mirror_joints_negates_x_and_swaps_sides() -> None:
    joints = np.arange(2 * 22 * 3, dtype=np.float64).reshape(2, 22, 3)
    mirrored = mirror_joints(joints)
    assert mirrored.shape == joints.shape
    for left, right in zip(rep.LEFT_JOINTS, rep.RIGHT_JOINTS):
        np.testing.assert_array_equal(mirrored[:, left], joints[:, right] * [-1, 1, 1])
        np.testing.assert_array_equal(mirrored[:, right], joints[:, left] * [-1, 1, 1])
    for joint in (0, 3, 6, 9, 12, 15):
        np.testing.assert_array_equal(mirrored[:, joint], joints[:, joint] * [-1, 1, 1])


def test_mirroring_twice_is_identity() -> None:
    rng = np.random.default_rng(0)
    joints = rng.normal(size=(3, 7, 22, 3))
    features = rng.normal(size=(3, 7, 263))
    np.testing.assert_array_equal(mirror_joints(mirror_joints(joints)), joints)
    np.testing.assert_array_equal(mirror_features(mirror_features(features)), features)
    assert not np.allclose(mirror_features(features), features)


def test_feature_mirror_equals_joint_mirror_on_a_symmetric_skeleton(make_motion) -> None:
    # Every step of HumanML3D's procedure commutes with the mirror when the skeletons are
    # left/right symmetric, so the two routes must agree to rounding on every channel.
    joints = make_motion(80, seed=11, bone_scale=SYMMETRIC / rep.CANONICAL_BONE_LENGTHS.clip(1e-9))
    via_features = mirror_features(joints_to_features(joints, target_bone_lengths=SYMMETRIC))
    via_joints = joints_to_features(mirror_joints(joints), target_bone_lengths=SYMMETRIC)
    np.testing.assert_allclose(via_features, via_joints, atol=1e-9)


def test_feature_mirror_approximates_the_joint_mirror_on_humanml3d(humanml3d_sample: dict) -> None:
    # On HumanML3D's asymmetric canonical skeleton the two routes differ slightly: the leg-length
    # ratio is measured on the right leg, bones keep their side's canonical length, and the
    # facing (hips minus shoulders) is sensitive to the small length differences.
    joints = humanml3d_sample["joints"].astype(np.float64)
    via_features = mirror_features(joints_to_features(joints))
    via_joints = joints_to_features(mirror_joints(joints))
    error = np.abs(via_features - via_joints)
    contacts = rep.FOOT_CONTACT
    assert error[:, : contacts.start].mean() < 5e-3
    assert (via_features[:, contacts] == via_joints[:, contacts]).mean() >= 0.99
    # Far closer than the unmirrored features are to the mirrored ones.
    assert np.abs(joints_to_features(joints) - via_joints)[:, : contacts.start].mean() > 2e-2


def test_mirrored_features_render_as_mirrored_joints() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(scale=0.1, size=(2, 15, 263))
    np.testing.assert_allclose(
        features_to_joints(mirror_features(features)),
        mirror_joints(features_to_joints(features)),
        atol=1e-12,
    )


def test_torch_matches_numpy_and_keeps_device_and_dtype() -> None:
    rng = np.random.default_rng(2)
    features = rng.normal(size=(4, 263))
    joints = rng.normal(size=(4, 22, 3))
    for dtype in (torch.float32, torch.float64):
        out_f = mirror_features(torch.tensor(features, dtype=dtype))
        out_j = mirror_joints(torch.tensor(joints, dtype=dtype))
        assert out_f.dtype == dtype and out_j.dtype == dtype
        np.testing.assert_allclose(out_f.numpy(), mirror_features(features), atol=1e-6)
        np.testing.assert_allclose(out_j.numpy(), mirror_joints(joints), atol=1e-6)


@pytest.mark.parametrize("shape", [(22,), (10, 21, 3), (10, 22, 2)])
def test_mirror_joints_rejects_wrong_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(MotionFormatError, match="22, 3"):
        mirror_joints(np.zeros(shape))


def test_mirror_features_rejects_wrong_shapes() -> None:
    with pytest.raises(MotionFormatError, match="263"):
        mirror_features(np.zeros((5, 262)))
