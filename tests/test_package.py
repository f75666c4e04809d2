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


def test_atomic_output_permissions_and_refusal(tmp_path) -> None:  # noqa: ANN001
    import os

    from momo.utils.files import atomic_output

    target = tmp_path / "out.txt"
    with atomic_output(target) as tmp:
        tmp.write_text("first")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(momo.OutputExistsError, match="overwrite"), atomic_output(target) as tmp:
        tmp.write_text("second")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("writer failed")
    assert target.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_cli_permission_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Root ignores file modes, so the failing command is simulated at the dispatch point.
    import argparse

    from momo.cli import main as cli_main

    def failing_command(args: argparse.Namespace) -> int:
        raise PermissionError(13, "Permission denied", "/read-only/out.npy")

    class FakeParser:
        def parse_args(self, argv: object) -> argparse.Namespace:
            return argparse.Namespace(command="convert", func=failing_command, verbose=False)

    monkeypatch.setattr(cli_main, "build_parser", FakeParser)
    assert cli_main.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Permission denied" in err
