"""`momo evaluate`: the Motion Transfer Benchmark (or any pair list) with baselines, as a table.

    momo evaluate --humanml3d DIR --out DIR [--model default|CKPT] [--normalization DIR]
                  [--evaluator DIR] [--pairs mtb|FILE] [--mode inversion|gen]
                  [--baselines all|leader,follower,nn_motion,nn_softmax,nn_latent,inpainting]
                  [--subset N] [--seed S] [--match exact|contains]
                  [--layers A:B] [--steps A:B] [--guidance S] [--follower-copies K]
                  [--sampling-steps N] [--reuse-inversion] [--no-resume] [--device cpu|cuda]
                  [--inversion-cache DIR] [--sweep FILE]

Writes ``settings.json``, per-pair results under ``pairs/``, then ``summary.json``,
``summary.md`` and ``summary.png`` into ``--out`` (see `momo.evaluation.run_benchmark`), and
prints the table. A run in ``--out`` with the same settings is resumed.

With ``--data CACHE`` instead of ``--humanml3d`` (`momo.cli.evaluate_heldout`) the source is the
held-out split of a training-data cache (a model's own benchmark): ``--pairs`` is a JSON list of
clip names, or by default ``--num-pairs`` seeded pairs (half style, half action); FID, diversity
and the content/style accuracies come from the content/style classifier (``--classifier``);
``--crop`` cuts every clip. The summary adds one table per kind of pair.

With ``--sweep FILE`` (`momo.evaluation.sweep`) every configuration of the grid is one run in
``--out/configNNN``; they share the inversion cache (default ``--out/inversions``) and
``sweep.md``, ``sweep.json`` and ``sweep.png`` compare MoMo's row of each.

Started by ``torchrun --nproc-per-node N -m momo evaluate ...``, the N processes split the pairs
into shards (gloo on CPU, NCCL with ``--device cuda``, one GPU per local rank) and rank 0
writes the same summary one process would.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from momo.cli.common import add_model_options, load_model_arg
from momo.cli.evaluate_heldout import (
    add_heldout_options,
    check_heldout_args,
    heldout_keywords,
    load_heldout,
)
from momo.errors import EvaluationError

#: `momo.transfer`'s ``output_text`` values (its ``OUTPUT_TEXTS``; kept here so that the parser
#: does not import torch).
OUTPUT_PROMPTS = ("follower", "leader", "none")

if TYPE_CHECKING:
    from momo.evaluation.runner import BenchmarkReport


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo evaluate``."""
    parser = subparsers.add_parser(
        "evaluate",
        help="run the Motion Transfer Benchmark (or a pair list) with baselines",
        description="Run MoMo over HumanML3D leader/follower pairs (default: MTB) and "
        "baselines; writes summary.json, summary.md, summary.png and per-pair results.",
    )
    parser.add_argument("--humanml3d", metavar="DIR", help="HumanML3D folder (or --data)")
    parser.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    add_model_options(parser)
    parser.add_argument(
        "--evaluator", metavar="DIR",
        help="Guo et al.'s evaluator folder (MDM/MoMo's external_models/) for FID, R-precision "
        "and matching score; without it only the auxiliary metrics are computed",
    )  # fmt: skip
    parser.add_argument(
        "--pairs", default=None, metavar="mtb|FILE",
        help="'mtb' or a JSON file of [leader_id, follower_id] pairs (default mtb; with "
        "--data: clip names, default a seeded draw of --num-pairs)",
    )  # fmt: skip
    parser.add_argument("--mode", choices=("inversion", "gen"), default="inversion")
    parser.add_argument(
        "--baselines", default="", metavar="A,B|all",
        help="comma-separated: leader, follower, nn_motion, nn_softmax, nn_latent, inpainting; "
        "or all",
    )  # fmt: skip
    parser.add_argument(
        "--subset", type=int, default=None, metavar="N",
        help="a seeded random subset of N pairs (the reference's protocol uses 512)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of subset and transfers")
    parser.add_argument(
        "--match", choices=("exact", "contains"), default="exact",
        help="id lookup: the file itself (default) or the reference's first entry whose name "
        "contains the id (may pick a segment or mirrored copy)",
    )  # fmt: skip
    parser.add_argument("--layers", metavar="A:B", help="decoder layers that mix (as transfer)")
    parser.add_argument("--steps", metavar="A:B", help="timesteps that mix (as transfer)")
    parser.add_argument("--guidance", type=float, default=None, metavar="S")
    parser.add_argument("--follower-copies", type=int, default=None, metavar="K")
    parser.add_argument("--sampling-steps", type=int, default=None, metavar="N")
    parser.add_argument("--reuse-inversion", action="store_true")
    parser.add_argument(
        "--output-prompt", choices=OUTPUT_PROMPTS, default=None,
        help="what the outputs are conditioned on: the follower's caption (default, the "
        "paper's), the leader's, or none",
    )  # fmt: skip
    parser.add_argument(
        "--leader-body", default=None, metavar="PART",
        help="a body part the outputs keep from the leader (none, root, lower, auto; as transfer; "
        "default: the model's setting, else none)",
    )  # fmt: skip
    parser.add_argument(
        "--follower-body", default=None, metavar="PART",
        help="a body part the outputs take from the follower (none, upper; as transfer; "
        "default: the model's setting, else none)",
    )  # fmt: skip
    parser.add_argument(
        "--no-resume", action="store_true", help="refuse to continue a run found in --out"
    )
    parser.add_argument(
        "--sweep", metavar="FILE",
        help="JSON grid of options (layers, steps, guidance, sampling_steps, follower_copies, "
        "reuse_inversion, output_prompt, leader_body, follower_body) -> lists of values: one run per combination under --out/configNNN, "
        "sharing the inversion cache, and one table sweep.md/.json/.png",
    )  # fmt: skip
    parser.add_argument(
        "--inversion-cache", metavar="DIR",
        help="folder where each motion's inversion is kept (per model, motion and settings) "
        "and reused by later runs; default: kept in memory for this run",
    )  # fmt: skip
    add_heldout_options(parser)
    parser.set_defaults(func=run)
    return parser


