"""Fixtures for the CLI tests: small synthetic motion files and a runner that captures stderr."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cli_kit import check_one_line_error, walking_joints

from kit import save_minilm_checkpoint
from momo.cli.main import main


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


@pytest.fixture
def one_line_error() -> Callable[..., None]:
    """`check_one_line_error`, as a fixture."""
    return check_one_line_error


@pytest.fixture
def make_joints() -> Callable[..., np.ndarray]:
    """`walking_joints`, as a fixture: ``make_joints(frames=24, speed=1.0)``."""
    return walking_joints


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """A 3-layer, 32-wide model for the bundled MiniLM encoder, 10 diffusion steps."""
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    save_minilm_checkpoint(path, 10, max_positions=256)
    return path


@pytest.fixture(scope="session")
def walk(tmp_path_factory) -> Path:
    """A 2 s walk as joint positions (.npy), 40 frames -> 39 feature frames."""
    path = tmp_path_factory.mktemp("motions") / "walk.npy"
    np.save(path, walking_joints(40))
    return path
