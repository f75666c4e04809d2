"""Transfer tests run tiny models: one thread is much faster than several on a shared CPU."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _single_thread(single_thread: None) -> None:
    """Every transfer test asks for the `single_thread` fixture."""
