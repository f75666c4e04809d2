"""Benchmark sweeps: a grid of transfer settings, each a benchmark run, in one comparison table.

A sweep file is a JSON object mapping options of ``momo evaluate`` to lists of values, e.g.
``{"layers": ["1:-1", "6:-1"], "sampling_steps": [50, 100], "reuse_inversion": [false, true]}``
(``output_prompt``: ``"follower"``, ``"leader"`` or ``"none"``, what the outputs are conditioned
on; ``leader_body``: ``"none"``, ``"root"``, ``"lower"`` or ``"auto"``, what they keep from the
leader; ``follower_body``: ``"none"`` or ``"upper"``, what they take from the follower);
every combination is one configuration (in the file's key order, the last key varying
fastest). The configurations share the inversion cache.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from momo.errors import EvaluationError
from momo.evaluation.pairs import read_json_file
from momo.evaluation.report import plot_summary, summary_markdown
from momo.utils.files import atomic_output

#: Sweepable options and the JSON type of their values.
SWEEP_OPTIONS: dict[str, tuple[type, ...]] = {
    "layers": (str,),
    "steps": (str,),
    "guidance": (int, float),
    "sampling_steps": (int,),
    "follower_copies": (int,),
    "reuse_inversion": (bool,),
    "output_prompt": (str,),
    "leader_body": (str,),
    "follower_body": (str,),
}
#: Most configurations one sweep may hold.
MAX_CONFIGURATIONS = 10_000


def load_sweep(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The configurations of a sweep file, each ``{option: value}``.

    Raises:
        EvaluationError: the file is missing, not a JSON object of non-empty lists, names an
            unknown option, holds a value of the wrong type, or has too many combinations.
    """
    file = Path(path)
    grid = read_json_file(file, "sweep file")
    if not isinstance(grid, dict) or not grid:
        raise EvaluationError(f"sweep file {file} must be a JSON object of option: [values]")
    for option, values in grid.items():
        _check_option(option, values)
    count = 1
    for values in grid.values():
        count *= len(values)
    if count > MAX_CONFIGURATIONS:
        raise EvaluationError(
            f"sweep file {file} has {count} configurations (at most {MAX_CONFIGURATIONS})"
        )
    return [dict(zip(grid, combination)) for combination in itertools.product(*grid.values())]


def _check_option(option: str, values: Any) -> None:
    kinds = SWEEP_OPTIONS.get(option)
    if kinds is None:
        raise EvaluationError(
            f"unknown sweep option {option!r}; choose from {', '.join(SWEEP_OPTIONS)}"
        )
    if not isinstance(values, list) or not values:
        raise EvaluationError(f"sweep option {option!r} needs a non-empty list of values")
    for value in values:
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if not isinstance(value, kinds) or wrong_bool:
            raise EvaluationError(
                f"sweep option {option!r} has value {value!r}; expected "
                + " or ".join(k.__name__ for k in kinds)
            )


def configuration_name(point: Mapping[str, Any]) -> str:
    """A configuration as one line, e.g. ``layers=1:-1 sampling_steps=50``."""
    return " ".join(f"{key}={json.dumps(value).strip(chr(34))}" for key, value in point.items())


def write_sweep(
    out: Path,
    points: Sequence[Mapping[str, Any]],
    summaries: Sequence[Mapping[str, Any]],
    folders: Sequence[str],
) -> str:
    """Write ``sweep.json``, ``sweep.md`` and ``sweep.png`` (MoMo's row of every configuration).

    Returns:
        The Markdown table.
    """
    rows = {configuration_name(p): s for p, s in zip(points, summaries)}
    table = summary_markdown(rows)
    document = [
        {"configuration": dict(p), "folder": f, "summary": dict(s)}
        for p, s, f in zip(points, summaries, folders)
    ]
    with atomic_output(out / "sweep.md", overwrite=True) as tmp:
        tmp.write_text(table)
    with atomic_output(out / "sweep.png", overwrite=True) as tmp:
        plot_summary(rows, tmp)
    with atomic_output(out / "sweep.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps(document, indent=2))
    return table
