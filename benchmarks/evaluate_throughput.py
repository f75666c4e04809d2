"""Seconds per benchmark pair: `run_benchmark` (shared rows, inversion cache) vs one pair at a time.

A random-weight MoMo network (``--full``: the released configuration, 12 layers of width 512;
default: a smaller 4-layer, width-256 one for a quick run) with a stub text encoder (fixed
random embeddings per prompt), 100 cosine diffusion steps sampled at ``--steps`` respaced DDIM
steps, on the CPU with ``--threads`` threads. A synthetic HumanML3D folder holds random motions
of ``--frames`` frames. Two pair lists of ``--followers`` x ``--leaders`` pairs, inversion mode:

- ``mtb-like``: distinct leaders, each follower shared by ``--leaders`` pairs (MTB's structure:
  842 pairs, 816 leaders, 55 followers); the runner batches each follower's pairs over one
  follower row (`momo.pipelines.transfer.pairs`) and the cache inverts each motion once;
- ``shared-leader`` (``--lists mtb-like,shared-leader``): the roles swapped: each leader has
  ``--leaders`` followers.

"loop" is the reference's loop: one `momo.transfer` per pair (inversion of two rows, then
three-row sampling) with each pair's auxiliary metrics. The runner's variants (``--variants``):
``exact`` (the loop's settings), ``reuse_inversion``, ``fewer`` (``--fewer-steps`` DDIM steps)
and ``reuse_fewer`` (both). Each measurement runs in its own process (spawned, so its peak RSS
is its own), one after another, in the same invocation. The runner's time includes its fixed
costs (the weights digest, per-pair files, the summary and its plot). The table gives seconds
per pair, the ratio to the loop, the peak RSS of the process, the largest difference of the
outputs and of the auxiliary metrics from the loop's (float rounding only for ``exact``), and
the full MTB (842 pairs) extrapolated from the seconds per pair.

Run: ``python benchmarks/evaluate_throughput.py [--threads 2] [--full] [--steps 10]
[--leaders 16] [--variants exact,reuse_inversion,fewer]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from transfer_speed import StubEncoder


def build_model(full: bool):  # noqa: ANN201 - MotionDiffusionModel
    """The random-weight network, float32, 100 cosine steps."""
    from momo.diffusion.schedules import NoiseSchedule
    from momo.models.bundle import MotionDiffusionModel
    from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
    from momo.models.mdm import MotionDenoiser
    from momo.motion.normalization import Normalizer

    torch.manual_seed(0)
    config = DenoiserConfig() if full else DenoiserConfig(num_layers=4, latent_dim=256, ff_size=512)
    denoiser = MotionDenoiser(config).eval()
    rng = np.random.default_rng(0)
    normalizer = Normalizer(
        rng.normal(0, 0.5, 263).astype(np.float32), rng.uniform(0.2, 1.0, 263).astype(np.float32)
    )
    model_config = ModelConfig(config, DiffusionConfig(100, "cosine"), "stub")
    schedule = NoiseSchedule.from_name("cosine", 100)
    return MotionDiffusionModel(denoiser, schedule, normalizer, StubEncoder(), model_config)


def write_dataset(root: Path, ids: Sequence[str], frames: int) -> Path:
    """A synthetic HumanML3D folder: random motions, one caption each."""
    rng = np.random.default_rng(0)
    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    for i, motion_id in enumerate(ids):
        motion = rng.normal(0, 0.5, (frames, 263)).astype(np.float32)
        np.save(root / "new_joint_vecs" / f"{motion_id}.npy", motion)
        line = f"a person moves {i}#a/DET person/NOUN move/VERB#0.0#0.0"
        (root / "texts" / f"{motion_id}.txt").write_text(line + "\n")
    np.save(root / "Mean.npy", np.zeros(263, np.float32))
    np.save(root / "Std.npy", np.ones(263, np.float32))
    (root / "test.txt").write_text("\n".join(ids) + "\n")
    return root


#: MTB's size, for the extrapolation.
MTB_PAIRS = 842
VARIANTS = ("exact", "reuse_inversion", "fewer", "reuse_fewer")


def _options(variant: str, steps: int, fewer_steps: int) -> dict[str, Any]:
    """`momo.transfer` options of a runner variant."""
    num_steps = fewer_steps if variant in ("fewer", "reuse_fewer") else steps
    reuse = variant in ("reuse_inversion", "reuse_fewer")
    return {"num_steps": num_steps, **({"reuse_inversion": True} if reuse else {})}


def measure(task: dict[str, Any]) -> dict[str, Any]:
    """One measurement in a fresh process: seconds, peak RSS (MB), outputs and metrics."""
    import momo
    import momo.data
    from momo.evaluation import run_benchmark
    from momo.evaluation.summary import auxiliary_metrics

    torch.set_num_threads(task["threads"])
    model = build_model(task["full"])
    dataset = momo.data.HumanML3D(task["dataset"])
    pairs, outputs, metrics = task["pairs"], [], []
    start = time.perf_counter()
    if task["variant"] == "loop":  # the reference's loop: one transfer per pair
        for leader_id, follower_id in pairs:
            leader, follower = (
                momo.Motion(dataset.motion(i), text=dataset.resolve(i).captions[0].text)
                for i in (leader_id, follower_id)
            )
            result = momo.transfer(
                model, leader, [follower], num_steps=task["steps"], progress=False
            )
            outputs.append(result.outputs[0].features)
            metrics.append(auxiliary_metrics(outputs[-1], leader.features, follower.features))
        seconds = time.perf_counter() - start
    else:
        out = Path(task["out"])
        options = _options(task["variant"], task["steps"], task["fewer_steps"])
        report = run_benchmark(model, dataset, pairs, out_dir=out, progress=False, **options)
        seconds = time.perf_counter() - start
        outputs = [np.load(out / "pairs" / f"{i:04d}.npz")["momo"] for i in range(len(pairs))]
        metrics = [record["methods"]["momo"]["metrics"] for record in report.pairs]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss, "outputs": outputs, "metrics": metrics}


def _in_process(task: dict[str, Any]) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(measure, (task,))


def _difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """Largest |difference| of the outputs and of the auxiliary metrics."""
    outputs = max(float(np.abs(x - y).max()) for x, y in zip(a["outputs"], b["outputs"]))
    metrics = max(
        abs(float(x[k]) - float(y[k])) for x, y in zip(a["metrics"], b["metrics"]) for k in x
    )
    return outputs, metrics


def _pair_lists(followers: int, leaders: int) -> dict[str, list[list[str]]]:
    follower_ids = [f"F{j:05d}" for j in range(followers)]
    leader_ids = [f"L{j:05d}" for j in range(followers * leaders)]
    mtb_like = [[leader_ids[j * leaders + i], f] for j, f in enumerate(follower_ids)
                for i in range(leaders)]  # fmt: skip
    return {"mtb-like": mtb_like, "shared-leader": [[f, leader] for leader, f in mtb_like]}


def main() -> None:
    """Measure the loop and every variant on each pair list and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="the released network size")
    parser.add_argument("--steps", type=int, default=10, help="respaced DDIM steps")
    parser.add_argument("--fewer-steps", type=int, default=5, help="DDIM steps of 'fewer'")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--followers", type=int, default=2)
    parser.add_argument("--leaders", type=int, default=8, help="pairs per follower")
    parser.add_argument("--lists", default="mtb-like", help="mtb-like,shared-leader")
    parser.add_argument("--variants", default="exact", help=",".join(VARIANTS))
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    lists = _pair_lists(args.followers, args.leaders)
    names = [n for n in args.lists.split(",") if n]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ids = sorted({x for name in names for pair in lists[name] for x in pair})
        root = write_dataset(Path(tmp) / "hml", ids, args.frames)
        for name in names:
            base = {"threads": args.threads, "full": args.full, "dataset": str(root),
                    "pairs": lists[name], "steps": args.steps, "fewer_steps": args.fewer_steps}  # fmt: skip
            loop = _in_process({**base, "variant": "loop"})
            n = len(lists[name])
            rows.append((name, "loop", n, loop, loop, (0.0, 0.0)))
            print(f"{name} loop: {loop['seconds'] / n:.2f} s/pair", flush=True)
            for variant in variants:
                out = str(Path(tmp) / f"{name}-{variant}")
                run = _in_process({**base, "variant": variant, "out": out})
                rows.append((name, variant, n, run, loop, _difference(run, loop)))
                print(f"{name} {variant}: {run['seconds'] / n:.2f} s/pair", flush=True)
    size = "full-size (12 x 512)" if args.full else "4-layer width-256"
    print(
        f"\n{size} network, random weights, {args.frames} frames, {args.steps} DDIM steps "
        f"('fewer': {args.fewer_steps}), {args.threads} threads, inversion mode\n"
    )
    print(
        "| pairs | method | n | s/pair | ratio to loop | peak RSS (MB) | max abs output diff "
        f"| max abs metric diff | MTB ({MTB_PAIRS} pairs) extrapolated (h) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, method, n, run, loop, (d_out, d_metric) in rows:
        per_pair = run["seconds"] / n
        ratio = run["seconds"] / loop["seconds"]
        print(
            f"| {name} | {method} | {n} | {per_pair:.2f} | {ratio:.3f} | {run['rss_mb']:.0f} "
            f"| {d_out:.1e} | {d_metric:.1e} | {per_pair * MTB_PAIRS / 3600:.2f} |"
        )


if __name__ == "__main__":
    main()
