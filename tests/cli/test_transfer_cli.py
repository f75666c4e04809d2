"""`momo transfer` end to end with a tiny checkpoint saved in a temporary directory."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_kit import check_one_line_error, walking_joints


def check_error(stderr: str, *fragments: str) -> None:
    """Exactly one ``momo transfer: error:`` line (loading the text encoder draws nothing)."""
    check_one_line_error(stderr, "transfer", *fragments)


pytestmark = pytest.mark.usefixtures("single_thread")


def test_real_leader_text_follower(run_cli, checkpoint, walk, tmp_path):
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person jumps on one leg",
        "--follower", walk, "--out", out, "--model", checkpoint, "--seed", "3",
        "--layers", "0:-1", "--steps", "2:7", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("output") and "follower sim (rot)" in lines[0]
    assert lines[2].startswith("output_0") and "a person jumps on one leg" in lines[2]
    assert lines[3].startswith("output_1")
    assert lines[-1] == f"wrote {out}"
    config = json.loads((out / "config.json").read_text())
    assert config["layers"] == [0, 1, 2] and config["steps"] == [2, 3, 4, 5, 6, 7]
    assert config["seed"] == 3
    assert config["leader"]["kind"] == "motion" and config["followers"][0]["kind"] == "text"
    assert config["guidance_scale"]["outputs"] == [1.0, 1.0]
    assert config["cli"]["leader"] == str(walk)
    features = np.load(out / "output_0.npy")
    assert features.shape == (40, 263)  # the leader's length (40 frames, none lost)
    assert len(json.loads((out / "metrics.json").read_text())["outputs"]) == 2
    assert not (out / "transfer.mp4").exists()

    # a second run into the same directory is refused before any work, in one line
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person jumps on one leg", "--follower",
        walk, "--out", out, "--model", checkpoint, "--no-video",
    )  # fmt: skip
    assert status == 2
    check_one_line_error(stderr, "transfer", "already holds transfer results", "--overwrite")
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person jumps on one leg", "--follower",
        walk, "--out", out, "--model", checkpoint, "--no-video", "--overwrite", "--seed", "4",
    )  # fmt: skip
    assert status == 0, stderr
    assert json.loads((out / "config.json").read_text())["seed"] == 4


def test_text_transfer_with_videos_and_copies(run_cli, checkpoint, tmp_path):
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(
        "transfer", "--leader", "a person walks forward", "--follower", "a person waves",
        "--out", out, "--model", checkpoint, "--frames", "20", "--guidance", "2",
        "--follower-copies", "2", "--seed", "1",
    )  # fmt: skip
    assert status == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert config["guidance_scale"] == {"leader": 2.0, "followers": [2.0], "outputs": [2.0]}
    assert config["follower_copies"] == 2 and config["num_frames"] == 20
    for name in ("transfer.mp4", "followers.mp4", "follower_0_copy1.bvh", "results.npy"):
        assert (out / name).is_file(), name


def test_fast_modes(run_cli, checkpoint, walk, tmp_path):
    out = tmp_path / "out"
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", walk, "--out", out, "--model", checkpoint,
        "--seed", "3", "--sampling-steps", "5", "--reuse-inversion", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert config["num_steps"] == 5 and config["reuse_inversion"] is True
    assert np.load(out / "output_0.npy").shape == (40, 263)


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [(["--layers", "1:9"], ["--layers", "outside 0..2"]),
     (["--sampling-steps", "11"], ["num_steps must be an integer in 1..10"]),
     (["--reuse-inversion"], ["reuse_inversion needs a real leader"]),
     (["--steps", "3:1"], ["--steps", "before"]),
     (["--follower-copies", "0"], ["--follower-copies must be >= 1"]),
     (["--frames", "500"], ["exceeds the model's limit of 196"])],
)  # fmt: skip
def test_errors_are_one_line(run_cli, checkpoint, tmp_path, extra, fragments):
    status, _, stderr = run_cli(
        "transfer", "--leader", "a person walks", "--follower", "a person waves", "--out",
        tmp_path / "out", "--model", checkpoint, *extra,
    )  # fmt: skip
    assert status == 2
    check_error(stderr, *fragments)


def test_long_motion_needs_crop(run_cli, checkpoint, tmp_path):
    long = tmp_path / "long.npy"
    np.save(long, walking_joints(230))
    args = ["transfer", "--leader", long, "--follower", "a person waves", "--out",
            tmp_path / "out", "--model", checkpoint, "--no-video"]  # fmt: skip
    status, _, stderr = run_cli(*args)
    assert status == 2
    check_error(stderr, "230 frames", "at most 196", "--crop")
    status, _, stderr = run_cli(*args, "--crop")
    assert status == 0, stderr
    assert np.load(tmp_path / "out" / "output_0.npy").shape == (196, 263)
    assert json.loads((tmp_path / "out" / "config.json").read_text())["cli"]["crop"] is True


def test_leader_body_and_output_text(run_cli, checkpoint, walk, tmp_path):
    out = tmp_path / "out"
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person waves", "--out", out,
        "--model", checkpoint, "--seed", "3", "--leader-body", "lower",
        "--leader-body-steps", "5:9", "--output-text", "none", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert config["leader_body"] == "lower" and config["leader_body_steps"] == [5, 6, 7, 8, 9]
    assert config["output_text"] == "none"
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person waves", "--out", tmp_path / "o2",
        "--model", checkpoint, "--leader-body", "lower", "--leader-body-steps", "none",
        "--no-video",
    )  # fmt: skip
    assert status == 2
    check_error(stderr, "leader_body_steps must be timesteps")


def test_follower_body(run_cli, checkpoint, walk, tmp_path):
    out = tmp_path / "out"
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person waves", "--out", out,
        "--model", checkpoint, "--seed", "3", "--leader-body", "lower", "--follower-body",
        "upper", "--follower-body-steps", "3:9", "--no-video",
    )  # fmt: skip
    assert status == 0, stderr
    config = json.loads((out / "config.json").read_text())
    assert config["follower_body"] == "upper"
    assert config["follower_body_steps"] == [3, 4, 5, 6, 7, 8, 9]
    status, _, stderr = run_cli(
        "transfer", "--leader", walk, "--follower", "a person waves", "--out", tmp_path / "o2",
        "--model", checkpoint, "--follower-body", "upper", "--follower-body-steps", "3:99",
        "--no-video",
    )  # fmt: skip
    assert status == 2
    check_error(stderr, "follower-body-steps")
