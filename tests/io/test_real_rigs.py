"""Third-party-style rigs written in tests: a Z-up export, DAZ / Poser names, a LAFAN1-style rig
with toe joints, a 100STYLE-style numbered chest; frame rates and the unknown-skeleton message."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
from bvh_rigs import renamed, rig_text, smpl_rig, turned

from momo.errors import MotionFormatError
from momo.io.api import load_joints, load_motion
from momo.io.bvh import parse_bvh, read_bvh_joints
from momo.io.joint_maps import KNOWN_JOINT_MAPS, choose_scale
from momo.motion.representation import JOINT_NAMES

Y_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # +Y -> +Z

DAZ_NAMES = {
    "pelvis": "hip", "spine1": "abdomenLower", "spine2": "abdomenUpper", "spine3": "chest",
    "neck": "neck", "head": "head",
    **{f"{side}_{smpl}": f"{side[0]}{daz}" for side in ("left", "right") for smpl, daz in (
        ("hip", "Thigh"), ("knee", "Shin"), ("ankle", "Foot"), ("foot", "Toe"),
        ("collar", "Collar"), ("shoulder", "Shldr"), ("elbow", "ForeArm"), ("wrist", "Hand"))},
}  # fmt: skip
LAFAN_NAMES = {
    "pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2", "neck": "Neck",
    "head": "Head",
    **{f"{side}_{smpl}": f"{side.capitalize()}{name}" for side in ("left", "right")
       for smpl, name in (("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"), ("foot", "Toe"),
                          ("collar", "Shoulder"), ("shoulder", "Arm"), ("elbow", "ForeArm"),
                          ("wrist", "Hand"))},
}  # fmt: skip
STYLE_NAMES = {
    "pelvis": "Hips", "spine1": "Chest", "spine2": "Chest2", "spine3": "Chest3", "neck": "Neck",
    "head": "Head",
    **{f"{side}_{smpl}": f"{side.capitalize()}{name}" for side in ("left", "right")
       for smpl, name in (("hip", "Hip"), ("knee", "Knee"), ("ankle", "Ankle"), ("foot", "Toe"),
                          ("collar", "Collar"), ("shoulder", "Shoulder"), ("elbow", "Elbow"),
                          ("wrist", "Wrist"))},
}  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> tuple[np.ndarray, dict]:
    """The plain SMPL-named, Y-up import every variant is compared with."""
    return read_bvh_joints(parse_bvh(rig_text(smpl_rig()), "smpl.bvh"))


def _error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.linalg.norm(a - b, axis=-1)))


def test_reference_rig_imports_as_smpl_y_up(reference) -> None:
    joints, info = reference
    assert info["joint_map"] == "smpl" and info["up_axis"] == "y"
    assert info["synthesised_joints"] == [] and 1.5 < info["height_m"] < 1.8
    # Standing: the head is far above the ankles along +Y.
    assert np.median(joints[:, 15, 1] - joints[:, 7, 1]) > 1.2


def test_z_up_file_is_detected_and_stands_up(reference) -> None:
    joints_y, _ = reference
    text = rig_text(turned(smpl_rig(), Y_TO_Z_UP))
    joints, info = read_bvh_joints(parse_bvh(text, "z_up.bvh"))
    assert info["up_axis"] == "z" and "detected" in info["up_axis_source"]
    # The same motion as the Y-up file to float32 round-off of the written text (~1e-5 m):
    # measured 3e-6 m.
    assert _error(joints, joints_y) < 1e-4
    # Forcing Y shows what went wrong before: the body lies along -Z.
    lying, info = read_bvh_joints(parse_bvh(text, "z_up.bvh"), up_axis="y")
    assert info["up_axis_source"] == "given"
    assert np.median(lying[:, 15, 1] - lying[:, 7, 1]) < 0.2
    assert _error(lying, joints_y) > 1.0


def test_up_axis_argument_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "a.bvh"
    path.write_text(rig_text(smpl_rig(frames=4)))
    with pytest.raises(MotionFormatError, match="up axis 'w'"):
        load_joints(path, up_axis="w")
    motion = load_motion(path, up_axis="+y")
    assert motion.meta["up_axis"] == "y"
    np.save(tmp_path / "j.npy", motion.joints())
    with pytest.raises(MotionFormatError, match="Y up by definition"):
        load_motion(tmp_path / "j.npy", up_axis="z")


@pytest.mark.parametrize(
    ("names", "label"), [(DAZ_NAMES, "daz"), (LAFAN_NAMES, "lafan1"), (STYLE_NAMES, "anatomical")]
)
def test_third_party_names_import_like_smpl(reference, names, label) -> None:
    joints_y, _ = reference
    text = rig_text(renamed(smpl_rig(), names))
    joints, info = read_bvh_joints(parse_bvh(text, f"{label}.bvh"))
    assert info["joint_map"] == label
    assert info["synthesised_joints"] == []  # toes used, nothing made up
    assert _error(joints, joints_y) < 1e-6  # the same joints, read under other names


def test_poser_rig_without_toes_and_split_bones() -> None:
    # Poser's hip/abdomen/chest and Genesis's lShldrBend/lForearmBend/lThighBend spellings.
    names = dict(DAZ_NAMES, spine1="abdomen", spine2="chestLower", spine3="chestUpper")
    names.update(left_shoulder="lShldrBend", left_elbow="lForearmBend", left_hip="lThighBend")
    joints, info = read_bvh_joints(parse_bvh(rig_text(renamed(smpl_rig(), names)), "g.bvh"))
    assert info["joint_map"] == "daz" and info["synthesised_joints"] == []


def test_lafan_toes_are_used_not_synthesised(reference) -> None:
    joints_y, _ = reference
    rig = renamed(smpl_rig(), LAFAN_NAMES)
    joints, _ = read_bvh_joints(parse_bvh(rig_text(rig), "lafan.bvh"))
    # Without the toe rule the feet are synthesised; they land centimetres off the real toes.
    without = {k: v for k, v in KNOWN_JOINT_MAPS["lafan1"].joints.items() if "foot" not in k}
    synthetic, info = read_bvh_joints(parse_bvh(rig_text(rig), "lafan.bvh"), joint_map=without)
    assert info["synthesised_joints"] == ["left_foot", "right_foot"]
    feet = [10, 11]
    assert _error(joints[:, feet], joints_y[:, feet]) < 1e-6
    assert _error(synthetic[:, feet], joints_y[:, feet]) > 0.02


def test_anatomical_rig_is_not_labelled_cmu_and_unit_warning_reads(reference, caplog) -> None:
    text = rig_text(renamed(smpl_rig(), STYLE_NAMES))
    joints, info = read_bvh_joints(parse_bvh(text, "style.bvh"))
    assert info["joint_map"] != "cmu_asf"
    with caplog.at_level(logging.WARNING, logger="momo.io.units"):
        factor, _ = choose_scale(joints / info["scale"], KNOWN_JOINT_MAPS["cmu_asf"])
    assert factor == pytest.approx(0.01)
    message = caplog.records[0].getMessage()
    assert "''s" not in message and "the unit of joint map cmu_asf" in message


@pytest.mark.parametrize(("frame_time", "fps"), [(0.008333, 120), (0.0333333, 30), (0.05, 20)])
def test_frame_time_shows_the_nominal_rate(frame_time: float, fps: int) -> None:
    text = rig_text(smpl_rig(frames=13), frame_time=frame_time)
    _, info = read_bvh_joints(parse_bvh(text, "rate.bvh"))
    assert info["source_fps"] == fps


def test_odd_frame_rates_keep_their_decimals() -> None:
    _, info = read_bvh_joints(parse_bvh(rig_text(smpl_rig(frames=7), 1 / 29.97), "ntsc.bvh"))
    assert info["source_fps"] == pytest.approx(29.97)


def test_unknown_skeleton_lists_body_joints_first_and_names_both_options() -> None:
    rig = renamed(smpl_rig(frames=3), {n: f"bone{i:02d}" for i, n in enumerate(JOINT_NAMES)})
    # Add 143 face joints under the head, before the body joints in file order.
    text = rig_text(rig)
    face = "".join(
        f"JOINT face_lid_{k:03d}\n{{\nOFFSET 0 1 0\nCHANNELS 0\nEnd Site\n{{\nOFFSET 0 1 0\n}}\n}}\n"
        for k in range(143)
    )
    text = text.replace("JOINT bone01", face + "JOINT bone01", 1)
    with pytest.raises(MotionFormatError) as caught:
        read_bvh_joints(parse_bvh(text, "face.bvh"))
    message = str(caught.value)
    assert "165 joints" in message and "--joint-map" in message and "joint_map=" in message
    shown = re.search(r"body joints first: (.*?)\. To import", message).group(1)
    first = shown.split(", ")[:22]
    assert sorted(first) == sorted(f"bone{i:02d}" for i in range(22))
    assert "more hand and face joints" in shown
