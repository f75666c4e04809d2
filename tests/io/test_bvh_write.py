"""BVH writer: round trips within 1 mm on data-derived motions, third-party parser, safe output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from momo.errors import MotionFormatError, OutputExistsError
from momo.io.api import joints_from_bytes
from momo.io.bvh import read_bvh, read_bvh_joints
from momo.io.bvh_write import bvh_text, write_bvh
from momo.motion.kinematics import features_to_joints, joints_to_features
from momo.motion.motion import Motion
from momo.motion.representation import CANONICAL_BONE_LENGTHS, JOINT_NAMES, PARENTS


def _round_trip(motion: Motion, path: Path) -> float:
    reported = write_bvh(motion, path)
    back, info = read_bvh_joints(path)
    assert info["joint_map"] == "smpl" and info["scale"] == 0.01
    assert info["synthesised_joints"] == []
    error = float(np.abs(np.linalg.norm(back - motion.joints(), axis=-1)).max())
    assert reported == pytest.approx(error, abs=1e-5)
    return error


def test_humanml3d_sample_round_trips_within_a_millimetre(
    shared_data: Path, tmp_path: Path
) -> None:
    features = np.load(shared_data / "humanml3d-sample" / "new_joint_vecs_012314.npy")
    motion = Motion(features)
    assert _round_trip(motion, tmp_path / "sample.bvh") < 1e-3


def test_imported_clips_round_trip_within_a_millimetre(
    shared_data: Path,
    bandai_sample: dict[str, bytes],
    deepmimic_sample: dict[str, bytes],
    tmp_path: Path,
) -> None:
    clips = {
        "bandai": bandai_sample["dataset-1_dance-short_normal_001.bvh"],
        "deepmimic": deepmimic_sample["humanoid3d_backflip.txt"],
    }
    names = {"bandai": "a.bvh", "deepmimic": "b.txt"}
    for key, data in clips.items():
        joints, _ = joints_from_bytes(names[key], data)
        motion = Motion(joints_to_features(joints))
        assert _round_trip(motion, tmp_path / f"{key}.bvh") < 1e-3, key
    cmu = shared_data / "cmu-131" / "131_03.bvh"
    joints, _ = read_bvh_joints(cmu)
    assert _round_trip(Motion(joints_to_features(joints)), tmp_path / "cmu.bvh") < 1e-3


def test_written_skeleton_has_canonical_bone_lengths(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(0, 0.1, (12, 263)).astype(np.float32)
    write_bvh(Motion(features), tmp_path / "noise.bvh")
    clip = read_bvh(tmp_path / "noise.bvh")
    assert sorted(clip.names) == sorted(JOINT_NAMES)
    parent_names = {j.name: (clip.names[j.parent] if j.parent >= 0 else None) for j in clip.joints}
    for j, name in enumerate(JOINT_NAMES):
        assert parent_names[name] == (JOINT_NAMES[PARENTS[j]] if PARENTS[j] >= 0 else None)
    assert clip.frame_time == pytest.approx(0.05)
    lengths = {j.name: np.linalg.norm(j.offset) / 100.0 for j in clip.joints}
    for j in range(1, 22):
        assert lengths[JOINT_NAMES[j]] == pytest.approx(CANONICAL_BONE_LENGTHS[j], abs=1e-6)


def test_third_party_parser_reads_the_file(shared_data: Path, tmp_path: Path) -> None:
    bvh = pytest.importorskip("bvh")
    features = np.load(shared_data / "humanml3d-sample" / "new_joint_vecs_012314.npy")
    path = tmp_path / "third.bvh"
    write_bvh(Motion(features), path)
    mocap = bvh.Bvh(path.read_text())
    assert mocap.nframes == features.shape[0]
    assert mocap.frame_time == pytest.approx(0.05)
    assert sorted(mocap.get_joints_names()) == sorted(JOINT_NAMES)
    assert mocap.joint_parent("left_knee").name == "left_hip"
    assert mocap.joint_channels("pelvis")[:3] == ["Xposition", "Yposition", "Zposition"]
    # Root position channels agree with the joints (centimetres).
    joints = features_to_joints(features)
    root = np.array(
        mocap.frames_joint_channels("pelvis", ["Xposition", "Yposition", "Zposition"]), float
    )
    np.testing.assert_allclose(root / 100.0, joints[:, 0], atol=1e-5)
    offset = np.array(mocap.joint_offset("left_knee"), float) / 100.0
    assert np.linalg.norm(offset) == pytest.approx(CANONICAL_BONE_LENGTHS[4], abs=1e-6)


def test_output_is_never_overwritten_by_default(tmp_path: Path) -> None:
    path = tmp_path / "m.bvh"
    path.write_text("keep me")
    motion = Motion(np.zeros((5, 263), np.float32))
    with pytest.raises(OutputExistsError):
        write_bvh(motion, path)
    assert path.read_text() == "keep me"
    write_bvh(motion, path, overwrite=True)
    assert path.read_text().startswith("HIERARCHY")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.bvh"]  # no temporary files left


def test_bad_joints_are_rejected() -> None:
    with pytest.raises(MotionFormatError, match="shape"):
        bvh_text(np.zeros((4, 21, 3)))
    bad = np.zeros((4, 22, 3))
    bad[1, 3, 0] = np.inf
    with pytest.raises(MotionFormatError, match="NaN or Inf"):
        bvh_text(bad)
