"""End-to-end speed and peak memory of `momo.transfer` with the full-size MoMo network.

The network is the released MoMo configuration (trans_dec, 12 layers, width 512, FF 1024,
4 heads, 768-d token memory, 512-d CLS vector; random weights, float32) with 100 cosine
diffusion steps, on the CPU with 2 threads. Text encoding is excluded (a stub encoder returns
fixed random embeddings, 12 tokens per prompt), as in the reference measurement. Motions are
196 frames (HumanML3D's longest).

Cases (each in a fresh process, so every peak RSS is its own):

- real: real leader and real follower, i.e. DDIM inversion of the two motions, then transfer
  (guidance 1); the reference takes 33.7 s (13.4 s inversion + 20.3 s sampling) at ~510 MB;
- text: leader and follower generated from prompts, guidance 2.5; the reference takes 40.4 s;
- the same two with momo's speed options, which change the result (their effect on quality is
  measured by ``benchmarks/default_model_quality.py --variants``): ``reuse`` =
  ``reuse_inversion=True`` (real motions: the leader's and follower's attention comes from the
  inversion, only the output is sampled), ``steps50`` = ``num_steps=50`` (respaced DDIM), and
  both;
- throughput: 16 real-motion transfers sharing one leader, batched (one call, 16 followers) vs
  one by one (16 calls); with ``--throughput-steps`` diffusion steps (default 10: the per-step
  cost does not depend on the number of steps, so the ratio holds for 100).

Timings are wall-clock; on a shared machine other processes slow 2-thread runs a lot, so the
1-minute load average before each case is printed, and ``--repeats N`` reports the fastest of N
runs. The CPU column is the process's CPU time (with 2 threads it includes OpenMP spinning).

Run: ``python benchmarks/transfer_speed.py [--threads 2] [--cases real,text,throughput]
[--repeats 1]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence

import numpy as np
import torch

REFERENCE = {"real": (33.7, 510.0), "text": (40.4, 510.0)}
TARGET = {"real": (20.0, 600.0), "text": (24.0, 600.0)}
FRAMES = 196
#: case -> (real or text, options of momo.transfer, table label)
CASES = {
    "real": ("real", {}, "real/real, exact"),
    "real-reuse": ("real", {"reuse_inversion": True}, "real/real, reuse_inversion"),
    "real-steps50": ("real", {"num_steps": 50}, "real/real, num_steps=50"),
    "real-reuse-steps50": (
        "real",
        {"reuse_inversion": True, "num_steps": 50},
        "real/real, reuse_inversion + num_steps=50",
    ),
    "text": ("text", {}, "text/text (guidance 2.5), exact"),
    "text-steps50": ("text", {"num_steps": 50}, "text/text (guidance 2.5), num_steps=50"),
}


class StubEncoder:
    """Fixed random embeddings per prompt (DistilBERT-sized tokens, CLIP-sized vector)."""

    name = "stub"
    token_dim = 768
    pooled_dim = 512

    def encode(self, texts: Sequence[str]):  # noqa: ANN201 - TextEmbedding
        from momo.models.text_encoders import TextEmbedding

        tokens, pooled = [], []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            g = torch.Generator().manual_seed(seed)
            tokens.append(torch.randn(12, self.token_dim, generator=g))
            pooled.append(torch.randn(self.pooled_dim, generator=g))
        mask = torch.ones(len(texts), 12, dtype=torch.bool)
        return TextEmbedding(torch.stack(tokens), mask, torch.stack(pooled))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _model(num_timesteps: int):  # noqa: ANN202 - MotionDiffusionModel
    from momo.diffusion.schedules import NoiseSchedule
    from momo.models.bundle import MotionDiffusionModel
    from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
    from momo.models.mdm import MotionDenoiser
    from momo.motion.normalization import Normalizer

    torch.manual_seed(0)
    config = DenoiserConfig()  # the official MoMo configuration
    denoiser = MotionDenoiser(config).eval()
    rng = np.random.default_rng(0)
    normalizer = Normalizer(
        rng.normal(0, 0.5, 263).astype(np.float32), rng.uniform(0.2, 1.0, 263).astype(np.float32)
    )
    schedule = NoiseSchedule.from_name("cosine", num_timesteps)
    model_config = ModelConfig(config, DiffusionConfig(num_timesteps, "cosine"), "stub")
    return MotionDiffusionModel(denoiser, schedule, normalizer, StubEncoder(), model_config)


def _motion(seed: int, text: str):  # noqa: ANN202 - Motion
    from momo.motion.motion import Motion

    rng = np.random.default_rng(seed)
    return Motion(rng.normal(0, 0.5, (FRAMES, 263)).astype(np.float32), text=text)


def run_case(case: str, threads: int, throughput_steps: int, repeats: int = 1) -> dict[str, float]:
    """Run one case in this process ``repeats`` times; returns the fastest wall time (s), its
    CPU time (s), the 1-minute load average before the first run and the peak RSS (MB)."""
    from momo.pipelines.invert import invert
    from momo.pipelines.transfer import transfer

    torch.set_num_threads(threads)
    steps = throughput_steps if case.startswith("throughput") else 100
    model = _model(steps)
    leader = _motion(1, "a person walks forward and then turns around")
    followers = [_motion(2 + j, f"a person jumps on one leg, take {j}") for j in range(16)]
    rss_model = _peak_rss_mb()
    result: dict[str, float] = {"rss_model_mb": rss_model, "load_before": os.getloadavg()[0]}

    def timed(fn) -> tuple[float, float]:  # noqa: ANN001
        runs = []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            runs.append((time.perf_counter() - wall, time.process_time() - cpu))
        return min(runs)

    if case in CASES:
        kind, options, _ = CASES[case]
        if kind == "real":
            result["seconds"], result["cpu_seconds"] = timed(
                lambda: transfer(model, leader, followers[:1], progress=False, **options)
            )
            result["inversion_seconds"], _ = timed(
                lambda: invert(
                    model, [leader, followers[0]], num_steps=options.get("num_steps"),
                    progress=False,
                )
            )  # fmt: skip
        else:
            result["seconds"], result["cpu_seconds"] = timed(
                lambda: transfer(
                    model, leader.text, [followers[0].text], num_frames=FRAMES, progress=False,
                    seed=0, **options,
                )
            )  # fmt: skip
    elif case == "throughput-batched":
        result["seconds"], result["cpu_seconds"] = timed(
            lambda: transfer(model, leader, followers, progress=False)
        )
    elif case == "throughput-single":
        result["seconds"], result["cpu_seconds"] = timed(
            lambda: [transfer(model, leader, [f], progress=False) for f in followers]
        )
    else:
        raise ValueError(f"unknown case {case!r}")
    result["rss_peak_mb"] = _peak_rss_mb()
    return result


def _child(case: str, args: argparse.Namespace) -> dict[str, float]:
    command = [
        sys.executable, __file__, "--child", case, "--threads", str(args.threads),
        "--throughput-steps", str(args.throughput_steps), "--repeats", str(args.repeats),
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--cases",
        default=",".join([*CASES, "throughput"]),
        help=f"comma-separated, from {', '.join([*CASES, 'throughput'])}",
    )
    parser.add_argument("--throughput-steps", type=int, default=10)
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs per case; the fastest is reported"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args.threads, args.throughput_steps, args.repeats)))
        return

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    print(
        f"momo.transfer, full-size MoMo network (random weights), {FRAMES} frames, "
        f"{args.threads} threads, torch {torch.__version__}, float32, CPU"
    )
    print()
    print(
        "| case | seconds | CPU s | reference s | target s | speed-up | peak RSS MB | target MB "
        "| load before |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case, (kind, _, label) in CASES.items():
        if case not in cases:
            continue
        r = _child(case, args)
        ref_s, ref_mb = REFERENCE[kind]
        tgt_s, tgt_mb = TARGET[kind]
        if kind == "real":
            label = f"{label} (inversion {r['inversion_seconds']:.1f} s)"
        print(
            f"| {label} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {ref_s:.1f} | "
            f"{tgt_s:.1f} | {ref_s / r['seconds']:.2f}x | {r['rss_peak_mb']:.0f} | {tgt_mb:.0f} "
            f"| {r['load_before']:.2f} |"
        )
    if "throughput" in cases:
        batched = _child("throughput-batched", args)
        single = _child("throughput-single", args)
        print()
        print(
            f"16 real-motion transfers, one leader, {args.throughput_steps} diffusion steps "
            "(inversion included):"
        )
        print()
        print("| mode | seconds | transfers / min | peak RSS MB | load before |")
        print("|---|---:|---:|---:|---:|")
        for name, r in (
            ("batched (1 call, 16 followers)", batched),
            ("one by one (16 calls)", single),
        ):
            print(
                f"| {name} | {r['seconds']:.1f} | {16 * 60 / r['seconds']:.1f} | "
                f"{r['rss_peak_mb']:.0f} | {r['load_before']:.2f} |"
            )
        print()
        print(f"batched / one by one: {single['seconds'] / batched['seconds']:.2f}x faster")


if __name__ == "__main__":
    main()
