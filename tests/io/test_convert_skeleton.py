"""`momo convert ... --skeleton`: a BVH input is written back on its own rig by default."""

from __future__ import annotations

from pathlib import Path

import bvh
import numpy as np
import pytest
from test_retarget import mixamo_rig_text

from momo.cli.main import main
from momo.io.api import load_joints


def convert(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    status = main(["convert", *[str(a) for a in argv]])
    return status, capsys.readouterr().err


def test_bvh_input_comes_back_on_its_rig(tmp_path: Path, capsys) -> None:
    source = tmp_path / "mixamo.bvh"
    source.write_text(mixamo_rig_text(0.025, frames=41))  # 40 fps, 1 s
    status, _ = convert(capsys, source, tmp_path / "own.bvh")
    assert status == 0
    original, written = bvh.Bvh(source.read_text()), bvh.Bvh((tmp_path / "own.bvh").read_text())
    assert written.get_joints_names() == original.get_joints_names()
    assert written.nframes == original.nframes and written.frame_time == original.frame_time
    a, _ = load_joints(source)
    b, _ = load_joints(tmp_path / "own.bvh")
    assert np.linalg.norm(a - b, axis=-1).mean() < 1e-3
    assert convert(capsys, source, tmp_path / "smpl.bvh", "--skeleton", "smpl")[0] == 0
    assert bvh.Bvh((tmp_path / "smpl.bvh").read_text()).get_joints_names()[0] == "pelvis"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("follower", "has no follower"),
        ("absent.bvh", "not found"),
        ("rig.txt", "expected leader, follower, smpl or a .bvh file"),
    ],
)
def test_bad_skeleton_is_one_line(tmp_path: Path, capsys, value: str, fragment: str) -> None:
    source = tmp_path / "mixamo.bvh"
    source.write_text(mixamo_rig_text())
    status, err = convert(capsys, source, tmp_path / "out.bvh", "--skeleton", value)
    assert status == 2 and fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.bvh").exists()
