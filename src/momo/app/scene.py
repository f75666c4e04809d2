"""What the 3D viewer draws, read from a transfer's output folder (`TransferResult.save`'s layout).

Each ``<row>.npy`` (``leader``, ``follower_<j>``, ``follower_<j>_copy<c>``, ``output_<j>``) is
read with `momo.load_motion`; the viewer gets its joint positions (metres, y up, millimetre
precision), its foot contacts (HumanML3D's contact channels) and the skeleton's parents. The
metrics come from ``metrics.json``; the files that may be downloaded are listed by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

#: Row files of a transfer folder, in the order the viewer lists them.
_ROW = re.compile(r"(leader|follower_(\d+)(?:_copy(\d+))?|output_(\d+))\.npy")
_ROLE_ORDER = {"leader": 0, "follower": 1, "output": 2}


def _row_key(match: re.Match[str]) -> tuple[int, int, int]:
    role = match[1].split("_")[0]
    index = int(match[2] or match[4] or 0)
    copy = int(match[3] or 0)
    return (_ROLE_ORDER[role], index, copy)


def row_files(folder: Path) -> list[tuple[str, str, Path]]:
    """(label, role, path) of every row ``.npy`` in ``folder``, leader first, then followers
    and outputs by index."""
    found = []
    for path in folder.iterdir():
        match = _ROW.fullmatch(path.name)
        if match and path.is_file():
            found.append((_row_key(match), match[1], match[1].split("_")[0], path))
    return [(label, role, path) for _, label, role, path in sorted(found)]


def motion_entry(label: str, role: str, path: Path) -> dict[str, Any]:
    """One motion for the viewer: joints ``[T][22][3]`` in metres and per-joint contacts."""
    import momo
    from momo.motion.representation import FOOT_CONTACT, FOOT_JOINTS

    motion = momo.load_motion(path, name=label)
    joints = np.round(np.asarray(motion.joints(), dtype=np.float64), 3)
    contacts = np.asarray(motion.features[:, FOOT_CONTACT]) > 0.5
    return {
        "label": label,
        "role": role,
        "frames": int(motion.num_frames),
        "fps": int(motion.fps),
        "joints": joints.tolist(),
        "contacts": {
            str(j): contacts[:, i].astype(int).tolist() for i, j in enumerate(FOOT_JOINTS)
        },
    }


def read_metrics(folder: Path) -> dict[str, Any]:
    """``metrics.json``'s records with column titles, or no records when there is none."""
    from momo.evaluation.table import METRIC_COLUMNS

    columns = [{"key": key, "title": title} for key, title, _ in METRIC_COLUMNS]
    path = folder / "metrics.json"
    if not path.is_file():
        return {"columns": columns, "outputs": []}
    try:
        records = json.loads(path.read_text()).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        records = []
    return {"columns": columns, "outputs": records if isinstance(records, list) else []}


def downloadable(folder: Path) -> list[dict[str, Any]]:
    """Name and size of each plain file directly in ``folder``."""
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return [{"name": p.name, "bytes": p.stat().st_size} for p in files]


def build_scene(folder: Path) -> dict[str, Any]:
    """Everything the viewer needs from one output folder."""
    from momo.motion.representation import PARENTS

    return {
        "parents": list(PARENTS),
        "motions": [motion_entry(*row) for row in row_files(folder)],
        "metrics": read_metrics(folder),
        "files": downloadable(folder),
    }
