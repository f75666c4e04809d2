"""Markdown tables of the quality report (for the model card)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quality.common import fmt

#: Targets on real pairs (leader foot contact, follower rotation, follower position).
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
    cfg = t["transfer_config"]
    print(
        f"\n### Transfer on real held-out pairs ({t['pairs']} pairs, {t['leaders']} leaders, "
        f"first {t['crop']} frames; layers {cfg.get('layers')}, steps "
        f"{cfg.get('steps', ['?', '?'])[0]}..{cfg.get('steps', ['?', '?'])[-1]}, "
        f"guidance {_unique(cfg.get('guidance_scale', {}).get('outputs', []))})\n"
    )
    header = (
        "| output | pairs | leader foot contact ↑ | follower rotation ↑ | follower position ↑ | "
        "root-path dist. to leader (m) ↓ | content acc (leader) ↑ | style acc (follower) ↑ |"
    )
    names = {
        "momo": "MoMo transfer",
        "output_is_leader": "baseline: output = leader",
        "output_is_follower": "baseline: output = follower",
    }
    for kind, title in (
        ("all", "all pairs"),
        ("style", "same content, other style"),
        ("content", "other content"),
    ):
        if kind not in t["summary"]:
            continue
        print(f"\n{title}:\n")
        print(header)
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for method, label in names.items():
            s = t["summary"][kind][method]
            print(
                f"| {label} | {s['pairs']} | {fmt(s['leader_foot_contact'])} | "
                f"{fmt(s['follower_rotation_similarity'])} | "
                f"{fmt(s['follower_position_similarity'])} | "
                f"{fmt(s['leader_root_distance'])} | {fmt(s['content_is_leaders'])} | "
                f"{fmt(s['style_is_followers'])} |"
            )
        if kind == "all":
            print(
                f"| target | | ≥ {TARGETS['leader_foot_contact']} | "
                f"≥ {TARGETS['follower_rotation_similarity']} | "
                f"≥ {TARGETS['follower_position_similarity']} | | | |"
            )
            print(
                f"| paper, MTB real (large model) | | {PAPER_REAL['leader_foot_contact']} | "
                f"{PAPER_REAL['follower_rotation_similarity']} | "
                f"{PAPER_REAL['follower_position_similarity']} | | | |"
            )


def _print_variants(report: dict[str, Any]) -> None:
    variants = report.get("transfer_variants", {})
    if len(variants) < 2:
        return
    print("\nTransfer variants (all pairs, MoMo transfer rows; mean ± standard error):\n")
    print(
        "| variant | seconds | leader foot contact ↑ | follower rotation ↑ | "
        "follower position ↑ | root-path dist. to leader (m) ↓ | content acc (leader) ↑ | "
        "style acc (follower) ↑ |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, t in variants.items():
        s = t["summary"]["all"]["momo"]

        def cell(key: str, s: dict[str, Any] = s) -> str:
            return f"{fmt(s[key])} ± {fmt(s.get(key + '_sem'))}"

        print(
            f"| {name} | {t['seconds']:.0f} | {cell('leader_foot_contact')} | "
            f"{cell('follower_rotation_similarity')} | "
            f"{cell('follower_position_similarity')} | {cell('leader_root_distance')} | "
            f"{cell('content_is_leaders')} | {cell('style_is_followers')} |"
        )
