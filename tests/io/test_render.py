"""Stick-figure rendering: files decode with the right frames and size, safe output, handedness."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from momo.errors import MotionFormatError, OutputExistsError
from momo.io.render import SUPPORTED_SUFFIXES, render_frames, render_motions
from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    LEFT_JOINTS,
    NUM_JOINTS,
    PARENTS,
    REST_DIRECTIONS,
)

PANEL = (120, 140)


def rest_pose() -> np.ndarray:
    """The canonical rest pose (facing +Z, left on +X, arms down), feet near Y = 0: [22, 3]."""
    joints = np.zeros((NUM_JOINTS, 3))
    for joint in range(1, NUM_JOINTS):
        parent = PARENTS[joint]
        joints[joint] = joints[parent] + REST_DIRECTIONS[joint] * CANONICAL_BONE_LENGTHS[joint]
    joints[:, 1] -= joints[:, 1].min()
    return joints


def walking(frames: int, speed: float = 1.0, fps: float = 20) -> np.ndarray:
    """The rest pose sliding along +Z with swinging arms: [frames, 22, 3]."""
    pose = rest_pose()
    t = np.arange(frames) / fps
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 2] += speed * t[:, None]
    swing = 0.3 * np.sin(2 * np.pi * t)  # hands move forward and back
    joints[:, [20, 21], 2] += swing[:, None] * np.array([1.0, -1.0])
    return joints


def test_gif_decodes_with_every_frame_and_the_frame_size(tmp_path: Path) -> None:
    motions = [walking(12), walking(7, speed=0.5)]
    path = render_motions(motions, tmp_path / "two.gif", titles=["a", "b"], panel_size=PANEL)
    frames = iio.imread(path, index=None)
    first = next(render_frames(motions, titles=["a", "b"], panel_size=PANEL))
    assert frames.shape[0] == 12  # the longest motion
    assert frames.shape[1:3] == first.shape[:2]
    assert frames.shape[2] == 2 * PANEL[0] and frames.shape[1] >= PANEL[1]
    assert iio.immeta(path, index=0)["duration"] == 50  # 20 fps
    # The palette reproduces the drawn frame closely (no dithering noise, white stays white).
    assert np.abs(frames[0, ..., :3].astype(int) - first.astype(int)).mean() < 2.0
    assert (frames[0, 2, 2, :3] == 255).all()


def test_mp4_is_h264_yuv420p_with_every_frame(tmp_path: Path) -> None:
    motions = [walking(15), walking(9), walking(4)]
    path = render_motions(motions, tmp_path / "three.mp4", panel_size=(122, 140))
    frames = iio.imread(path, index=None)
    assert frames.shape == (15, 140, 3 * 122, 3)
    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["codec"] == "h264"
    assert meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == 20.0


def test_frame_size_is_even_for_odd_panel_sizes() -> None:
    frame = next(render_frames(walking(2), titles=["odd"], panel_size=(101, 99)))
    assert frame.shape[0] % 2 == 0 and frame.shape[1] % 2 == 0
    assert frame.shape[1] == 102


def test_refuses_to_overwrite_and_replaces_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "clip.gif"
    path.write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="overwrite"):
        render_motions(walking(3), path, panel_size=PANEL)
    assert path.read_bytes() == b"precious"
    render_motions(walking(3), path, panel_size=PANEL, overwrite=True)
    assert iio.imread(path, index=None).shape[0] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["clip.gif"]  # no temporary file left


@pytest.mark.parametrize("name", ["clip.avi", "clip.png", "clip"])
def test_unknown_suffix_names_the_ones_that_work(tmp_path: Path, name: str) -> None:
    with pytest.raises(MotionFormatError) as error:
        render_motions(walking(3), tmp_path / name)
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(error.value)
    assert not any(tmp_path.iterdir())


def test_rejects_bad_joints_and_titles(tmp_path: Path) -> None:
    out = tmp_path / "x.gif"
    with pytest.raises(MotionFormatError, match=r"\[T, 22, 3\]"):
        render_motions(np.zeros((5, 21, 3)), out)
    with pytest.raises(MotionFormatError, match=r"\[T, 22, 3\]"):
        render_motions([walking(3), np.zeros((0, 22, 3))], out)
    bad = walking(3)
    bad[1, 4, 0] = np.inf
    with pytest.raises(MotionFormatError, match="NaN or Inf"):
        render_motions(bad, out)
    with pytest.raises(MotionFormatError, match="one title per motion"):
        render_motions([walking(3), walking(3)], out, titles=["only one"])
    with pytest.raises(MotionFormatError, match="camera"):
        render_motions(walking(3), out, camera="orbit")  # type: ignore[arg-type]
    assert not out.exists()


def test_shorter_motion_holds_its_last_frame() -> None:
    frames = list(render_frames([walking(8), walking(3)], panel_size=PANEL))
    assert len(frames) == 8
    right = [frame[:, PANEL[0] :] for frame in frames]
    left = [frame[:, : PANEL[0]] for frame in frames]
    assert not np.array_equal(right[0], right[2])  # it moves while it lasts
    assert np.array_equal(right[3], right[7])  # then holds (clock reads "3/3 end")
    assert not np.array_equal(left[3], left[7])  # while the longer one goes on


def _colour_columns(image: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    distance = np.abs(image.astype(int) - np.array(rgb)).sum(axis=-1)
    return np.nonzero(distance < 40)[1]


def test_left_limbs_are_blue_and_appear_on_the_viewers_right_when_facing_the_camera() -> None:
    # A motion facing +Z (toward the camera) has its left side (+X) on the viewer's right.
    pose = rest_pose()
    assert (pose[list(LEFT_JOINTS), 0] > 0).all()
    frame = next(render_frames(pose[None], panel_size=(300, 300), camera="fixed"))
    body = frame[: int(0.9 * frame.shape[0])]  # leave out the legend text in the corner
    blue = _colour_columns(body, (0x1F, 0x5F, 0xBF))
    red = _colour_columns(body, (0xD6, 0x27, 0x28))
    assert len(blue) > 50 and len(red) > 50
    assert blue.mean() > red.mean() + 10
    # Mirroring the motion (left <-> right joints swapped in place) swaps the sides on screen.
    mirrored = pose.copy()
    mirrored[:, 0] *= -1
    frame = next(render_frames(mirrored[None], panel_size=(300, 300), camera="fixed"))
    body = frame[: int(0.9 * frame.shape[0])]
    assert (
        _colour_columns(body, (0x1F, 0x5F, 0xBF)).mean()
        < _colour_columns(body, (0xD6, 0x27, 0x28)).mean()
    )


def test_follow_camera_keeps_a_long_walk_in_view() -> None:
    motion = walking(100, speed=2.0)  # 10 m along +Z: "auto" follows
    frames = list(render_frames(motion, panel_size=(160, 180)))
    for frame in (frames[0], frames[-1]):
        assert len(_colour_columns(frame[:150], (0x1F, 0x5F, 0xBF))) > 20
