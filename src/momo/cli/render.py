"""`momo render IN... --out FILE`: stick-figure video of one or several motions side by side."""

from __future__ import annotations

import argparse
from pathlib import Path

from momo.cli.common import (
    READABLE_HELP,
    add_overwrite_option,
    add_source_options,
    check_input_path,
    check_output,
    load_joints_arg,
    load_motion_arg,
)
from momo.errors import MotionFormatError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo render``."""
    parser = subparsers.add_parser(
        "render",
        help="render motions side by side as a stick-figure .mp4 or .gif",
        description="Render one or several motion files side by side, each with its title, a "
        "floor grid and the root's trace. By default a motion is shown as momo sees it (in "
        "HumanML3D's representation, on the canonical skeleton); --raw shows the imported joints.",
    )
    parser.add_argument("inputs", metavar="IN", nargs="+", help=f"motion files ({READABLE_HELP})")
    parser.add_argument(
        "--out", "-o", required=True, metavar="FILE", help="video to write (.mp4 or .gif)"
    )
    parser.add_argument(
        "--titles",
        nargs="+",
        metavar="TITLE",
        help="one title per input (default: the file name and its caption, if any)",
    )
    parser.add_argument(
        "--camera",
        choices=("auto", "fixed", "follow"),
        default="auto",
        help="fixed view, a view following each motion, or auto (follows long paths; default)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="render the joints as imported, before conversion to HumanML3D's representation",
    )
    add_source_options(parser)
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Render ``args.inputs`` into ``args.out``; returns the exit status."""
    from momo.io.render import SUPPORTED_SUFFIXES, render_motions

    output = check_output(
        args.out, overwrite=args.overwrite, suffixes=SUPPORTED_SUFFIXES, what="a video"
    )
    if args.titles is not None and len(args.titles) != len(args.inputs):
        raise MotionFormatError(
            f"got {len(args.titles)} titles for {len(args.inputs)} inputs; "
            "give exactly one --titles entry per input"
        )
    for path in args.inputs:  # fail on a missing file before any slow loading
        check_input_path(path)
    joints_list = []
    titles = []
    for path in args.inputs:
        if args.raw:
            joints, info = load_joints_arg(
                path, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis
            )
            text = info.get("text")
        else:
            motion = load_motion_arg(
                path, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis
            )
            joints, text = motion.joints(), motion.text
        joints_list.append(joints)
        titles.append(_default_title(Path(path), text, args.sample))
    if args.titles is not None:
        titles = list(args.titles)
    render_motions(joints_list, output, titles=titles, overwrite=args.overwrite, camera=args.camera)
    frames = max(len(joints) for joints in joints_list)
    print(f"wrote {output} ({len(joints_list)} motion(s), {frames} frames)")
    return 0


def _default_title(path: Path, text: str | None, sample: int | None) -> str:
    name = path.name if sample is None else f"{path.name} #{sample}"
    return f"{name}: {text}" if text else name
