"""BVH parsing and forward kinematics on hand-made files with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from momo.errors import MotionFormatError
from momo.io.bvh import parse_bvh, pose_clip, read_bvh
from momo.io.skeleton import euler_to_quat, quat_to_matrix

# root: position + ZXY rotation; a: XZY rotation order; b: position channels mixed with a
# rotation, in a scrambled order; an End Site on b.
SMALL = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT a
  {
    OFFSET 0 10 0
    CHANNELS 3 Xrotation Zrotation Yrotation
    JOINT b
    {
      OFFSET 0 10 0
      CHANNELS 4 Xposition Zrotation Yposition Zposition
      End Site
      {
        OFFSET 0 5 0
      }
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.05
1 2 3 90 0 0   0 0 0   0 0 10 0
0 0 0 0 0 0    90 0 0  3 0 10 0
0 0 0 0 0 0    90 90 0 0 0 10 0
"""


def test_small_file_structure() -> None:
    clip = parse_bvh(SMALL, "small")
    assert clip.names == ("root", "a", "b")
    assert clip.parents == (-1, 0, 1)
    assert clip.motion.shape == (3, 13)
    assert clip.frame_time == pytest.approx(0.05)
    assert [j.rotation_order for j in clip.joints] == ["ZXY", "XZY", "Z"]
    np.testing.assert_array_equal(clip.joints[2].end_sites, [[0, 5, 0]])


def test_forward_kinematics_matches_hand_computation() -> None:
    skel = pose_clip(parse_bvh(SMALL, "small"), fps=20)
    pos = skel.positions
    # Frame 0: root at (1, 2, 3) turned 90 degrees about Z, which takes +Y to -X.
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [-9, 2, 3], [-19, 2, 3]], atol=1e-9)
    np.testing.assert_allclose(skel.local_point(2, skel.end_sites[2])[0], [-24, 2, 3], atol=1e-9)
    # Frame 1: a turned 90 degrees about X (+Y -> +Z); b's X position channel replaces its
    # offset's X: offset (3, 10, 0) -> (3, 0, 10).
    np.testing.assert_allclose(pos[1], [[0, 0, 0], [0, 10, 0], [3, 10, 10]], atol=1e-9)
    # Frame 2: channel order X then Z means R = Rx @ Rz: (0, 10, 0) -> (-10, 0, 0) (Rz first);
    # the other order would give (0, 0, 10).
    np.testing.assert_allclose(pos[2, 2], [-10, 10, 0], atol=1e-9)


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "ZYX", "YZX", "XZ", "Y"])
def test_euler_conversion_matches_scipy(order: str) -> None:
    angles = np.random.default_rng(0).uniform(-180, 180, (200, len(order)))
    expected = Rotation.from_euler(order, angles, degrees=True).as_matrix()
    np.testing.assert_allclose(quat_to_matrix(euler_to_quat(angles, order)), expected, atol=1e-12)


def test_names_with_namespaces_and_spaces_and_attached_braces() -> None:
    text = (
        "HIERARCHY\nROOT mixamorig:Hips{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n"
        "JOINT Left Up Leg\n{\nOFFSET 1 0 0\nCHANNELS 1 yrotation\nEnd Site\n{\nOFFSET 0 -1 0\n}\n}\n}"
        "\nMOTION\nFrames: 1\nFrame Time: 0.1\n0 1 0 45\n"
    )
    clip = parse_bvh(text)
    assert clip.names == ("mixamorig:Hips", "Left Up Leg")
    assert clip.joints[1].channels == ("Yrotation",)


def test_frames_wrapped_over_lines_are_accepted() -> None:
    wrapped = SMALL.replace("1 2 3 90 0 0   0 0 0   0 0 10 0", "1 2 3 90 0 0\n0 0 0   0 0 10 0")
    np.testing.assert_array_equal(parse_bvh(wrapped).motion, parse_bvh(SMALL).motion)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("hello world", "not a BVH file"),
        ("\x00\x01\x02binary", "binary"),
        (SMALL.split("MOTION")[0], "no MOTION"),
        (SMALL[: SMALL.index("JOINT b")], "no MOTION"),
        (SMALL.rsplit("\n", 2)[0] + "\n", "truncated"),
        (SMALL.replace("0 0 0   0 0 10 0", "0 0 nan   0 0 10 0"), "NaN or Inf"),
        (SMALL.replace("0 0 0   0 0 10 0", "0 0 abc   0 0 10 0"), "not a number"),
        (SMALL.replace("Frames: 3", "Frames: 2"), "header says"),
        (SMALL.replace("Frames: 3", "Frames: 0"), "at least one"),
        (SMALL.replace("Frame Time: 0.05", "Frame Time: 0"), "positive"),
        (SMALL.replace("Frame Time: 0.05", "Frame Time: x"), "frame time"),
        (SMALL.replace("CHANNELS 3 Xrotation", "CHANNELS 3 Wrotation"), "unknown channel"),
        (
            SMALL.replace("OFFSET 0 10 0\n    CHANNELS 3", "OFFSET 0 ten 0\n    CHANNELS 3"),
            "number",
        ),
        (SMALL.replace("JOINT b", "JOINT a"), "unique"),
        (SMALL.replace("ROOT root", "JOINT root"), "expected ROOT"),
        (SMALL.replace("MOTION", "}\nMOTION"), "unexpected"),
    ],
)
def test_bad_files_raise_motion_format_error(text: str, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        parse_bvh(text, "bad.bvh")


def test_missing_file_is_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read_bvh(tmp_path / "nope.bvh")


def test_resampling_interpolates_rotations_exactly() -> None:
    # A joint spinning about Y at a constant 90 degrees per second, sampled at 30 fps: slerp
    # between samples is exact for constant angular velocity, so 20 fps samples lie at exactly
    # 4.5 degrees apart, and the bone keeps its length (linear interpolation would not).
    frames = 31
    angles = np.arange(frames) * 3.0
    rows = "\n".join(f"0 0 0 0 {a:.6f} 0 0 0 0" for a in angles)
    text = (
        "HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Xrotation "
        "Yrotation Zrotation\nJOINT c\n{\nOFFSET 10 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n"
        f"End Site\n{{\nOFFSET 1 0 0\n}}\n}}\n}}\nMOTION\nFrames: {frames}\n"
        f"Frame Time: {1 / 30:.7f}\n{rows}\n"
    )
    skel = pose_clip(parse_bvh(text), fps=20)
    assert skel.num_frames == 21  # 1 s at 20 fps, both ends included
    expected_angles = np.radians(np.arange(21) * 4.5)
    expected = 10 * np.stack(
        [np.cos(expected_angles), np.zeros(21), -np.sin(expected_angles)], axis=-1
    )
    np.testing.assert_allclose(skel.positions[:, 1], expected, atol=1e-4)


def test_integer_downsampling_takes_every_nth_frame() -> None:
    frames = 13
    rng = np.random.default_rng(1)
    values = rng.uniform(-40, 40, (frames, 6))
    rows = "\n".join(" ".join(f"{v:.6f}" for v in row) for row in values)
    text = (
        "HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation "
        "Xrotation Yrotation\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\n"
        f"MOTION\nFrames: {frames}\nFrame Time: {1 / 120:.7f}\n{rows}\n"
    )
    at_120 = pose_clip(parse_bvh(text), fps=120)
    at_20 = pose_clip(parse_bvh(text), fps=20)
    assert at_20.num_frames == 3
    np.testing.assert_allclose(at_20.positions, at_120.positions[::6], atol=1e-6)
    np.testing.assert_allclose(at_20.rotations, at_120.rotations[::6], atol=1e-6)
