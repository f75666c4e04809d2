"""`momo transfer`: MoMo motion transfer from the command line.

    momo transfer --leader PATH|TEXT --follower PATH|TEXT [--follower ...] --out DIR
                  [--model default|CKPT] [--normalization DIR] [--layers A:B] [--steps A:B]
                  [--guidance S] [--follower-copies K] [--frames N] [--seed S]
                  [--sampling-steps N] [--reuse-inversion] [--device cpu|cuda]
                  [--overwrite] [--crop] [--no-video]

A ``--leader`` / ``--follower`` value that names an existing file is a motion file (any format
`momo.load_motion` reads); anything else is a prompt. Spans are inclusive with negative numbers
counting from the end (the reference's convention): ``--layers 1:-1`` is every layer but the
first, ``--steps 10:90``; ``none`` disables mixing. ``--sampling-steps`` and
``--reuse-inversion`` trade exactness for speed (see `momo.transfer`).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from momo.cli import options
from momo.cli.common import (
    add_model_options,
    add_overwrite_option,
    add_source_options,
    load_model_arg,
    motion_path_or_prompt,
)
from momo.cli.feet import add_fix_feet_option, with_fixed_feet
from momo.cli.skeleton import add_skeleton_option, resolve_skeleton

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo transfer``."""
    parser = subparsers.add_parser(
        "transfer",
        help="transfer followers' motifs onto a leader's outline (MoMo)",
        description="Zero-shot motion transfer (MoMo): one output per --follower with the "
        "leader's outline (timing, path) and the follower's motifs (style, gestures). Writes "
        "results.npy/.txt, each motion as .npy and .bvh, transfer.mp4, followers.mp4, "
        "config.json and metrics.json into --out, and prints the metrics.",
    )
    parser.add_argument(
        "--leader", required=True, metavar="PATH|TEXT",
        help="the leader: a motion file, or a prompt to generate it from",
    )  # fmt: skip
    parser.add_argument(
        "--follower", action="append", required=True, metavar="PATH|TEXT",
        help="a follower: a motion file or a prompt (repeat for several; one output each)",
    )  # fmt: skip
    parser.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory")
    add_model_options(parser)
    parser.add_argument(
        "--layers", metavar="A:B",
        help="decoder layers that mix, inclusive, 0-based, negatives from the end "
        "(default: the model's setting, else 1:-1, all but the first; 'none' for plain "
        "generation)",
    )  # fmt: skip
    parser.add_argument(
        "--steps", metavar="A:B",
        help="diffusion timesteps that mix, inclusive (default 10%%..90%% of T, 10:90 for T=100)",
    )  # fmt: skip
    parser.add_argument(
        "--guidance", type=options.finite_float, default=None, metavar="S",
        help="classifier-free guidance (default 2.5 when every motion is a prompt; with a real "
        "motion the outputs default to 1)",
    )  # fmt: skip
    parser.add_argument(
        "--follower-copies", type=int, default=1, metavar="K",
        help="rows per follower whose keys/values are concatenated (prompts: K samples)",
    )  # fmt: skip
    parser.add_argument(
        "--frames", type=options.positive_int, default=None, metavar="N",
        help="length of prompt-generated motions at 20 fps (default: the leader's if it is a "
        "file, else 120)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=options.seed, default=None, help="random seed (default: random)"
    )
    parser.add_argument(
        "--sampling-steps", type=options.positive_int, default=None, metavar="N",
        help="DDIM steps of inversion and sampling, evenly respaced (default: all of the "
        "model's timesteps, as the reference; fewer is faster and changes the result)",
    )  # fmt: skip
    parser.add_argument(
        "--reuse-inversion", action="store_true", default=None,
        help="motion files only: take the leader's and followers' attention from their "
        "inversion instead of denoising them again (~1.5x faster; outputs differ from the "
        "reference's by the inversion's reconstruction error; default: the model's setting)",
    )  # fmt: skip
    parser.add_argument(
        "--inversion-corrections", type=int, default=None, metavar="N",
        help="fixed-point corrections per DDIM inversion step of motion files (0: the "
        "reference's inversion; 2 brings leaders unlike the training data back more closely, "
        "at 3x the inversion's model calls; default: the model's setting, else 0)",
    )  # fmt: skip
    parser.add_argument(
        "--leader-root-path", action="store_true", default=None,
        help="outputs take the leader's root rotation and path (a motion file's as given, not "
        "as the model reconstructs it; default: the model's setting, else off)",
    )  # fmt: skip
    parser.add_argument(
        "--leader-body", choices=("none", "root", "lower", "auto"), default=None,
        help="a body part the outputs keep from the leader while denoising: 'lower' (root, "
        "legs, foot contacts: the leader's steps and path, the follower's motifs on top; for "
        "leader and follower of different actions), 'auto' (lower when leader and follower "
        "travel at clearly different speeds, else nothing), 'root' or 'none' (default: the "
        "model's setting, else none)",
    )  # fmt: skip
    parser.add_argument(
        "--leader-body-steps", metavar="A:B",
        help="diffusion timesteps at which --leader-body is kept, inclusive (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--follower-body", choices=("none", "upper"), default=None,
        help="a body part the outputs take from the follower at --follower-body-steps: 'upper' "
        "(spine, arms, head; in the outputs that keep the leader's legs, or all outputs when "
        "none are kept: with --leader-body it composes the two by body part) or 'none' "
        "(default: the model's setting, else none)",
    )  # fmt: skip
    parser.add_argument(
        "--follower-body-steps", metavar="A:B",
        help="diffusion timesteps at which --follower-body is taken, inclusive (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--output-text", choices=("follower", "leader", "none"), default="follower",
        help="the outputs' prompt: the follower's text (default, as the paper), the leader's, "
        "or none",
    )  # fmt: skip
    parser.add_argument(
        "--crop", action="store_true",
        help="keep the first frames of motion files longer than the model supports (196 for the "
        "official models) instead of stopping with an error",
    )  # fmt: skip
    parser.add_argument(
        "--adapter", action="append", default=[], metavar="FILE[:SCALE]",
        help="a low-rank adapter (.safetensors from `momo train --lora-rank`) to install at "
        "SCALE (default 1, 0 = off); repeat to combine several",
    )  # fmt: skip
    parser.add_argument("--no-video", action="store_true", help="skip the two .mp4 files")
    add_source_options(parser)
    add_skeleton_option(parser)
    add_fix_feet_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def _load_if_file(value: Path | str, what: str, args: argparse.Namespace, limit: int):  # noqa: ANN202
    """The Motion read from ``value`` if it is a path (with the reading options of ``args``;
    cropped to ``limit`` when ``--crop`` asks), else the prompt."""
    if isinstance(value, str):
        return value
    from momo.cli.common import load_motion_arg
    from momo.motion.motion import Motion

    motion = load_motion_arg(
        value, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis
    )
    if args.crop and motion.num_frames > limit:
        logger.warning(
            "cropping the %s %s from %d to %d frames (the model's limit)",
            what, value, motion.num_frames, limit,
        )  # fmt: skip
        motion = Motion(
            motion.features[:limit], text=motion.text, name=motion.name, meta=dict(motion.meta)
        )
    return motion


