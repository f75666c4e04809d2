"""Benchmark summaries as a Markdown table and a bar plot, in the paper's columns.

The paper's columns are always shown; a column that does not apply to a run (no evaluator, or
R-precision in a descriptor space without text) reads ``-``, never 0. `EXTRA_COLUMNS` (the
descriptor space's diversity and label accuracies) are shown only when some row has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: (summary key, column title, format) of the Markdown table, in order.
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("fid", "FID", "{:.3f}"),
    ("r_precision_top3", "R-prec top-3", "{:.3f}"),
    ("r_precision_top3_paper", "R-prec top-3 (len 22)", "{:.3f}"),
    ("matching_score", "matching", "{:.3f}"),
    ("leader_foot_contact", "leader contact", "{:.3f}"),
    ("leader_foot_contact_joints", "leader contact (joints)", "{:.3f}"),
    ("follower_rotation_similarity", "follower rot", "{:.3f}"),
    ("follower_position_similarity", "follower pos", "{:.3f}"),
    ("leader_root_distance", "root dist leader (m)", "{:.3f}"),
    ("follower_root_distance", "root dist follower (m)", "{:.3f}"),
    ("pairs", "pairs", "{:d}"),
)
#: Columns shown only when a summary has them (a classifier's descriptor space).
EXTRA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("diversity", "diversity", "{:.3f}"),
    ("content_accuracy_leader", "content acc (leader)", "{:.3f}"),
    ("style_accuracy_follower", "style acc (follower)", "{:.3f}"),
    ("content_accuracy_follower", "content acc (follower)", "{:.3f}"),
)
#: Columns drawn in the bar plot (all lie in [0, 1]).
PLOT_COLUMNS = (
    "r_precision_top3",
    "leader_foot_contact",
    "leader_foot_contact_joints",
    "follower_rotation_similarity",
    "follower_position_similarity",
    "content_accuracy_leader",
    "style_accuracy_follower",
)


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    return fmt.format(int(value) if fmt == "{:d}" else float(value))


def _columns(summary: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    extra = [c for c in EXTRA_COLUMNS if any(c[0] in row for row in summary.values())]
    return [*SUMMARY_COLUMNS[:-1], *extra, SUMMARY_COLUMNS[-1]]


def summary_markdown(summary: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per method (MoMo first, then the baselines), the paper's columns."""
    columns = _columns(summary)
    header = "| method | " + " | ".join(title for _, title, _ in columns) + " |"
    rule = "|---|" + "---:|" * len(columns)
    rows = [
        f"| {method} | " + " | ".join(_cell(values.get(key), fmt) for key, _, fmt in columns) + " |"
        for method, values in summary.items()
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def report_markdown(
    summary: Mapping[str, Mapping[str, Any]],
    by_kind: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    evaluator: str | None = None,
) -> str:
    """The summary table; with kinds of pairs, a titled table per kind after it; a note on
    the space of FID when the evaluator is a classifier (``evaluator``: the settings' name)."""
    parts = [summary_markdown(summary)]
    for kind, rows in (by_kind or {}).items():
        count = next(iter(rows.values()), {}).get("pairs", 0)
        parts.append(f"\n{kind} pairs ({count}):\n\n" + summary_markdown(rows))
    if evaluator is not None and evaluator.startswith("classifier"):
        parts.append(
            "\nFID and diversity: in the content/style classifier's embedding space (not "
            "comparable with the T2M evaluator's). R-precision and matching score need a "
            "text-motion evaluator: not applicable (-).\n"
        )
    return "".join(parts)


def plot_summary(summary: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Grouped bars of the [0, 1] columns per method, written to ``path`` (PNG); columns no
    method has a value for are left out, and a missing value draws no bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    methods = list(summary)
    keys = [k for k in PLOT_COLUMNS if any(row.get(k) is not None for row in summary.values())]
    keys = keys or list(PLOT_COLUMNS[:1])
    figure = Figure(figsize=(2.0 + 1.6 * len(keys), 3.6))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(len(methods), 1)
    for m, method in enumerate(methods):
        values = [summary[method].get(key) for key in keys]
        xs = [i + (m - (len(methods) - 1) / 2) * width for i in range(len(keys))]
        heights = [float("nan") if v is None else float(v) for v in values]  # no bar, not 0
        axes.bar(xs, heights, width, label=method)
    axes.set_xticks(range(len(keys)))
    axes.set_xticklabels([key.replace("_", "\n") for key in keys], fontsize=7)
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=7, ncols=min(len(methods), 4))
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=110)
