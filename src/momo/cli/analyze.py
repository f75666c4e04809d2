"""`momo analyze`: attention analysis of a leader/follower pair, or (``--report``) of many clips.

Pair mode: each of ``--leader`` and ``--follower`` is a motion file when such a path exists,
otherwise a prompt. Writes cluster timelines, one correspondence heat map per layer and
``analysis.json`` (labels, correspondences and the resolved settings) into ``--out``.

Report mode (``--report --data CACHE_OR_FOLDER``): measures the paper's mechanism over many
real clips (`momo.analysis.mechanism`) and writes ``mechanism.json``, ``mechanism.md`` and
``mechanism_heatmaps.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from momo.cli import options
from momo.cli.common import (
    READABLE_HELP,
    add_model_options,
    add_overwrite_option,
    add_source_options,
    check_input_path,
    load_model_arg,
    load_motion_arg,
    motion_path_or_prompt,
)
from momo.errors import TransferError

if TYPE_CHECKING:
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo analyze``."""
    parser = subparsers.add_parser(
        "analyze",
        help="cluster attention features and match leader to follower frames",
        description=(
            "Capture the self-attention queries and keys of a leader and a follower (real "
            "motions are DDIM-inverted, prompts are generated), cluster each motion's frames "
            "per layer (PCA + K-Means) and match every leader frame to the follower frame with "
            "the largest query . key score. Writes PNG figures and analysis.json. With --report, "
            "measure over many real clips instead (--data): how outline-like (gait phase) and "
            "motif-like (content, style) the clusters of Q, K and V are per layer and timestep, "
            "and how often q . k finds the known counterpart frame of a time-warped, shifted or "
            "mirrored copy; writes mechanism.json, mechanism.md and mechanism_heatmaps.png."
        ),
    )
    parser.add_argument("--leader", help=f"motion file ({READABLE_HELP}), or else a prompt")
    parser.add_argument("--follower", help="motion file, or else a prompt (as --leader)")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    add_model_options(parser)
    parser.add_argument(
        "--layer",
        type=options.non_negative_int,
        action="append",
        dest="layers",
        metavar="L",
        help="0-based layer to analyse (repeat for several; default: all)",
    )
    parser.add_argument(
        "--timestep",
        type=options.non_negative_int,
        action="append",
        dest="timesteps",
        metavar="T",
        help="model timestep to analyse (0 = cleanest; default: the middle one); with --report "
        "repeat for several (default: about 0, 10, 30, 50, 70, 90 %% of T)",
    )
    parser.add_argument(
        "--clusters",
        type=options.positive_int,
        default=None,
        metavar="K",
        help="K-Means clusters (default 4; with --report: per clip)",
    )
    parser.add_argument(
        "--pca-dim",
        type=options.positive_int,
        default=None,
        help="principal components before K-Means (default 8; 16 with --report)",
    )
    parser.add_argument(
        "--num-frames",
        type=options.positive_int,
        default=None,
        help="length of motions generated from prompts (default 120)",
    )
    parser.add_argument(
        "--guidance-scale",
        type=options.finite_float,
        default=2.5,
        help="classifier-free guidance for prompts (default 2.5)",
    )
    parser.add_argument(
        "--seed", type=options.seed, default=0, help="seed of prompt noise and K-Means"
    )
    add_source_options(parser)
    add_overwrite_option(parser)
    report = parser.add_argument_group("report mode (--report)")
    report.add_argument(
        "--report", action="store_true", help="measure the mechanism over many clips (--data)"
    )
    report.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="a training-data cache (momo data build) or a folder of HumanML3D .npy features",
    )
    report.add_argument(
        "--split", default="test", help="split of a cache to use (default test: held out)"
    )
    report.add_argument(
        "--clips", type=options.positive_int, default=100, help="clips to use (default 100)"
    )
    report.add_argument(
        "--max-frames",
        type=options.positive_int,
        default=120,
        help="clips are cut to this length (default 120)",
    )
    report.add_argument(
        "--num-steps",
        type=options.non_negative_int,
        default=12,
        help="DDIM inversion steps (default 12; 0 = all of the model's timesteps)",
    )
    report.add_argument(
        "--batch-size",
        type=options.positive_int,
        default=32,
        help="motions per inversion (default 32)",
    )
    report.add_argument("--title", default=None, help="title of the report")
    parser.set_defaults(func=run)
    return parser


def motion_or_text(value: str, args: argparse.Namespace, option: str) -> Motion | str:
    """A path that exists is a motion file (read by `momo.load_motion`); anything else a prompt."""
    path = motion_path_or_prompt(value, option)
    if isinstance(path, str):
        return path
    return load_motion_arg(path, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis)


