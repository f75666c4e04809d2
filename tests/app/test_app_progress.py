"""The worker's reading of progress bars and warnings, and the server's name checks."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from momo.app.paths import child_of, is_id, new_id, safe_name, upload_name
from momo.app.worker import ProgressStream


def _messages(phases: list[str]) -> tuple[ProgressStream, list[tuple]]:
    sent: list[tuple] = []
    return ProgressStream(sent.append, "job", phases, 0.0, 1.0), sent


def test_real_tqdm_bars_become_step_progress():
    stream, sent = _messages(["inverting", "sampling"])
    for desc in ("inverting", "sampling"):
        for _ in tqdm(range(10), desc=desc, file=stream, mininterval=0, leave=False):
            pass
    progress = [m[2] for m in sent if m[0] == "progress"]
    assert progress, sent
    assert [m for m in sent if m[0] == "warning"] == []
    assert {p["phase"] for p in progress} == {"inverting", "sampling"}
    assert all(p["total"] == 10 for p in progress)
    fractions = [p["fraction"] for p in progress]
    assert fractions == sorted(fractions)
    # inverting k/10 spans [0, 0.5], sampling k/10 spans [0.5, 1]
    last = progress[-1]
    assert abs(last["fraction"] - (1 + last["step"] / 10) / 2) < 1e-4


def test_warnings_pass_through_and_other_bars_do_not():
    stream, sent = _messages(["sampling"])
    stream.write("BVH skeleton reproduces the motion only within 2.0 cm\n")
    for _ in tqdm(range(3), desc="rendering", file=stream, mininterval=0):
        pass
    assert [m[2] for m in sent if m[0] == "warning"] == [
        "BVH skeleton reproduces the motion only within 2.0 cm"
    ]
    assert [m for m in sent if m[0] == "progress"] == []


def test_ids_and_names(tmp_path: Path):
    assert is_id(new_id()) and not is_id("../etc") and not is_id("0123")
    for bad in ("..", "../x", ".hidden", "a/b", "a\\b", "", "x" * 200, "a..b"):
        assert not safe_name(bad), bad
        assert child_of(tmp_path, bad) is None
    assert child_of(tmp_path, "leader.bvh") == (tmp_path / "leader.bvh").resolve()
    assert upload_name("../../etc/passwd") == "passwd"
    assert upload_name("C:\\motions\\Walk Fast.BVH") == "Walk_Fast.bvh"
    assert upload_name("..") == "motion"
    assert upload_name(None) == "motion"
