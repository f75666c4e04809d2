"""The CLI on real motion capture from `../shared/data` (skipped when it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from momo.motion.representation import FEATURE_DIM


@pytest.fixture(scope="module")
def cmu_walk(shared_data: Path) -> Path:
    path = shared_data / "cmu-131" / "131_01.bvh"
    if not path.is_file():
        pytest.skip(f"CMU clip not found at {path}")
    return path


def test_convert_cmu_bvh_to_npy_and_bvh(run_cli, cmu_walk: Path, tmp_path: Path) -> None:
    status, out, err = run_cli("convert", cmu_walk, tmp_path / "walk.npy")
    assert (status, err) == (0, "")
    features = np.load(tmp_path / "walk.npy")
    # 994 frames at 120 fps = 8.275 s -> 166 frames at 20 fps -> 166 feature rows.
    assert features.shape == (166, FEATURE_DIM)
    assert np.isfinite(features).all()

    status, _, err = run_cli("convert", cmu_walk, tmp_path / "walk.bvh", "--skeleton", "smpl")
    assert (status, err) == (0, "")
    status, out, _ = run_cli("info", "--json", cmu_walk, tmp_path / "walk.bvh")
    source, written = (json.loads(line) for line in out.splitlines())
    assert status == 0
    assert source["joint_map"] == "cmu_asf" and written["joint_map"] == "smpl"
    assert (source["source_fps"], source["source_frames"]) == (120, 994)
    assert written["frames"] == 166 and written["source_fps"] == 20
    # The written skeleton walks the same path (canonicalised: moved and turned, same length;
    # retargeting scales it by the ratio of leg lengths).
    ratio = written["root_path_m"] / source["root_path_m"]
    assert 0.8 < ratio < 1.25

    # By default a BVH input comes back on its own rig, frame rate and frame count.
    status, _, err = run_cli("convert", cmu_walk, tmp_path / "own.bvh")
    assert (status, err) == (0, "")
    status, out, _ = run_cli("info", "--json", tmp_path / "own.bvh")
    own = json.loads(out)
    assert own["joint_map"] == "cmu_asf" and (own["source_fps"], own["source_frames"]) == (
        120,
        994,
    )
    assert abs(own["root_path_m"] / source["root_path_m"] - 1) < 0.01


def test_info_reports_a_plausible_standing_height(run_cli, cmu_walk: Path) -> None:
    status, out, err = run_cli("info", cmu_walk)
    assert (status, err) == (0, "")
    height = float(next(line for line in out.splitlines() if line.startswith("height:")).split()[1])
    assert 1.4 <= height <= 2.0
    assert "cmu_asf" in out and "120 fps" in out
