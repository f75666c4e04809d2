"""`momo train`: train a denoiser on the training-data cache, resumably."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from momo.cli import options
from momo.errors import ConfigError, MomoError

if TYPE_CHECKING:
    from momo.data.dataset import TrainingSet
    from momo.models.bundle import MotionDiffusionModel
    from momo.training.config import RunConfig
    from momo.training.loop import Trainer

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
    parser.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune: start from this model ('default', a run's model/ directory or an "
        "official model*.pt) with its architecture and Mean/Std; --config then only gives "
        "the training settings (all weights are trained)",
    )
    parser.add_argument(
        "--normalization",
        metavar="DIR",
        help="Mean.npy and Std.npy of the --init model (required for official checkpoints)",
    )
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
    parser.add_argument(
        "--lora-rank",
        type=int,
        metavar="R",
        help="with --init: train a low-rank adapter of rank R on the attention projections "
        "instead of all weights; writes <out>/adapter.safetensors (use it with "
        "`momo transfer --adapter FILE[:SCALE]`)",
    )
    parser.add_argument(
        "--lora-alpha",
        type=float,
        metavar="A",
        help="adapter updates are scaled by A/R (default R)",
    )
    parser.add_argument(
        "--distilbert",
        metavar="DIR",
        help="local folder of the model's DistilBERT, to encode sample prompts that are not "
        "captions of the cache (default: the Hugging Face cache; nothing is downloaded)",
    )
    parser.add_argument(
        "--clip", metavar="DIR", help="local folder of the model's CLIP, as --distilbert"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Train (or export) and print a one-paragraph summary."""
    import torch

    from momo.training.distributed import launched_by_torchrun
    from momo.training.finetune import start_from

    out = Path(args.out)
    resume = args.resume or args.export_only
    if resume and args.init:
        raise MomoError("--init starts a new run; a resumed run continues from its checkpoint")
    if args.normalization and not args.init:
        raise MomoError("--normalization gives the statistics of an --init model")
    if args.seed is not None and resume:
        raise MomoError("--seed applies to a new run only; a resumed run keeps its own seed")
    initial = _initial_model(args) if args.init else None
    config = _run_config(args, initial, resume)
    tcfg = config.training
    options.check_device_available(tcfg.device)
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    data = _training_set(args, config, initial, resume)
    if args.lora_rank is not None or args.lora_alpha is not None:
        if initial is None:
            raise MomoError("--lora-rank trains an adapter for a model: pass --init MODEL")
        if launched_by_torchrun():
            raise MomoError("adapters train in one process; run without torchrun")
        return _train_adapter(args, initial, data, config)
    trainer, main_process = _trainer(args, config, data, resume)
    say = print if main_process else _quiet
    if initial is not None:
        start_from(trainer, initial, args.init, write=main_process)
        say(f"Starting from {args.init} with its Mean/Std (all weights are trained).")
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
    say(
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
    say(summary)
    if launched_by_torchrun():
        from momo.training.distributed import finish

        finish(result)
    return 0


def _run_config(
    args: argparse.Namespace, initial: MotionDiffusionModel | None, resume: bool
) -> RunConfig:
    """The run's config: the saved one, the --init model's with --config's training, or --config;
    then the command-line overrides."""
    from momo.training.config import RunConfig
    from momo.training.finetune import finetune_config
    from momo.training.loop import CONFIG_FILE

    if resume:
        config = RunConfig.from_file(args.config or Path(args.out) / CONFIG_FILE)
    elif initial is not None:
        config = RunConfig.from_file(args.config) if args.config else RunConfig()
        config = finetune_config(config, initial)
    else:
        if not args.config:
            raise MomoError("a new run needs --config (e.g. configs/default_model.json)")
        config = RunConfig.from_file(args.config)
    return config.with_training(
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


def _training_set(
    args: argparse.Namespace, config: RunConfig, initial: MotionDiffusionModel | None, resume: bool
) -> TrainingSet:
    """The cache's training windows, normalised with the initial model's Mean/Std when
    fine-tuning (also when a fine-tuning run is resumed)."""
    from momo.data.cache import DataCache, default_cache_path
    from momo.data.dataset import TrainingSet
    from momo.training.finetune import (
        check_cache_fits,
        model_statistics,
        recorded_statistics,
        with_statistics,
    )

    cache = DataCache.load(Path(args.cache).expanduser() if args.cache else default_cache_path())
    if initial is not None:
        check_cache_fits(cache, initial)
        cache = with_statistics(cache, *model_statistics(initial))
    elif resume and (recorded := recorded_statistics(args.out)) is not None:
        cache = with_statistics(cache, *recorded)
    tcfg = config.training
    return TrainingSet(
        cache,
        min_frames=tcfg.min_frames,
        max_frames=tcfg.max_frames,
        stride=tcfg.window_stride,
        mirror=tcfg.mirror,
        crop=tcfg.crop,
    )


def _quiet(*_: object) -> None:
    """Print nothing (ranks other than 0 of a distributed run)."""


def _trainer(
    args: argparse.Namespace, config: RunConfig, data: TrainingSet, resume: bool
) -> tuple[Trainer, bool]:
    """A `Trainer`, or under torchrun a `DistributedTrainer`; and whether this is rank 0."""
    from momo.training.distributed import (
        DistributedTrainer,
        init_distributed,
        launched_by_torchrun,
    )
    from momo.training.loop import Trainer

    encoder = None
    if args.distilbert or args.clip:
        from momo.data.local_encoders import local_text_encoder

        name = config.model.text_encoder
        encoder = local_text_encoder(name, distilbert=args.distilbert, clip=args.clip)
    if not launched_by_torchrun():
        return Trainer(config, data, args.out, resume=resume, text_encoder=encoder), True
    if args.export_only or args.time_limit is not None:
        raise MomoError("--export-only and --time-limit are for a single process, not torchrun")
    context = init_distributed(config.training.device)
    trainer = DistributedTrainer(
        config, data, args.out, context=context, resume=resume, text_encoder=encoder
    )
    return trainer, context.is_main


def _initial_model(args: argparse.Namespace) -> MotionDiffusionModel:
    """The ``--init`` model, loaded with `momo.load_model` on the CPU."""
    import momo

    return momo.load_model(args.init, normalization=args.normalization)


def _train_adapter(
    args: argparse.Namespace, model: MotionDiffusionModel, data: TrainingSet, config: RunConfig
) -> int:
    """Train a low-rank adapter and write it with its losses into ``args.out``."""
    import json

    from momo.models.adapters import AdapterConfig
    from momo.training.adapters import train_adapter
    from momo.utils.files import atomic_output, check_output_path

    if args.lora_rank is None:
        raise MomoError("--lora-alpha needs --lora-rank")
    out = Path(args.out)
    path = check_output_path(out / "adapter.safetensors", overwrite=False)
    adapter_config = AdapterConfig(args.lora_rank, args.lora_alpha or float(args.lora_rank))
    tcfg = config.training
    print(
        f"Training a rank-{adapter_config.rank} adapter of {args.init} on {data.num_clips} clips "
        f"for {tcfg.steps} steps, batch {tcfg.batch_size}."
    )
    run = train_adapter(model, data, tcfg, adapter_config)
    run.adapter.save(path)
    record = {
        "init": args.init,
        "rank": adapter_config.rank,
        "alpha": adapter_config.alpha,
        "training": tcfg.to_dict(),
        "data": data.cache.fingerprint(),
        "losses": run.losses,
        "seconds": round(run.seconds, 2),
    }
    with atomic_output(out / "adapter.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
    params = sum(p.numel() for p in run.adapter.parameters())
    print(
        f"Trained {params} adapter parameters in {run.seconds:.1f} s (loss {run.losses[0]:.4f} "
        f"-> {run.losses[-1]:.4f}); wrote {path}."
    )
    return 0
