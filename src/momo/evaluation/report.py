"""Benchmark summaries as a Markdown table and a bar plot, in the paper's columns."""

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
#: Columns drawn in the bar plot (all lie in [0, 1]).
PLOT_COLUMNS = (
    "r_precision_top3",
    "leader_foot_contact",
    "leader_foot_contact_joints",
    "follower_rotation_similarity",
    "follower_position_similarity",
)


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    return fmt.format(int(value) if fmt == "{:d}" else float(value))


def summary_markdown(summary: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per method (MoMo first, then the baselines), the paper's columns."""
    header = "| method | " + " | ".join(title for _, title, _ in SUMMARY_COLUMNS) + " |"
    rule = "|---|" + "---:|" * len(SUMMARY_COLUMNS)
    rows = [
        f"| {method} | "
        + " | ".join(_cell(values.get(key), fmt) for key, _, fmt in SUMMARY_COLUMNS)
        + " |"
        for method, values in summary.items()
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def plot_summary(summary: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Grouped bars of the [0, 1] columns per method, written to ``path`` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    methods = list(summary)
    figure = Figure(figsize=(2.0 + 1.6 * len(PLOT_COLUMNS), 3.6))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(len(methods), 1)
    for m, method in enumerate(methods):
        values = [summary[method].get(key) for key in PLOT_COLUMNS]
        xs = [i + (m - (len(methods) - 1) / 2) * width for i in range(len(PLOT_COLUMNS))]
        axes.bar(xs, [0.0 if v is None else float(v) for v in values], width, label=method)
    axes.set_xticks(range(len(PLOT_COLUMNS)))
    axes.set_xticklabels([key.replace("_", "\n") for key in PLOT_COLUMNS], fontsize=7)
    axes.set_ylim(0, 1.05)
    axes.legend(fontsize=7, ncols=min(len(methods), 4))
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=110)
