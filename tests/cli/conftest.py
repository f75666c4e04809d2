"""Fixtures for the CLI tests: small synthetic motion files and a runner that captures stderr."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_kit import check_one_line_error, walking_joints

from momo.cli.main import main
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.models.loading import save_pretrained
from momo.models.mdm import MotionDenoiser
from momo.motion.normalization import Normalizer


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
    config = DenoiserConfig(
        num_layers=3, latent_dim=32, ff_size=48, num_heads=4,
        text_token_dim=384, text_pooled_dim=384, max_positions=256,
    )  # fmt: skip
    torch.manual_seed(0)
    denoiser = MotionDenoiser(config).eval()
    rng = np.random.default_rng(0)
    normalizer = Normalizer(
        rng.normal(0, 0.3, 263).astype(np.float32), rng.uniform(0.5, 2, 263).astype(np.float32)
    )
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    model_config = ModelConfig(config, DiffusionConfig(10, "cosine"), "minilm")
    save_pretrained({"denoiser": denoiser, "config": model_config, "normalizer": normalizer}, path)
    return path


@pytest.fixture(scope="session")
def walk(tmp_path_factory) -> Path:
    """A 2 s walk as joint positions (.npy), 40 frames -> 39 feature frames."""
    path = tmp_path_factory.mktemp("motions") / "walk.npy"
    np.save(path, walking_joints(40))
    return path