def run(args: argparse.Namespace) -> int:
    """Run one transfer into ``args.out``; prints the metrics table; returns the exit status."""
    import momo
    from momo.errors import TransferError
    from momo.evaluation.table import metrics_table
    from momo.pipelines.transfer.layout import TransferLayout
    from momo.pipelines.transfer.result import check_result_dir
    from momo.pipelines.transfer.schedule import parse_span
    from momo.utils.files import check_writable_location

    if args.follower_copies < 1:
        raise TransferError(f"--follower-copies must be >= 1, got {args.follower_copies}")
    for option in ("layers", "steps"):
        if getattr(args, option) is not None and not getattr(args, option).strip():
            raise TransferError(
                f"--{option} is empty; pass a span such as 1:-1, or 'none' to switch mixing off"
            )
    render = not args.no_video
    # Refuse before any slow work if results are in the way or the folder cannot be written.
    layout = TransferLayout(len(args.follower), args.follower_copies)
    out_dir = check_result_dir(args.out, layout, overwrite=args.overwrite, render=render)
    check_writable_location(out_dir)

    leader_value = motion_path_or_prompt(args.leader, "--leader")
    follower_values = [motion_path_or_prompt(f, "--follower") for f in args.follower]
    skeleton = resolve_skeleton(
        args.skeleton,
        leader=str(leader_value) if isinstance(leader_value, Path) else None,
        follower=str(follower_values[0]) if isinstance(follower_values[0], Path) else None,
    )

    model = load_model_arg(args)
    if args.adapter:
        from momo.models.adapters import load_adapters

        load_adapters(model.denoiser, args.adapter)
    limit = model.max_frames
    leader = _load_if_file(leader_value, "leader", args, limit)
    followers = [_load_if_file(f, "follower", args, limit) for f in follower_values]
    num_layers = len(model.denoiser.self_attention_modules())
    layers = None if args.layers is None else parse_span(args.layers, num_layers, "layers")
    steps = None if args.steps is None else parse_span(args.steps, model.num_timesteps, "steps")
    body_steps, follower_steps = args.leader_body_steps, args.follower_body_steps
    if body_steps is not None:
        body_steps = parse_span(body_steps, model.num_timesteps, "leader-body-steps")
    if follower_steps is not None:
        follower_steps = parse_span(follower_steps, model.num_timesteps, "follower-body-steps")

    result = momo.transfer(
        model,
        leader,
        followers,
        num_frames=args.frames,
        layers=layers,
        steps=steps,
        guidance_scale=args.guidance,
        follower_copies=args.follower_copies,
        seed=args.seed,
        num_steps=args.sampling_steps,
        reuse_inversion=args.reuse_inversion,
        leader_root_path=args.leader_root_path,
        inversion_corrections=args.inversion_corrections,
        leader_body=args.leader_body,
        leader_body_steps=body_steps,
        follower_body=args.follower_body,
        follower_body_steps=follower_steps,
        output_text=args.output_text,
    )
    result.config["cli"] = {
        "leader": args.leader,
        "followers": list(args.follower),
        "model": str(args.model),
        "normalization": args.normalization,
        "crop": bool(args.crop),
        "adapters": list(args.adapter),
        "fix_feet": bool(args.fix_feet),
    }
    if args.fix_feet:
        result = with_fixed_feet(result)
    result.save(out_dir, overwrite=args.overwrite, render=render, skeleton=skeleton)
    print(metrics_table(result.metrics_records()))
    print(f"wrote {out_dir}")
    return 0
