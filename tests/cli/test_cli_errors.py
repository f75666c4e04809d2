"""Whatever a user gets wrong on the command line ends in one line on stderr and status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_missing_input_file(run_cli, one_line_error, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.bvh"
    for argv in (
        ("info", missing),
        ("convert", missing, tmp_path / "out.npy"),
        ("render", missing, "--out", tmp_path / "out.gif"),
    ):
        status, out, err = run_cli(*argv)
        assert status == 2
        one_line_error(err, argv[0], "no such file")
        assert str(missing) in err
    assert not (tmp_path / "out.npy").exists() and not (tmp_path / "out.gif").exists()


def test_unknown_output_suffix_lists_the_ones_that_work(
    run_cli, one_line_error, joints_npy: Path
) -> None:
    status, _, err = run_cli("convert", joints_npy, joints_npy.with_suffix(".fbx"))
    assert status == 2
    one_line_error(err, "convert", ".fbx")
    for suffix in (".npy", ".bvh", ".mp4", ".gif"):
        assert suffix in err
    status, _, err = run_cli("render", joints_npy, "--out", joints_npy.with_suffix(".avi"))
    assert status == 2
    one_line_error(err, "render", ".mp4, .gif")


def test_existing_output_is_not_touched_without_overwrite(
    run_cli, one_line_error, joints_npy: Path
) -> None:
    for command, output in (("convert", "taken.bvh"), ("render", "taken.gif")):
        target = joints_npy.parent / output
        target.write_text("keep me")
        argv = (command, joints_npy, target) if command == "convert" else (
            command, joints_npy, "--out", target
        )  # fmt: skip
        status, _, err = run_cli(*argv)
        assert status == 2
        one_line_error(err, command, "--overwrite")
        assert target.read_text() == "keep me"


def test_titles_must_match_inputs(
    run_cli, one_line_error, joints_npy: Path, tmp_path: Path
) -> None:
    status, _, err = run_cli(
        "render", joints_npy, joints_npy, "--out", tmp_path / "v.gif", "--titles", "one"
    )
    assert status == 2
    one_line_error(err, "render", "one --titles entry per input")
    assert not (tmp_path / "v.gif").exists()


def test_malformed_inline_joint_map(run_cli, one_line_error, joints_npy: Path) -> None:
    status, _, err = run_cli("info", joints_npy, "--joint-map", '{"pelvis": Hips}')
    assert status == 2
    one_line_error(err, "info", "--joint-map is not valid JSON")


def test_installed_script_prints_one_line_and_exits_2(one_line_error, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "momo"
    if not script.exists():
        pytest.skip(f"the momo script is not installed beside {sys.executable}")
    result = subprocess.run(
        [str(script), "render", str(tmp_path / "missing.npy"), "--out", str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    one_line_error(result.stderr, "render", "no such file")
    assert result.stdout == ""


def test_output_that_is_a_directory(run_cli, one_line_error, joints_npy: Path) -> None:
    folder = joints_npy.parent / "video.mp4"
    folder.mkdir()
    status, _, err = run_cli("render", joints_npy, "--out", folder, "--overwrite")
    assert status == 2
    one_line_error(err, "render", "is a directory")
    assert folder.is_dir()
