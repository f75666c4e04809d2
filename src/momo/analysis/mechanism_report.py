"""Write a `MechanismResult`: JSON of every number, a Markdown summary and heat maps (PNG).

`summarize` condenses the layer x timestep grids into the answers to the paper's two claims:
which of Q, K, V is the most outline-like (highest per-clip AMI with the gait phase) and the
most motif-like (highest pooled AMI with content and style); in which cells queries beat keys
on the outline *and* keys beat queries on the motifs; and how well ``q . k`` finds the known
counterpart frames, next to nearest-neighbour matching of the features.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from momo.analysis.mechanism import KINDS, MechanismResult
from momo.utils.files import atomic_output, check_output_path

JSON_NAME = "mechanism.json"
MARKDOWN_NAME = "mechanism.md"
HEATMAP_NAME = "mechanism_heatmaps.png"

#: The cells MoMo's transfer mixes by default: every layer but the first, at
#: timesteps from 10 % to 90 % of T.
TRANSFER_FIRST_LAYER = 1
TRANSFER_TIMESTEP_SHARES = (0.1, 0.9)


def report_paths(out_dir: str | os.PathLike[str]) -> list[Path]:
    """The files `save_report` writes into ``out_dir``."""
    out = Path(out_dir)
    return [out / JSON_NAME, out / MARKDOWN_NAME, out / HEATMAP_NAME]


def _mean(grid: np.ndarray) -> float | None:
    finite = grid[np.isfinite(grid)]
    return round(float(finite.mean()), 4) if finite.size else None


def _transfer_window(result: MechanismResult, num_timesteps: int) -> np.ndarray:
    """Bool ``[L, S]``: the cells the transfer mixes by default."""
    low, high = (share * num_timesteps for share in TRANSFER_TIMESTEP_SHARES)
    layers = np.array(result.layers) >= TRANSFER_FIRST_LAYER
    steps = (np.array(result.timesteps) >= low) & (np.array(result.timesteps) <= high)
    return layers[:, None] & steps[None, :]


def _motif_grid(result: MechanismResult, kind: str) -> np.ndarray:
    """``[L, S]`` mean of the content and style AMI (the known one where only one is known)."""
    stacked = np.stack([result.pooled[kind][name] for name in ("content", "style")])
    known = np.isfinite(stacked)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    count = known.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _cells(mask: np.ndarray, result: MechanismResult) -> list[list[int]]:
    return [[result.layers[i], result.timesteps[j]] for i, j in zip(*np.nonzero(mask))]


def summarize(result: MechanismResult, num_timesteps: int) -> dict[str, Any]:
    """The answers: outline-/motif-like kinds, where the claims hold, correspondence quality.

    Args:
        result: from `measure_mechanism`.
        num_timesteps: the model's T (to place the transfer's default timesteps).

    Returns:
        JSON-ready dict (``None`` where a number could not be computed).
    """
    window = _transfer_window(result, num_timesteps)
    means = {
        kind: {
            "outline_gait_phase": _mean(result.outline[kind]["gait_phase"]),
            "outline_root_phase": _mean(result.outline[kind]["root_phase"]),
            "motif_content": _mean(result.pooled[kind]["content"]),
            "motif_style": _mean(result.pooled[kind]["style"]),
            "pooled_gait_phase": _mean(result.pooled[kind]["gait_phase"]),
        }
        for kind in KINDS
    }

    def best(key: str) -> str | None:
        scored = {k: v[key] for k, v in means.items() if v[key] is not None}
        return max(scored, key=scored.__getitem__) if scored else None

    motif = {kind: _motif_grid(result, kind) for kind in KINDS}
    motif_means = {kind: _mean(grid) for kind, grid in motif.items()}
    scored_motif = {k: v for k, v in motif_means.items() if v is not None}
    q_outline = result.outline["query"]["gait_phase"] > result.outline["key"]["gait_phase"]
    k_motif = motif["key"] > motif["query"]
    both = q_outline & k_motif
    summary: dict[str, Any] = {
        "means_over_cells": means,
        "most_outline_like": best("outline_gait_phase"),
        "most_motif_like": max(scored_motif, key=scored_motif.__getitem__)
        if scored_motif
        else None,
        "cells": len(result.layers) * len(result.timesteps),
        "cells_query_more_outline_than_key": int(q_outline.sum()),
        "cells_key_more_motif_than_query": int(k_motif.sum()),
        "cells_claim_holds": _cells(both, result),
        "transfer_window_cells": int(window.sum()),
        "transfer_window_cells_claim_holds": int((both & window).sum()),
        "correspondence": {},
    }
    for pair, grids in result.correspondence.items():
        accuracy = grids["accuracy"]
        entry: dict[str, Any] = {
            "mean_accuracy": _mean(accuracy),
            "transfer_window_accuracy": _mean(np.where(window, accuracy, np.nan)),
            "baselines": result.baselines.get(pair, {}),
        }
        if np.isfinite(accuracy).any():
            i, j = np.unravel_index(np.nanargmax(accuracy), accuracy.shape)
            entry["best_cell"] = {
                "layer": result.layers[i],
                "timestep": result.timesteps[j],
                "accuracy": round(float(accuracy[i, j]), 4),
                "pose_error": round(float(grids["pose_error"][i, j]), 4),
            }
        summary["correspondence"][pair] = entry
    return summary


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_summary(
    result: MechanismResult, summary: Mapping[str, Any], *, title: str, image: str | None
) -> str:
    """The Markdown report: settings, the outline/motif table, per-layer table, matching."""
    c = result.counts
    s = result.settings
    lines = [
        f"# {title}",
        "",
        f"{c.get('clips', 0)} clips ({c.get('frames', 0)} frames, at most {s['max_frames']} per "
        f"clip), layers {list(result.layers)}, timesteps {list(result.timesteps)} "
        f"(DDIM inversion over {s['num_steps'] or 'all'} steps). Clips with a changing gait "
        f"phase: {c.get('clips_with_gait_phase', 0)}; with a root phase: "
        f"{c.get('clips_with_root_phase', 0)}.",
        "",
        "## Outline vs motif: adjusted mutual information of K-Means clusters (mean over cells)",
        "",
        "Outline: each clip's frames clustered on their own "
        f"({s['outline_clusters']} clusters) vs its gait phase / root phase. Motif: the frames of "
        f"all clips clustered together ({s['motif_clusters']} clusters) vs content and style.",
        "",
        "| feature | outline: gait phase | outline: root phase | motif: content | motif: style "
        "| pooled: gait phase |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in summary["means_over_cells"].items():
        lines.append(
            f"| {kind} | {_fmt(row['outline_gait_phase'])} | {_fmt(row['outline_root_phase'])} "
            f"| {_fmt(row['motif_content'])} | {_fmt(row['motif_style'])} "
            f"| {_fmt(row['pooled_gait_phase'])} |"
        )
    holds = summary["cells_claim_holds"]
    lines += [
        "",
        f"- Most outline-like: **{summary['most_outline_like']}**; most motif-like: "
        f"**{summary['most_motif_like']}**.",
        f"- Queries beat keys on the outline in {summary['cells_query_more_outline_than_key']} of "
        f"{summary['cells']} cells; keys beat queries on the motifs in "
        f"{summary['cells_key_more_motif_than_query']}; both (the paper's claim) in {len(holds)}"
        + (f": (layer, timestep) {', '.join(f'({a}, {b})' for a, b in holds)}." if holds else "."),
        f"- In the transfer's default cells (layers >= {TRANSFER_FIRST_LAYER}, timesteps "
        f"{int(TRANSFER_TIMESTEP_SHARES[0] * 100)}-{int(TRANSFER_TIMESTEP_SHARES[1] * 100)} % "
        f"of T): {summary['transfer_window_cells_claim_holds']} of "
        f"{summary['transfer_window_cells']}.",
        "",
        "### Per layer (mean over timesteps)",
        "",
        "| layer | Q gait | K gait | V gait | Q content | K content | V content | Q style | K style "
        "| V style |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, layer in enumerate(result.layers):
        cells = [result.outline[k]["gait_phase"][i] for k in KINDS]
        cells += [result.pooled[k]["content"][i] for k in KINDS]
        cells += [result.pooled[k]["style"][i] for k in KINDS]
        lines.append(f"| {layer} | " + " | ".join(_fmt(_mean(row)) for row in cells) + " |")
    lines += [
        "",
        f"## Correspondences: leader frames whose best follower frame (argmax q . k) is within "
        f"+-{s['tolerance']} frames of the true one",
        "",
        "| follower | q.k, mean over cells | q.k, transfer cells | q.k, best cell (layer, t) "
        "| nearest neighbour (features) | pose error (m): q.k best cell | nearest neighbour "
        "| true match |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for pair, entry in summary["correspondence"].items():
        cell = entry.get("best_cell", {})
        nn = entry["baselines"].get("nearest_neighbour", {})
        true = entry["baselines"].get("true_match", {})
        where = f"{_fmt(cell.get('accuracy'))} ({cell.get('layer')}, {cell.get('timestep')})"
        lines.append(
            f"| {pair} ({c.get(f'pairs_{pair}', 0)}) | {_fmt(entry['mean_accuracy'])} "
            f"| {_fmt(entry['transfer_window_accuracy'])} | {where} "
            f"| {_fmt(nn.get('accuracy'))} | {_fmt(cell.get('pose_error'))} "
            f"| {_fmt(nn.get('pose_error'))} | {_fmt(true.get('pose_error'))} |"
        )
    if image:
        lines += ["", f"![layer x timestep heat maps]({image})"]
    return "\n".join(lines) + "\n"


def heatmap_panels(result: MechanismResult) -> dict[str, np.ndarray]:
    """Panel title -> ``[L, S]`` grid for `plot_score_grids`: outline, motif, correspondence."""
    names = {"query": "Q", "key": "K", "value": "V"}
    panels = {
        f"{names[k]}: gait-phase AMI (per clip)": result.outline[k]["gait_phase"] for k in KINDS
    }
    panels |= {f"{names[k]}: content AMI (pooled)": result.pooled[k]["content"] for k in KINDS}
    panels |= {f"{names[k]}: style AMI (pooled)": result.pooled[k]["style"] for k in KINDS}
    panels |= {
        f"q.k match within +-{result.settings['tolerance']}: {pair}": grids["accuracy"]
        for pair, grids in result.correspondence.items()
    }
    return panels


def save_report(
    result: MechanismResult,
    out_dir: str | os.PathLike[str],
    *,
    num_timesteps: int,
    title: str = "Attention mechanism",
    meta: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``mechanism.json``, ``mechanism.md`` and ``mechanism_heatmaps.png`` into ``out_dir``.

    Every output path is checked before anything is written.

    Raises:
        OutputExistsError: a file exists and ``overwrite`` is False.
    """
    from momo.analysis.plots import plot_score_grids

    paths = report_paths(out_dir)
    for path in paths:
        check_output_path(path, overwrite=overwrite)
    json_path, markdown_path, heatmap_path = paths
    summary = summarize(result, num_timesteps)
    plot_score_grids(
        heatmap_panels(result),
        heatmap_path,
        rows=result.layers,
        columns=result.timesteps,
        value_range=(0.0, 1.0),
        title=title,
        overwrite=overwrite,
    )
    data = {"summary": summary, **result.to_dict(), **dict(meta or {})}
    with atomic_output(json_path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(data, indent=1) + "\n")
    text = markdown_summary(result, summary, title=title, image=heatmap_path.name)
    with atomic_output(markdown_path, overwrite=overwrite) as tmp:
        tmp.write_text(text)
    return paths
