"""The package imports lightly and its errors reach the CLI as one line with status 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import momo
from momo.cli.main import main


def test_import_is_light() -> None:
    code = "import momo, sys; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_public_name() -> None:
    with pytest.raises(AttributeError):
        _ = momo.NoSuchThing


def test_motion_validates_shape_and_values() -> None:
    with pytest.raises(momo.MotionFormatError, match=r"\[T, 263\]"):
        momo.Motion(np.zeros((10, 262)))
    bad = np.zeros((10, 263))
    bad[3, 5] = np.nan
    with pytest.raises(momo.MotionFormatError, match="NaN"):
        momo.Motion(bad)
    motion = momo.Motion(np.zeros((10, 263), dtype=np.float64), text="a person waves")
    assert motion.features.dtype == np.float32
    assert motion.num_frames == 10 and motion.fps == 20 and motion.seconds == 0.5


def test_cli_without_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
