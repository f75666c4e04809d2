"""Quality of a trained momo model on the held-out split: classifier, generation and transfer.

Prints markdown tables (for the model card) and writes every number, setting and per-pair record
to a JSON file (``--out``; default under the momo cache directory, outside the repository).

1. Classifier: a content/style motion classifier (`momo.evaluation.classifier`) trained on the
   TRAIN split of the data cache (loaded from its cache directory when it exists); its accuracy
   on the held-out (test) clips, each cropped to its first ``max_frames`` frames.
2. Generation: for ``--num`` held-out clips (seeded choice), one motion generated from one of the
   clip's captions (seeded choice) at the clip's length (capped at the model's training limit),
   guidance 2.5, seeded, batched by length. Foot skating ratio, jitter and root height of the
   generated motions and of the real clips (cropped alike); FID and diversity in the
   classifier's penultimate-layer space (generated vs real held-out; and, as a floor, the same
   number of real TRAIN clips vs real held-out); content and style accuracy of the generated
   motions under the classifier, against the labels of the caption's clip.
3. Transfer: ``--pairs`` pairs of REAL held-out clips whose leader and follower differ (half of
   each leader's followers share its content in another style, the rest have another content),
   all cropped to their first ``--crop`` frames; one `momo.transfer` call per leader with its
   followers batched (DDIM inversion, guidance 1, default layers and steps). MoMo's auxiliary
   metrics (`momo.evaluation.metrics`) and the classifier's content accuracy w.r.t. the leader
   and style accuracy w.r.t. the follower, next to two baselines: output = leader and
   output = follower.

Run: ``python benchmarks/default_model_quality.py --model /path/to/model [--num 200]
[--pairs 100] [--threads 2]``. With a 6 x 192 model on 2 CPU threads: about 2 min to train
the classifier (first run only; it is cached), 5 min of generation and 3.5 min of transfer.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

logger = logging.getLogger("default_model_quality")

#: Targets on real pairs (leader foot contact, follower rotation, follower position).
TARGETS = {
    "leader_foot_contact": 0.75,
    "follower_rotation_similarity": 0.90,
    "follower_position_similarity": 0.80,
}
#: The paper's numbers on MTB with inverted (real) motions and its large model (MOMO_SPEC §7).
PAPER_REAL = {
    "leader_foot_contact": 0.793,
    "follower_rotation_similarity": 0.933,
    "follower_position_similarity": 0.856,
}
GUIDANCE = 2.5


@dataclass(frozen=True)
class Clip:
    """A held-out (or train) clip as the benchmark uses it."""

    row: int
    name: str
    content: str
    style: str
    caption: str
    features: np.ndarray  # raw [T, 263], already cropped


# ---------------------------------------------------------------------------------------------
# Helpers


def _model_frame_limit(model: Any) -> int:
    """Longest motion to use: the model's limit and the crop length it was trained on."""
    limit = model.max_frames
    trained = model.config.extra.get("training_config", {}).get("max_frames")
    return min(limit, int(trained)) if trained else limit


def _clip(cache: Any, row: int, frames: int, rng: np.random.Generator) -> Clip:
    record = cache.clips[row]
    caption = cache.captions[int(rng.choice(record.captions))]
    return Clip(
        row=row,
        name=record.label.name,
        content=record.label.content,
        style=record.label.style,
        caption=caption,
        features=np.asarray(cache.clip_features(row)[:frames], dtype=np.float32),
    )


def _joints(features: Sequence[np.ndarray]) -> list[np.ndarray]:
    from momo.motion.kinematics import features_to_joints

    return [np.asarray(features_to_joints(np.asarray(f, dtype=np.float64))) for f in features]


def _accuracy(
    predicted: Sequence[str], truth: Sequence[str], vocabulary: Sequence[str]
) -> dict[str, Any]:
    from momo.evaluation.classifier import label_accuracy

    value, n = label_accuracy(predicted, truth, vocabulary)
    return {"accuracy": value, "count": n}


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


# ---------------------------------------------------------------------------------------------
# 1. Classifier


