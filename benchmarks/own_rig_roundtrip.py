"""Real BVH clips written back on their own rig: how closely the mapped joints come back.

For each clip: `momo.io.api.load_joints` (the 22 mapped SMPL joints at 20 fps) ->
`momo.io.retarget.write_on_rig` on the clip's own file with ``keep=True`` (what ``momo convert
clip.bvh out.bvh`` does) -> `load_joints` of the written file. Per data set: clips, frame counts
equal (written file vs original, at the original's frame rate), and the mean and max over clips
of the per-clip mean and max joint error (mm); plus the SMPL skeleton (`momo.io.bvh_write`, the
motion's own bone lengths) for comparison.

Sources: the ``.bvh`` files directly under ``--data``'s subfolders and inside its ``.tar.xz``
archives (Bandai Namco, CMU 131), and the DeepMimic ``.txt`` clips of its archives, written back
with `momo.io.deepmimic_write.write_on_deepmimic_file` and compared at their own frame rate
(no SMPL column). ``--every N`` takes every N-th clip of an archive (the
Bandai Namco archives hold thousands).

Run: ``OMP_NUM_THREADS=1 python benchmarks/own_rig_roundtrip.py --data ../shared/data
[--every 1]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def clips(data: Path, every: int) -> Iterator[tuple[str, str, bytes]]:
    """``(data set, clip name, bytes)`` of every BVH file and archived BVH member."""
    from momo.io.archives import iter_archive

    for path in sorted(data.rglob("*.bvh")):
        yield path.parent.name, path.name, path.read_bytes()
    for archive in sorted(data.rglob("*.tar.xz")):
        label = f"{archive.parent.name}/{archive.name.removesuffix('.tar.xz')}"
        for k, (name, payload) in enumerate(iter_archive(archive, (".bvh", ".txt"))):
            if k % every == 0:
                yield label, Path(name).name, payload


def measure_deepmimic(path: Path, folder: Path) -> dict[str, float]:
    """A DeepMimic clip written back on its own skeleton, compared at its own frame rate."""
    from momo.io.api import load_joints
    from momo.io.deepmimic import DEEPMIMIC, parse_deepmimic, pose_deepmimic
    from momo.io.deepmimic_write import write_on_deepmimic_file
    from momo.io.joint_maps import apply_joint_map

    def native(frames: np.ndarray) -> np.ndarray:
        skel = pose_deepmimic(frames, 1.0 / frames[0, 0])
        return apply_joint_map(skel, DEEPMIMIC, path.name).joints

    joints, _ = load_joints(path)
    own = folder / "own.txt"
    write_on_deepmimic_file(joints, own, path, overwrite=True)
    original, _ = parse_deepmimic(path.read_text())
    written, _ = parse_deepmimic(own.read_text())
    error = np.linalg.norm(native(written) - native(original), axis=-1)
    return {
        "same_frames": float(written.shape == original.shape),
        "same_imported": 1.0,
        "mean": float(error.mean()),
        "max": float(error.max()),
        "smpl_mean": float("nan"),
        "smpl_max": float("nan"),
    }


def measure(path: Path, folder: Path) -> dict[str, float]:
    """One clip's round trips on its own rig and on the SMPL skeleton."""
    from momo.io.api import load_joints
    from momo.io.bvh import read_bvh
    from momo.io.bvh_write import write_bvh
    from momo.io.retarget import write_on_rig

    joints, _ = load_joints(path)
    own = folder / "own.bvh"
    write_on_rig(joints, own, path, keep=True, overwrite=True)
    back, _ = load_joints(own)
    error = np.linalg.norm(back - joints, axis=-1)
    smpl = folder / "smpl.bvh"
    write_bvh(joints, smpl, overwrite=True)
    smpl_back, _ = load_joints(smpl)
    smpl_error = np.linalg.norm(smpl_back - joints, axis=-1)
    return {
        "same_frames": float(read_bvh(own).num_frames == read_bvh(path).num_frames),
        "same_imported": float(back.shape == joints.shape),
        "mean": float(error.mean()),
        "max": float(error.max()),
        "smpl_mean": float(smpl_error.mean()),
        "smpl_max": float(smpl_error.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--every", type=int, default=1, help="every N-th clip of an archive")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = defaultdict(list)
    failures: dict[str, list[str]] = defaultdict(list)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, name, payload in clips(args.data, args.every):
            suffix = Path(name).suffix.lower()
            source = folder / f"source{suffix}"
            source.write_bytes(payload)
            try:
                how = measure_deepmimic if suffix == ".txt" else measure
                results[label].append(how(source, folder))
            except Exception as error:  # reported in the table, the run goes on
                failures[label].append(f"{name}: {error}")
    seconds = time.perf_counter() - start

    print("| data set | clips | frame counts equal | own rig: mean of means (mm) | own rig: "
          "max of means (mm) | own rig: max (mm) | SMPL skeleton: mean (mm) | SMPL skeleton: "
          "max (mm) | failed |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for label in sorted(set(results) | set(failures)):
        r = results[label]

        def col(key: str, reduce=np.mean, records=r) -> str:  # noqa: ANN001
            return f"{reduce([x[key] for x in records]) * 1000:.2f}" if records else "-"

        same = sum(int(x["same_frames"] and x["same_imported"]) for x in r)
        print(
            f"| {label} | {len(r)} | {same}/{len(r)} | {col('mean')} | {col('mean', np.max)} | "
            f"{col('max', np.max)} | {col('smpl_mean')} | {col('smpl_max', np.max)} | "
            f"{len(failures[label])} |"
        )
    for label, lines in failures.items():
        for line in lines[:5]:
            print(f"- failed ({label}) {line}")
    print(f"\n{sum(map(len, results.values()))} clips in {seconds:.0f} s.")


if __name__ == "__main__":
    main()
