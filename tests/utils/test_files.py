"""Safe outputs: existence of odd paths, atomic files, staged folders, stale leftovers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import momo.utils.output_dirs as output_dirs
from momo.errors import OutputExistsError, OutputWriteError
from momo.utils.files import (
    atomic_output,
    check_output_path,
    check_writable_location,
    path_exists,
    remove_stale_temporaries,
)
from momo.utils.output_dirs import staged_directory


def test_path_exists_for_odd_paths(tmp_path: Path) -> None:
    assert not path_exists(tmp_path / ("x" * 300))  # Path.exists raises "File name too long"
    assert not path_exists("a\0b")
    assert not path_exists(tmp_path / "missing" / "deeper")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    assert path_exists(link) and not link.exists()
    with pytest.raises(OutputExistsError, match="dangling symlink"):
        check_output_path(link, overwrite=False)
    with atomic_output(link, overwrite=True) as tmp:
        tmp.write_text("new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert not (tmp_path / "nowhere").exists()


def test_check_writable_location(tmp_path: Path) -> None:
    assert check_writable_location(tmp_path / "a" / "b" / "out") == tmp_path / "a" / "b" / "out"
    assert not (tmp_path / "a").exists()  # nothing is left behind
    with pytest.raises(OutputWriteError, match="longer than 255 bytes"):
        check_writable_location(tmp_path / ("y" * 256) / "out")
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputWriteError, match="not a folder"):
        check_writable_location(tmp_path / "file" / "out")
    assert os.listdir(tmp_path) == ["file"]


def _fill(directory: Path, **contents: str) -> None:
    for name, text in contents.items():
        (directory / name).write_text(text)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_staged_directory_swaps_in_the_new_run(tmp_path: Path, monkeypatch, exchange) -> None:
    if not exchange:
        monkeypatch.setattr(output_dirs, "_exchange", lambda first, second: False)
    out = tmp_path / "out"
    with staged_directory(out) as staging:
        _fill(staging, run="1", result="old")
    (out / "notes").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "f").write_text("kept")
    with staged_directory(out, keep=lambda name: name in ("notes", "sub")) as staging:
        _fill(staging, run="2")
    assert sorted(os.listdir(out)) == ["notes", "run", "sub"]
    assert (out / "run").read_text() == "2" and (out / "sub" / "f").read_text() == "kept"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_failed_block_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _fill(out, run="1")
    with pytest.raises(RuntimeError), staged_directory(out, keep=lambda n: False) as staging:
        _fill(staging, run="2")
        raise RuntimeError("disk full")
    assert os.listdir(out) == ["run"] and (out / "run").read_text() == "1"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_stale_leftovers_of_killed_processes_are_removed(tmp_path: Path) -> None:
    old, fresh = tmp_path / ".out.tmpk1ll3d", tmp_path / ".out.tmpbusy00"
    for path in (old, fresh):
        path.mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    with staged_directory(tmp_path / "out") as staging:
        _fill(staging, run="1")
    assert not old.exists() and fresh.exists()  # a fresh one may belong to a running write
    (tmp_path / ".last.tmpab12cd.pt").write_text("torn")
    (tmp_path / ".hidden_notes").write_text("mine")
    assert remove_stale_temporaries(tmp_path) == [tmp_path / ".last.tmpab12cd.pt"]
    assert (tmp_path / ".hidden_notes").exists()


def test_full_or_read_only_disks_raise_output_write_error(tmp_path: Path) -> None:
    import errno

    from momo.errors import MomoError

    target = tmp_path / "out.npy"
    for code, advice in ((errno.ENOSPC, "free some space"), (errno.EROFS, "writable")):
        with pytest.raises(OutputWriteError) as caught, atomic_output(target) as tmp:
            tmp.write_bytes(b"partial")
            raise OSError(code, os.strerror(code), str(tmp))
        assert isinstance(caught.value, MomoError) and isinstance(caught.value, OSError)
        assert f"cannot write {target}: {os.strerror(code)}; " in str(caught.value)
        assert advice in str(caught.value)
        with pytest.raises(OutputWriteError, match=advice), staged_directory(tmp_path / "d"):
            raise OSError(code, os.strerror(code))
    # Other errors of the writing code are not disguised as disk errors.
    with pytest.raises(FileNotFoundError), atomic_output(target):
        raise FileNotFoundError(errno.ENOENT, "ffmpeg not found", "ffmpeg")
    assert os.listdir(tmp_path) == []


def test_an_output_name_near_the_limit_can_be_written(tmp_path: Path) -> None:
    target = tmp_path / ("n" * 251 + ".npy")  # 255 bytes: the temporary name must be shorter
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"ok")
    assert target.read_bytes() == b"ok"
