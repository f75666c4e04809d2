"""`momo train`: train a denoiser on the training-data cache, resumably."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from momo.cli import options
from momo.errors import ConfigError, MomoError

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo train``."""
    parser = subparsers.add_parser(
        "train",
        help="train a motion diffusion model on the training-data cache",
        description="Train MoMo's denoiser (x0 prediction, masked MSE, AdamW, EMA) on the cache "
        "built by `momo data build`. The run directory gets config.json, log.jsonl, "
        "checkpoints/ (resume with --resume), samples/ and, when the run reaches --steps, "
        "model/ with the EMA weights in momo's checkpoint format (load with "
        "momo.load_model('<out>/model')).",
    )
    parser.add_argument(
        "--config",
        metavar="JSON",
        help="run config (model + training), e.g. configs/default_model.json; required for a "
        "new run, a resumed run reads <out>/config.json",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="run directory")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--cache", metavar="FILE", help="training-data cache (default: momo's)")
    parser.add_argument(
        "--steps", type=options.positive_int, help="total optimiser steps (overrides the config)"
    )
    parser.add_argument("--batch-size", type=options.positive_int, help="windows per step")
    parser.add_argument(
        "--lr", type=options.positive_float, dest="learning_rate", help="peak learning rate"
    )
    parser.add_argument("--seed", type=options.seed, help="seed of a new run")
    parser.add_argument(
        "--threads", type=options.positive_int, dest="num_threads", help="torch CPU threads"
    )
    parser.add_argument("--device", type=options.device, help="cpu or cuda")
    parser.add_argument(
        "--checkpoint-every", type=options.non_negative_int, help="steps between checkpoints"
    )
    parser.add_argument(
        "--sample-every",
        type=options.non_negative_int,
        help="steps between sample renders (0: off)",
    )
    parser.add_argument("--log-every", type=options.positive_int, help="steps between log lines")
    parser.add_argument(
        "--eval-every",
        type=options.non_negative_int,
        help="steps between held-out loss evaluations (0: off)",
    )
    parser.add_argument(
        "--time-limit",
        type=options.non_negative_float,
        metavar="MINUTES",
        help="stop after this many minutes with a checkpoint (resume later with --resume)",
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="do not train: export the run's latest checkpoint to <out>/model",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Train (or export) and print a one-paragraph summary."""
    import torch

    from momo.data.cache import DataCache, default_cache_path
    from momo.data.dataset import TrainingSet
    from momo.training.config import RunConfig
    from momo.training.loop import CONFIG_FILE, Trainer

    out = Path(args.out)
    resume = args.resume or args.export_only
    if resume:
        saved = out / CONFIG_FILE
        config = RunConfig.from_file(args.config or saved)
    else:
        if not args.config:
            raise MomoError("a new run needs --config (e.g. configs/default_model.json)")
        config = RunConfig.from_file(args.config)
    if args.seed is not None and resume:
        raise MomoError("--seed applies to a new run only; a resumed run keeps its own seed")
    config = config.with_training(
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        num_threads=args.num_threads,
        device=args.device,
        checkpoint_every=args.checkpoint_every,
        sample_every=args.sample_every,
        log_every=args.log_every,
        eval_every=args.eval_every,
    )
    tcfg = config.training
    options.check_device_available(tcfg.device)
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    cache = DataCache.load(Path(args.cache).expanduser() if args.cache else default_cache_path())
    data = TrainingSet(
        cache,
        min_frames=tcfg.min_frames,
        max_frames=tcfg.max_frames,
        stride=tcfg.window_stride,
        mirror=tcfg.mirror,
    )
    trainer = Trainer(config, data, out, resume=resume)
    if args.export_only:
        path = trainer.export(overwrite=True)
        print(f"Exported the EMA weights of step {trainer.step} to {path}.")
        return 0
    if trainer.step > tcfg.steps:
        raise ConfigError(
            f"the run in {out} is already at step {trainer.step}, past --steps {tcfg.steps}; "
            "pass a larger --steps to train on, or --export-only to export it"
        )
    params = sum(p.numel() for p in trainer.denoiser.parameters())
    print(
        f"Training {params / 1e6:.2f}M parameters on {data.num_clips} clips "
        f"({len(data)} windows) from step {trainer.step} to {tcfg.steps}, batch {tcfg.batch_size}, "
        f"{torch.get_num_threads()} threads."
    )
    if trainer.step == tcfg.steps:
        path = trainer.export(overwrite=True)
        print(
            f"The run in {out} already reached step {trainer.step}/{tcfg.steps}; nothing to train "
            f"(pass a larger --steps to continue). EMA weights exported to {path}."
        )
        return 0
    time_limit = args.time_limit * 60 if args.time_limit is not None else None
    try:
        result = trainer.train(time_limit_s=time_limit, progress=not args.no_progress)
    except KeyboardInterrupt:
        saved = trainer.checkpoint_step
        where = f"last checkpoint at step {saved}" if saved is not None else "no checkpoint yet"
        raise KeyboardInterrupt(
            f"{where}; continue with: momo train --out {out} --resume"
        ) from None
    summary = (
        f"Reached step {result.step}/{tcfg.steps}: {result.steps_run} steps in "
        f"{result.seconds:.0f} s ({result.steps_per_second:.2f} steps/s), last loss "
        f"{result.last_loss:.4f}, peak memory {result.peak_rss_mb:.0f} MiB."
    )
    if result.step >= tcfg.steps:
        path = trainer.export(overwrite=True)
        summary += f" EMA weights exported to {path}."
    else:
        summary += f" Continue with: momo train --out {out} --resume"
    print(summary)
    return 0
