"""The most memory any motion file under 1 MB makes the readers take.

Writes a set of small files built to cost as much as the size checks allow (and some the
checks refuse): BVH files declaring many frames without channels or with long frame times,
DeepMimic files with long ``dt``, ``.npy`` headers declaring huge shapes, deep JSON, and the
largest legitimate files that fit in 1 MB. Each is read in a fresh process with
`momo.load_motion` (or `load_joints` where a motion cannot be made), and the peak of the
Python-tracked allocations (tracemalloc, which sees NumPy's buffers) and the process's peak
resident size are recorded.

Usage:
    python benchmarks/reader_memory.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from momo.io.budget import MAX_FRAMES, MAX_POSE_VALUES  # noqa: E402
from momo.motion.representation import JOINT_NAMES  # noqa: E402

_PROBE = """
import resource, sys, tracemalloc
sys.path.insert(0, {src!r})
from momo.errors import MomoError
from momo.io.api import load_joints, load_motion
tracemalloc.start()
try:
    load_motion({path!r}) if {motion} else load_joints({path!r})
    outcome = "read"
except MomoError as error:
    outcome = "refused: " + str(error).split(": ", 1)[-1][:70]
peak = tracemalloc.get_traced_memory()[1]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(peak, rss, outcome)
"""


def _chain_bvh(frames: int, frame_time: float, channels: bool) -> str:
    names = list(JOINT_NAMES[1:]) + [f"extra{k}" for k in range(19)]
    chans = "CHANNELS 3 Zrotation Yrotation Xrotation\n" if channels else ""
    body = "".join(f"JOINT {n}\n{{\nOFFSET 0 -5 0.5\n{chans}" for n in names) + "}\n" * len(names)
    root = "CHANNELS 3 Xposition Yposition Zposition\n" if channels else ""
    head = f"HIERARCHY\nROOT pelvis\n{{\nOFFSET 0 0 0\n{root}{body}}}\n"
    motion = f"MOTION\nFrames: {frames}\nFrame Time: {frame_time}\n"
    if channels:
        row = " ".join(["0"] * (3 + 3 * len(names))) + "\n"
        motion += row * frames
    return head + motion


def _deepmimic(dt: float, count: int = 2) -> str:
    quat = [1.0, 0.0, 0.0, 0.0]
    side = quat + [0.0] + quat + quat + [0.0]
    frame = [dt, 0.0, 0.9, 0.0] + quat * 3 + side + side
    return json.dumps({"Loop": "none", "Frames": [frame] * count})


def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (64 - (11 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def _npy(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def cases() -> dict[str, tuple[bytes, bool]]:
    """File name -> (bytes, read as a motion)."""
    joints = 41
    at_budget = MAX_POSE_VALUES // joints - 1
    rows_in_1mb = (990_000 - len(_chain_bvh(1, 0.05, True))) // (2 * (3 + 3 * 40))
    walk = np.zeros((1_000_000 // 264 - 100, 22, 3), np.float32)
    walk[:, :, 1] = np.linspace(0.0, 1.6, 22)[None]
    walk[:, :, 0] = np.linspace(-0.2, 0.2, 22)[None]
    return {
        "bvh_no_channels_at_budget.bvh": (_chain_bvh(at_budget, 0.05, False).encode(), True),
        "bvh_no_channels_1e6_frames.bvh": (_chain_bvh(1_000_000, 1 / 120, False).encode(), True),
        "bvh_frame_time_huge.bvh": (_chain_bvh(2, 1e6, False).encode(), True),
        "bvh_frame_time_at_budget.bvh": (_chain_bvh(at_budget // 100, 5.0, False).encode(), True),
        "bvh_1mb_of_frames_120fps.bvh": (_chain_bvh(rows_in_1mb, 1 / 120, True).encode(), True),
        "bvh_1mb_of_frames_20fps.bvh": (_chain_bvh(rows_in_1mb, 1 / 20, True).encode(), True),
        "deepmimic_dt_huge.txt": (_deepmimic(1e9).encode(), True),
        "deepmimic_dt_at_budget.txt": (
            _deepmimic(5.0, min(MAX_POSE_VALUES // 15, MAX_FRAMES) // 100).encode(),
            True,
        ),
        "deepmimic_deep.json": (("[" * 200_000 + "]" * 200_000).encode(), True),
        "npy_huge_shape.npy": (_npy_header((10**12, 263)), True),
        "npy_shape_at_limit.npy": (_npy_header((2**30 // 4 // 263, 263)), True),
        "npy_joints_1mb.npy": (_npy(walk[: 1_000_000 // 264 - 100]), True),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="momo_reader_memory_"))
    folder.mkdir(parents=True, exist_ok=True)
    largest = (0, "")
    print(f"{'file':34} {'size':>9} {'traced peak':>12} {'max RSS':>9}  outcome")
    for name, (data, as_motion) in cases().items():
        assert len(data) < 1_000_000, name
        path = folder / name
        path.write_bytes(data)
        code = _PROBE.format(src=str(REPO / "src"), path=str(path), motion=as_motion)
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            print(f"{name:34} crashed: {result.stderr.strip().splitlines()[-1]}")
            continue
        peak, rss, outcome = result.stdout.strip().split(" ", 2)
        largest = max(largest, (int(peak), name))
        print(
            f"{name:34} {len(data) / 1e3:8.1f}K {int(peak) / 1e6:10.1f} MB "
            f"{int(rss) / 1e6:7.0f} MB  {outcome}"
        )
    print(f"largest traced peak: {largest[0] / 1e6:.1f} MB ({largest[1]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
