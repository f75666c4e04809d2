"""Writing motions on a given rig: the rig's hierarchy is kept and its mapped joints land on the
motion's joints (synthetic rigs, and every real BVH of the shared data on its own skeleton)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import bvh
import numpy as np
import pytest
from bvh_rigs import Rig, renamed, rig_text, smpl_rig, turned
from scipy.spatial.transform import Rotation

from momo.errors import MissingFileError, OutputExistsError
from momo.io.api import load_joints, load_motion, own_rig, save_motion
from momo.io.bvh import parse_bvh, read_bvh_joints
from momo.io.bvh_parse import BVHClip
from momo.io.bvh_pose import clip_local_pose, pose_clip
from momo.io.joint_maps import apply_joint_map
from momo.io.retarget import load_rig, retarget_text

MIXAMO = {
    "pelvis": "Hips",
    "spine1": "Spine",
    "spine2": "Spine1",
    "spine3": "Spine2",
    "neck": "Neck",
    "head": "Head",
    "left_hip": "LeftUpLeg",
    "right_hip": "RightUpLeg",
    "left_knee": "LeftLeg",
    "right_knee": "RightLeg",
    "left_ankle": "LeftFoot",
    "right_ankle": "RightFoot",
    "left_foot": "LeftToeBase",
    "right_foot": "RightToeBase",
    "left_collar": "LeftShoulder",
    "right_collar": "RightShoulder",
    "left_shoulder": "LeftArm",
    "right_shoulder": "RightArm",
    "left_elbow": "LeftForeArm",
    "right_elbow": "RightForeArm",
    "left_wrist": "LeftHand",
    "right_wrist": "RightHand",
}
Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # turns +Y into +Z


def with_extras(rig: Rig) -> Rig:
    """The rig plus a twist bone under each upper arm and two finger bones under each hand."""
    names, parents = list(rig.names), list(rig.parents)
    offsets = list(rig.offsets)
    for side in ("Left", "Right"):
        arm, hand = names.index(f"mixamorig:{side}Arm"), names.index(f"mixamorig:{side}Hand")
        elbow = names.index(f"mixamorig:{side}ForeArm")
        extras = [
            (f"mixamorig:{side}ArmTwist", arm, 0.5 * rig.offsets[elbow]),
            (f"mixamorig:{side}HandIndex1", hand, 0.6 * rig.offsets[elbow] / 3),
        ]
        for name, parent, offset in extras:
            names.append(name)
            parents.append(parent)
            offsets.append(offset)
        names.append(f"mixamorig:{side}HandIndex2")
        parents.append(len(names) - 2)
        offsets.append(0.1 * rig.offsets[elbow])
    frames = rig.root_positions.shape[0]
    rotvec = rig.rotations.as_rotvec().reshape(frames, len(rig.names), 3)
    extra = np.zeros((frames, len(names) - len(rig.names), 3))
    return replace(
        rig,
        names=tuple(names),
        parents=tuple(parents),
        offsets=np.array(offsets),
        rotations=Rotation.from_rotvec(np.concatenate([rotvec, extra], axis=1).reshape(-1, 3)),
    )


def mixamo_rig_text(frame_time: float = 1 / 30, frames: int = 3) -> str:
    """A Z-up Mixamo-named rig with twist and finger bones, rotations in X Z Y order."""
    base = renamed(
        smpl_rig(frames=frames, frame_time=frame_time),
        {k: f"mixamorig:{v}" for k, v in MIXAMO.items()},
    )
    text = rig_text(turned(with_extras(base), Z_UP), frame_time=frame_time)
    return text.replace("Zrotation Yrotation Xrotation", "Xrotation Zrotation Yrotation")


def test_mixamo_rig_keeps_its_hierarchy_and_lands_the_joints() -> None:
    motion, _ = read_bvh_joints(parse_bvh(rig_text(smpl_rig(frames=46)), "walk.bvh"))
    target = parse_bvh(mixamo_rig_text(), "mixamo.bvh")
    rig = load_rig(target)
    assert rig.up_axis == "z" and rig.joint_map.name == "mixamo"
    text = retarget_text(motion, rig)
    written = parse_bvh(text, "written.bvh")
    # The rig's own hierarchy, offsets, channel layout and frame rate.
    assert written.names == target.names and written.parents == target.parents
    for a, b in zip(written.joints, target.joints):
        assert a.channels == b.channels
        np.testing.assert_allclose(a.offset, b.offset, atol=1e-6)
    assert written.frame_time == pytest.approx(target.frame_time, rel=1e-9)
    assert written.num_frames == 69  # the fewest 1/30 s frames that span 45 / 20 s
    # Read back (resampled to 20 fps, Y up, metres) the mapped joints are the motion's.
    back, info = read_bvh_joints(written)
    assert info["up_axis"] == "z" and back.shape == motion.shape
    error = np.linalg.norm(back - motion, axis=-1)
    # 20 -> 30 -> 20 fps interpolates interpolated poses: millimetres on a 1 m/s walk.
    assert error.mean() < 1.5e-3 and error.max() < 2e-2
    # Twist and finger bones keep the rest pose.
    quats, _ = clip_local_pose(written)
    for k, name in enumerate(written.names):
        if "Twist" in name or "Index" in name:
            np.testing.assert_allclose(np.abs(quats[:, k, 3]), 1.0, atol=1e-6)
    # An independent parser sees the same joints and frames.
    other = bvh.Bvh(text)
    assert other.get_joints_names() == list(target.names)
    assert other.nframes == 69


def test_rig_at_20_fps_reproduces_the_joints() -> None:
    motion, _ = read_bvh_joints(parse_bvh(rig_text(smpl_rig(frames=46)), "walk.bvh"))
    rig = load_rig(parse_bvh(mixamo_rig_text(0.05), "mixamo.bvh"))
    back, _ = read_bvh_joints(parse_bvh(retarget_text(motion, rig), "written.bvh"))
    # Same bone lengths, no resampling: only float32 import and 6-digit text round-off remain.
    np.testing.assert_allclose(back, motion, atol=2e-5)


def own_rig_error(clip: BVHClip) -> tuple[np.ndarray, int]:
    """Distances (metres) between a file's mapped joints and those of the file written on its
    own rig from its 20 fps import, at the file's frame rate, and the written frame count."""
    joints, _ = read_bvh_joints(clip)
    rig = load_rig(clip)
    text = retarget_text(joints, rig, num_frames=clip.num_frames)
    written = parse_bvh(text, "written.bvh")
    other = bvh.Bvh(text)
    assert other.get_joints_names() == list(clip.names)
    assert other.nframes == clip.num_frames
    original = apply_joint_map(pose_clip(clip, clip.fps), rig.joint_map).joints
    back = apply_joint_map(pose_clip(written, clip.fps), rig.joint_map).joints
    return np.linalg.norm(back - original, axis=-1) * rig.scale, written.num_frames


