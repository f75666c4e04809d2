"""Action transfer on held-out pairs: a locomotion leader with an arm-action follower.

Does the output walk like the leader (leader foot contact, root-path distance) and do the
follower's arms (its wave or raised hand, recognised by an upper-body classifier trained on the
train split, `quality.upper_body`)? Next to the output = follower baseline, for each transfer
variant (``exact``, ``reuse_inversion`` or ``key=value`` momo.transfer options joined by '+', values
as JSON, e.g. ``layers=[3,4,5]+steps=[10,...]``; ``steps=A:B`` is a span). Also the prompt case
("a person walks forward" leading "a person waves with the right hand").

    python benchmarks/action_transfer.py --model default --pairs 12 --threads 2

Prints Markdown tables; ``--out`` keeps the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality.transfer import transfer_options  # noqa: E402

LOCOMOTION = ("walk", "run", "walk-turn-left", "walk-turn-right", "dash")
ARM_ACTIONS = (
    "wave-left-hand",
    "wave-right-hand",
    "wave-both-hands",
    "raise-up-left-hand",
    "raise-up-right-hand",
    "raise-up-both-hands",
)
PROMPTS = ("a person walks forward", "a person waves with the right hand", "wave-right-hand")


def held_out(cache: Any, contents: tuple[str, ...], known: list[str]) -> list[int]:
    return [
        r
        for r in cache.rows("test", mirrored=False)
        if cache.clips[r].label.content in contents and cache.clips[r].label.content in known
    ]


def choose_pairs(cache: Any, known: list[str], pairs: int, crop: int, seed: int) -> list[Any]:
    """Seeded (leader, follower) motions: held-out locomotion x held-out arm actions."""
    from momo.motion.motion import Motion

    rng = np.random.default_rng(seed)
    leaders = held_out(cache, LOCOMOTION, known)
    followers = held_out(cache, ARM_ACTIONS, known)

    def motion(row: int) -> Motion:
        clip = cache.clips[row]
        text = cache.captions[int(rng.choice(clip.captions))]
        features = cache.clip_features(row)[:crop].copy()
        return Motion(
            features, text=text, name=clip.label.name, meta={"content": clip.label.content}
        )

    chosen = []
    for lead, follow in zip(
        rng.choice(leaders, pairs, replace=len(leaders) < pairs),
        rng.choice(followers, pairs, replace=len(followers) < pairs),
    ):
        chosen.append((motion(int(lead)), motion(int(follow))))
    return chosen


def run_variant(
    model: Any, plan: list[Any], classifier: Any, options: dict[str, Any], seed: int
) -> dict[str, Any]:
    import momo
    from momo.evaluation.metrics import transfer_metrics
    from momo.evaluation.quality import foot_skating_ratio

    records, outputs = [], []
    started = time.perf_counter()
    for i, (leader, follower) in enumerate(plan):
        result = momo.transfer(model, leader, [follower], seed=seed + i, progress=False, **options)
        values = result.metrics()[0].as_dict()
        baseline = transfer_metrics(follower.features, leader.features, follower.features).as_dict()
        outputs.append(result.outputs[0].features)
        records.append(
            {
                "leader": leader.name,
                "follower": follower.name,
                "follower_content": follower.meta["content"],
                "foot_contact": values["leader_foot_contact"],
                "root_distance": values["leader_root_distance"],
                "follower_foot_contact": baseline["leader_foot_contact"],
                "follower_root_distance": baseline["leader_root_distance"],
                "skating": foot_skating_ratio(result.outputs[0].joints()),
            }
        )
    seconds = time.perf_counter() - started
    predicted = classifier.predict(outputs)
    predicted_follower = classifier.predict([f.features for _, f in plan])
    predicted_leader = classifier.predict([lead.features for lead, _ in plan])
    for r, out, fol, lead in zip(records, predicted, predicted_follower, predicted_leader):
        r["arms_visible"] = float(out == r["follower_content"])
        r["arms_visible_follower"] = float(fol == r["follower_content"])
        r["arms_visible_leader"] = float(lead == r["follower_content"])
        r["predicted"] = out
    keys = [k for k, v in records[0].items() if isinstance(v, float)]
    summary = {k: float(np.mean([r[k] for r in records])) for k in keys}
    summary["seconds_per_pair"] = seconds / len(plan)
    return {"summary": summary, "records": records}


def text_case(model: Any, classifier: Any, options: dict[str, Any], seeds: int) -> dict[str, float]:
    """The prompt case, over a few seeds."""
    import momo

    options = {k: v for k, v in options.items() if k != "reuse_inversion"}
    contact, visible, root = [], [], []
    for seed in range(seeds):
        result = momo.transfer(
            model, PROMPTS[0], [PROMPTS[1]], seed=seed, progress=False, **options
        )
        values = result.metrics()[0].as_dict()
        contact.append(values["leader_foot_contact"])
        root.append(values["leader_root_distance"])
        visible.append(float(classifier.predict([result.outputs[0].features])[0] == PROMPTS[2]))
    return {
        "foot_contact": float(np.mean(contact)),
        "root_distance": float(np.mean(root)),
        "arms_visible": float(np.mean(visible)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--cache", help="training-data cache (default: momo's)")
    parser.add_argument(
        "--classifier-dir", required=True, help="where the upper-body classifier is kept"
    )
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--crop", type=int, default=120)
    parser.add_argument("--variants", default="exact")
    parser.add_argument("--text-seeds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="JSON report")
    args = parser.parse_args(argv)

    import torch

    import momo
    from momo.data.cache import DataCache, default_cache_path
    from quality.upper_body import upper_body_classifier

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    cache = DataCache.load(args.cache or default_cache_path())
    classifier = upper_body_classifier(cache, args.classifier_dir)
    model = momo.load_model(args.model)
    plan = choose_pairs(cache, classifier.labels, args.pairs, args.crop, args.seed)
    report: dict[str, Any] = {"model": args.model, "pairs": len(plan), "variants": {}}
    lines = [
        f"Action transfer, {len(plan)} held-out pairs (locomotion leader, arm-action follower), "
        f"model {args.model}",
        "",
        "| variant | foot contact | output=follower | root dist (m) | follower root dist (m) | "
        "arms visible | follower's own | leader's own | skating | text: contact | text: wave | "
        "s/pair |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for variant in args.variants.split(","):
        options = transfer_options(variant, model)
        result = run_variant(model, plan, classifier, options, args.seed)
        if args.text_seeds:
            result["text"] = text_case(model, classifier, options, args.text_seeds)
        report["variants"][variant] = result
        s, t = result["summary"], result.get("text", {})
        lines.append(
            f"| {variant} | {s['foot_contact']:.3f} | {s['follower_foot_contact']:.3f} | "
            f"{s['root_distance']:.2f} | {s['follower_root_distance']:.2f} | "
            f"{s['arms_visible']:.2f} | {s['arms_visible_follower']:.2f} | "
            f"{s['arms_visible_leader']:.2f} | {s['skating']:.3f} | "
            f"{t.get('foot_contact', float('nan')):.3f} | "
            f"{t.get('arms_visible', float('nan')):.2f} | {s['seconds_per_pair']:.1f} |"
        )
        print(lines[-1], flush=True)
    report["seconds"] = time.perf_counter() - started
    print("\n".join(lines))
    print(f"\n{report['seconds']:.0f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
