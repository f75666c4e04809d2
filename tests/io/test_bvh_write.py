"""BVH writer: round trips within 1 mm on data-derived motions, third-party parser, safe output."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from momo.errors import MotionFormatError, OutputExistsError
from momo.io.api import joints_from_bytes
from momo.io.bvh import read_bvh, read_bvh_joints
from momo.io.bvh_write import bvh_text, write_bvh
from momo.motion.kinematics import features_to_joints, joints_to_features
from momo.motion.motion import Motion
from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    JOINT_NAMES,
    PARENTS,
    REST_DIRECTIONS,
)


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


def test_written_skeleton_has_the_fitted_bone_lengths(tmp_path: Path, caplog) -> None:
    """Bones that stretch (random features) get their mean length, the least-squares constant;
    the fit is reported in one log line for the file."""
    rng = np.random.default_rng(0)
    features = rng.normal(0, 0.1, (12, 263)).astype(np.float32)
    joints = Motion(features).joints().astype(np.float64)
    with caplog.at_level(logging.INFO, logger="momo.io.bvh_write"):
        write_bvh(Motion(features), tmp_path / "noise.bvh")
    (record,) = [r for r in caplog.records if r.name == "momo.io.bvh_write"]
    assert "fitted over 12 frames" in record.getMessage()
    clip = read_bvh(tmp_path / "noise.bvh")
    assert sorted(clip.names) == sorted(JOINT_NAMES)
    parent_names = {j.name: (clip.names[j.parent] if j.parent >= 0 else None) for j in clip.joints}
    for j, name in enumerate(JOINT_NAMES):
        assert parent_names[name] == (JOINT_NAMES[PARENTS[j]] if PARENTS[j] >= 0 else None)
    assert clip.frame_time == pytest.approx(0.05)
    lengths = {j.name: np.linalg.norm(j.offset) / 100.0 for j in clip.joints}
    for j in range(1, 22):
        per_frame = np.linalg.norm(joints[:, j] - joints[:, PARENTS[j]], axis=-1)
        assert lengths[JOINT_NAMES[j]] == pytest.approx(per_frame.mean(), abs=2e-6)


def _scaled_stance(scale: float) -> np.ndarray:
    """The canonical rest pose scaled by ``scale`` (known bone lengths), walking and turning
    with bending knees: float64 [40, 22, 3]."""
    from scipy.spatial.transform import Rotation

    pose = np.zeros((22, 3))
    for j in range(1, 22):
        pose[j] = pose[PARENTS[j]] + REST_DIRECTIONS[j] * CANONICAL_BONE_LENGTHS[j] * scale
    frames = 40
    joints = np.repeat(pose[None], frames, axis=0)
    t = np.arange(frames) / 20.0
    for knee, sign in ((4, 1.0), (5, -1.0)):  # swing each lower leg about its knee
        bend = Rotation.from_rotvec(np.outer(0.5 * sign * np.sin(2 * np.pi * t), [1, 0, 0]))
        for below in (knee + 3, knee + 6):
            joints[:, below] = joints[:, knee] + bend.apply(pose[below] - pose[knee])
    turn = Rotation.from_rotvec(np.outer(0.8 * t, [0, 1, 0]))
    joints = np.stack([turn[i].apply(joints[i]) for i in range(frames)])
    joints[..., 2] += t[:, None]
    return joints + [0.0, 1.0, 0.0]


def test_known_bone_lengths_round_trip_within_a_millimetre(tmp_path: Path, caplog) -> None:
    joints = _scaled_stance(1.3)
    with caplog.at_level(logging.INFO, logger="momo.io.bvh_write"):
        error = write_bvh(joints, tmp_path / "tall.bvh")
    assert "the motion's own bone lengths" in caplog.text
    back, _ = read_bvh_joints(tmp_path / "tall.bvh")
    assert np.linalg.norm(back - joints, axis=-1).max() < 1e-3
    assert error < 1e-3
    clip = read_bvh(tmp_path / "tall.bvh")
    knee = clip.joints[clip.names.index("left_knee")]
    assert np.linalg.norm(knee.offset) / 100 == pytest.approx(1.3 * CANONICAL_BONE_LENGTHS[4])


def test_real_skeletons_round_trip_on_their_own_bone_lengths(
    bandai_sample: dict[str, bytes], deepmimic_sample: dict[str, bytes], tmp_path: Path
) -> None:
    """Joints as imported from real skeletons (their own proportions, not HumanML3D's) come
    back within 1 mm."""
    for name, data in (
        ("walk.bvh", bandai_sample["dataset-1_walk_normal_001.bvh"]),
        ("dance.bvh", bandai_sample["dataset-1_dance-short_normal_001.bvh"]),
        ("walk.txt", deepmimic_sample["humanoid3d_walk.txt"]),
    ):
        joints, _ = joints_from_bytes(name, data)
        write_bvh(joints, tmp_path / f"{name}.bvh")
        back, _ = read_bvh_joints(tmp_path / f"{name}.bvh")
        assert back.shape == joints.shape
        assert np.linalg.norm(back - joints, axis=-1).max() < 1e-3, name


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
