"""`momo convert`, `momo render` and `momo info` on small synthetic motion files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from momo.motion.representation import FEATURE_DIM, JOINT_NAMES


def test_convert_joints_to_features_bvh_and_back(run_cli, joints_npy: Path) -> None:
    features = joints_npy.parent / "walk_features.npy"
    status, out, err = run_cli("convert", joints_npy, features)
    assert (status, err) == (0, "")
    assert f"wrote {features}" in out
    array = np.load(features)
    assert array.shape == (24, FEATURE_DIM)  # one feature row per frame: none is lost
    assert array.dtype == np.float32

    bvh = joints_npy.parent / "walk.bvh"
    status, _, err = run_cli("convert", features, bvh)
    assert (status, err) == (0, "")
    assert bvh.read_text().startswith("HIERARCHY")
    status, out, _ = run_cli("info", bvh, "--json")
    facts = json.loads(out)
    assert status == 0
    assert facts["frames"] == 24 and facts["joint_map"] == "smpl"
    # 1 m/s along +Z for 23 frame steps at 20 fps, whatever the file format in between.
    assert abs(facts["root_path_m"] - 23 / 20) < 0.02


def test_convert_overwrites_only_when_asked(run_cli, joints_npy: Path) -> None:
    target = joints_npy.parent / "out.npy"
    target.write_bytes(b"old")
    status, _, _ = run_cli("convert", joints_npy, target)
    assert status == 2 and target.read_bytes() == b"old"
    status, _, _ = run_cli("convert", joints_npy, target, "--overwrite", "--text", "a walk")
    assert status == 0 and np.load(target).shape == (24, FEATURE_DIM)


def test_render_several_inputs_holds_the_shorter(
    run_cli, make_joints, joints_npy: Path, tmp_path: Path
) -> None:
    short = tmp_path / "short.npy"
    np.save(short, make_joints(frames=10))
    video = tmp_path / "both.gif"
    status, out, err = run_cli("render", joints_npy, short, "--out", video, "--titles", "a", "b")
    assert (status, err) == (0, "")
    frames = iio.imread(video, index=None)
    assert frames.shape[0] == 24  # the longer motion's frames
    assert frames.shape[2] == 2 * 360  # two panels of the default width
    assert "2 motion(s), 24 frames" in out
    # --raw renders the imported joints: every one of the 24 frames.
    status, out, _ = run_cli("render", "--raw", joints_npy, "--out", tmp_path / "raw.mp4")
    assert status == 0 and iio.imread(tmp_path / "raw.mp4", index=None).shape[0] == 24


def test_info_reports_frames_seconds_height_and_path(run_cli, joints_npy: Path) -> None:
    status, out, err = run_cli("info", joints_npy)
    assert (status, err) == (0, "")
    fields = dict(re.findall(r"^(\w[\w ]*):\s+(.*)$", out, flags=re.MULTILINE))
    assert fields["frames"].startswith("24 at 20 fps")
    assert fields["seconds"] == "1.20"
    height = float(fields["height"].split()[0])
    assert 1.5 < height < 1.9  # the canonical skeleton: an adult
    assert fields["root path"].startswith("1.15 m")  # 23 steps of 5 cm


def test_info_table_for_several_files(
    run_cli, make_joints, joints_npy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.npy"
    np.save(other, make_joints(frames=40, speed=0.5))
    status, out, _ = run_cli("info", joints_npy, other)
    lines = out.splitlines()
    assert status == 0 and len(lines) == 4  # header, rule, two rows
    assert lines[2].split()[:3] == ["walk_joints.npy", "24", "1.20"]
    assert lines[3].split()[:3] == ["other.npy", "40", "2.00"]


def test_malformed_files_end_in_one_line(run_cli, one_line_error, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bvh"
    garbage.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0\n")
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((10, 7)))
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((10, 22, 3), np.nan))
    for path in (garbage, empty, wrong, nan):
        for argv in (("info", path), ("convert", path, tmp_path / "o.npy")):
            status, out, err = run_cli(*argv)
            assert status == 2, (argv, err)
            one_line_error(err, argv[0], path.name)
    assert not (tmp_path / "o.npy").exists()


def test_joint_map_option_reads_an_unknown_skeleton(
    run_cli, one_line_error, joints_npy: Path, tmp_path: Path
) -> None:
    bvh = tmp_path / "smpl.bvh"
    assert run_cli("convert", joints_npy, bvh)[0] == 0
    # Rename every joint so no built-in map recognises the skeleton.
    text = bvh.read_text()
    for index, name in enumerate(JOINT_NAMES):
        text = re.sub(rf"\b(ROOT|JOINT) {name}\b", rf"\1 bone{index:02d}", text)
    renamed = tmp_path / "renamed.bvh"
    renamed.write_text(text)
    status, _, err = run_cli("info", renamed)
    assert status == 2
    one_line_error(err, "info", "bone00")  # the message lists the joints it saw
    mapping = {name: f"bone{index:02d}" for index, name in enumerate(JOINT_NAMES)}
    status, out, err = run_cli("info", renamed, "--json", "--joint-map", json.dumps(mapping))
    assert (status, err) == (0, "")
    assert json.loads(out)["frames"] == 24
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps(mapping))
    status, _, err = run_cli("convert", renamed, tmp_path / "back.npy", "--joint-map", map_file)
    assert (status, err) == (0, "")
    assert np.load(tmp_path / "back.npy").shape == (24, FEATURE_DIM)
