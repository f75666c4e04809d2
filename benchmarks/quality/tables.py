"""Markdown tables of the quality report (for the model card)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quality.common import fmt

#: Targets on real pairs (leader foot contact from joints, follower rotation, follower position).
TARGETS = {
    "leader_foot_contact": 0.75,
    "follower_rotation_similarity": 0.90,
    "follower_position_similarity": 0.80,
}
#: The paper's numbers on MTB with inverted (real) motions and its large model.
PAPER_REAL = {
    "leader_foot_contact": 0.793,
    "follower_rotation_similarity": 0.933,
    "follower_position_similarity": 0.856,
}


def _unique(values: Sequence[float]) -> str:
    distinct = sorted(set(values))
    return str(distinct[0]) if len(distinct) == 1 else str(distinct)


def print_tables(report: dict[str, Any]) -> None:
    """Markdown tables of the report, for the model card."""
    c = report["classifier"]
    print(
        f"### Motion classifier (held-out, {c['test_clips']} clips, first {c['frames']} frames)\n"
    )
    print("| head | classes | held-out accuracy | clips counted | chance |")
    print("|---|---:|---:|---:|---:|")
    for head in ("content", "style"):
        print(
            f"| {head} | {len(c[head + '_labels'])} | {fmt(c[head]['accuracy'])} | "
            f"{c[head]['count']} | {fmt(c['chance_' + head])} |"
        )
    if "generation" in report:
        _print_generation(report["generation"])
    if "transfer" in report:
        _print_transfer(report["transfer"])
    _print_variants(report)
    times = report["seconds"]
    print(
        "\nTime: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
        + f" ({report['settings']['threads']} CPU threads)"
    )


def _print_generation(g: dict[str, Any]) -> None:
    print(
        f"\n### Generation from held-out captions ({g['num']} clips, mean "
        f"{g['mean_frames']:.0f} frames, guidance {g['guidance_scale']}, {g['sampler']})\n"
    )
    print(
        "| motions | FID vs real held-out ↓ | diversity | content acc | style acc | "
        "foot skating ↓ | jitter (m/s²) | root height (m) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, row in g["sets"].items():
        print(
            f"| {name} | {fmt(row['fid_vs_real_held_out'], 2)} | {fmt(row['diversity'], 2)} | "
            f"{fmt(row['content']['accuracy'])} | {fmt(row['style']['accuracy'])} | "
            f"{fmt(row['foot_skating_ratio'])} | {fmt(row['jitter'], 2)} | "
            f"{row['root_height_mean']:.3f} ± {row['root_height_std']:.3f} |"
        )


def _print_transfer(t: dict[str, Any]) -> None:
    options = t["transfer_options"] or "momo.transfer's defaults"
    print(
        f"\n### Transfer on real held-out pairs ({t['pairs']} pairs, {t['leaders']} leaders, "
        f"first {t['crop']} frames; {options}; the evaluation runner's table)\n"
    )
    print(t["table"], end="")
    print(
        f"\nTargets (all pairs, MoMo): leader contact (joints) >= "
        f"{TARGETS['leader_foot_contact']}, follower rot >= "
        f"{TARGETS['follower_rotation_similarity']}, follower pos >= "
        f"{TARGETS['follower_position_similarity']}. The paper on MTB (real motions, its large "
        f"model): {PAPER_REAL['leader_foot_contact']}, "
        f"{PAPER_REAL['follower_rotation_similarity']}, "
        f"{PAPER_REAL['follower_position_similarity']}."
    )


def _print_variants(report: dict[str, Any]) -> None:
    variants = report.get("transfer_variants", {})
    if len(variants) < 2:
        return
    print("\nTransfer variants (all pairs, MoMo rows; mean ± standard error over pairs):\n")
    print(
        "| variant | seconds | leader contact (joints) ↑ | follower rot ↑ | "
        "follower pos ↑ | root dist leader (m) ↓ | content acc (leader) ↑ | "
        "style acc (follower) ↑ |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, t in variants.items():
        s = t["summary"]["momo"]
        sem = _momo_sems(t.get("records", []), s)

        def cell(key: str, s: dict[str, Any] = s, sem: dict[str, float] = sem) -> str:
            return f"{fmt(s[key])} ± {fmt(sem.get(key))}"

        print(
            f"| {name} | {t['seconds']:.0f} | {cell('leader_foot_contact_joints')} | "
            f"{cell('follower_rotation_similarity')} | "
            f"{cell('follower_position_similarity')} | {cell('leader_root_distance')} | "
            f"{cell('content_accuracy_leader')} | {cell('style_accuracy_follower')} |"
        )


def _momo_sems(records: list[dict[str, Any]], summary: dict[str, Any]) -> dict[str, float]:
    """Standard errors of MoMo's means over pairs: sample SD / sqrt(n) for the per-pair
    auxiliary metrics, sqrt(p (1 - p) / n) for the classifier accuracies."""
    import numpy as np

    sems: dict[str, float] = {}
    metrics = [r["methods"]["momo"]["metrics"] for r in records]
    n = len(metrics)
    if n < 2:
        return sems
    for key in metrics[0]:
        values = np.array([m[key] for m in metrics], dtype=float)
        sems[key] = float(values.std(ddof=1) / np.sqrt(n))
    for key in ("content_accuracy_leader", "style_accuracy_follower"):
        p = summary.get(key)
        if isinstance(p, (int, float)):
            sems[key] = float(np.sqrt(p * (1 - p) / n))
    return sems
