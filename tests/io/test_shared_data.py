"""Samples of every source in ../shared/data import plausibly (benchmarks/import_all.py does all).

Checks: stature 1.4-2.0 m, nothing more than 5 cm below the floor, left hip on +X at canonical
frame 0 (facing +Z), planted feet pointing along the body's facing, and for walks travel along
the facing and alternating single support. The mirror test shows the handedness checks can fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from momo.io.api import joints_from_bytes, load_joints
from momo.io.checks import check_import, foot_forwardness, travel_along_facing
from momo.motion.kinematics import joints_to_features


def _check(name: str, joints: np.ndarray, walk: bool, forward: bool) -> None:
    report = check_import(joints, joints_to_features(joints), walk=walk, forward_walk=forward)
    assert report.failures == [], (name, report)
    assert report.left_hip_x > 0.05


def test_bandai_sample(bandai_sample: dict[str, bytes]) -> None:
    for name, data in bandai_sample.items():
        joints, info = joints_from_bytes(name, data)
        assert info["joint_map"] == "bandai_namco" and info["scale"] == 0.01
        assert info["source_fps"] == pytest.approx(30, rel=1e-4)
        content = name.split("_")[1]
        _check(name, joints, walk=content == "walk", forward=content == "walk")
        if content == "walk-back":
            assert travel_along_facing(joints) < 0  # walks backwards, facing forwards


def test_cmu_clips(shared_data: Path) -> None:
    paths = sorted((shared_data / "cmu-131").glob("*.bvh"))
    assert [p.name for p in paths] == ["131_01.bvh", "131_02.bvh", "131_03.bvh"]
    for path in paths:
        joints, info = load_joints(path)
        assert info["joint_map"] == "cmu_asf"
        walk = path.name in ("131_01.bvh", "131_02.bvh")
        _check(path.name, joints, walk=walk, forward=walk)


def test_deepmimic_sample(deepmimic_sample: dict[str, bytes]) -> None:
    for name, data in deepmimic_sample.items():
        joints, _ = joints_from_bytes(name, data)
        walk = "walk" in name
        _check(name, joints, walk=walk, forward=walk)


def test_a_mirrored_import_is_caught(bandai_sample: dict[str, bytes]) -> None:
    # Swap left and right labels (what a wrong joint map or a handedness slip does).
    from momo.motion.representation import MIRROR_JOINTS

    joints, _ = joints_from_bytes("w.bvh", bandai_sample["dataset-1_walk_normal_001.bvh"])
    swapped = joints[:, list(MIRROR_JOINTS)]
    assert foot_forwardness(joints) > 0.8
    assert foot_forwardness(swapped) < -0.8
    assert travel_along_facing(joints) > 0 > travel_along_facing(swapped)
    report = check_import(swapped, joints_to_features(swapped), walk=True, forward_walk=True)
    assert {"feet", "travel"} <= set(report.failures)