def check_own_rig(clip: BVHClip) -> None:
    error, frames = own_rig_error(clip)
    assert frames == clip.num_frames
    print(f"{clip.source}: mean {100 * error.mean():.3f} cm, max {100 * error.max():.3f} cm")
    assert error.mean() < 0.01


@pytest.mark.parametrize("name", ["131_01.bvh", "131_02.bvh", "131_03.bvh"])
def test_cmu_files_on_their_own_rig(shared_data: Path, name: str) -> None:
    path = shared_data / "cmu-131" / name
    check_own_rig(parse_bvh(path.read_text(encoding="utf-8", errors="replace"), str(path)))


def test_bandai_files_on_their_own_rig(bandai_sample: dict[str, bytes]) -> None:
    for name, data in sorted(bandai_sample.items()):
        check_own_rig(parse_bvh(data.decode("utf-8"), name))


def test_save_motion_on_a_rig_file(tmp_path: Path) -> None:
    source = tmp_path / "walk.bvh"
    source.write_text(rig_text(smpl_rig(frames=46)))
    rig_file = tmp_path / "mixamo.bvh"
    rig_file.write_text(mixamo_rig_text(0.05))
    motion = load_motion(source)
    save_motion(motion, tmp_path / "out.bvh", skeleton=rig_file)
    written = bvh.Bvh((tmp_path / "out.bvh").read_text())
    assert written.get_joints_names() == list(parse_bvh(rig_file.read_text()).names)
    assert written.nframes == motion.num_frames
    back, _ = load_joints(tmp_path / "out.bvh")
    # The rig has the canonical bone lengths, so its joints land on the motion's.
    assert np.linalg.norm(back - motion.joints(), axis=-1).max() < 1e-3
    save_motion(motion, tmp_path / "smpl.bvh", skeleton="smpl")
    assert bvh.Bvh((tmp_path / "smpl.bvh").read_text()).get_joints_names()[0] == "pelvis"
    with pytest.raises(MissingFileError, match="skeleton file not found"):
        save_motion(motion, tmp_path / "x.bvh", skeleton=tmp_path / "absent.bvh")
    with pytest.raises(OutputExistsError):
        save_motion(motion, tmp_path / "out.bvh", skeleton=rig_file)


def test_own_cmu_file_keeps_its_finger_motion(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "cmu-131" / "131_01.bvh"
    motion = load_motion(path)
    assert own_rig(motion) == str(path)
    save_motion(motion, tmp_path / "own.bvh", skeleton=path)
    original = parse_bvh(path.read_text(encoding="utf-8", errors="replace"))
    written = parse_bvh((tmp_path / "own.bvh").read_text())
    assert written.num_frames == original.num_frames and written.names == original.names
    k = original.names.index("LThumb")  # not driven by the 22 joints: follows the file
    a = Rotation.from_quat(clip_local_pose(original)[0][:, k])
    b = Rotation.from_quat(clip_local_pose(written)[0][:, k])
    # Resampled 120 -> 20 -> 120 fps by slerp: close to, not equal to, the file's own angles.
    assert np.degrees((a.inv() * b).magnitude()).mean() < 2.0
