"""Fixtures for the motion-representation tests: the HumanML3D sample, when `../shared` is present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SAMPLE_ID = "012314"


@pytest.fixture(scope="session")
def humanml3d_sample(shared_data: Path) -> dict[str, np.ndarray]:
    """HumanML3D motion 012314: ``features`` [170, 263], ``joints`` [170, 22, 3], ``mean``, ``std``."""
    folder = shared_data / "humanml3d-sample"
    if not folder.is_dir():
        pytest.skip(f"HumanML3D sample not found at {folder}")
    return {
        "features": np.load(folder / f"new_joint_vecs_{SAMPLE_ID}.npy"),
        "joints": np.load(folder / f"new_joints_{SAMPLE_ID}.npy"),
        "mean": np.load(folder / "Mean.npy"),
        "std": np.load(folder / "Std.npy"),
        "dir": folder,  # type: ignore[dict-item]
    }