def classifier_section(cache: Any, classifier: Any, frames: int) -> dict[str, Any]:
    """Held-out accuracy of the classifier on every test clip (not mirrored), first ``frames``."""
    rows = cache.rows("test", mirrored=False)
    features = [cache.clip_features(r)[:frames] for r in rows]
    prediction = classifier.predict(features)
    content = [cache.clips[r].label.content for r in rows]
    style = [cache.clips[r].label.style for r in rows]
    return {
        "test_clips": len(rows),
        "frames": frames,
        "content": _accuracy(prediction.content, content, classifier.content_labels),
        "style": _accuracy(prediction.style, style, classifier.style_labels),
        "content_labels": classifier.content_labels,
        "style_labels": classifier.style_labels,
        "chance_content": 1.0 / len(classifier.content_labels),
        "chance_style": 1.0 / len(classifier.style_labels),
    }


# ---------------------------------------------------------------------------------------------
# 2. Generation


def generation_section(
    model: Any,
    cache: Any,
    classifier: Any,
    *,
    num: int,
    frame_limit: int,
    batch_size: int,
    seed: int,
) -> dict[str, Any]:
    """Generate from held-out captions; compare with the real held-out clips and a train floor."""
    from momo.evaluation.quality import diversity, fid, motion_set_quality
    from momo.pipelines.generate import generate

    rng = np.random.default_rng(seed)
    test_rows = cache.rows("test", mirrored=False)
    chosen = sorted(rng.choice(test_rows, min(num, len(test_rows)), replace=False).tolist())
    real = [_clip(cache, r, frame_limit, rng) for r in chosen]
    train_rows = cache.rows("train", mirrored=False)
    floor_rows = rng.choice(train_rows, len(real), replace=False).tolist()
    train_real = [_clip(cache, r, frame_limit, rng) for r in floor_rows]

    # Batches of similar lengths (less padding); one seed per batch.
    order = sorted(range(len(real)), key=lambda i: real[i].features.shape[0])
    generated: list[np.ndarray | None] = [None] * len(real)
    start = time.perf_counter()
    for b, first in enumerate(range(0, len(order), batch_size)):
        batch = order[first : first + batch_size]
        motions = generate(
            model,
            [real[i].caption for i in batch],
            num_frames=[int(real[i].features.shape[0]) for i in batch],
            guidance_scale=GUIDANCE,
            seed=seed + b,
            progress=False,
        )
        for i, motion in zip(batch, motions):
            generated[i] = motion.features
        logger.info(
            "generation: %d/%d motions, %.0f s", first + len(batch), len(real),
            time.perf_counter() - start,
        )  # fmt: skip
    gen_seconds = time.perf_counter() - start
    gen_features = [g for g in generated if g is not None]

    sets = {
        "real held-out": [c.features for c in real],
        "real train (floor)": [c.features for c in train_real],
        "generated": gen_features,
    }
    predictions = {name: classifier.predict(feats) for name, feats in sets.items()}
    labels = {
        "real held-out": real,
        "real train (floor)": train_real,
        "generated": real,  # labels of the caption's clip
    }
    reference = predictions["real held-out"].embeddings
    rows = {}
    for name, feats in sets.items():
        p = predictions[name]
        truth = labels[name]
        rows[name] = {
            "motions": len(feats),
            "fid_vs_real_held_out": (
                0.0 if name == "real held-out" else fid(p.embeddings, reference)
            ),
            "diversity": diversity(p.embeddings, seed=seed),
            "content": _accuracy(p.content, [c.content for c in truth], classifier.content_labels),
            "style": _accuracy(p.style, [c.style for c in truth], classifier.style_labels),
            **motion_set_quality(_joints(feats)).as_dict(),
        }
    return {
        "num": len(real),
        "frame_limit": frame_limit,
        "guidance_scale": GUIDANCE,
        "sampler": "ddpm",
        "batch_size": batch_size,
        "seed": seed,
        "mean_frames": float(np.mean([c.features.shape[0] for c in real])),
        "generation_seconds": gen_seconds,
        "sets": rows,
        "clips": [
            {"name": c.name, "caption": c.caption, "frames": int(len(c.features))} for c in real
        ],
    }


# ---------------------------------------------------------------------------------------------
# 3. Transfer


