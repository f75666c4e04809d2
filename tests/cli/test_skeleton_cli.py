"""`--skeleton` of `momo transfer` and `momo generate`: BVH outputs on the leader's or a given
rig, re-read by an independent parser with the rig's joint names and frame count."""

from __future__ import annotations

import sys
from pathlib import Path

import bvh
import pytest

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture
def mixamo_leader(tmp_path: Path) -> Path:
    """A Mixamo-named, Z-up rig with twist and finger bones walking for 1 s at 40 fps."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "io"))
    try:
        from test_retarget import mixamo_rig_text
    finally:
        sys.path.pop(0)
    path = tmp_path / "mixamo_walk.bvh"
    path.write_text(mixamo_rig_text(0.025, frames=41))
    return path


def test_transfer_writes_on_the_leader_rig(run_cli, checkpoint, mixamo_leader, tmp_path):
    out = tmp_path / "out"
    status, _, stderr = run_cli(
        "transfer", "--leader", mixamo_leader, "--follower", "a person waves", "--out", out,
        "--model", checkpoint, "--seed", "1", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    leader = bvh.Bvh(mixamo_leader.read_text())
    for name in ("output_0.bvh", "leader.bvh", "follower_0.bvh"):
        written = bvh.Bvh((out / name).read_text())
        assert written.get_joints_names() == leader.get_joints_names()
        assert written.nframes == leader.nframes and written.frame_time == leader.frame_time

    status, _, stderr = run_cli(
        "transfer", "--leader", mixamo_leader, "--follower", "a person waves", "--out",
        tmp_path / "smpl", "--model", checkpoint, "--seed", "1", "--no-video",
        "--skeleton", "smpl",
    )  # fmt: skip
    assert status == 0, stderr
    assert bvh.Bvh((tmp_path / "smpl" / "output_0.bvh").read_text()).get_joints_names()[0] == (
        "pelvis"
    )
    status, _, stderr = run_cli(
        "transfer", "--leader", mixamo_leader, "--follower", "a person waves", "--out",
        tmp_path / "bad", "--model", checkpoint, "--skeleton", "follower", "--no-video",
    )  # fmt: skip
    assert status == 2 and "the follower is not a BVH file" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_generate_on_a_rig_file(run_cli, checkpoint, mixamo_leader, tmp_path):
    out = tmp_path / "gen"
    status, _, stderr = run_cli(
        "generate", "--text", "a person walks", "--out", out, "--model", checkpoint, "--seed", "2",
        "--frames", "24", "--no-video", "--skeleton", mixamo_leader,
    )  # fmt: skip
    assert status == 0, stderr
    (written,) = out.glob("*.bvh")
    other = bvh.Bvh(written.read_text())
    assert other.get_joints_names() == bvh.Bvh(mixamo_leader.read_text()).get_joints_names()
    assert other.nframes == 47  # 23 intervals of 1/20 s at 40 fps


def test_transfer_on_a_bandai_leader_rig(run_cli, checkpoint, shared_data, tmp_path):
    import tarfile

    name = "dataset-1_bow_normal_001.bvh"
    with tarfile.open(shared_data / "bandai-namco" / "dataset-1.tar.xz", mode="r|*") as tar:
        for member in tar:
            if member.isfile() and Path(member.name).name == name:
                handle = tar.extractfile(member)
                assert handle is not None
                (tmp_path / name).write_bytes(handle.read())
                break
    leader_path = tmp_path / name
    out = tmp_path / "out"
    status, _, stderr = run_cli(
        "transfer", "--leader", leader_path, "--follower", "a person waves", "--out", out,
        "--model", checkpoint, "--seed", "1", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    leader = bvh.Bvh(leader_path.read_text())
    written = bvh.Bvh((out / "output_0.bvh").read_text())
    assert written.get_joints_names() == leader.get_joints_names()
    assert written.nframes == leader.nframes and written.frame_time == leader.frame_time
