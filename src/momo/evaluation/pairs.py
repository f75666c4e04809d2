"""Benchmark pair lists: ``[[leader_id, follower_id], ...]`` of HumanML3D ids.

MoMo's Motion Transfer Benchmark (MTB; 842 pairs of HumanML3D test motions, by the MoMo
authors) is the default list; the package ships it as ``momo/assets/benchmarks/mtb.json``
(ids only, attributed in the README beside it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from momo.errors import EvaluationError

#: Pairs the reference's protocol evaluates: a seeded subset of this size.
REFERENCE_SUBSET = 512


def bundled_mtb_path() -> Path | None:
    """Where the package's copy of the MTB pair list is, or None when it is not shipped."""
    path = Path(str(resources.files("momo.assets"))) / "benchmarks" / "mtb.json"
    return path if path.is_file() else None


def load_pairs(pairs: str | os.PathLike[str] | Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """Resolve ``"mtb"``, a JSON file or a list of ``[leader, follower]`` ids into id pairs.

    Raises:
        EvaluationError: the file is missing or not a list of two-id lists.
    """
    if isinstance(pairs, str) and pairs == "mtb":
        path = bundled_mtb_path()
        if path is None:
            raise EvaluationError(
                "the MTB pair list is not bundled with this installation; pass the path of "
                "MoMo's mtb.json (--pairs FILE)"
            )
        pairs = path
    if isinstance(pairs, (str, os.PathLike)):
        pairs = read_json_file(Path(pairs), "pair list", "; pass 'mtb' or a JSON file")
    return _check_pairs(pairs)


def read_json_file(path: Path, what: str, missing_hint: str = "") -> Any:
    """The JSON document in ``path``; `EvaluationError` naming ``what`` when the file is
    missing (with ``missing_hint`` appended) or is not JSON."""
    if not path.is_file():
        raise EvaluationError(f"{what} {path} not found{missing_hint}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{what} {path} is not JSON ({exc})") from None


def _check_pairs(pairs: Any) -> list[tuple[str, str]]:
    if not isinstance(pairs, (list, tuple)) or not pairs:
        raise EvaluationError("the pair list must be a non-empty list of [leader_id, follower_id]")
    checked = []
    for i, pair in enumerate(pairs):
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(x, str) and x for x in pair)
        ):
            raise EvaluationError(
                f"pair {i} is {pair!r}; each pair must be [leader_id, follower_id] of id strings"
            )
        checked.append((pair[0], pair[1]))
    return checked


def subset(pairs: Sequence[tuple[str, str]], size: int | None, seed: int) -> list[int]:
    """Indices of the pairs evaluated: all (``size`` None) or a seeded random subset, ascending.

    The reference's protocol evaluates a seeded subset of 512 pairs; its exact draw depends on
    its data loader's shuffling and cannot be reproduced, so this draw is our own.
    """
    if size is None or size >= len(pairs):
        return list(range(len(pairs)))
    if size < 1:
        raise EvaluationError(f"subset size must be positive, got {size}")
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(len(pairs), size, replace=False))
