"""Import every motion clip of ../shared/data and check it is plausible; print failures and speed.

Sources: the Bandai Namco archives (3,076 BVH clips), the DeepMimic archive (all humanoid3d
clips), and the three CMU BVH files. Each clip is imported (`momo.io.api.joints_from_bytes`),
turned into HumanML3D features (`momo.joints_to_features`) and checked
(`momo.io.checks.check_import`): stature 1.4-2.0 m, nothing more than 5 cm below the floor, left
hip on +X at canonical frame 0, feet pointing along the body's facing (a mirrored import fails
this), and for walks alternating foot contacts and (forward walks) travel along the facing.

Usage:
    python benchmarks/import_all.py [--data ../shared/data] [--workers 2] [--limit N]

Archives are streamed with tarfile in the main process; clips are imported in worker processes.
The throughput line counts the wall time of everything (decompression, import, features).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# One BLAS thread per worker process: the workers already use the cores.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _clip_kind(source: str, name: str) -> tuple[bool, bool]:
    """(is a walk, walks forwards) from the clip's name."""
    base = Path(name).name.lower()
    if source == "bandai":
        content = base.split("_")[1]
        return content == "walk", content == "walk"
    if source == "deepmimic":
        walk = "walk" in base
        # The long stealthy walks sneak backwards about as much as forwards (43% and 37% of
        # frames move backwards at 0.3-0.45 m/s, with the feet pointing along the facing), so
        # only their gait is checked.
        return walk, walk and "stealthy_walk0" not in base and "stealthy_walk1" not in base
    if source == "cmu":
        # 131_01 and 131_02: start, walk, stop; 131_03: hops.
        walk = base.startswith(("131_01", "131_02"))
        return walk, walk
    return False, False


def _work(item: tuple[str, str, bytes]) -> dict[str, Any]:
    source, name, data = item
    import numpy as np

    from momo.io.api import joints_from_bytes
    from momo.io.checks import check_import
    from momo.motion.kinematics import joints_to_features

    start = time.perf_counter()
    try:
        joints, info = joints_from_bytes(name, data)
        features = joints_to_features(joints)
    except Exception as err:  # noqa: BLE001 - reported in the table
        return {"source": source, "name": name, "error": f"{type(err).__name__}: {err}"}
    elapsed = time.perf_counter() - start
    walk, forward = _clip_kind(source, name)
    report = check_import(np.asarray(joints), np.asarray(features), walk=walk, forward_walk=forward)
    return {
        "source": source,
        "name": name,
        "frames": int(joints.shape[0]),
        "seconds": elapsed,
        "map": info["joint_map"],
        "report": report,
    }


def _items(data: Path, limit: int | None) -> Iterator[tuple[str, str, bytes]]:
    from momo.io.archives import iter_archive

    count: Counter[str] = Counter()

    def take(source: str) -> bool:
        count[source] += 1
        return limit is None or count[source] <= limit

    for archive in sorted((data / "bandai-namco").glob("dataset-*.tar.xz")):
        for name, payload in iter_archive(archive, (".bvh",)):
            if take("bandai"):
                yield "bandai", name, payload
    for archive in sorted((data / "deepmimic").glob("*.tar.xz")):
        for name, payload in iter_archive(archive, (".txt",)):
            if Path(name).name.upper().startswith("LICENSE"):
                continue
            if take("deepmimic"):
                yield "deepmimic", name, payload
    for path in sorted((data / "cmu-131").glob("*.bvh")):
        if take("cmu"):
            yield "cmu", str(path), path.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--limit", type=int, default=None, help="clips per source (for a quick run)"
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"data folder not found: {args.data}", file=sys.stderr)
        return 2

    start = time.perf_counter()
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(_work, _items(args.data, args.limit), chunksize=8))
    wall = time.perf_counter() - start

    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_source[r["source"]].append(r)

    print(
        f"\nImported {len(results)} clips from {args.data} with {args.workers} worker(s) "
        f"in {wall:.1f} s ({len(results) / wall:.1f} clips/s)\n"
    )
    header = (
        f"{'source':<10} {'clips':>6} {'ok':>6} {'errors':>6} {'failed':>6} {'frames':>8} "
        f"{'cpu s':>7} {'height m':>11} {'lowest m':>9} {'feet cos':>9} {'walks ok':>9}"
    )
    print(header)
    print("-" * len(header))
    for source in ("bandai", "deepmimic", "cmu"):
        rows = by_source.get(source, [])
        if not rows:
            continue
        good = [r for r in rows if "report" in r]
        errors = [r for r in rows if "error" in r]
        failed = [r for r in good if r["report"].failures]
        frames = sum(r["frames"] for r in good)
        cpu = sum(r["seconds"] for r in good)
        heights = [r["report"].height for r in good]
        lowest = min((r["report"].lowest for r in good), default=float("nan"))
        feet = min(
            (r["report"].foot_forward for r in good if r["report"].foot_forward is not None),
            default=float("nan"),
        )
        walks = [r for r in good if r["report"].alternations is not None]
        walks_ok = sum(1 for r in walks if not {"gait", "travel"} & set(r["report"].failures))
        hrange = f"{min(heights):.2f}-{max(heights):.2f}" if heights else "-"
        print(
            f"{source:<10} {len(rows):>6} {len(good) - len(failed):>6} {len(errors):>6} "
            f"{len(failed):>6} {frames:>8} {cpu:>7.1f} {hrange:>11} {lowest:>9.3f} {feet:>9.2f} "
            f"{walks_ok:>4}/{len(walks):<4}"
        )
    failures = [r for r in results if "error" in r or r["report"].failures]
    if failures:
        print(f"\nFailures ({len(failures)}):")
        reasons: Counter[str] = Counter()
        for r in failures[:200]:
            if "error" in r:
                print(f"  {r['name']}: {r['error']}")
                reasons["error"] += 1
            else:
                rep = r["report"]
                reasons.update(rep.failures)
                print(
                    f"  {r['name']}: {', '.join(rep.failures)} (height {rep.height:.2f} m, lowest "
                    f"{rep.lowest:.3f} m, left hip x {rep.left_hip_x:.3f}, feet {rep.foot_forward}, "
                    f"travel {rep.travel}, alternations {rep.alternations})"
                )
        print("  by check:", dict(reasons))
    else:
        print("\nNo failures.")
    bandai = by_source.get("bandai", [])
    if bandai:
        print(
            f"\nBandai throughput: {len(bandai)} clips; per-clip CPU time (import + features) "
            f"{sum(r.get('seconds', 0) for r in bandai) / len(bandai) * 1000:.1f} ms"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
