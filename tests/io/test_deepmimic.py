"""DeepMimic import: handedness and axes on constructed frames, errors, and real clips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from momo.errors import MotionFormatError
from momo.io.deepmimic import FRAME_SIZE, OFFSETS, parse_deepmimic, read_deepmimic_joints


def _frame(
    dt: float = 1 / 30, root=(0.0, 0.9, 0.0), root_quat=(1, 0, 0, 0), knee=0.0
) -> list[float]:
    identity = [1.0, 0.0, 0.0, 0.0]
    row = [dt, *root, *root_quat]
    row += identity * 2  # chest, neck
    for _side in range(2):  # right then left: hip, knee, ankle, shoulder, elbow
        row += identity + [knee] + identity + identity + [0.0]
    assert len(row) == FRAME_SIZE
    return row


def _motion(frames: list[list[float]]) -> str:
    return json.dumps({"Loop": "none", "Frames": frames})


def test_handedness_right_side_plus_z_becomes_minus_x() -> None:
    # Rest pose: DeepMimic's right hip is at +Z (facing +X). After import the character faces
    # +Z with its left on +X, so the right hip must be at -X: a rotation, not a mirror.
    text = _motion([_frame(), _frame()])
    joints, info = read_deepmimic_joints("rest.txt", text=text)
    pelvis, left_hip, right_hip = joints[0, 0], joints[0, 1], joints[0, 2]
    np.testing.assert_allclose(right_hip - pelvis, [-OFFSETS[3, 2], 0, 0], atol=1e-6)
    np.testing.assert_allclose(left_hip - pelvis, [OFFSETS[3, 2], 0, 0], atol=1e-6)
    # Feet point forward (+Z), the head is above the neck, wrists below the elbows.
    assert (joints[0, [10, 11], 2] > joints[0, [7, 8], 2] + 0.1).all()
    assert joints[0, 15, 1] > joints[0, 12, 1]
    assert (joints[0, [20, 21], 1] < joints[0, [18, 19], 1]).all()
    assert info["joint_map"] == "deepmimic_humanoid3d"
    assert set(info["synthesised_joints"]) == {"spine1", "spine3", "left_collar", "right_collar"}


def test_forward_motion_along_plus_x_becomes_plus_z_and_knees_bend_backwards() -> None:
    frames = [_frame(root=(0.1 * i, 0.9, 0.0), knee=-0.5) for i in range(11)]
    joints, info = read_deepmimic_joints("walk.txt", text=_motion(frames))
    # 10 frames of 1/30 s -> 1/3 s -> 7 frames at 20 fps; the root moved +X 1 m in DeepMimic.
    assert joints.shape == (7, 22, 3)
    step = joints[-1, 0] - joints[0, 0]
    np.testing.assert_allclose(step, [0, 0, 1.0 * 6 / 20 * 3], atol=1e-6)
    # A negative knee angle puts the ankle behind the knee (-Z, the shin swings back).
    assert (joints[0, [7, 8], 2] < joints[0, [4, 5], 2] - 0.1).all()
    assert info["source_frames"] == 11


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("{", "not valid JSON"),
        ('{"Loop": "wrap"}', "no 'Frames'"),
        ('{"Frames": []}', "empty"),
        (json.dumps({"Frames": [[0.1] * 43]}), "has 43 values"),
        (json.dumps({"Frames": [_frame()[:-1] + ["x"]]}), "not numbers"),
        (json.dumps({"Frames": [_frame(dt=-1)]}), "negative"),
        (_motion([_frame(root=(float("nan"), 0.9, 0))]).replace("NaN", "NaN"), "NaN or Inf"),
        (_motion([_frame(root_quat=(0, 0, 0, 0)), _frame()]), "zero quaternion"),
    ],
)
def test_bad_files(text: str, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        read_deepmimic_joints("bad.txt", text=text)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read_deepmimic_joints(tmp_path / "missing.txt")


def test_parse_returns_loop_mode() -> None:
    frames, loop = parse_deepmimic(json.dumps({"Loop": "wrap", "Frames": [_frame()]}))
    assert frames.shape == (1, FRAME_SIZE) and loop == "wrap"


def test_real_clips_face_the_way_they_walk(deepmimic_sample: dict[str, bytes]) -> None:
    from momo.io.checks import check_import
    from momo.motion.kinematics import joints_to_features

    for name, data in deepmimic_sample.items():
        joints, info = read_deepmimic_joints(name, text=data.decode())
        features = joints_to_features(joints)
        walk = "walk" in name
        report = check_import(joints, features, walk=walk, forward_walk=walk)
        assert report.failures == [], (name, report)
        assert info["frames"] == joints.shape[0]
