"""Foot skating of generated and transferred motions, without and with `momo.fix_feet`.

Generation: ``--num`` held-out clips of the data cache (seeded choice), one motion each from one
of the clip's captions at the clip's length (capped at ``--frames``), guidance 2.5, one batch.
Transfer: ``--leaders`` held-out clips as leaders, each with ``--followers`` other held-out clips
as followers (real motions, DDIM inversion, the model's default layers and steps), cropped to
``--frames``.

For every motion, before and after the fix: foot skating ratio
(`momo.evaluation.quality.foot_skating_ratio`: a toe below 5 cm moving faster than 0.5 m/s), the
agreement of the motion's own contact channels with the contacts its joints show by HumanML3D's
rule (`momo.evaluation.metrics.foot_contact_agreement` of `contacts_from_features` and
`contacts_from_joints`), the root-path distance between the fixed and the plain motion, how far
the fix moved joints, and the largest relative change of a bone's length. For transfer, also
MoMo's leader foot-contact metric of the outputs.

Run: ``OMP_NUM_THREADS=1 python benchmarks/fix_feet.py [--model default] [--num 30]
[--leaders 5 --followers 3]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from momo.motion.representation import PARENTS

BONES = [(p, c) for c, p in enumerate(PARENTS) if p >= 0]


def _measures(plain: Any, fixed: Any) -> dict[str, float]:
    from momo.evaluation.metrics import (
        contacts_from_features,
        contacts_from_joints,
        foot_contact_agreement,
        root_path_distance,
    )
    from momo.evaluation.quality import foot_skating_ratio

    a, b = plain.joints().astype(np.float64), fixed.joints().astype(np.float64)

    def agreement(motion: Any, joints: np.ndarray) -> float:
        return foot_contact_agreement(
            contacts_from_features(motion.features), contacts_from_joints(joints)
        )

    def lengths(j: np.ndarray) -> np.ndarray:
        return np.stack([np.linalg.norm(j[:, c] - j[:, p], axis=-1) for p, c in BONES], 1)

    moved = np.linalg.norm(b - a, axis=-1)
    return {
        "skating_before": foot_skating_ratio(a),
        "skating_after": foot_skating_ratio(b),
        "agreement_before": agreement(plain, a),
        "agreement_after": agreement(fixed, b),
        "root_distance": root_path_distance(a, b),
        "moved_mean_cm": float(moved[moved > 0].mean() * 100) if (moved > 0).any() else 0.0,
        "moved_max_cm": float(moved.max() * 100),
        "bone_change": float(np.max(np.abs(lengths(b) / lengths(a) - 1.0))),
    }


def _row(name: str, records: Sequence[dict[str, float]]) -> str:
    def m(key: str) -> float:
        return float(np.mean([r[key] for r in records]))

    return (
        f"| {name} | {len(records)} | {m('skating_before'):.3f} | {m('skating_after'):.3f} | "
        f"{m('agreement_before'):.3f} | {m('agreement_after'):.3f} | "
        f"{max(r['root_distance'] for r in records):.1e} | {m('moved_mean_cm'):.2f} | "
        f"{max(r['moved_max_cm'] for r in records):.1f} | "
        f"{max(r['bone_change'] for r in records):.1e} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--cache", help="training-data cache (default: momo's default path)")
    parser.add_argument("--num", type=int, default=30, help="generated motions")
    parser.add_argument("--leaders", type=int, default=5)
    parser.add_argument("--followers", type=int, default=3, help="followers per leader")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import momo
    from momo.data.cache import DataCache, default_cache_path
    from momo.evaluation.metrics import transfer_metrics

    cache = DataCache.load(args.cache or default_cache_path())
    model = momo.load_model(args.model)
    rng = np.random.default_rng(args.seed)
    test_rows = cache.rows("test", mirrored=False)

    def clip(row: int) -> Any:
        features = np.asarray(cache.clip_features(row)[: args.frames], dtype=np.float32)
        caption = cache.captions[int(rng.choice(cache.clips[row].captions))]
        return momo.Motion(features, text=caption, name=cache.clips[row].label.name)

    start = time.perf_counter()
    chosen = [clip(r) for r in rng.choice(test_rows, args.num, replace=False).tolist()]
    generated = momo.generate(
        model,
        [c.text for c in chosen],
        num_frames=[c.num_frames for c in chosen],
        guidance_scale=2.5,
        seed=args.seed,
        pin_feet_steps=(),  # the model's raw samples: the post-process is what is measured
        progress=False,
    )
    gen_seconds = time.perf_counter() - start
    gen_records = [_measures(m, momo.fix_feet(m)) for m in generated]
    real_records = [_measures(c, momo.fix_feet(c)) for c in chosen]

    start = time.perf_counter()
    rows = rng.choice(test_rows, args.leaders * (1 + args.followers), replace=False).tolist()
    out_records, contact = [], {"before": [], "after": []}
    for k in range(args.leaders):
        group = [clip(r) for r in rows[k * (1 + args.followers) : (k + 1) * (1 + args.followers)]]
        length = min(m.num_frames for m in group)
        group = [momo.Motion(m.features[:length], text=m.text, name=m.name) for m in group]
        leader, followers = group[0], group[1:]
        result = momo.transfer(model, leader, followers, seed=args.seed + k, progress=False)
        for output, follower in zip(result.outputs, followers):
            fixed = momo.fix_feet(output)
            out_records.append(_measures(output, fixed))
            for key, motion in (("before", output), ("after", fixed)):
                metrics = transfer_metrics(motion.features, leader.features, follower.features)
                contact[key].append(metrics.leader_foot_contact)
    transfer_seconds = time.perf_counter() - start

    print("| motions | n | skating before | skating after | contact agreement before | "
          "contact agreement after | root-path distance (max, m) | moved (mean, cm) | "
          "moved (max, cm) | bone length change (max, relative) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(_row("generated (held-out captions)", gen_records))
    print(_row("transfer outputs (real leader and followers)", out_records))
    print(_row("real held-out clips (their captions' source)", real_records))
    print()
    print(
        f"Transfer outputs' leader foot-contact agreement (MoMo's metric): "
        f"{np.mean(contact['before']):.3f} plain, {np.mean(contact['after']):.3f} with fix-feet."
    )
    print(
        f"Model {args.model!r}, {args.threads} thread(s); generation {gen_seconds:.0f} s, "
        f"transfer {transfer_seconds:.0f} s."
    )


if __name__ == "__main__":
    main()
