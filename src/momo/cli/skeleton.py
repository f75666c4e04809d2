"""The ``--skeleton`` option: which rig a BVH output is written on."""

from __future__ import annotations

import argparse
from pathlib import Path

from momo.errors import MissingFileError, MotionFormatError

#: Named choices of ``--skeleton`` (anything else is a ``.bvh`` file).
SKELETON_NAMES = ("leader", "follower", "smpl")


def add_skeleton_option(
    parser: argparse.ArgumentParser, *, names: str = "leader | follower | smpl"
) -> None:
    """Add ``--skeleton NAMES | FILE.bvh`` to a command (``names``: the named choices it has)."""
    parser.add_argument(
        "--skeleton",
        metavar="RIG",
        default=None,
        help=f"rig of the .bvh outputs: {names} | FILE.bvh (its joint names, hierarchy, rest "
        "pose, channel order, units, up axis and frame rate; default: the leader's when it is a "
        "BVH file, else smpl: 22 SMPL-named joints on the motion's own bone lengths at 20 fps)",
    )


def _is_bvh(path: str | None) -> bool:
    return path is not None and path.lower().endswith(".bvh") and Path(path).is_file()


def resolve_skeleton(
    value: str | None,
    *,
    leader: str | None = None,
    follower: str | None = None,
    has_follower: bool = True,
) -> str:
    """The rig file to write on, or ``"smpl"``.

    Args:
        value: the ``--skeleton`` value (None: the default).
        leader: the leader motion's file, if it is one (for ``convert``: the input).
        follower: the (first) follower motion's file, if any.
        has_follower: whether the command has a follower (``convert`` has none).

    Raises:
        MotionFormatError: if ``leader`` / ``follower`` is asked for but is not a BVH file (or
            the command has no follower), or a file that is not ``.bvh`` is given.
        MissingFileError: if the given file does not exist.
    """
    if value is None:
        return str(leader) if _is_bvh(leader) else "smpl"
    if value == "smpl":
        return value
    if value == "follower" and not has_follower:
        raise MotionFormatError("--skeleton follower: this command has no follower")
    if value in ("leader", "follower"):
        path = leader if value == "leader" else follower
        if not _is_bvh(path):
            raise MotionFormatError(
                f"--skeleton {value}: the {value} is not a BVH file ({path or 'a text prompt'}); "
                "pass smpl or a .bvh file"
            )
        return str(path)
    if not value.lower().endswith(".bvh"):
        raise MotionFormatError(
            f"--skeleton {value}: expected leader, follower, smpl or a .bvh file"
        )
    if not Path(value).is_file():
        raise MissingFileError(f"--skeleton {value}: file not found")
    return value
