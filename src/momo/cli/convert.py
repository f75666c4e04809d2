"""`momo convert IN OUT`: read a motion file in any supported format and write it in another."""

from __future__ import annotations

import argparse

from momo.cli.common import (
    READABLE_HELP,
    add_overwrite_option,
    add_source_options,
    check_output,
    load_motion_arg,
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo convert``."""
    parser = subparsers.add_parser(
        "convert",
        help="convert a motion file to another format",
        description="Read a motion (BVH, DeepMimic, HumanML3D .npy, results.npy), bring it into "
        "HumanML3D's representation, and write it by the output's suffix: .npy (features "
        "[T, 263]), .bvh (22-joint SMPL skeleton, 20 fps), or a stick-figure .mp4 / .gif.",
    )
    parser.add_argument("input", metavar="IN", help=f"motion file to read ({READABLE_HELP})")
    parser.add_argument(
        "output", metavar="OUT", help="file to write: .npy (features), .bvh, .mp4 or .gif"
    )
    parser.add_argument("--text", metavar="T", help="caption to attach (a video's title)")
    add_source_options(parser)
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Convert ``args.input`` to ``args.output``; returns the exit status."""
    from momo.io.api import WRITABLE_SUFFIXES, save_motion

    output = check_output(
        args.output, overwrite=args.overwrite, suffixes=WRITABLE_SUFFIXES, what="a motion"
    )
    motion = load_motion_arg(
        args.input,
        text=args.text,
        joint_map=args.joint_map,
        sample=args.sample,
        up_axis=args.up_axis,
    )
    save_motion(motion, output, overwrite=args.overwrite)
    print(
        f"wrote {output} ({motion.num_frames} frames, {motion.seconds:.2f} s at {motion.fps} fps)"
    )
    return 0
