"""Plain-text tables of MoMo's auxiliary metrics (one row per output), for terminals and logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: (record key, column title, format) of each metric column, in the order printed.
METRIC_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("leader_foot_contact", "contact~leader", "{:.3f}"),
    ("follower_foot_contact", "contact~follower", "{:.3f}"),
    ("leader_root_distance", "root dist leader (m)", "{:.3f}"),
    ("follower_root_distance", "root dist follower (m)", "{:.3f}"),
    ("follower_rotation_similarity", "follower sim (rot)", "{:.3f}"),
    ("follower_position_similarity", "follower sim (pos)", "{:.3f}"),
)


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool]
) -> str:
    """Align pre-formatted cells: numeric columns right, text columns left, a rule under the header.

    Args:
        headers: column titles.
        rows: cells as strings, one sequence per row.
        numeric: per column, whether to right-align it.
    """
    lines = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]

    def render(line: Sequence[str]) -> str:
        cells = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, numeric)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(lines[0]), rule, *[render(line) for line in lines[1:]]])


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def metrics_table(records: Sequence[Mapping[str, Any]], *, text_width: int = 32) -> str:
    """Table of `momo.TransferResult.metrics_records` (or any records with the metric keys).

    Columns: the output, its follower's caption, then the metrics of `METRIC_COLUMNS`:
    foot-contact agreement with the leader / follower (fraction of equal labels, 1 = same),
    mean root XZ distance to each (metres), and the fraction of output frames closest to a
    follower frame by rotations / by root-relative positions.

    Args:
        records: one mapping per output with the metric keys (and optionally ``output`` and
            ``follower_text``).
        text_width: captions longer than this are shortened.
    """
    headers = ["output", "follower", *[title for _, title, _ in METRIC_COLUMNS]]
    rows = []
    for i, record in enumerate(records):
        name = str(record.get("output", f"output_{i}"))
        follower = _shorten(str(record.get("follower_text") or "-"), text_width)
        rows.append(
            [name, follower, *[fmt.format(float(record[key])) for key, _, fmt in METRIC_COLUMNS]]
        )
    numeric = [False, False, *[True] * len(METRIC_COLUMNS)]
    return format_table(headers, rows, numeric)
