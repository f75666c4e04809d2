"""`momo info IN...`: what a motion file holds and how momo reads it."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from momo.cli.common import (
    READABLE_HELP,
    add_source_options,
    check_input_path,
    format_fields,
    format_table,
    load_joints_arg,
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo info``."""
    parser = subparsers.add_parser(
        "info",
        help="show frames, duration, height, skeleton and joint map of motion files",
        description="Import motion files as momo does and report, for each: frames and seconds "
        "at 20 fps, the source's frame rate, the standing height, the skeleton and joint map "
        "used (with the joints it had to synthesise), the unit scale, and the root's path length "
        "on the floor.",
    )
    parser.add_argument("inputs", metavar="IN", nargs="+", help=f"motion files ({READABLE_HELP})")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per file (strict JSON: a number that is not finite, e.g. "
        "the height of a motion whose joints are NaN, is null)",
    )
    add_source_options(parser)
    parser.set_defaults(func=run)
    return parser


def describe(joints: np.ndarray, info: dict[str, Any], path: Path) -> dict[str, Any]:
    """The facts `momo info` reports about one imported motion.

    Args:
        joints: imported joint positions ``[T, 22, 3]``, metres, 20 fps, Y up.
        info: the importer's description (`momo.io.api.load_joints`).
        path: the file it came from.

    Returns:
        A JSON-serialisable dict: file, format, frames, seconds, fps, source_fps, source_frames,
        height_m, root_path_m, joint_map, synthesised_joints, scale, up_axis, text (where
        known).
    """
    from momo.io.joint_maps import standing_height
    from momo.motion.representation import FPS

    joints = np.asarray(joints, dtype=np.float64)
    root_xz = joints[:, 0, [0, 2]]
    facts: dict[str, Any] = {
        "file": str(path),
        "format": info.get("format"),
        "frames": int(joints.shape[0]),
        "seconds": round(joints.shape[0] / FPS, 3),
        "fps": FPS,
        "source_fps": _rounded(info.get("source_fps")),
        "source_frames": info.get("source_frames"),
        "height_m": round(float(info.get("height_m") or standing_height(joints)), 3),
        "root_path_m": round(float(np.linalg.norm(np.diff(root_xz, axis=0), axis=-1).sum()), 3),
        "joint_map": info.get("joint_map"),
        "joint_map_description": info.get("joint_map_description"),
        "synthesised_joints": list(info.get("synthesised_joints") or []),
        "scale": info.get("scale"),
        "scale_source": info.get("scale_source"),
        "up_axis": info.get("up_axis"),
        "up_axis_source": info.get("up_axis_source"),
        "text": info.get("text"),
    }
    return {key: _plain(value) for key, value in facts.items()}


def run(args: argparse.Namespace) -> int:
    """Print facts about each of ``args.inputs``; returns the exit status."""
    for path in args.inputs:  # fail on a missing file before any slow loading
        check_input_path(path)
    all_facts = []
    for path in args.inputs:
        joints, info = load_joints_arg(
            path, joint_map=args.joint_map, sample=args.sample, up_axis=args.up_axis
        )
        all_facts.append(describe(joints, info, Path(path)))
    if args.json:
        print("\n".join(json.dumps(finite_or_null(facts), allow_nan=False) for facts in all_facts))
    elif len(all_facts) == 1:
        print(_format(all_facts[0]))
    else:
        print(_table(all_facts))
    return 0


def _table(all_facts: list[dict[str, Any]]) -> str:
    headers = ("file", "frames", "seconds", "src fps", "height m", "path m", "joint map", "synth.")
    rows = [
        (
            Path(facts["file"]).name,
            facts["frames"],
            facts["seconds"],
            f"{facts['source_fps']:g}" if facts["source_fps"] is not None else "-",
            facts["height_m"],
            facts["root_path_m"],
            facts["joint_map"] or "-",
            len(facts["synthesised_joints"]),
        )
        for facts in all_facts
    ]
    return format_table(headers, rows)


def _format(facts: dict[str, Any]) -> str:
    source = ""
    if facts["source_fps"]:
        source = f" (source: {facts['source_frames']} frames at {facts['source_fps']:g} fps)"
    skeleton = facts["joint_map"] or "-"
    if facts["joint_map_description"]:
        skeleton += f" ({facts['joint_map_description']})"
    fields: list[tuple[str, Any]] = [
        ("file", facts["file"]),
        ("format", facts["format"] or "-"),
        ("frames", f"{facts['frames']} at {facts['fps']} fps{source}"),
        ("seconds", f"{facts['seconds']:.2f}"),
        ("height", f"{facts['height_m']:.2f} m (stature estimated from the legs)"),
        ("root path", f"{facts['root_path_m']:.2f} m on the floor"),
        ("skeleton", skeleton),
        ("synthesised", ", ".join(facts["synthesised_joints"]) or "none"),
    ]
    if facts["scale"] is not None:
        how = f" ({facts['scale_source']})" if facts["scale_source"] else ""
        fields.append(("scale", f"{facts['scale']:.6g} m per unit{how}"))
    if facts["up_axis"]:
        how = f" ({facts['up_axis_source']})" if facts["up_axis_source"] else ""
        fields.append(("up axis", f"{_axis_name(facts['up_axis'])} in the file{how}"))
    if facts["text"]:
        fields.append(("text", facts["text"]))
    return format_fields(fields)


def _axis_name(axis: str) -> str:
    """``"z"`` -> ``"+Z"``, ``"-x"`` -> ``"-X"``."""
    return axis.upper() if axis.startswith("-") else "+" + axis.upper()


def _rounded(value: Any, digits: int = 3) -> Any:
    """Round a number for display (a BVH's frame time 0.0083333 gives 120.00048 fps)."""
    return None if value is None else round(float(value), digits)


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON null), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """NumPy scalars -> Python numbers, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    return value
