"""`momo serve` and `momo view` refuse bad arguments with one line before starting anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from momo.cli.main import main
from momo.errors import MomoError


def _run(capsys, *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().err


def test_missing_app_extra_names_the_extra():
    from momo.app.launch import require_app_extra

    with pytest.raises(
        MomoError, match=r'needs fastapi, uvicorn.*pip install "momo-motion\[app\]"'
    ):
        require_app_extra("serve", find_spec=lambda name: None)
    require_app_extra("serve", find_spec=lambda name: object())  # all present: no error


def _one_line(stderr: str, command: str, fragment: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"momo {command}: error: "), stderr
    assert fragment in lines[0], lines[0]


def test_view_needs_an_existing_result_folder(capsys, tmp_path: Path):
    pytest.importorskip("fastapi", reason="the web app needs the 'app' extra")
    status, err = _run(capsys, "view", str(tmp_path / "missing"))
    assert status == 2
    _one_line(err, "view", "does not exist")
    (tmp_path / "notes.txt").write_text("x")
    status, err = _run(capsys, "view", str(tmp_path / "notes.txt"))
    assert status == 2
    _one_line(err, "view", "not a folder")
    status, err = _run(capsys, "view", str(tmp_path))
    assert status == 2
    _one_line(err, "view", "holds no leader.npy")


def test_serve_refuses_bad_port_and_used_work_dir(capsys, tmp_path: Path):
    pytest.importorskip("fastapi", reason="the web app needs the 'app' extra")
    status, err = _run(capsys, "serve", "--port", "70000")
    assert status == 2
    _one_line(err, "serve", "--port must be between 1 and 65535")
    (tmp_path / "old.txt").write_text("x")
    status, err = _run(capsys, "serve", "--port", "7999", "--work-dir", str(tmp_path))
    assert status == 2
    _one_line(err, "serve", "must be a new or empty folder")
    assert (tmp_path / "old.txt").read_text() == "x"


def test_port_in_use_is_one_line(capsys, tmp_path: Path):
    pytest.importorskip("fastapi", reason="the web app needs the 'app' extra")
    (tmp_path / "leader.npy").write_bytes(b"")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, err = _run(capsys, "view", str(tmp_path), "--port", str(port))
    assert status == 2
    _one_line(err, "view", f"port {port} is in use")