def choose_pairs(
    cache: Any,
    classifier: Any,
    *,
    pairs: int,
    followers_per_leader: int,
    crop: int,
    seed: int,
) -> list[tuple[Clip, list[tuple[Clip, str]]]]:
    """Seeded leaders, each with followers that differ from it in content or style.

    Candidates are held-out clips (not mirrored) whose content and style labels both have a
    class in the classifier, so every accuracy is defined. Of each leader's followers,
    ``followers_per_leader // 2`` share its content in another style ("style") when such clips
    exist; the others have another content ("content").
    """
    rng = np.random.default_rng(seed)
    content_known, style_known = set(classifier.content_labels), set(classifier.style_labels)
    candidates = [
        r
        for r in cache.rows("test", mirrored=False)
        if cache.clips[r].label.content in content_known
        and cache.clips[r].label.style in style_known
    ]
    num_leaders = math.ceil(pairs / followers_per_leader)
    leaders = rng.choice(candidates, num_leaders, replace=False).tolist()
    plan = []
    remaining = pairs
    for leader_row in leaders:
        k = min(followers_per_leader, remaining)
        lead = cache.clips[leader_row].label
        same_content = [
            r for r in candidates
            if cache.clips[r].label.content == lead.content
            and cache.clips[r].label.style != lead.style
        ]  # fmt: skip
        other_content = [r for r in candidates if cache.clips[r].label.content != lead.content]
        n_style = min(k // 2, len(same_content))
        style_rows = rng.choice(same_content, n_style, replace=False).tolist()
        content_rows = rng.choice(other_content, k - n_style, replace=False).tolist()
        followers = [(_clip(cache, r, crop, rng), "style") for r in style_rows] + [
            (_clip(cache, r, crop, rng), "content") for r in content_rows
        ]
        plan.append((_clip(cache, leader_row, crop, rng), followers))
        remaining -= k
    return plan


def transfer_section(
    model: Any,
    cache: Any,
    classifier: Any,
    *,
    pairs: int,
    followers_per_leader: int,
    crop: int,
    seed: int,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Transfer on real held-out pairs, with the two baselines (``options``: extra keyword
    arguments of `momo.transfer`, e.g. ``reuse_inversion``)."""
    from momo.evaluation.metrics import transfer_metrics
    from momo.motion.motion import Motion
    from momo.pipelines.transfer.pipeline import transfer

    plan = choose_pairs(
        cache, classifier, pairs=pairs, followers_per_leader=followers_per_leader, crop=crop,
        seed=seed,
    )  # fmt: skip
    records: list[dict[str, Any]] = []
    outputs: list[np.ndarray] = []
    config: dict[str, Any] = {}
    start = time.perf_counter()
    for i, (leader, followers) in enumerate(plan):
        result = transfer(
            model,
            Motion(leader.features, text=leader.caption, name=leader.name),
            [Motion(f.features, text=f.caption, name=f.name) for f, _ in followers],
            seed=seed + i,
            progress=False,
            **(options or {}),
        )
        if not config:
            keys = ("layers", "steps", "guidance_scale", "seed", "num_steps", "reuse_inversion")
            config = {k: result.config[k] for k in keys}
            config["steps"] = [min(config["steps"]), max(config["steps"])]
        for (follower, kind), output, values in zip(followers, result.outputs, result.metrics()):
            outputs.append(output.features)
            records.append(
                {
                    "leader": leader.name,
                    "follower": follower.name,
                    "kind": kind,
                    "leader_text": leader.caption,
                    "follower_text": follower.caption,
                    "leader_content": leader.content,
                    "follower_style": follower.style,
                    "leader_frames": int(len(leader.features)),
                    "follower_frames": int(len(follower.features)),
                    "momo": values.as_dict(),
                    "output_is_leader": transfer_metrics(
                        leader.features, leader.features, follower.features
                    ).as_dict(),
                    "output_is_follower": transfer_metrics(
                        follower.features, leader.features, follower.features
                    ).as_dict(),
                    "_leader": leader.features,
                    "_follower": follower.features,
                }
            )
        logger.info(
            "transfer: %d/%d pairs, %.0f s", len(records), pairs, time.perf_counter() - start
        )
    seconds = time.perf_counter() - start

    methods = {
        "momo": outputs,
        "output_is_leader": [r.pop("_leader") for r in records],
        "output_is_follower": [r.pop("_follower") for r in records],
    }
    leader_content = [r["leader_content"] for r in records]
    follower_style = [r["follower_style"] for r in records]
    for method, feats in methods.items():
        p = classifier.predict(feats)
        for r, content, style in zip(records, p.content, p.style):
            r[method]["content_is_leaders"] = float(content == r["leader_content"])
            r[method]["style_is_followers"] = float(style == r["follower_style"])
            r[method]["predicted"] = [content, style]
    summary = {}
    for kind in ("all", "style", "content"):
        subset = [r for r in records if kind == "all" or r["kind"] == kind]
        if not subset:
            continue
        summary[kind] = {
            method: _summarise([r[method] for r in subset]) | {"pairs": len(subset)}
            for method in methods
        }
    return {
        "pairs": len(records),
        "leaders": len(plan),
        "crop": crop,
        "transfer_config": config,
        "seconds": seconds,
        "summary": summary,
        "label_sanity": {
            "leader_content_known": all(c in classifier.content_labels for c in leader_content),
            "follower_style_known": all(s in classifier.style_labels for s in follower_style),
        },
        "records": records,
    }


def parse_variant(name: str) -> dict[str, Any]:
    """Transfer options of a variant name: ``exact``, ``reuse_inversion``, ``steps<N>`` or a
    ``+``-joined combination (e.g. ``reuse_inversion+steps50``)."""
    options: dict[str, Any] = {}
    for part in name.split("+"):
        if part == "exact":
            continue
        if part == "reuse_inversion":
            options["reuse_inversion"] = True
        elif part.startswith("steps") and part[5:].isdigit():
            options["num_steps"] = int(part[5:])
        else:
            raise ValueError(
                f"unknown transfer variant {part!r}: use exact, reuse_inversion, steps<N> or a "
                "'+' combination"
            )
    return options


def _summarise(values: Sequence[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in values[0].items() if isinstance(v, float)]
    out = {}
    for key in keys:
        column = np.array([v[key] for v in values], dtype=np.float64)
        out[key] = float(column.mean())
        out[key + "_sem"] = (
            float(column.std(ddof=1) / math.sqrt(len(column))) if len(column) > 1 else 0.0
        )
    return out


# ---------------------------------------------------------------------------------------------
# Tables


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
            f"| {head} | {len(c[head + '_labels'])} | {_fmt(c[head]['accuracy'])} | "
            f"{c[head]['count']} | {_fmt(c['chance_' + head])} |"
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
            f"| {name} | {_fmt(row['fid_vs_real_held_out'], 2)} | {_fmt(row['diversity'], 2)} | "
            f"{_fmt(row['content']['accuracy'])} | {_fmt(row['style']['accuracy'])} | "
            f"{_fmt(row['foot_skating_ratio'])} | {_fmt(row['jitter'], 2)} | "
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
                f"| {label} | {s['pairs']} | {_fmt(s['leader_foot_contact'])} | "
                f"{_fmt(s['follower_rotation_similarity'])} | "
                f"{_fmt(s['follower_position_similarity'])} | "
                f"{_fmt(s['leader_root_distance'])} | {_fmt(s['content_is_leaders'])} | "
                f"{_fmt(s['style_is_followers'])} |"
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
    print("\nTransfer variants (all pairs, MoMo transfer rows):\n")
    print(
        "| variant | seconds | leader foot contact ↑ | follower rotation ↑ | "
        "follower position ↑ | root-path dist. to leader (m) ↓ | content acc (leader) ↑ | "
        "style acc (follower) ↑ |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, t in variants.items():
        s = t["summary"]["all"]["momo"]
        print(
            f"| {name} | {t['seconds']:.0f} | {_fmt(s['leader_foot_contact'])} | "
            f"{_fmt(s['follower_rotation_similarity'])} | "
            f"{_fmt(s['follower_position_similarity'])} | {_fmt(s['leader_root_distance'])} | "
            f"{_fmt(s['content_is_leaders'])} | {_fmt(s['style_is_followers'])} |"
        )


# ---------------------------------------------------------------------------------------------


def default_out_path() -> Path:
    """``<momo cache dir>/benchmarks/default_model_quality-<UTC time>.json``."""
    from momo.data.cache import default_cache_dir

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return default_cache_dir() / "benchmarks" / f"default_model_quality-{stamp}.json"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' or a model directory")
    parser.add_argument("--cache", help="training-data cache (default: momo's default path)")
    parser.add_argument("--classifier-dir", help="where the classifier is kept (default: cache)")
    parser.add_argument("--classifier-epochs", type=int, default=8, help="(cached by setting)")
    parser.add_argument("--num", type=int, default=200, help="held-out clips to generate from")
    parser.add_argument("--pairs", type=int, default=100, help="real transfer pairs")
    parser.add_argument("--followers-per-leader", type=int, default=5)
    parser.add_argument("--crop", type=int, default=120, help="frames of transfer motions")
    parser.add_argument("--batch-size", type=int, default=50, help="generation batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", help="JSON report path (default: under the momo cache dir)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument(
        "--variants",
        default="exact",
        help="comma-separated transfer variants: exact, reuse_inversion, steps<N>, or '+' "
        "combinations (the first one gets the full tables)",
    )
    parser.add_argument("--skip-generation", action="store_true", help="only classifier + transfer")
    parser.add_argument(
        "--allow-data-mismatch",
        action="store_true",
        help="run even if the model was trained on another data cache (held-out not guaranteed)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)

    from momo.data.cache import DataCache, check_outside_repository, default_cache_path
    from momo.evaluation.classifier import ClassifierConfig, load_or_train
    from momo.models.loading import load_model
    from momo.utils.files import atomic_output, check_output_path

    out = check_outside_repository(args.out) if args.out else default_out_path()
    check_output_path(out, overwrite=args.overwrite)
    seconds: dict[str, float] = {}
    total = time.perf_counter()

    cache = DataCache.load(args.cache or default_cache_path())
    model = load_model(args.model)
    trained_on = model.config.extra.get("training_data")
    if trained_on != cache.fingerprint():
        message = (
            f"the model was trained on data {trained_on}, this cache is {cache.fingerprint()}: "
            "its test split may not be held out for this model"
        )
        if not args.allow_data_mismatch:
            print(f"error: {message} (pass --allow-data-mismatch to run anyway)", file=sys.stderr)
            return 2
        logger.warning(message)
    frame_limit = _model_frame_limit(model)

    step = time.perf_counter()
    classifier_config = ClassifierConfig(epochs=args.classifier_epochs, seed=args.seed)
    classifier = load_or_train(cache, classifier_config, directory=args.classifier_dir)
    report: dict[str, Any] = {
        "classifier": classifier_section(cache, classifier, classifier_config.max_frames)
    }
    report["classifier"]["config"] = classifier_config.to_dict()
    report["classifier"]["train_seconds"] = classifier.info.get("train_seconds")
    seconds["classifier"] = time.perf_counter() - step

    variants = {name: parse_variant(name) for name in args.variants.split(",") if name}
    if not args.skip_generation:
        step = time.perf_counter()
        report["generation"] = generation_section(
            model, cache, classifier, num=args.num, frame_limit=frame_limit,
            batch_size=args.batch_size, seed=args.seed,
        )  # fmt: skip
        seconds["generation"] = time.perf_counter() - step

    report["transfer_variants"] = {}
    for name, options in variants.items():
        step = time.perf_counter()
        report["transfer_variants"][name] = transfer_section(
            model, cache, classifier, pairs=args.pairs,
            followers_per_leader=args.followers_per_leader, crop=min(args.crop, frame_limit),
            seed=args.seed, options=options,
        )  # fmt: skip
        seconds[f"transfer ({name})"] = time.perf_counter() - step
    report["transfer"] = report["transfer_variants"][next(iter(variants))]
    seconds["total"] = time.perf_counter() - total
    report["seconds"] = seconds
    report["settings"] = {
        **{k: v for k, v in vars(args).items()},
        "model_config_extra": {
            k: v for k, v in model.config.extra.items() if k != "training_config"
        },
        "data_fingerprint": cache.fingerprint(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
    }

    print_tables(report)
    with atomic_output(out, overwrite=args.overwrite) as tmp:
        tmp.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print(f"\nFull report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
