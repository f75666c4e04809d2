"""Malformed and hostile motion files: every one gets a MotionFormatError saying what is wrong,
never a crash, a huge allocation or a silently wrong motion."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from bvh_rigs import rig_text, smpl_rig

from momo.errors import MotionFormatError
from momo.io.api import load_joints, load_motion
from momo.io.bvh import parse_bvh, read_bvh_joints
from momo.io.deepmimic import FRAME_SIZE, read_deepmimic_joints
from momo.motion.representation import JOINT_NAMES

SMALL = rig_text(smpl_rig(frames=3))


def _deep_bvh(depth: int) -> str:
    opening = "".join(f"JOINT j{k}\n{{\nOFFSET 0 1 0\nCHANNELS 0\n" for k in range(depth))
    return (
        "HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n"
        + opening
        + "}\n" * depth
        + "}\nMOTION\nFrames: 1\nFrame Time: 0.05\n0 0 0\n"
    )


def _replace_first_row_value(text: str, value: str) -> str:
    head, rows = text.split("Frame Time: 0.050000\n")
    first, rest = rows.split("\n", 1)
    values = first.split()
    values[4] = value  # a rotation channel of the root
    return head + "Frame Time: 0.050000\n" + " ".join(values) + "\n" + rest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SMALL.replace("CHANNELS 3", "CHANNELS ³", 1), "ASCII digits"),
        (SMALL.replace("CHANNELS 3", "CHANNELS 7", 1), "from 0 to 6"),
        (SMALL.replace("CHANNELS 3", "CHANNELS " + "9" * 5000, 1), "ASCII digits"),
        (SMALL.replace("OFFSET 0.000000", "OFFSET 1_000", 1), "expected a number"),
        (SMALL.replace("OFFSET 0.000000", "OFFSET ١٢", 1), "expected a number"),
        (SMALL.replace("Frames: 3", "Frames: ٣"), "bad frame count"),
        (SMALL.replace("Frames: 3", "Frames: 1_0"), "bad frame count"),
        (SMALL.replace("Frame Time: 0.050000", "Frame Time: 0.0_5"), "bad frame count"),
        (_replace_first_row_value(SMALL, "1_000"), "not a number"),
        (_replace_first_row_value(SMALL, "١٠"), "not a number"),
        (_replace_first_row_value(SMALL, "1e20"), "degrees"),
        (_deep_bvh(1000), "nested more than"),
    ],
)
def test_bvh_junk_is_refused(text: str, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        parse_bvh(text, "bad.bvh")


def test_moderately_deep_hierarchies_still_parse() -> None:
    assert len(parse_bvh(_deep_bvh(200), "deep.bvh").joints) == 201


def _no_channel_bvh(frames: int, frame_time: float) -> str:
    """A small BVH of the 22 SMPL names (a chain, no channels) declaring ``frames`` frames."""
    names = JOINT_NAMES[1:] + tuple(f"extra{k}" for k in range(19))
    joints = "".join(f"JOINT {n}\n{{\nOFFSET 0 -5 0\n" for n in names) + "}\n" * len(names)
    return (
        "HIERARCHY\nROOT pelvis\n{\nOFFSET 0 0 0\n" + joints + "}\n"
        f"MOTION\nFrames: {frames}\nFrame Time: {frame_time}\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_no_channel_bvh(1_000_000, 0.0083333), "cut the clip"),  # 2.6 KB, 8.3e4 frames x 41
        (_no_channel_bvh(10**11, 0.0083333), "more than the"),
        (_no_channel_bvh(2, 1e300), "not plausible"),
        (_no_channel_bvh(100_000, 0.5), "cut the clip"),
        (_no_channel_bvh(2, 1e-9), "not plausible"),
    ],
)
def test_declared_sizes_are_checked_before_allocating(text: str, message: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(MotionFormatError, match=message):
            read_bvh_joints(parse_bvh(text, "huge.bvh"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # the budget check runs before any frame-sized array exists


def _deepmimic(frames: list) -> str:
    return json.dumps({"Loop": "none", "Frames": frames})


def _frame(dt: float = 0.05) -> list:
    quat = [1.0, 0.0, 0.0, 0.0]
    side = quat + [0.0] + quat + quat + [0.0]  # hip, knee, ankle, shoulder, elbow
    frame = [dt, 0.0, 0.9, 0.0] + quat * 3 + side + side  # root, chest, neck, right, left
    assert len(frame) == FRAME_SIZE
    return frame


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Frames": [[' + "9" * 5000 + "]]}", "not a DeepMimic motion file"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply|not a DeepMimic"),
        (_deepmimic([[[v] for v in _frame()]] * 2), "not numbers"),
        (_deepmimic([[True] + _frame()[1:]] * 2), "not numbers"),
        (_deepmimic([_frame()[:5] + [False] + _frame()[6:]] * 2), "not numbers"),
        (_deepmimic([_frame(dt=1e6), _frame()]), "cut the clip"),
        (_deepmimic([_frame(dt=1e300), _frame()]), "cut the clip"),
    ],
)
def test_deepmimic_junk_is_refused(text: str, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        read_deepmimic_joints("bad.txt", text=text)


def _npy_with_header(header: str, payload: bytes = b"") -> bytes:
    body = header.encode("latin-1")
    padding = 64 - (10 + len(body) + 1) % 64
    body += b" " * padding + b"\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + payload


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, '''"), "header"),
        (_npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,"), "header"),
        (_npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': ("), "header"),
        (_npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (10**9, 263), }"),
         "header"),
        (_npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 263), }"),
         "truncated"),
        (_npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (10000000, 22, 3), }"),
         "more than"),
    ],
)  # fmt: skip
def test_damaged_npy_headers(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.npy"
    path.write_bytes(data)
    assert len(data) <= 192
    with pytest.raises(MotionFormatError, match=message):
        load_joints(path)


def _walk() -> np.ndarray:
    """A plausible 10-frame walk in metres (the SMPL test rig)."""
    text = rig_text(smpl_rig(frames=10))
    return read_bvh_joints(parse_bvh(text, "walk.bvh"))[0]


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (_walk() * 100.0, "centimetres: divide the array by 100"),
        (_walk() * 1000.0, "millimetres"),
        (np.zeros((10, 263), np.float32), "no body"),
        (np.full((10, 263), 1e30, np.float32), "reach 1e\\+30"),
        (np.arange(10 * 66).reshape(10, 22, 3).astype("timedelta64[s]"), "not numbers"),
        (np.ones((10, 22, 3), dtype=bool), "not numbers"),
        (np.ones((10, 263), dtype=np.complex64), "not numbers"),
    ],
)
def test_nonsense_arrays_are_refused(tmp_path: Path, array: np.ndarray, message: str) -> None:
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(MotionFormatError, match=message):
        load_motion(path)


def _results(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "results.npy"
    np.save(path, np.array(data, dtype=object), allow_pickle=True)
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"motion": [[[[0.0] * 5] * 3] * 22, [[[0.0] * 4] * 3] * 22]}, "not an array of numbers"),
        ({"motion": [[[["a"] * 5] * 3] * 22]}, "not an array of numbers"),
        ({"motion": np.zeros((1, 22, 3, 5)), "lengths": ["x"]}, "frame counts"),
        ({"motion": np.zeros((1, 22, 3, 5)), "lengths": [2.5]}, "not a frame count"),
    ],
)
def test_malformed_results_npy(tmp_path: Path, data: dict, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message):
        load_joints(_results(tmp_path, data))


def test_plausible_joints_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.npy"
    np.save(path, _walk())
    assert load_motion(path).num_frames == 10


def test_overlong_path_is_a_clear_error() -> None:
    with pytest.raises(MotionFormatError, match="not a usable path"):
        load_motion("x" * 300 + ".bvh")
