"""Training throughput of `momo train` with 1 and N processes (torchrun, DDP) on this machine.

Trains the architecture of a run config (default: ``configs/default_model.json``, 6 x 192) for
``--steps`` steps of ``--batch-size`` windows on a synthetic cache (the data only sets shapes),
once in one process and once under ``torchrun --nproc-per-node N`` (gloo on CPU, one thread per
process), and prints a markdown table of optimiser steps and windows per second as reported in
each run's log (the last logging interval, so start-up is excluded).

Run: ``python benchmarks/training_throughput.py [--processes 2] [--steps 30] [--device cpu]``.
Everything is written to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def _throughput(run_dir: Path) -> float:
    """Steps per second of the run's last logging interval."""
    lines = (run_dir / "log.jsonl").read_text().splitlines()
    return float(json.loads(lines[-1])["steps_per_s"])


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "default_model.json"))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from momo.data.synthetic import synthetic_cache
    from momo.training.config import RunConfig

    config = RunConfig.from_file(args.config)
    denoiser = config.model.denoiser
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cache = synthetic_cache(
            num_clips=24,
            min_frames=160,
            max_frames=240,
            token_dim=denoiser.text_token_dim or 16,
            pooled_dim=denoiser.text_pooled_dim or 16,
        ).save(root / "cache.safetensors")
        common = [
            "train", "--config", args.config, "--cache", str(cache), "--steps", str(args.steps),
            "--batch-size", str(args.batch_size), "--threads", "1", "--device", args.device,
            "--log-every", str(max(1, args.steps // 2)), "--sample-every", "0",
            "--eval-every", "0", "--checkpoint-every", str(args.steps), "--no-progress",
        ]  # fmt: skip
        single = root / "one"
        _run([sys.executable, "-m", "momo.cli.main", *common, "--out", str(single)], env)
        rows.append((1, _throughput(single)))
        many = root / "many"
        torchrun = [sys.executable, "-m", "torch.distributed.run"]
        launch = [*torchrun, "--nproc-per-node", str(args.processes), "-m", "momo.cli.main"]
        _run([*launch, *common, "--out", str(many)], env)
        rows.append((args.processes, _throughput(many)))
    print(f"| processes | steps/s | windows/s (batch {args.batch_size}) |")
    print("|---:|---:|---:|")
    for processes, steps_per_s in rows:
        print(f"| {processes} | {steps_per_s:.2f} | {steps_per_s * args.batch_size:.1f} |")


if __name__ == "__main__":
    main()
