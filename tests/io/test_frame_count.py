"""A motion keeps its frame count through features, .npy and BVH round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bvh_rigs import rig_text, smpl_rig

from momo.io.api import features_keeping_frames, load_joints, load_motion, save_motion
from momo.motion.kinematics import features_to_joints, joints_to_features


def test_info_convert_and_reread_keep_46_frames(tmp_path: Path) -> None:
    source = tmp_path / "walk.bvh"
    source.write_text(rig_text(smpl_rig(frames=46)))
    joints, info = load_joints(source)
    assert info["frames"] == joints.shape[0] == 46
    motion = load_motion(source)
    assert motion.num_frames == 46
    save_motion(motion, tmp_path / "walk.npy")
    assert np.load(tmp_path / "walk.npy").shape == (46, 263)
    again = load_motion(tmp_path / "walk.npy")
    assert again.num_frames == 46
    save_motion(again, tmp_path / "again.bvh")
    back, info = load_joints(tmp_path / "again.bvh")
    assert info["frames"] == 46 and info["source_frames"] == 46
    assert load_motion(tmp_path / "again.bvh").num_frames == 46


def test_extra_row_changes_no_pose() -> None:
    joints, _ = load_joints_from_rig()
    features = features_keeping_frames(joints)
    reference = joints_to_features(joints)  # HumanML3D's own T - 1 rows
    assert features.shape[0] == joints.shape[0] == reference.shape[0] + 1
    # HumanML3D's rows are kept: the extension only adds a row (float32 round-off apart).
    np.testing.assert_allclose(features[:-1], reference, atol=1e-5)
    # Every pose HumanML3D's rows recover is recovered unchanged (float32 round-off), and the
    # last pose comes back too.
    recovered = features_to_joints(features)
    np.testing.assert_allclose(recovered[:-1], features_to_joints(reference), atol=2e-6)
    # joints -> features -> joints -> features -> joints is stable: no drift, no lost frame.
    twice = features_to_joints(features_keeping_frames(recovered))
    np.testing.assert_allclose(twice, recovered, atol=2e-5)


def test_extrapolated_pose_keeps_the_floor() -> None:
    joints, _ = load_joints_from_rig()
    falling = joints.copy()
    falling[-1, :, 1] -= 0.3  # the last frame dips: a naive extrapolation would go below it
    features = features_keeping_frames(falling)
    reference = joints_to_features(falling)
    # The floor (root height of row 0) is the same as HumanML3D's.
    np.testing.assert_allclose(features[0, 3], reference[0, 3], atol=1e-6)


def load_joints_from_rig() -> tuple[np.ndarray, dict]:
    from momo.io.bvh import parse_bvh, read_bvh_joints

    return read_bvh_joints(parse_bvh(rig_text(smpl_rig(frames=30)), "walk.bvh"))
