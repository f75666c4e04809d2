"""Reading motion files straight out of ``.tar.xz`` (or any tar) archives, without unpacking.

`iter_archive` streams the members (tarfile reads compressed archives sequentially), so nothing
is written into the working tree; `load_archive_member_joints` imports one member's bytes.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from momo.errors import MotionFormatError


def iter_archive(
    path: str | os.PathLike[str], suffixes: Sequence[str] = (".bvh", ".txt", ".json")
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(member name, bytes)`` for every regular file in a tar archive with a suffix.

    Members are streamed in archive order; symlinks, directories and other special members are
    skipped, as are members whose names try to leave the archive (absolute or ``..``).

    Args:
        path: a ``.tar``, ``.tar.gz``, ``.tar.bz2`` or ``.tar.xz`` file.
        suffixes: lower-case suffixes to keep (e.g. ``(".bvh",)``); empty keeps everything.

    Raises:
        FileNotFoundError: if the archive does not exist.
        MotionFormatError: if it is not a readable tar archive.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"archive not found: {p}")
    wanted = tuple(s.lower() for s in suffixes)
    try:
        with tarfile.open(p, mode="r|*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                name = member.name
                if name.startswith("/") or ".." in Path(name).parts:
                    continue
                if wanted and not name.lower().endswith(wanted):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                yield name, handle.read()
    except (tarfile.TarError, EOFError, OSError) as err:
        raise MotionFormatError(
            f"{p}: cannot read the archive ({err}); is it a tar file?"
        ) from None


def load_archive_member_joints(
    name: str, data: bytes, **kwargs: Any
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import one archive member (BVH or DeepMimic, by suffix) as SMPL joints.

    Args:
        name: the member name (its suffix picks the format; it names the motion in messages).
        data: the member's bytes.
        **kwargs: ``joint_map`` and ``scale`` as for `momo.io.api.load_joints`.

    Returns:
        ``(joints [T, 22, 3] float32 metres at 20 fps, info)``.

    Raises:
        MotionFormatError: if the member is not a motion file of a known kind or is malformed.
    """
    from momo.io.api import joints_from_bytes

    return joints_from_bytes(name, data, **kwargs)
