"""Joint maps: detection by names, user maps, rules, synthesis and the errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from momo.errors import MotionFormatError
from momo.io.bvh import parse_bvh, read_bvh_joints
from momo.io.joint_maps import (
    KNOWN_JOINT_MAPS,
    JointMap,
    detect_joint_map,
    import_skeleton,
    load_joint_map,
    smpl_joint_name,
    standing_height,
    synthesise_missing,
)
from momo.io.skeleton import PosedSkeleton
from momo.motion.representation import CANONICAL_BONE_LENGTHS, JOINT_NAMES, PARENTS


def _bvh_from_tree(
    joints: list[tuple[str, int, tuple[float, float, float]]], scale: float = 1.0
) -> str:
    """A one-frame BVH (rest pose) with the given (name, parent, offset) joints, parents first."""
    children: dict[int, list[int]] = {}
    for i, (_, parent, _) in enumerate(joints):
        children.setdefault(parent, []).append(i)
    lines: list[str] = ["HIERARCHY"]

    def emit(i: int, depth: int) -> None:
        name, parent, offset = joints[i]
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parent < 0 else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET " + " ".join(str(v * scale) for v in offset))
        channels = (
            "6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
            if parent < 0
            else "3 Zrotation Xrotation Yrotation"
        )
        lines.append(f"{pad}  CHANNELS {channels}")
        for c in children.get(i, []):
            emit(c, depth + 1)
        if not children.get(i):
            lines.append(f"{pad}  End Site")
            lines.append(pad + "  {")
            lines.append(f"{pad}    OFFSET 0 {0.05 * scale} 0")
            lines.append(pad + "  }")
        lines.append(pad + "}")

    emit(0, 0)
    count = 6 + 3 * (len(joints) - 1)
    first = [0.0, 0.95 * scale, 0.0] + [0.0] * (count - 3)
    second = [0.0, 0.95 * scale, 0.05 * scale] + [0.0] * (count - 3)
    lines += ["MOTION", "Frames: 2", "Frame Time: 0.05"]
    lines += [" ".join(str(v) for v in first), " ".join(str(v) for v in second)]
    return "\n".join(lines) + "\n"


# A Mixamo-like rig in metres (T-pose, facing +Z, left on +X).
MIXAMO_TREE = [
    ("mixamorig:Hips", -1, (0, 0, 0)),
    ("mixamorig:Spine", 0, (0, 0.1, 0)),
    ("mixamorig:Spine1", 1, (0, 0.12, 0)),
    ("mixamorig:Spine2", 2, (0, 0.12, 0)),
    ("mixamorig:Neck", 3, (0, 0.15, 0)),
    ("mixamorig:Head", 4, (0, 0.1, 0.02)),
    ("mixamorig:LeftShoulder", 3, (0.05, 0.12, 0)),
    ("mixamorig:LeftArm", 6, (0.12, 0, 0)),
    ("mixamorig:LeftForeArm", 7, (0.27, 0, 0)),
    ("mixamorig:LeftHand", 8, (0.25, 0, 0)),
    ("mixamorig:RightShoulder", 3, (-0.05, 0.12, 0)),
    ("mixamorig:RightArm", 10, (-0.12, 0, 0)),
    ("mixamorig:RightForeArm", 11, (-0.27, 0, 0)),
    ("mixamorig:RightHand", 12, (-0.25, 0, 0)),
    ("mixamorig:LeftUpLeg", 0, (0.09, -0.07, 0)),
    ("mixamorig:LeftLeg", 14, (0, -0.42, 0)),
    ("mixamorig:LeftFoot", 15, (0, -0.42, 0)),
    ("mixamorig:LeftToeBase", 16, (0, -0.05, 0.13)),
    ("mixamorig:RightUpLeg", 0, (-0.09, -0.07, 0)),
    ("mixamorig:RightLeg", 18, (0, -0.42, 0)),
    ("mixamorig:RightFoot", 19, (0, -0.42, 0)),
    ("mixamorig:RightToeBase", 20, (0, -0.05, 0.13)),
]


def _renamed(tree, names: dict[str, str]):
    return [(names.get(n, n), p, o) for n, p, o in tree]


def test_mixamo_is_detected_with_and_without_prefix_and_units_are_inferred() -> None:
    for prefix, scale in (
        ("mixamorig:", 100.0),
        ("", 1.0),
        ("mixamorig1:", 2.54 / 100 * 1000 / 25.4),
    ):
        tree = _renamed(MIXAMO_TREE, {n: prefix + n.split(":")[1] for n, _, _ in MIXAMO_TREE})
        text = _bvh_from_tree(tree, scale=scale)
        joints, info = read_bvh_joints(parse_bvh(text, "rig.bvh"))
        assert info["joint_map"] == "mixamo"
        assert info["synthesised_joints"] == []
        # Units: centimetres and metres are told apart by the skeleton's size.
        assert 1.4 < info["height_m"] < 2.0
        np.testing.assert_allclose(joints[0, 0], [0, 0.95, 0], atol=1e-6)
        # The left upper leg is the left hip, on +X of a rig facing +Z.
        np.testing.assert_allclose(joints[0, 1], [0.09, 0.88, 0], atol=1e-6)


def test_smpl_named_skeleton_maps_one_to_one() -> None:
    offsets = {
        "Pelvis": (-1, (0, 0, 0)),
        "L_Hip": (0, (0.08, -0.07, 0)),
        "R_Hip": (0, (-0.08, -0.07, 0)),
        "Spine1": (0, (0, 0.12, 0)),
        "L_Knee": (1, (0, -0.39, 0)),
        "R_Knee": (2, (0, -0.39, 0)),
        "Spine2": (3, (0, 0.14, 0)),
        "L_Ankle": (4, (0, -0.43, 0)),
        "R_Ankle": (5, (0, -0.43, 0)),
        "Spine3": (6, (0, 0.06, 0)),
        "L_Foot": (7, (0, -0.05, 0.13)),
        "R_Foot": (8, (0, -0.05, 0.13)),
        "Neck": (9, (0, 0.21, 0)),
        "L_Collar": (9, (0.07, 0.12, 0)),
        "R_Collar": (9, (-0.07, 0.12, 0)),
        "Head": (12, (0, 0.1, 0.03)),
        "L_Shoulder": (13, (0.12, 0, 0)),
        "R_Shoulder": (14, (-0.12, 0, 0)),
        "L_Elbow": (16, (0.26, 0, 0)),
        "R_Elbow": (17, (-0.26, 0, 0)),
        "L_Wrist": (18, (0.26, 0, 0)),
        "R_Wrist": (19, (-0.26, 0, 0)),
    }
    tree = [(f"m_avg_{n}", p, o) for n, (p, o) in offsets.items()]
    joints, info = read_bvh_joints(parse_bvh(_bvh_from_tree(tree, 100.0), "smpl.bvh"))
    assert info["joint_map"] == "smpl" and info["synthesised_joints"] == []
    assert info["scale"] == 0.01
    rest = np.zeros((22, 3))
    for j, (parent, offset) in enumerate(offsets.values()):
        rest[j] = (rest[parent] if parent >= 0 else np.array([0, 0.95, 0])) + offset
    np.testing.assert_allclose(joints[0], rest, atol=1e-6)


def test_unknown_skeleton_lists_joints_and_says_how_to_pass_a_map() -> None:
    tree = [("base", -1, (0, 0, 0)), ("arm", 0, (0, 1, 0)), ("claw", 1, (0, 1, 0))]
    with pytest.raises(MotionFormatError) as err:
        read_bvh_joints(parse_bvh(_bvh_from_tree(tree), "robot.bvh"))
    message = str(err.value)
    assert "unknown skeleton" in message and "base, arm, claw" in message
    assert "joint_map=" in message


def test_user_map_from_dict_and_json_with_synthesis(tmp_path: Path) -> None:
    # Mixamo rig renamed arbitrarily; the user maps only the required joints plus the head.
    rename = {n: f"j{i}" for i, (n, _, _) in enumerate(MIXAMO_TREE)}
    tree = _renamed(MIXAMO_TREE, rename)
    text = _bvh_from_tree(tree, scale=100.0)
    smpl_to_mixamo = {
        "pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg",
        "left_knee": "LeftLeg", "right_knee": "RightLeg", "left_ankle": "LeftFoot",
        "right_ankle": "RightFoot", "left_shoulder": "LeftArm", "right_shoulder": "RightArm",
        "L_Elbow": "LeftForeArm", "r_elbow": "RightForeArm", "16": "LeftArm",
        "left_wrist": "LeftHand", "right_wrist": "RightHand", "head": "Head",
    }  # fmt: skip
    mapping = {k: rename["mixamorig:" + v] for k, v in smpl_to_mixamo.items()}
    joints, info = read_bvh_joints(parse_bvh(text, "x.bvh"), joint_map=mapping)
    assert info["joint_map"] == "user"
    assert set(info["synthesised_joints"]) == {
        "spine1", "spine2", "spine3", "neck", "left_collar", "right_collar", "left_foot", "right_foot"
    }  # fmt: skip
    assert info["scale"] == 0.01  # inferred: the map gives none
    # Synthesised spine joints lie on the pelvis-neck line, in order, between the two.
    pelvis, neck = joints[0, 0], joints[0, 12]
    for j in (3, 6, 9):
        along = np.dot(joints[0, j] - pelvis, neck - pelvis) / np.dot(neck - pelvis, neck - pelvis)
        assert 0 < along < 1
        np.testing.assert_allclose(np.cross(joints[0, j] - pelvis, neck - pelvis), 0, atol=1e-6)
    # Feet ahead of the ankles (+Z, the facing) and below them.
    assert (joints[0, [10, 11], 2] > joints[0, [7, 8], 2] + 0.1).all()
    assert (joints[0, [10, 11], 1] < joints[0, [7, 8], 1]).all()
    # The same map from a JSON file, with an explicit scale.
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"joints": mapping, "scale": 0.01, "name": "rig"}))
    joints2, info2 = read_bvh_joints(parse_bvh(text, "x.bvh"), joint_map=path)
    assert info2["joint_map"] == "rig"
    assert info2["scale"] == 0.01 and info2["scale_source"] == "joint map 'rig'"
    np.testing.assert_allclose(joints2, joints, atol=1e-6)


def test_base_map_with_override_and_rules() -> None:
    text = _bvh_from_tree(MIXAMO_TREE, scale=100.0)
    spec = {
        "base": "mixamo",
        "joints": {
            "spine3": {"lerp": ["Spine1", "Spine2", 0.5]},
            "head": {"end": "Head"},
            "left_foot": {"offset": ["LeftFoot", [0, -5, 13]]},
            "right_foot": {"mean": ["RightFoot", "RightToeBase"]},
            "neck": ["Neck1", "Neck"],
        },
    }
    joints, info = read_bvh_joints(parse_bvh(text, "rig.bvh"), joint_map=spec)
    rest = dict(zip(JOINT_NAMES, joints[0]))
    spine1, spine2 = np.array([0, 1.17, 0]), np.array([0, 1.29, 0])
    np.testing.assert_allclose(rest["spine3"], (spine1 + spine2) / 2, atol=1e-6)
    np.testing.assert_allclose(rest["head"], [0, 1.59, 0.02], atol=1e-6)  # head + end site
    np.testing.assert_allclose(rest["left_foot"], rest["left_ankle"] + [0, -0.05, 0.13], atol=1e-6)
    np.testing.assert_allclose(
        rest["right_foot"], rest["right_ankle"] + [0, -0.025, 0.065], atol=1e-6
    )
    assert info["joint_sources"]["neck"] == '"mixamorig:Neck"'


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"pelvis": 3}, "rule must be"),
        ({"pelvis": {"lerp": ["a", "b"]}}, "lerp"),
        ({"pelvis": {"spin": "a"}}, "unknown rule"),
        ({"pelvis": {"offset": ["a", [1, 2]]}}, "offset"),
        ({"elbow_left_thing": "a"}, "not an SMPL joint"),
        ({"joints": {}, "scale": -1}, "positive"),
        ({"joints": {}, "base": "nope"}, "not a known map"),
        ({"joints": {}, "extra": 1}, "unknown keys"),
        ("not-a-map-name", "neither a known map"),
    ],
)
def test_malformed_maps_are_rejected(spec, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        load_joint_map(spec)


def test_map_file_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_joint_map(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MotionFormatError, match="not a valid JSON"):
        load_joint_map(bad)


def test_incomplete_map_names_missing_joints_and_coincident_joints_are_caught() -> None:
    text = _bvh_from_tree(MIXAMO_TREE, scale=100.0)
    with pytest.raises(MotionFormatError, match="left_wrist"):
        read_bvh_joints(
            parse_bvh(text), joint_map={"joints": {"left_wrist": "Nope"}, "base": "mixamo"}
        )
    with pytest.raises(MotionFormatError, match="same place"):
        read_bvh_joints(
            parse_bvh(text), joint_map={"base": "mixamo", "joints": {"left_knee": "LeftUpLeg"}}
        )


def test_smpl_key_variants() -> None:
    assert smpl_joint_name("L_Hip") == "left_hip"
    assert smpl_joint_name("r_wrist") == "right_wrist"
    assert smpl_joint_name(12) == "neck"
    assert smpl_joint_name("SPINE3") == "spine3"


def test_detection_order_prefers_specific_maps() -> None:
    cgspeed = ["Hips", "LHipJoint", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "RHipJoint",
               "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase", "LowerBack", "Spine", "Spine1",
               "Neck", "Neck1", "Head", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand",
               "RightShoulder", "RightArm", "RightForeArm", "RightHand"]  # fmt: skip
    assert detect_joint_map(cgspeed).name == "cmu_cgspeed"
    assert detect_joint_map([n.split(":")[1] for n, _, _ in MIXAMO_TREE]).name == "mixamo"
    assert list(KNOWN_JOINT_MAPS) == [
        "bandai_namco", "cmu_asf", "cmu_cgspeed", "lafan1", "mixamo", "anatomical", "daz", "smpl"
    ]  # fmt: skip


def test_synthesis_of_collars_matches_humanml3d_geometry(shared_data: Path) -> None:
    joints = np.load(shared_data / "humanml3d-sample" / "new_joints_012314.npy").astype(float)
    known = np.ones(22, dtype=bool)
    known[[13, 14]] = False
    synthetic = joints.copy()
    synthesise_missing(synthetic, known)
    error = np.linalg.norm(synthetic[:, [13, 14]] - joints[:, [13, 14]], axis=-1)
    assert error.mean() < 0.03  # a few centimetres: a sensible collar, not an exact one


def test_standing_height_of_canonical_skeleton() -> None:
    # Canonical skeleton posed straight: leg = thigh + shin.
    legs = CANONICAL_BONE_LENGTHS[[4, 5]] + CANONICAL_BONE_LENGTHS[[7, 8]]
    joints = np.zeros((1, 22, 3))
    for j in range(1, 22):
        joints[0, j] = joints[0, PARENTS[j]] + [0, -CANONICAL_BONE_LENGTHS[j], 0]
    assert standing_height(joints) == pytest.approx(legs.mean() / 0.491)
    assert 1.6 < standing_height(joints) < 1.75


def test_joint_map_round_trips_through_dict() -> None:
    jmap = KNOWN_JOINT_MAPS["bandai_namco"]
    again = load_joint_map(jmap.to_dict())
    assert dict(again.joints) == dict(jmap.joints) and again.scale == jmap.scale
    assert isinstance(again, JointMap)


def _standing_smpl_skeleton(frames: int = 3) -> PosedSkeleton:
    """SMPL-named joints posed straight down from the pelvis (canonical bone lengths, metres)."""
    rest = np.zeros((22, 3))
    for j in range(1, 22):
        rest[j] = rest[PARENTS[j]] + [0.02 * (j % 3 - 1), -CANONICAL_BONE_LENGTHS[j], 0.01 * j]
    positions = np.repeat(rest[None], frames, axis=0)
    return PosedSkeleton(
        names=tuple(JOINT_NAMES),
        parents=tuple(PARENTS),
        positions=positions,
        rotations=np.broadcast_to(np.eye(3), (frames, 22, 3, 3)).copy(),
        rest_offsets=rest - rest[list(max(p, 0) for p in PARENTS)],
        fps=20.0,
    )


def test_import_skeleton_describes_map_details_and_scale_in_order() -> None:
    skel = _standing_smpl_skeleton()
    details = {"source_fps": 20.0, "loop": "none"}
    joints, info = import_skeleton(
        skel, load_joint_map("smpl"), 0.5, format_name="test", source="t.x", details=details
    )
    assert joints.dtype == np.float32 and joints.shape == (3, 22, 3)
    np.testing.assert_allclose(joints, skel.positions * 0.5, atol=1e-6)
    assert list(info) == [
        "format", "source", "joint_map", "joint_map_description", "joint_sources",
        "synthesised_joints", "source_fps", "loop", "frames", "fps", "scale", "scale_source",
        "height_m",
    ]  # fmt: skip
    assert (info["format"], info["source"], info["joint_map"]) == ("test", "t.x", "smpl")
    assert (info["frames"], info["fps"], info["scale"], info["scale_source"]) == (
        3, 20, 0.5, "explicit",
    )  # fmt: skip
    assert info["height_m"] == pytest.approx(standing_height(skel.positions) * 0.5)


def test_import_skeleton_refuses_non_finite_joints() -> None:
    skel = _standing_smpl_skeleton()
    skel.positions[1, 21] = np.inf
    with pytest.raises(MotionFormatError, match="NaN or Inf"):
        import_skeleton(
            skel, load_joint_map("smpl"), 1.0, format_name="test", source="t.x", details={}
        )
