"""Inversion fidelity: does a real motion survive DDIM inversion and re-denoising, and does a
transfer's output keep a real leader's root path?

For real motions from outside the training data (the CMU subject-131 walks in
``../shared/data/cmu-131``) and held-out locomotion clips of the training cache:

1. reconstruction: ``momo.invert`` (own caption, or none for a file without one), then DDIM
   denoising from those latents at guidance 1: root-path distance to the motion (mean XZ metres),
   travelled distance of both, root-relative joint error, foot-contact agreement;
2. transfer with a held-out arm-action follower (exact and ``reuse_inversion``, plus any
   ``--variants``): the output's root-path distance to the leader as given, its travel, and
   leader foot-contact agreement.

Prints Markdown tables; ``--out`` keeps the JSON.

    python benchmarks/inversion_fidelity.py --model default --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from quality.transfer import transfer_options


def travel(joints: np.ndarray) -> float:
    """Length (metres) of the root's XZ path."""
    return float(np.linalg.norm(np.diff(joints[:, 0, [0, 2]], axis=0), axis=-1).sum())


def reconstruction(model: Any, motion: Any) -> dict[str, float]:
    """Invert, then denoise at guidance 1 from the latents; distances to the motion."""
    import momo
    from momo.evaluation.metrics import (
        contacts_from_features,
        foot_contact_agreement,
        root_path_distance,
    )

    latents = momo.invert(model, [motion], progress=False)
    back = momo.generate(
        model,
        [motion.text or ""],
        num_frames=len(motion),
        guidance_scale=1.0,
        sampler="ddim",
        noise=latents.float().cpu(),
        pin_feet_steps=(),  # the plain DDIM reconstruction, nothing pinned
        progress=False,
    )[0]
    a, b = motion.joints(), back.joints()
    relative = np.linalg.norm((a - a[:, :1]) - (b - b[:, :1]), axis=-1).mean()
    return {
        "root_distance": root_path_distance(b, a),
        "travel_given": travel(a),
        "travel_back": travel(b),
        "root_relative_error": float(relative),
        "foot_contact": foot_contact_agreement(
            contacts_from_features(back.features), contacts_from_features(motion.features)
        ),
    }


def transfer_row(
    model: Any, leader: Any, follower: Any, options: dict[str, Any]
) -> dict[str, float]:
    """One transfer; the output against the leader as given."""
    import momo
    from momo.evaluation.quality import foot_skating_ratio

    result = momo.transfer(model, leader, [follower], seed=0, progress=False, **options)
    output = result.outputs[0]
    metrics = result.metrics()[0].as_dict()
    return {
        "root_distance": metrics["leader_root_distance"],
        "travel_given": travel(leader.joints()),
        "travel_output": travel(output.joints()),
        "leader_foot_contact": metrics["leader_foot_contact"],
        "skating": foot_skating_ratio(output.joints()),
        "leader_skating": foot_skating_ratio(leader.joints()),
    }


def load_leaders(args: argparse.Namespace, cache: Any, limit: int) -> list[Any]:
    """CMU walks (no caption, as a user's file) and held-out locomotion clips (captioned)."""
    import momo
    from momo.motion.motion import Motion

    leaders = []
    for path in sorted(Path(args.cmu_dir).glob("*.bvh"))[: args.cmu]:
        motion = momo.load_motion(path)
        leaders.append(Motion(motion.features[:limit], text=None, name=f"cmu/{path.stem}"))
    rows = [
        r
        for r in cache.rows("test", mirrored=False)
        if cache.clips[r].label.content in ("walk", "run", "walk-turn-left", "walk-turn-right")
    ]
    rng = np.random.default_rng(args.seed)
    for r in rng.choice(rows, min(args.held_out, len(rows)), replace=False):
        clip = cache.clips[int(r)]
        leaders.append(
            Motion(
                cache.clip_features(int(r))[:limit].copy(),
                text=cache.captions[clip.captions[0]],
                name=f"held-out/{clip.label.name}",
            )
        )
    return leaders


def arm_follower(cache: Any, limit: int) -> Any:
    """The first held-out right-hand wave (not mirrored), captioned."""
    from momo.motion.motion import Motion

    for r in cache.rows("test", mirrored=False):
        clip = cache.clips[r]
        if clip.label.content == "wave-right-hand":
            return Motion(
                cache.clip_features(r)[:limit].copy(),
                text=cache.captions[clip.captions[0]],
                name=f"held-out/{clip.label.name}",
            )
    raise SystemExit("the cache has no held-out wave-right-hand clip")


def table(title: str, rows: list[dict[str, Any]], keys: list[str]) -> str:
    lines = [f"**{title}**", "", "| motion | " + " | ".join(keys) + " |"]
    lines.append("|---|" + "---:|" * len(keys))
    for row in rows:
        cells = [f"{row[k]:.3f}" for k in keys]
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--cache", help="training-data cache (default: momo's)")
    parser.add_argument("--cmu-dir", default="../shared/data/cmu-131")
    parser.add_argument("--cmu", type=int, default=3, help="CMU files to use")
    parser.add_argument("--held-out", type=int, default=3, help="held-out locomotion clips")
    parser.add_argument("--frames", type=int, default=160)
    parser.add_argument("--variants", default="exact,reuse_inversion")
    parser.add_argument("--skip-reconstruction", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="JSON report")
    args = parser.parse_args(argv)

    import torch

    import momo
    from momo.data.cache import DataCache, default_cache_path

    torch.set_num_threads(args.threads)
    model = momo.load_model(args.model)
    cache = DataCache.load(args.cache or default_cache_path())
    leaders = load_leaders(args, cache, args.frames)
    follower = arm_follower(cache, args.frames)
    report: dict[str, Any] = {"model": args.model, "follower": follower.name}
    started = time.perf_counter()
    if not args.skip_reconstruction:
        rows = [{"name": m.name, **reconstruction(model, m)} for m in leaders]
        report["reconstruction"] = rows
        keys = ["root_distance", "travel_given", "travel_back", "root_relative_error"]
        print(table("Invert, then denoise (guidance 1)", rows, keys + ["foot_contact"]), "\n")
    for variant in args.variants.split(","):
        options = transfer_options(variant, model)
        rows = [{"name": m.name, **transfer_row(model, m, follower, options)} for m in leaders]
        report[f"transfer:{variant}"] = rows
        keys = ["root_distance", "travel_given", "travel_output", "leader_foot_contact"]
        keys += ["skating", "leader_skating"]
        print(table(f"Transfer ({variant}), follower {follower.name}", rows, keys), "\n")
    report["seconds"] = time.perf_counter() - started
    print(f"{report['seconds']:.0f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
