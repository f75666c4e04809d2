"""Hostile command lines: each ends in one line on stderr and exit status 2, before slow work."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from cli_kit import check_one_line_error

import momo.cli.common
import momo.cli.info
from momo.cli.common import motion_path_or_prompt
from momo.errors import ConfigError

LONG_PROMPT = "a person walks forward slowly, " * 10  # 310 bytes: too long for a file name


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["transfer", "--seed", str(2**63)], ["--seed", "0..2**63-1"]),
        (["transfer", "--seed", "-1"], ["--seed", "0..2**63-1"]),
        (["generate", "--seed", "1e3"], ["--seed", "not an integer"]),
        (["transfer", "--device", "bogus"], ["--device", "not a torch device"]),
        (["generate", "--device", "meta"], ["--device", "cpu, cuda or mps"]),
        (["generate", "--steps", "0"], ["--steps", ">= 1, got 0"]),
        (["generate", "--frames", "-5"], ["--frames", ">= 1"]),
        (["transfer", "--guidance", "nan"], ["--guidance", "not a finite number"]),
        (["generate", "--guidance", "inf"], ["--guidance", "not a finite number"]),
        (["transfer", "--sampling-steps", "0"], ["--sampling-steps", ">= 1"]),
        (["train", "--lr", "nan"], ["--lr", "not a finite number"]),
        (["train", "--lr", "0"], ["--lr", "must be > 0"]),
        (["train", "--threads", "-3"], ["--threads", ">= 1, got -3"]),
        (["train", "--checkpoint-every", "-1"], ["--checkpoint-every", ">= 0"]),
        (["train", "--time-limit", "inf"], ["--time-limit", "finite"]),
    ],
)
def test_option_values_are_checked_as_parsed(run_cli, tmp_path, argv, fragments) -> None:
    command = argv[0]
    required = {
        "transfer": ["--leader", "a", "--follower", "b", "--out", str(tmp_path / "o")],
        "generate": ["--text", "a", "--out", str(tmp_path / "o")],
        "train": ["--out", str(tmp_path / "o")],
    }[command]
    status, out, err = run_cli(*argv, *required)
    assert status == 2 and out == ""
    check_one_line_error(err, command, *fragments)
    assert f"see momo {command} --help" in err
    assert not (tmp_path / "o").exists()


def test_unknown_options_and_missing_arguments_are_one_line(run_cli) -> None:
    status, _, err = run_cli("generate", "--out", "x")
    assert status == 2
    check_one_line_error(err, "generate", "--text")
    status, _, err = run_cli("convert", "a.npy", "b.npy", "--frobnicate")
    assert status == 2
    check_one_line_error(err.replace("momo: error", "momo convert: error"), "convert", "--frob")


def test_leader_and_follower_values(tmp_path) -> None:
    motion = tmp_path / "walk.npy"
    motion.write_bytes(b"")
    assert motion_path_or_prompt(str(motion), "--leader") == motion
    assert motion_path_or_prompt("a person walks", "--leader") == "a person walks"
    # Too long for a file name: a prompt (Path.exists would raise "File name too long").
    assert motion_path_or_prompt(LONG_PROMPT, "--leader") == LONG_PROMPT
    assert motion_path_or_prompt(str(tmp_path / LONG_PROMPT), "--leader") == str(
        tmp_path / LONG_PROMPT
    )
    for empty in ("", "   "):
        with pytest.raises(ConfigError, match="--leader is empty"):
            motion_path_or_prompt(empty, "--leader")
    with pytest.raises(ConfigError, match="is a directory"):
        motion_path_or_prompt(str(tmp_path), "--follower")


def _no_model(args) -> None:  # noqa: ANN001
    raise AssertionError("the model must not be loaded for an input that cannot work")


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--leader", "", "--follower", "b"], ["--leader is empty"]),
        (["--leader", "a", "--follower", "."], ["--follower '.' is a directory"]),
        (["--leader", "a", "--follower", "b", "--layers", ""], ["--layers is empty", "'none'"]),
        (["--leader", "a", "--follower", "b", "--steps", " "], ["--steps is empty"]),
    ],
)
def test_transfer_values_fail_before_the_model_loads(
    run_cli, tmp_path, monkeypatch, extra, fragments
) -> None:
    monkeypatch.setattr("momo.cli.transfer.load_model_arg", _no_model)
    status, _, err = run_cli("transfer", *extra, "--out", tmp_path / "out")
    assert status == 2
    check_one_line_error(err, "transfer", *fragments)


def test_too_long_names_end_in_one_line(run_cli, tmp_path, monkeypatch) -> None:
    long_file = tmp_path / ("x" * 300 + ".bvh")
    status, _, err = run_cli("info", long_file)
    assert status == 2
    check_one_line_error(err, "info", "no such file")
    status, _, err = run_cli("transfer", "--leader", "a", "--follower", "b", "--model", long_file,
                             "--out", tmp_path / "o")  # fmt: skip
    assert status == 2
    check_one_line_error(err, "transfer", "not found")
    monkeypatch.setattr("momo.cli.transfer.load_model_arg", _no_model)
    status, _, err = run_cli("transfer", "--leader", "a", "--follower", "b", "--out", long_file)
    assert status == 2
    check_one_line_error(err, "transfer", "longer than 255 bytes")


def test_a_long_prompt_is_a_prompt(run_cli, checkpoint, tmp_path) -> None:
    out = tmp_path / "out"
    status, _, err = run_cli("transfer", "--leader", LONG_PROMPT, "--follower", "a person waves",
                             "--model", checkpoint, "--out", out, "--no-video", "--frames", "20",
                             "--sampling-steps", "2", "--seed", str(2**63 - 1))  # fmt: skip
    assert status == 0, err
    config = json.loads((out / "config.json").read_text())
    assert config["cli"]["leader"] == LONG_PROMPT and config["seed"] == 2**63 - 1


def _read_only(*args, **kwargs):  # noqa: ANN002, ANN003
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), kwargs.get("dir"))


def test_unwritable_out_is_found_before_the_transfer(run_cli, tmp_path, monkeypatch) -> None:
    # Root ignores file modes and the suite cannot mount a read-only file system: the
    # operating system's answer is simulated where the output folder is first created.
    monkeypatch.setattr(tempfile, "mkdtemp", _read_only)
    monkeypatch.setattr("momo.cli.transfer.load_model_arg", _no_model)
    status, _, err = run_cli("transfer", "--leader", "a", "--follower", "b", "--out",
                             tmp_path / "out")  # fmt: skip
    assert status == 2
    check_one_line_error(err, "transfer", "Read-only file system", "writable")


def test_full_disk_is_one_line_and_leaves_nothing(run_cli, joints_npy, monkeypatch) -> None:
    def full(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        name = getattr(file, "name", file)
        with open(name, "wb") as handle:
            handle.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(name))

    monkeypatch.setattr(np, "save", full)
    target = joints_npy.parent / "features.npy"
    status, _, err = run_cli("convert", joints_npy, target)
    assert status == 2
    check_one_line_error(err, "convert", "No space left on device", "free some space")
    assert sorted(p.name for p in joints_npy.parent.iterdir()) == [joints_npy.name]


def test_info_json_is_strict_json(run_cli, joints_npy, monkeypatch) -> None:
    joints = np.load(joints_npy)

    def odd_import(path, **kwargs):  # noqa: ANN001, ANN003
        return joints, {"format": "bvh", "source_fps": float("inf"), "height_m": float("nan")}

    monkeypatch.setattr(momo.cli.info, "load_joints_arg", odd_import)
    status, out, err = run_cli("info", joints_npy, "--json")
    assert status == 0, err

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    facts = json.loads(out, parse_constant=refuse)
    assert facts["source_fps"] is None and facts["height_m"] is None
    assert facts["frames"] == len(joints)


def test_ctrl_c_is_one_line_and_status_130(run_cli, monkeypatch) -> None:
    def interrupted(path, **kwargs):  # noqa: ANN001, ANN003
        raise KeyboardInterrupt

    monkeypatch.setattr(momo.cli.common, "check_input_path", interrupted)
    monkeypatch.setattr(momo.cli.info, "check_input_path", interrupted)
    status, _, err = run_cli("info", "x.bvh")
    assert status == 130
    assert err.splitlines() == ["momo info: interrupted"]


def test_a_late_ctrl_c_still_ends_in_one_line_and_130() -> None:
    # The interrupt arrives as `main` returns, outside its handlers; the console script's
    # entry reports it and ignores any during interpreter shutdown.
    script = (
        "import os, signal\n"
        "import momo.cli.main as cli\n"
        "def late(argv=None):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return 0\n"
        "cli.main = late\n"
        "cli.entry()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env)  # fmt: skip
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.splitlines() == ["momo: interrupted"]


def test_a_device_this_machine_lacks_is_one_line(run_cli, tmp_path) -> None:
    status, _, err = run_cli("generate", "--text", "a", "--out", tmp_path / "o", "--device",
                             "cuda:99")  # fmt: skip
    assert status == 2
    check_one_line_error(err, "generate", "--device cuda:99", "CUDA device")
    assert not (tmp_path / "o").exists()


def test_sigterm_is_handled_like_ctrl_c() -> None:
    script = (
        "import os, signal, time\n"
        "import momo.cli.main as cli\n"
        "def killed(argv=None):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)\n"
        "    return 0\n"
        "cli.main = killed\n"
        "cli.entry()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env)  # fmt: skip
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.splitlines() == ["momo: interrupted: terminated (SIGTERM)"]


def test_a_dangling_symlink_output_is_not_replaced_without_overwrite(
    run_cli, joints_npy, tmp_path
) -> None:
    link = tmp_path / "features.npy"
    link.symlink_to(tmp_path / "elsewhere.npy")
    status, _, err = run_cli("convert", joints_npy, link)
    assert status == 2
    check_one_line_error(err, "convert", "dangling symlink", "--overwrite")
    assert link.is_symlink()
    status, _, err = run_cli("generate", "--text", "a", "--out", link)
    assert status == 2
    check_one_line_error(err, "generate", "dangling symlink")