def run(args: argparse.Namespace) -> int:
    """Run the pair analysis or (``--report``) the mechanism report; returns 0 on success."""
    from momo.errors import MomoError

    pair_inputs = args.leader is not None or args.follower is not None
    if args.report:
        if pair_inputs:
            raise MomoError("--report measures many clips from --data; drop --leader/--follower")
        if args.data is None:
            raise MomoError("--report needs --data: a data cache or a folder of .npy features")
        return run_report(args)
    if args.leader is None or args.follower is None:
        raise MomoError("pass both --leader and --follower (or --report with --data)")
    if args.timesteps and len(args.timesteps) > 1:
        raise MomoError("a pair is analysed at one --timestep; several are for --report")
    return run_pair(args)


def run_pair(args: argparse.Namespace) -> int:
    """Analyse one leader/follower pair; returns 0 on success."""
    from momo.analysis.clustering import DEFAULT_PCA_DIM
    from momo.analysis.report import DEFAULT_CLUSTERS, analyze_pair, output_paths
    from momo.constants import DEFAULT_NUM_FRAMES
    from momo.utils.files import check_output_path, check_writable_location
    from momo.utils.output_dirs import staged_directory

    def check(paths: list[Path]) -> None:
        for path in paths:
            check_output_path(path, overwrite=args.overwrite)

    if args.out.exists() and not args.out.is_dir():
        raise FileExistsError(f"{args.out} is a file; --out must be a directory")
    check(output_paths(args.out))  # fail before the slow part when outputs are in the way
    check_writable_location(args.out)
    leader = motion_or_text(args.leader, args, "--leader")
    follower = motion_or_text(args.follower, args, "--follower")
    model = load_model_arg(args)
    layers = sorted(set(args.layers)) if args.layers else list(range(len(model.denoiser.layers)))
    check(output_paths(args.out, layers))

    settings = {
        "n_clusters": args.clusters if args.clusters is not None else DEFAULT_CLUSTERS,
        "pca_dim": args.pca_dim if args.pca_dim is not None else DEFAULT_PCA_DIM,
        "num_frames": args.num_frames if args.num_frames is not None else DEFAULT_NUM_FRAMES,
    }
    analysis = analyze_pair(
        model,
        leader,
        follower,
        layers=layers,
        timestep=args.timesteps[0] if args.timesteps else None,
        seed=args.seed,
        guidance_scale=args.guidance_scale,
        leader_name=args.leader,
        follower_name=args.follower,
        progress=True,
        **settings,
    )
    meta = {
        "model": str(args.model),
        "normalization": args.normalization and str(args.normalization),
        "device": str(args.device),
    }
    ours = {path.name for path in output_paths(args.out, range(len(model.denoiser.layers)))}

    def keep(name: str) -> bool:  # what an existing folder keeps: with --overwrite, not ours
        return not args.overwrite or name not in ours

    # Written beside --out and swapped in: an interrupted run leaves --out as it was.
    with staged_directory(args.out, keep=keep) as staging:
        names = [path.name for path in analysis.save(staging, meta=meta)]
    written = [args.out / name for name in names]
    for path in written:
        logger.info("wrote %s", path)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Measure the mechanism over the clips of ``--data`` and write the report; returns 0."""
    from momo.analysis.clips import clips_from_cache, clips_from_folder
    from momo.analysis.mechanism import MechanismConfig, measure_mechanism
    from momo.analysis.mechanism_report import report_paths, save_report
    from momo.utils.files import check_output_path, check_writable_location

    if args.out.exists() and not args.out.is_dir():
        raise FileExistsError(f"{args.out} is a file; --out must be a directory")
    for path in report_paths(args.out):
        check_output_path(path, overwrite=args.overwrite)
    check_writable_location(args.out)
    if args.clips < 2:
        raise TransferError(f"--clips must be >= 2, got {args.clips}")
    config = MechanismConfig(
        layers=tuple(sorted(set(args.layers))) if args.layers else None,
        timesteps=tuple(sorted(set(args.timesteps))) if args.timesteps else None,
        num_steps=args.num_steps or None,
        max_frames=args.max_frames,
        outline_clusters=args.clusters or MechanismConfig.outline_clusters,
        pca_dim=args.pca_dim or MechanismConfig.pca_dim,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    model = load_model_arg(args)
    if args.data.is_dir():
        clips = clips_from_folder(args.data, limit=args.clips, seed=args.seed)
    else:
        clips = clips_from_cache(
            check_input_path(args.data),
            split=args.split,
            limit=args.clips,
            seed=args.seed,
            model_data=model.config.extra.get("training_data"),
        )
    result = measure_mechanism(model, clips, config, progress=True)
    meta = {"model": str(args.model), "data": args.data.name, "split": args.split}
    title = args.title or f"Attention mechanism of model {args.model!s}"
    written = save_report(
        result,
        args.out,
        num_timesteps=model.num_timesteps,
        title=title,
        meta=meta,
        overwrite=args.overwrite,
    )
    for path in written:
        logger.info("wrote %s", path)
    print(f"wrote {len(written)} files to {args.out}")
    return 0