def _transfer_options(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    from momo.pipelines.transfer.leader_body import FOLLOWER_BODY_PARTS, LEADER_BODY_PARTS
    from momo.pipelines.transfer.schedule import parse_span

    options: dict[str, Any] = {}
    if args.layers is not None:
        num_layers = len(model.denoiser.self_attention_modules())
        options["layers"] = parse_span(args.layers, num_layers, "layers")
    if args.steps is not None:
        options["steps"] = parse_span(args.steps, model.num_timesteps, "steps")
    if args.guidance is not None:
        options["guidance_scale"] = args.guidance
    if args.follower_copies is not None:
        options["follower_copies"] = args.follower_copies
    if args.sampling_steps is not None:
        options["num_steps"] = args.sampling_steps
    if args.reuse_inversion:
        options["reuse_inversion"] = True
    if args.output_prompt is not None:
        if args.output_prompt not in OUTPUT_PROMPTS:  # a sweep's value
            raise EvaluationError(
                f"output_prompt {args.output_prompt!r} is not one of {', '.join(OUTPUT_PROMPTS)}"
            )
        options["output_text"] = args.output_prompt
    if args.leader_body is not None:
        if args.leader_body not in LEADER_BODY_PARTS:
            raise EvaluationError(
                f"leader_body {args.leader_body!r} is not one of {', '.join(LEADER_BODY_PARTS)}"
            )
        options["leader_body"] = args.leader_body
    if args.follower_body is not None:
        if args.follower_body not in FOLLOWER_BODY_PARTS:
            raise EvaluationError(
                f"follower_body {args.follower_body!r} is not one of "
                f"{', '.join(FOLLOWER_BODY_PARTS)}"
            )
        options["follower_body"] = args.follower_body
    return options


def run(args: argparse.Namespace) -> int:
    """Run the benchmark (or a sweep of benchmarks) into ``args.out``; prints the table."""
    from momo.data.humanml3d import HumanML3D
    from momo.evaluation.distributed import process_group, rank_and_world
    from momo.evaluation.evaluator import T2MEvaluator
    from momo.evaluation.sweep import load_sweep

    check_heldout_args(args)
    dataset: Any = None if args.humanml3d is None else HumanML3D(args.humanml3d)
    points = None if args.sweep is None else load_sweep(args.sweep)
    with process_group(args.device):
        evaluator: Any = None
        if args.evaluator is not None:
            evaluator = T2MEvaluator.load(args.evaluator, device=args.device)
        model = load_model_arg(args)
        if args.data is not None:  # the cache and its classifier stand for dataset, evaluator
            dataset, evaluator = load_heldout(args, model)
        if points is None:
            report = _run_one(args, model, dataset, evaluator, args.out, args.inversion_cache)
            table = report.markdown()
        else:
            table = _run_sweep(args, points, model, dataset, evaluator)
        rank, _ = rank_and_world()
    if rank == 0:
        print(table, end="")
        print(f"wrote {args.out}")
    return 0


def _run_one(
    args: argparse.Namespace,
    model: Any,
    dataset: Any,
    evaluator: Any,
    out: str | Path,
    inversion_cache: str | Path | None,
) -> BenchmarkReport:
    """One benchmark run with the options in ``args``."""
    from momo.evaluation.baselines import BASELINES
    from momo.evaluation.heldout_benchmark import run_heldout_benchmark
    from momo.evaluation.runner import run_benchmark

    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    options = dict(
        mode=args.mode,
        baselines=list(BASELINES) if baselines == ["all"] else baselines,
        out_dir=out,
        resume=not args.no_resume,
        progress=sys.stderr.isatty(),
        subset_size=args.subset,
        seed=args.seed,
        command=shlex.join(["momo", *sys.argv[1:]]),
        inversion_cache=inversion_cache,
        **_transfer_options(args, model),
    )
    if args.data is not None:  # dataset: the cache; evaluator: its classifier
        return run_heldout_benchmark(model, dataset, evaluator, **heldout_keywords(args), **options)
    pairs = "mtb" if args.pairs is None else args.pairs
    return run_benchmark(model, dataset, pairs, evaluator=evaluator, match=args.match, **options)


def _run_sweep(
    args: argparse.Namespace,
    points: list[dict[str, Any]],
    model: Any,
    dataset: Any,
    evaluator: Any,
) -> str:
    """Every configuration of a sweep into ``out/configNNN``, then one table; returns it."""
    from momo.evaluation.distributed import rank_and_world
    from momo.evaluation.sweep import write_sweep

    out = Path(args.out)
    cache = args.inversion_cache if args.inversion_cache is not None else out / "inversions"
    for point in points:  # every configuration checked before the first run
        _transfer_options(argparse.Namespace(**{**vars(args), **point}), model)
    summaries, folders = [], []
    for i, point in enumerate(points):
        folder = f"config{i:03d}"
        point_args = argparse.Namespace(**{**vars(args), **point})
        report = _run_one(point_args, model, dataset, evaluator, out / folder, cache)
        summaries.append(report.summary["momo"])
        folders.append(folder)
    rank, _ = rank_and_world()
    if rank != 0:
        return ""
    return write_sweep(out, points, summaries, folders)
