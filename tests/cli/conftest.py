"""Fixtures for the CLI tests: small synthetic motion files and a runner that captures stderr."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from momo.cli.main import main
from momo.motion.representation import CANONICAL_BONE_LENGTHS, NUM_JOINTS, PARENTS, REST_DIRECTIONS


def walking_joints(frames: int = 24, speed: float = 1.0) -> np.ndarray:
    """The canonical rest pose (facing +Z, feet on the floor) sliding along +Z with swinging
    hands, at 20 fps: float32 [frames, 22, 3] metres."""
    pose = np.zeros((NUM_JOINTS, 3))
    for joint in range(1, NUM_JOINTS):
        pose[joint] = pose[PARENTS[joint]] + REST_DIRECTIONS[joint] * CANONICAL_BONE_LENGTHS[joint]
    pose[:, 1] -= pose[:, 1].min()
    t = np.arange(frames) / 20.0
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 2] += speed * t[:, None]
    joints[:, [20, 21], 2] += 0.2 * np.sin(2 * np.pi * t)[:, None] * np.array([1.0, -1.0])
    return joints.astype(np.float32)


@pytest.fixture
def joints_npy(tmp_path: Path) -> Path:
    """A .npy of joint positions [24, 22, 3] (a 1.2 s walk, 1 m/s along +Z)."""
    path = tmp_path / "walk_joints.npy"
    np.save(path, walking_joints())
    return path


RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Call `momo.cli.main.main` in-process: returns (exit status, stdout, stderr)."""

    def run(*argv: str | Path) -> tuple[int, str, str]:
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def check_one_line_error(stderr: str, command: str, *fragments: str) -> None:
    """stderr holds exactly one line, ``momo COMMAND: error: ...``, containing every fragment."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {stderr!r}"
    assert lines[0].startswith(f"momo {command}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


@pytest.fixture
def one_line_error() -> Callable[..., None]:
    """`check_one_line_error`, as a fixture."""
    return check_one_line_error


@pytest.fixture
def make_joints() -> Callable[..., np.ndarray]:
    """`walking_joints`, as a fixture: ``make_joints(frames=24, speed=1.0)``."""
    return walking_joints
