"""Seconds per benchmark pair: `run_benchmark` (shared leaders, inversion cache) vs one pair at a time.

A random-weight MoMo network (``--full``: the released configuration, 12 layers of width 512;
default: a smaller 4-layer, width-256 one for a quick run) with a stub text encoder (fixed
random embeddings per prompt), 100 cosine diffusion steps sampled at ``--steps`` respaced DDIM
steps, on the CPU with ``--threads`` threads. A synthetic HumanML3D folder holds random motions
of ``--frames`` frames. Two pair lists of ``--followers`` x ``--leaders`` pairs, inversion mode:

- ``mtb-like``: distinct leaders, each follower shared by ``--leaders`` pairs (MTB's structure:
  842 pairs, 816 leaders, 55 followers); the cache inverts each follower once;
- ``shared-leader``: the roles swapped: each leader has ``--leaders`` followers, so its pairs
  also run as one transfer (``--followers`` transfers in all).

"one at a time" is the reference's loop: one `momo.transfer` per pair (inversion of two rows,
then three-row sampling) with each pair's auxiliary metrics. The runner's time includes its
fixed costs (the weights digest, per-pair files, the summary and its plot), which few pairs
do not amortise. The table gives seconds per pair, the ratio, and the largest difference
between the two paths' outputs (float rounding only).

Run: ``python benchmarks/evaluate_throughput.py [--threads 2] [--full] [--steps 10]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

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


def one_at_a_time(model, dataset, pairs, steps: int) -> tuple[float, list[np.ndarray]]:  # noqa: ANN001
    """The reference's loop: one transfer per pair and its metrics; (seconds, outputs)."""
    import momo
    from momo.evaluation.summary import auxiliary_metrics

    outputs = []
    start = time.perf_counter()
    for leader_id, follower_id in pairs:
        leader, follower = (
            momo.Motion(dataset.motion(i), text=dataset.resolve(i).captions[0].text)
            for i in (leader_id, follower_id)
        )
        result = momo.transfer(model, leader, [follower], num_steps=steps, progress=False)
        outputs.append(result.outputs[0].features)
        auxiliary_metrics(outputs[-1], leader.features, follower.features)  # as the runner does
    return time.perf_counter() - start, outputs


def with_runner(model, dataset, pairs, steps: int, out: Path) -> tuple[float, list[np.ndarray]]:  # noqa: ANN001
    """`run_benchmark` with its shared leaders and inversion cache; (seconds, outputs)."""
    from momo.evaluation import run_benchmark

    start = time.perf_counter()
    run_benchmark(model, dataset, pairs, out_dir=out, progress=False, num_steps=steps)
    seconds = time.perf_counter() - start
    return seconds, [np.load(out / "pairs" / f"{i:04d}.npz")["momo"] for i in range(len(pairs))]


def main() -> None:
    """Measure both pair lists and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="the released network size")
    parser.add_argument("--steps", type=int, default=10, help="respaced DDIM steps")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--followers", type=int, default=2)
    parser.add_argument("--leaders", type=int, default=8, help="pairs per follower")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import momo.data

    model = build_model(args.full)
    followers = [f"F{j:05d}" for j in range(args.followers)]
    leaders = [f"L{j:05d}" for j in range(args.followers * args.leaders)]
    mtb_like = [[leaders[j * args.leaders + i], f] for j, f in enumerate(followers)
                for i in range(args.leaders)]  # fmt: skip
    shared_leader = [[f, leader] for leader, f in mtb_like]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dataset = momo.data.HumanML3D(
            write_dataset(Path(tmp) / "hml", followers + leaders, args.frames)
        )
        for name, pairs in (("mtb-like", mtb_like), ("shared-leader", shared_leader)):
            loop_s, loop_out = one_at_a_time(model, dataset, pairs, args.steps)
            run_s, run_out = with_runner(model, dataset, pairs, args.steps, Path(tmp) / name)
            diff = max(float(np.abs(a - b).max()) for a, b in zip(loop_out, run_out))
            rows.append((name, len(pairs), loop_s / len(pairs), run_s / len(pairs), diff))
    size = "full-size" if args.full else "4-layer width-256"
    print(f"{size} network, {args.frames} frames, {args.steps} DDIM steps, {args.threads} threads")
    print("| pairs | n | one at a time (s/pair) | runner (s/pair) | ratio | max abs output diff |")
    print("|---|---|---|---|---|---|")
    for name, n, loop, run, diff in rows:
        print(f"| {name} | {n} | {loop:.3f} | {run:.3f} | {run / loop:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
