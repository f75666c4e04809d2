"""`momo convert IN OUT`: read a motion file in any supported format and write it in another."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from momo.cli.common import (
    READABLE_HELP,
    add_overwrite_option,
    add_source_options,
    check_output,
    load_motion_arg,
    parse_joint_map,
)
from momo.cli.skeleton import add_skeleton_option, resolve_skeleton

#: Output suffixes of a DeepMimic motion file (only for DeepMimic inputs).
DEEPMIMIC_SUFFIXES = (".txt", ".json")

if TYPE_CHECKING:  # pragma: no cover
    from momo.motion.motion import Motion


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo convert``."""
    parser = subparsers.add_parser(
        "convert",
        help="convert a motion file to another format",
        description="Read a motion (BVH, DeepMimic, HumanML3D .npy, results.npy), bring it into "
        "HumanML3D's representation, and write it by the output's suffix: .npy (features "
        "[T, 263]), .bvh (on the input's own rig when it is a BVH file, see --skeleton), "
        ".txt / .json (a DeepMimic input back on its own humanoid3d skeleton, with its frame "
        "count and frame times), or a stick-figure .mp4 / .gif.",
    )
    parser.add_argument("input", metavar="IN", help=f"motion file to read ({READABLE_HELP})")
    parser.add_argument(
        "output",
        metavar="OUT",
        help="file to write: .npy (features), .bvh, .txt/.json (DeepMimic inputs), .mp4 or .gif",
    )
    parser.add_argument("--text", metavar="T", help="caption to attach (a video's title)")
    add_source_options(parser)
    add_skeleton_option(parser, names="leader (the input) | smpl")
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Convert ``args.input`` to ``args.output``; returns the exit status."""
    from momo.io.api import WRITABLE_SUFFIXES, save_motion

    suffixes = (*WRITABLE_SUFFIXES, *DEEPMIMIC_SUFFIXES)
    output = check_output(args.output, overwrite=args.overwrite, suffixes=suffixes, what="a motion")
    if output.suffix.lower() in DEEPMIMIC_SUFFIXES:
        return _save_deepmimic(args, output)
    motion = load_motion_arg(
        args.input,
        text=args.text,
        joint_map=args.joint_map,
        sample=args.sample,
        up_axis=args.up_axis,
    )
    if output.suffix.lower() == ".bvh":
        _save_bvh(args, motion, output)
    else:
        save_motion(motion, output, overwrite=args.overwrite)
    print(
        f"wrote {output} ({motion.num_frames} frames, {motion.seconds:.2f} s at {motion.fps} fps)"
    )
    return 0


def _save_deepmimic(args: argparse.Namespace, output: Path) -> int:
    """A DeepMimic input written back on its own skeleton, at its own frame times."""
    from momo.errors import MotionFormatError
    from momo.io.api import load_joints
    from momo.io.deepmimic_write import write_on_deepmimic_file

    joints, info = load_joints(
        args.input, joint_map=parse_joint_map(args.joint_map), up_axis=args.up_axis
    )
    if info.get("format") != "deepmimic":
        raise MotionFormatError(
            f"{args.input}: .txt/.json output writes a DeepMimic file back on its own skeleton; "
            "the input is not a DeepMimic motion (write .npy, .bvh, .mp4 or .gif instead)"
        )
    write_on_deepmimic_file(joints, output, args.input, overwrite=args.overwrite)
    print(f"wrote {output} ({info['source_frames']} frames, DeepMimic humanoid3d)")
    return 0


def _save_bvh(args: argparse.Namespace, motion: Motion, output: Path) -> None:
    """Write on the chosen rig; on the input's own rig, its joints as imported (its own bone
    lengths and placement) and its undriven joints' motion are kept."""
    from momo.io.api import load_joints, save_motion
    from momo.io.retarget import write_on_rig

    rig = resolve_skeleton(args.skeleton, leader=args.input, has_follower=False)
    if rig == "smpl" or Path(rig).resolve() != Path(args.input).resolve():
        save_motion(motion, output, overwrite=args.overwrite, skeleton=rig)
        return
    joint_map = parse_joint_map(args.joint_map)
    joints, _ = load_joints(args.input, joint_map=joint_map, up_axis=args.up_axis)
    write_on_rig(
        joints,
        output,
        rig,
        keep=True,
        joint_map=joint_map,
        up_axis=args.up_axis,
        overwrite=args.overwrite,
    )
