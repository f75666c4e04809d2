"""`momo analyze`: attention analysis of a leader/follower pair (clusters and correspondences).

Each of ``--leader`` and ``--follower`` is a motion file when such a path exists, otherwise a
prompt. Writes cluster timelines, one correspondence heat map per layer and ``analysis.json``
(labels, correspondences and the resolved settings) into ``--out``.
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
    load_model_arg,
    load_motion_arg,
    motion_path_or_prompt,
)

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
            "the largest query . key score. Writes PNG figures and analysis.json."
        ),
    )
    parser.add_argument(
        "--leader", required=True, help=f"motion file ({READABLE_HELP}), or else a prompt"
    )
    parser.add_argument(
        "--follower", required=True, help="motion file, or else a prompt (as --leader)"
    )
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
        default=None,
        metavar="T",
        help="model timestep to analyse (0 = cleanest; default: the middle one)",
    )
    parser.add_argument(
        "--clusters",
        type=options.positive_int,
        default=None,
        metavar="K",
        help="K-Means clusters (default 4)",
    )
    parser.add_argument(
        "--pca-dim",
        type=options.positive_int,
        default=None,
        help="principal components before K-Means (default 8)",
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
    parser.set_defaults(func=run)
    return parser


def motion_or_text(value: str, args: argparse.Namespace, option: str) -> Motion | str:
    """A path that exists is a motion file (read by `momo.load_motion`); anything else a prompt."""
    path = motion_path_or_prompt(value, option)
    if isinstance(path, str):
        return path
    return load_motion_arg(path, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis)


def run(args: argparse.Namespace) -> int:
    """Run the analysis; returns 0 on success."""
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
        timestep=args.timestep,
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
