"""Shared test fixtures: where `../shared` lives, and skips when it is absent."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Give the tests a terminal's Ctrl-C even when the suite was started in the background.

    A shell starts background jobs with SIGINT ignored, Python then installs no Ctrl-C handler,
    and child processes inherit the ignored signal; the interrupt tests need the usual
    disposition (Python's handler here, the default one in children).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def single_thread() -> Iterator[None]:
    """Run the test on one torch thread (tiny models run much faster so on a shared CPU)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def shared_dir() -> Path:
    """The shared folder beside the checkout (override with MOMO_SHARED_DIR)."""
    return Path(os.environ.get("MOMO_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path to `../shared`; skips the test when it is absent (as on a user's machine)."""
    path = shared_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path} (set MOMO_SHARED_DIR to use another)")
    return path


@pytest.fixture(scope="session")
def shared_data(shared: Path) -> Path:
    """Path to `../shared/data`; skips when absent."""
    path = shared / "data"
    if not path.is_dir():
        pytest.skip(f"motion data not found at {path}")
    return path


@pytest.fixture(scope="session")
def shared_fixtures(shared: Path) -> Path:
    """Path to `../shared/fixtures` (reference numbers); skips when absent."""
    path = shared / "fixtures"
    if not path.is_dir():
        pytest.skip(f"reference fixtures not found at {path}")
    return path
