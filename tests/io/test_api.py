"""The public load/save API: dispatch by suffix, errors a user sees, safe outputs."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

import momo
from momo.errors import MotionFormatError, OutputExistsError
from momo.io.api import load_joints, load_motion, save_motion
from momo.io.archives import iter_archive, load_archive_member_joints


def test_public_names_resolve() -> None:
    assert momo.load_motion is load_motion and momo.save_motion is save_motion


def test_missing_unsupported_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_motion(tmp_path / "missing.bvh")
    (tmp_path / "x.fbx").write_text("data")
    with pytest.raises(MotionFormatError, match="supported"):
        load_motion(tmp_path / "x.fbx")
    with pytest.raises(MotionFormatError, match="not a file"):
        load_joints(tmp_path)
    (tmp_path / "empty.bvh").write_text("")
    with pytest.raises(MotionFormatError, match="empty"):
        load_motion(tmp_path / "empty.bvh")
    (tmp_path / "other.json").write_text('{"motion": 1}')
    with pytest.raises(MotionFormatError, match="DeepMimic"):
        load_motion(tmp_path / "other.json")


def test_bvh_load_save_round_trip(shared_data: Path, tmp_path: Path) -> None:
    motion = load_motion(shared_data / "cmu-131" / "131_01.bvh", "a stylish walk")
    assert motion.text == "a stylish walk" and motion.name == "131_01.bvh"
    assert motion.meta["joint_map"] == "cmu_asf" and motion.meta["source_fps"] == pytest.approx(
        120, rel=1e-4
    )
    save_motion(motion, tmp_path / "m.npy")
    save_motion(motion, tmp_path / "m.bvh")
    np.testing.assert_array_equal(load_motion(tmp_path / "m.npy").features, motion.features)
    back, _ = load_joints(tmp_path / "m.bvh")
    assert np.abs(back - motion.joints()).max() < 1e-3
    with pytest.raises(OutputExistsError):
        save_motion(motion, tmp_path / "m.bvh")
    with pytest.raises(MotionFormatError, match="cannot write"):
        save_motion(motion, tmp_path / "m.txt")
    with pytest.raises(MotionFormatError, match="momo.Motion"):
        save_motion(motion.features, tmp_path / "x.npy")  # type: ignore[arg-type]


def test_too_short_motion(tmp_path: Path) -> None:
    np.save(tmp_path / "one.npy", np.zeros((1, 22, 3), np.float32))
    with pytest.raises(MotionFormatError, match="at least 2"):
        load_motion(tmp_path / "one.npy")


def test_explicit_scale_override(shared_data: Path) -> None:
    joints, info = load_joints(shared_data / "cmu-131" / "131_01.bvh")
    doubled, info2 = load_joints(shared_data / "cmu-131" / "131_01.bvh", scale=2 * info["scale"])
    np.testing.assert_allclose(doubled, 2 * joints, rtol=1e-5, atol=1e-5)
    assert info2["scale_source"] == "explicit"


def _tar_xz(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:xz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_iter_archive_streams_matching_members(shared_data: Path, tmp_path: Path) -> None:
    bvh = (shared_data / "cmu-131" / "131_03.bvh").read_bytes()
    archive = tmp_path / "a.tar.xz"
    _tar_xz(archive, {"d/clip.bvh": bvh, "d/readme.md": b"hi", "../evil.bvh": b"x"})
    members = list(iter_archive(archive, (".bvh",)))
    assert [name for name, _ in members] == ["d/clip.bvh"]
    joints, info = load_archive_member_joints(*members[0])
    assert joints.shape[1:] == (22, 3) and info["joint_map"] == "cmu_asf"
    assert list(tmp_path.iterdir()) == [archive]  # nothing unpacked
    (tmp_path / "junk.tar.xz").write_bytes(b"garbage")
    with pytest.raises(MotionFormatError, match="archive"):
        list(iter_archive(tmp_path / "junk.tar.xz"))
    with pytest.raises(FileNotFoundError):
        list(iter_archive(tmp_path / "none.tar.xz"))
