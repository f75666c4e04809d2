"""NumPy motion files: features vs joints by shape, results.npy, and the restricted unpickler."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from momo.errors import MotionFormatError, OutputExistsError
from momo.io.api import load_joints, load_motion
from momo.io.formats import read_npy, save_features_npy, save_results_npy


def _walk_joints(frames: int = 30) -> np.ndarray:
    """A crude but valid 22-joint figure sliding forward (+Z), 20 fps."""
    from momo.motion.representation import CANONICAL_BONE_LENGTHS, PARENTS, REST_DIRECTIONS

    rest = np.zeros((22, 3))
    for j in range(1, 22):
        rest[j] = rest[PARENTS[j]] + REST_DIRECTIONS[j] * CANONICAL_BONE_LENGTHS[j]
    rest[:, 1] -= rest[:, 1].min()
    joints = np.repeat(rest[None], frames, axis=0)
    joints[:, :, 2] += np.arange(frames)[:, None] * 0.05
    return joints.astype(np.float32)


def test_features_and_joints_are_told_apart_by_shape(tmp_path: Path) -> None:
    joints = _walk_joints()
    np.save(tmp_path / "j.npy", joints)
    loaded, info = load_joints(tmp_path / "j.npy")
    np.testing.assert_array_equal(loaded, joints)
    assert info["format"] == "npy (joint positions)"
    motion = load_motion(tmp_path / "j.npy")
    assert motion.features.shape == (30, 263)  # one row per frame: no frame is lost
    save_features_npy(motion.features, tmp_path / "f.npy")
    again = load_motion(tmp_path / "f.npy")
    np.testing.assert_array_equal(again.features, motion.features)
    back, info = load_joints(tmp_path / "f.npy")
    assert back.shape == (30, 22, 3) and info["format"] == "npy (HumanML3D features)"


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((10, 22)), "neither"),
        (np.zeros((22, 3, 10)), "transpose"),
        (np.zeros((1, 10, 263)), "batch"),
        (np.zeros((0, 263)), "no frames"),
        (np.full((5, 263), np.nan), "NaN"),
        (np.array(["a", "b"]), "not numbers"),
    ],
)
def test_bad_arrays(tmp_path: Path, array: np.ndarray, message: str) -> None:
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(MotionFormatError, match=message):
        load_motion(tmp_path / "bad.npy")


def test_empty_and_garbage_npy(tmp_path: Path) -> None:
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(MotionFormatError, match="empty"):
        load_motion(tmp_path / "empty.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(MotionFormatError, match="not a .npy"):
        load_motion(tmp_path / "junk.npy")
    np.save(tmp_path / "cut.npy", np.zeros((50, 263), np.float32))
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(MotionFormatError, match="damaged or truncated"):
        load_motion(tmp_path / "cut.npy")


def test_results_npy_samples(tmp_path: Path) -> None:
    a, b = _walk_joints(30), _walk_joints(20)
    b[:, :, 0] += 1.0
    path = tmp_path / "results.npy"
    save_results_npy([a, b], ["a person walks", "another walk"], path)
    # The layout the reference writes: a pickled dict, motion [N, 22, 3, T].
    raw = np.load(path, allow_pickle=True).item()
    assert raw["motion"].shape == (2, 22, 3, 30)
    assert list(raw["lengths"]) == [30, 20] and raw["num_samples"] == 2
    joints, info = load_joints(path, sample=1)
    np.testing.assert_allclose(joints, b)
    assert info["sample"] == 1 and info["samples"] == 2
    motion = load_motion(path, sample=0)
    assert motion.text == "a person walks" and motion.num_frames == 30
    assert load_motion(path, "my caption", sample=-1).text == "my caption"
    with pytest.raises(MotionFormatError, match="out of range"):
        load_joints(path, sample=2)
    with pytest.raises(MotionFormatError, match="choose one with sample"):
        load_joints(path)
    with pytest.raises(OutputExistsError):
        save_results_npy([a], ["x"], path)


def test_sample_only_for_results(tmp_path: Path) -> None:
    np.save(tmp_path / "j.npy", _walk_joints())
    with pytest.raises(MotionFormatError, match="sample="):
        load_joints(tmp_path / "j.npy", sample=0)


class _Evil:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/momo-should-not-exist"),))


def test_restricted_unpickler_refuses_code(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    payload = np.empty((), dtype=object)
    payload[()] = {"motion": _Evil()}
    with open(path, "wb") as fh:
        np.save(fh, payload, allow_pickle=True)
    with pytest.raises(MotionFormatError, match="not allowed|cannot read"):
        read_npy(path)
    assert not Path("/tmp/momo-should-not-exist").exists()
    assert pickle.HIGHEST_PROTOCOL >= 3
