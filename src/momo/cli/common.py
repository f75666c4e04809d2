"""Helpers shared by the `momo` subcommands: motion arguments, output checks, plain tables.

Everything a user can get wrong here (a missing file, a malformed ``--joint-map``, an output that
exists, an empty ``--leader``) raises one of momo's error types, which `momo.cli.main` prints as
one line before exiting with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from momo.cli import options
from momo.errors import ConfigError, MissingFileError, MotionFormatError
from momo.utils.files import check_output_path, path_exists

if TYPE_CHECKING:  # pragma: no cover
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

#: For help texts (`momo.io.api.READABLE_SUFFIXES` is the authority; importing it is slow).
READABLE_HELP = ".bvh, DeepMimic .txt/.json, HumanML3D .npy (features or joints), results.npy"


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--joint-map``, ``--up-axis`` and ``--sample``, the options that say how to read a
    motion file."""
    parser.add_argument(
        "--joint-map",
        metavar="MAP",
        help="how a BVH skeleton's joints map to the 22 SMPL joints when it is not recognised: "
        'a JSON file, inline JSON (\'{"pelvis": "Hips", ...}\') or the name of a known map '
        "(e.g. mixamo, cmu_cgspeed)",
    )
    parser.add_argument(
        "--up-axis",
        default="auto",
        choices=("auto", "y", "z", "x", "-y", "-z", "-x"),
        help="the up axis of BVH/DeepMimic files (default auto: detected from the skeleton)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="which sample of a results.npy file with several motions to read (0-based)",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--normalization`` and ``--device``, the options that say which diffusion
    model to load and where to run it (read back by :func:`load_model_arg`)."""
    parser.add_argument(
        "--model", default="default", metavar="MODEL",
        help="'default' (bundled), a directory written by momo, or an official model*.pt",
    )  # fmt: skip
    parser.add_argument(
        "--normalization", metavar="DIR",
        help="directory with Mean.npy and Std.npy (required for official checkpoints)",
    )  # fmt: skip
    parser.add_argument(
        "--device", default="cpu", type=options.device, help="torch device (default cpu)"
    )


def add_overwrite_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite``."""
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the output file if it already exists"
    )


def parse_joint_map(value: str | None) -> dict[str, Any] | str | None:
    """Turn a ``--joint-map`` value into what `momo.io.api.load_motion` takes.

    Inline JSON (starting with ``{``) becomes a dict; anything else (a file path or a known map
    name) passes through for the loader to resolve.

    Raises:
        MotionFormatError: if inline JSON is malformed or not an object.
    """
    if value is None:
        return None
    text = value.strip()
    if not text.startswith("{"):
        return value
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MotionFormatError(
            f"--joint-map is not valid JSON ({error.msg} at character {error.pos}); pass a JSON "
            'object such as \'{"pelvis": "Hips", "left_hip": "LeftUpLeg"}\' or a JSON file path'
        ) from None
    if not isinstance(data, dict):
        raise MotionFormatError("--joint-map must be a JSON object mapping SMPL joints to names")
    return data


def check_input_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path if it is an existing file.

    Raises:
        MissingFileError: if nothing exists there.
        IsADirectoryError: if it is a directory.
    """
    path = Path(path)
    if not path_exists(path) or not path.exists():
        raise MissingFileError(f"{str(path)[:300]}: no such file; check the path")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; pass a motion file")
    return path


def motion_path_or_prompt(value: str, option: str) -> Path | str:
    """What a ``--leader`` / ``--follower`` value means: an existing file, else a prompt.

    A value too long to be a file name (over 255 bytes) is a prompt.

    Raises:
        ConfigError: an empty value, or one naming a directory.
    """
    if not value.strip():
        raise ConfigError(f"{option} is empty; pass a motion file or a prompt")
    path = Path(value)
    if not path_exists(path):
        return value
    if path.is_dir():
        raise ConfigError(
            f"{option} {value!r} is a directory; pass a motion file, or a prompt that is not "
            "the name of a directory"
        )
    return path


def check_output_suffix(path: str | os.PathLike[str], suffixes: Sequence[str], what: str) -> Path:
    """Return ``path`` as a Path if its suffix is one of ``suffixes``.

    Raises:
        MotionFormatError: naming the suffixes that work.
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise MotionFormatError(
            f"cannot write {what} to {str(path)!r}: unknown suffix {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(suffixes)}"
        )
    return path


def check_output(
    path: str | os.PathLike[str], *, overwrite: bool, suffixes: Sequence[str], what: str
) -> Path:
    """Check an output path before any work is done: a known suffix, and no file in the way.

    Raises:
        MotionFormatError: for an unknown suffix.
        IsADirectoryError: if the path is a directory.
        OutputExistsError: if the file exists and ``overwrite`` is False.
    """
    path = check_output_suffix(path, suffixes, what)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name for the output")
    return check_output_path(path, overwrite=overwrite)


def load_motion_arg(
    path: str | os.PathLike[str],
    *,
    text: str | None = None,
    joint_map: str | None = None,
    sample: int | None = None,
    up_axis: str = "auto",
) -> Motion:
    """Load a motion named on the command line (see `momo.io.api.load_motion`).

    Raises:
        MissingFileError: if the file does not exist.
        MotionFormatError: if it cannot be read as a motion.
    """
    path = check_input_path(path)
    parsed_map = parse_joint_map(joint_map)
    from momo.io.api import load_motion

    return load_motion(path, text, joint_map=parsed_map, sample=sample, up_axis=up_axis)


def load_model_arg(args: argparse.Namespace) -> MotionDiffusionModel:
    """Load the model named by the options of :func:`add_model_options` (see `momo.load_model`).

    Raises:
        MissingFileError: if the model or normalisation directory does not exist.
        ModelLoadError: if the model cannot be loaded.
        ConfigError: if ``--device`` is not on this machine.
    """
    import momo

    options.check_device_available(args.device)
    return momo.load_model(args.model, normalization=args.normalization, device=args.device)


def load_joints_arg(
    path: str | os.PathLike[str],
    *,
    joint_map: str | None = None,
    sample: int | None = None,
    up_axis: str = "auto",
) -> tuple[Any, dict[str, Any]]:
    """Load the imported joints ``[T, 22, 3]`` (metres, 20 fps) and the import's info dict.

    Raises:
        MissingFileError: if the file does not exist.
        MotionFormatError: if it cannot be read as a motion.
    """
    path = check_input_path(path)
    parsed_map = parse_joint_map(joint_map)
    from momo.io.api import load_joints

    return load_joints(path, joint_map=parsed_map, sample=sample, up_axis=up_axis)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: left-aligned text columns, right-aligned numeric columns.

    Args:
        headers: column titles.
        rows: one sequence of cells per row (numbers are right-aligned).
    """
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], (int, float)) for row in rows) if rows else False
        for i in range(len(headers))
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = []
    for line in cells:
        parts = [
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(line, widths, numeric)
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_fields(fields: Sequence[tuple[str, Any]]) -> str:
    """``key: value`` lines with the values aligned."""
    width = max((len(key) for key, _ in fields), default=0)
    return "\n".join(f"{key + ':':<{width + 1}} {_cell(value)}" for key, value in fields)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
