"""DeepMimic files written back on their own humanoid3d skeleton, at their own frame times."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from momo.cli.main import main
from momo.io.deepmimic import DEEPMIMIC, parse_deepmimic, pose_deepmimic, read_deepmimic_joints
from momo.io.deepmimic_write import deepmimic_text
from momo.io.joint_maps import apply_joint_map


def native_joints(frames: np.ndarray) -> np.ndarray:
    """The mapped 22 joints at the file's own (uniform) frame rate."""
    return apply_joint_map(pose_deepmimic(frames, 1.0 / frames[0, 0]), DEEPMIMIC, "x").joints


def _round_trip(text: str, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frames, loop = parse_deepmimic(text, name)
    joints, _ = read_deepmimic_joints(name, text=text)
    times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
    written, written_loop = parse_deepmimic(deepmimic_text(joints, times, loop=loop or "none"))
    assert written_loop == (loop or "none")
    return frames, written, np.linalg.norm(native_joints(written) - native_joints(frames), axis=-1)


def test_shared_clips_come_back_within_a_centimetre(deepmimic_sample: dict[str, bytes]) -> None:
    """Mean joint error at the file's own rate about 1 cm or less: the motion passed through
    20 fps, so the frames between (30 and 60 fps files) are interpolated; the 0.8 s run at 30
    fps is the worst of the sample (1.08 cm mean), the walks and crawls a few millimetres."""
    means = []
    for name, data in sorted(deepmimic_sample.items()):
        frames, written, error = _round_trip(data.decode(), name)
        assert written.shape == frames.shape, name
        np.testing.assert_allclose(written[:-1, 0], frames[:-1, 0], atol=1e-7)
        assert error.mean() < 0.0125, (name, error.mean(), error.max())
        means.append(error.mean())
    assert np.median(means) < 0.005


def test_a_20_fps_clip_is_reproduced_exactly() -> None:
    """At the motion's own 20 fps nothing is interpolated: the solve itself is exact."""
    rng = np.random.default_rng(0)
    num = 30
    frames = np.zeros((num, 44))
    frames[:, 0] = 0.05
    frames[:, 1:4] = [0.0, 0.9, 0.0] + np.cumsum(rng.normal(0, 0.01, (num, 3)), axis=0)
    col = 4
    from momo.io.deepmimic import _LAYOUT

    for _, kind in _LAYOUT:
        if kind == "quat":
            q = np.array([1.0, 0, 0, 0]) + np.cumsum(rng.normal(0, 0.03, (num, 4)), axis=0)
            frames[:, col : col + 4] = q / np.linalg.norm(q, axis=-1, keepdims=True)
            col += 4
        else:
            frames[:, col] = -0.6 + 0.5 * np.sin(np.linspace(0, 3, num))
            col += 1
    text = json.dumps({"Loop": "wrap", "Frames": frames.tolist()})
    _, written, error = _round_trip(text, "synthetic.txt")
    assert written.shape == frames.shape
    assert error.max() < 1e-5


def test_convert_writes_deepmimic_on_its_own_skeleton(
    deepmimic_sample: dict[str, bytes], tmp_path: Path, capsys
) -> None:
    source = tmp_path / "walk.txt"
    source.write_bytes(deepmimic_sample["humanoid3d_walk.txt"])
    assert main(["convert", str(source), str(tmp_path / "out.txt")]) == 0
    frames, _ = parse_deepmimic(source.read_text())
    written, _ = parse_deepmimic((tmp_path / "out.txt").read_text())
    assert written.shape == frames.shape
    error = np.linalg.norm(native_joints(written) - native_joints(frames), axis=-1)
    assert error.mean() < 0.01
    capsys.readouterr()
    npy = tmp_path / "walk.npy"
    np.save(npy, read_deepmimic_joints(source)[0])
    assert main(["convert", str(npy), str(tmp_path / "no.txt")]) == 2
    assert "not a DeepMimic motion" in capsys.readouterr().err
    assert not (tmp_path / "no.txt").exists()


@pytest.mark.parametrize("bad", [np.zeros((3, 21, 3)), np.full((3, 22, 3), np.nan)])
def test_bad_joints_are_refused(bad: np.ndarray) -> None:
    from momo.errors import MotionFormatError

    with pytest.raises(MotionFormatError):
        deepmimic_text(bad)
