"""`TransferResult.save` under interruption: a folder holds the earlier run or the new one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import momo.io.api
from kit import synthetic_motion, tiny_model
from momo import transfer
from momo.errors import OutputExistsError


@pytest.fixture(scope="module")
def results():
    """Two transfers with different layouts (two followers, then one)."""
    model = tiny_model(seed=0)
    leader = synthetic_motion(24, seed=1, text="a person walks forward")
    two = transfer(model, leader, ["a man dances", "a person jumps"], seed=4, progress=False)
    one = transfer(model, leader, ["a person waves"], seed=5, progress=False)
    return two, one


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _hidden(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith("."))


def test_interrupted_overwrite_leaves_the_earlier_run(results, tmp_path, monkeypatch):
    two, one = results
    out = tmp_path / "out"
    two.save(out, render=False)
    (out / "notes.txt").write_text("mine")
    before = _snapshot(out)
    calls = []
    real_save = momo.io.api.save_motion

    def failing_save(motion, path, **kwargs):
        calls.append(path)
        if len(calls) == 3:  # in the middle of the per-row files
            raise KeyboardInterrupt
        real_save(motion, path, **kwargs)

    monkeypatch.setattr(momo.io.api, "save_motion", failing_save)
    with pytest.raises(KeyboardInterrupt):
        one.save(out, render=False, overwrite=True)
    assert len(calls) == 3
    assert _snapshot(out) == before
    assert _hidden(tmp_path) == [] and _hidden(out) == []  # the staging folder is gone


def test_overwrite_replaces_the_whole_run_and_keeps_other_files(results, tmp_path):
    two, one = results
    out = tmp_path / "out"
    two.save(out, render=False)
    (out / "notes.txt").write_text("mine")
    (out / "figures").mkdir()
    (out / "figures" / "plot.png").write_bytes(b"png")
    one.save(out, render=False, overwrite=True)
    names = set(os.listdir(out))
    assert "output_1.npy" not in names and "follower_1.bvh" not in names  # the earlier run's
    assert {"output_0.npy", "config.json", "notes.txt", "figures"} <= names
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "figures" / "plot.png").read_bytes() == b"png"
    assert _hidden(tmp_path) == [] and _hidden(out) == []


def test_saving_into_a_folder_with_other_files_keeps_them(results, tmp_path):
    _, one = results
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    written = one.save(out, render=False)
    assert all(p.parent == out and p.is_file() for p in written)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_dangling_symlink_at_the_output_is_an_existing_output(results, tmp_path):
    _, one = results
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputExistsError, match="dangling symlink"):
        one.save(link, render=False)
    assert link.is_symlink()
    (tmp_path / "dir").mkdir()
    inner = tmp_path / "dir" / "config.json"
    inner.symlink_to(tmp_path / "gone.json")
    with pytest.raises(OutputExistsError, match="config.json"):
        one.save(tmp_path / "dir", render=False)
    one.save(link, render=False, overwrite=True)
    assert link.is_dir() and not link.is_symlink()
    assert (link / "output_0.npy").is_file()
