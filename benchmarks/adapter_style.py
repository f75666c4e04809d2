"""Style accuracy with and without a low-rank adapter fine-tuned on a few clips of one style.

1. Loads the bundled model, the training-data cache and the content/style classifier trained
   on the cache's train split (`momo.evaluation.classifier.load_or_train`).
2. Picks the style (unless ``--style`` names one): for every style with at least ``--clips``
   train clips and one held-out clip, generates ``--probe`` motions from the captions of its
   held-out clips and measures how often the classifier recognises the style; the weakest
   style is chosen.
3. Trains a rank ``--rank`` adapter for ``--steps`` steps on ``--clips`` train clips of that
   style (and their mirrored copies), as ``momo train --init default --lora-rank R`` does.
4. On the style's held-out clips, with the same seeds with and without the adapter:
   *generation*: ``--motions`` motions from their captions; *transfer*: each held-out caption
   as the follower prompt of `momo.transfer` on a held-out (else train) neutral clip of the
   same content as leader. The style accuracy is the share of outputs the classifier labels
   with the target style.

Prints a Markdown table. Run (a few minutes to an hour on a small CPU)::

    OMP_NUM_THREADS=1 python benchmarks/adapter_style.py [--cache FILE] [--classifier-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

NEUTRAL = "normal"


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", help="training-data cache (default: momo's)")
    parser.add_argument("--classifier-dir", help="where the classifier is kept (default: momo's)")
    parser.add_argument(
        "--min-clips-per-label",
        type=int,
        default=50,
        help="train clips (mirrors included) a style needs to be a class of the classifier "
        "(default 50, the classifier's default; lower it to include the small styles)",
    )
    parser.add_argument("--style", help="style to adapt to (default: the weakest one)")
    parser.add_argument("--clips", type=int, default=8, help="train clips of the style")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--motions", type=int, default=32, help="motions per arm")
    parser.add_argument("--probe", type=int, default=8, help="generations per style to pick one")
    parser.add_argument("--frames", type=int, default=120, help="length of generated motions")
    parser.add_argument("--max-leader-frames", type=int, default=160)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="folder for the adapter file (default: a temporary one)")
    return parser.parse_args()


def originals(cache, split: str) -> dict[str, list[int]]:  # noqa: ANN001
    """Rows of the split's non-mirrored clips, by style."""
    rows = defaultdict(list)
    for row in cache.rows(split, mirrored=False):
        rows[cache.clips[row].label.style].append(row)
    return rows


def captions_of(cache, rows: list[int], count: int) -> list[str]:  # noqa: ANN001
    """``count`` captions cycling over the clips (each clip's captions in turn)."""
    texts = []
    for k in range(count):
        clip = cache.clips[rows[k % len(rows)]]
        ids = clip.captions
        texts.append(cache.captions[ids[(k // len(rows)) % len(ids)]])
    return texts


def style_accuracy(classifier, motions: list[np.ndarray], style: str, crop: int) -> float:  # noqa: ANN001
    """Share of motions (cropped to ``crop`` frames) classified as ``style``."""
    predicted = classifier.predict([m[:crop] for m in motions]).style
    return float(np.mean([p == style for p in predicted]))


def generate(model, texts: list[str], frames: int, seed: int) -> list[np.ndarray]:  # noqa: ANN001
    """Raw features of one generated motion per prompt (batches of 16, fixed seeds)."""
    import momo

    out = []
    for start in range(0, len(texts), 16):
        batch = momo.generate(
            model,
            texts[start : start + 16],
            num_frames=frames,
            seed=seed + start,
            pin_feet_steps=(),  # raw samples, as the adapter numbers were measured
            progress=False,
        )
        out += [m.features for m in batch]
    return out


def pick_style(cache, model, classifier, args) -> tuple[str, dict[str, float]]:  # noqa: ANN001
    """The style whose generations the classifier recognises least (ties: by name)."""
    train, test = originals(cache, "train"), originals(cache, "test")
    candidates = sorted(
        s
        for s in classifier.style_labels
        if s != NEUTRAL and len(train.get(s, [])) >= args.clips and test.get(s)
    )
    scores = {}
    for style in candidates:
        texts = captions_of(cache, test[style], args.probe)
        motions = generate(model, texts, args.frames, args.seed + 1000)
        scores[style] = style_accuracy(classifier, motions, style, args.max_leader_frames)
        print(f"probe {style}: {scores[style]:.2f}", flush=True)
    if not scores:
        raise SystemExit("no style has enough train and held-out clips")
    return min(sorted(scores), key=lambda s: scores[s]), scores


def subset(cache, rows: list[int]):  # noqa: ANN001, ANN201
    """The cache restricted to some clip rows (features and text shared, not copied)."""
    return dataclasses.replace(
        cache, offsets=cache.offsets[rows], clips=[cache.clips[r] for r in rows]
    )


def train_rows(cache, style: str, count: int, seed: int) -> list[int]:  # noqa: ANN001
    """``count`` seeded train clips of the style, with their mirrored copies."""
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(originals(cache, "train")[style], size=count, replace=False))
    names = {cache.clips[r].label.name for r in chosen}
    mirrors = [
        r
        for r in cache.rows("train", mirrored=True)
        if cache.clips[r].label.name.removesuffix("#mirror") in names
    ]
    return [int(r) for r in chosen] + mirrors


def transfer_pairs(cache, style: str, count: int) -> dict[int, list[str]]:  # noqa: ANN001
    """Leader row -> follower prompts: held-out captions of the style on neutral leaders."""
    neutral: dict[str, list[int]] = defaultdict(list)
    for split in ("test", "train"):
        for row in originals(cache, split).get(NEUTRAL, []):
            neutral[cache.clips[row].label.content].append(row)
    usable = [
        r for r in originals(cache, "test")[style] if neutral.get(cache.clips[r].label.content)
    ]
    if not usable:
        raise SystemExit(f"no held-out {style} clip has a neutral clip of the same content")
    pairs: dict[int, list[str]] = defaultdict(list)
    for k, row in enumerate(usable * (count // len(usable) + 1)):
        if k == count:
            break
        leaders = neutral[cache.clips[row].label.content]
        clip = cache.clips[row]
        text = cache.captions[clip.captions[(k // len(usable)) % len(clip.captions)]]
        pairs[leaders[k % len(leaders)]].append(text)
    return pairs


def run_transfers(model, cache, pairs, max_frames: int, seed: int) -> list[np.ndarray]:  # noqa: ANN001
    """Outputs of every leader with its follower prompts."""
    import momo

    outputs = []
    for k, (row, texts) in enumerate(sorted(pairs.items())):
        features = cache.clip_features(row)[:max_frames]
        leader = momo.Motion(np.array(features), text=cache.captions[cache.clips[row].captions[0]])
        result = momo.transfer(model, leader, texts, seed=seed + k, progress=False)
        outputs += [m.features for m in result.outputs]
    return outputs


def main() -> None:
    """Measure and print the table."""
    args = parse_args()
    import torch

    import momo
    from momo.data.cache import DataCache, default_cache_path
    from momo.data.dataset import TrainingSet
    from momo.evaluation.classifier import ClassifierConfig, load_or_train
    from momo.models.adapters import AdapterConfig, attach_adapter, detach_adapters
    from momo.training.adapters import train_adapter
    from momo.training.config import TrainingConfig
    from momo.training.finetune import check_cache_fits, model_statistics, with_statistics

    started = time.monotonic()
    torch.set_num_threads(1)
    cache = DataCache.load(args.cache or default_cache_path())
    model = momo.load_model("default")
    check_cache_fits(cache, model)
    settings = ClassifierConfig(min_clips_per_label=args.min_clips_per_label)
    classifier = load_or_train(cache, settings, directory=args.classifier_dir)
    print(f"loaded in {time.monotonic() - started:.0f} s", flush=True)
    if args.style:
        style, probes = args.style, {}
    else:
        style, probes = pick_style(cache, model, classifier, args)
    print(f"style: {style}", flush=True)

    rows = train_rows(cache, style, args.clips, args.seed)
    data = TrainingSet(with_statistics(subset(cache, rows), *model_statistics(model)))
    training = TrainingConfig(
        steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
        log_every=50,
    )  # fmt: skip
    run = train_adapter(model, data, training, AdapterConfig(args.rank, float(args.rank)))
    with tempfile.TemporaryDirectory() as tmp:
        path = run.adapter.save(Path(args.out or tmp) / f"adapter-{style}.safetensors")
        size_kib = path.stat().st_size / 1024
    print(f"adapter: {run.seconds:.0f} s, loss {run.losses[0]:.3f} -> {run.losses[-1]:.3f}")

    held_out = originals(cache, "test")[style]
    real = [cache.clip_features(r)[: args.max_leader_frames] for r in held_out]
    real_accuracy = style_accuracy(classifier, real, style, args.max_leader_frames)
    texts = captions_of(cache, held_out, args.motions)
    pairs = transfer_pairs(cache, style, args.motions)
    results, timings = {}, {}
    for arm in ("base", "adapter"):
        if arm == "adapter":
            attach_adapter(model.denoiser, run.adapter, scale=1.0)
        began = time.monotonic()
        motions = generate(model, texts, args.frames, args.seed)
        outputs = run_transfers(model, cache, pairs, args.max_leader_frames, args.seed)
        timings[arm] = time.monotonic() - began
        results[arm] = (
            style_accuracy(classifier, motions, style, args.max_leader_frames),
            style_accuracy(classifier, outputs, style, args.max_leader_frames),
        )
        detach_adapters(model.denoiser)
        print(f"{arm}: {results[arm]} in {timings[arm]:.0f} s", flush=True)

    print()
    if probes:
        print("Base generations, style accuracy per style (probe, "
              f"{args.probe} motions each): "
              + ", ".join(f"{s} {a:.2f}" for s, a in sorted(probes.items())))  # fmt: skip
        print()
    n_transfer = sum(len(t) for t in pairs.values())
    print(
        "| style | train clips | adapter rank | steps | batch | training time | adapter file "
        "| generation acc. base | generation acc. adapter | transfer acc. base "
        "| transfer acc. adapter |"
    )
    print("|" + "---|" * 11)
    print(
        f"| {style} | {args.clips} (+{len(rows) - args.clips} mirrored) | {args.rank} "
        f"| {args.steps} | {args.batch_size} | {run.seconds:.0f} s | {size_kib:.0f} KiB "
        f"| {results['base'][0]:.2f} | {results['adapter'][0]:.2f} "
        f"| {results['base'][1]:.2f} | {results['adapter'][1]:.2f} |"
    )
    print()
    print(
        f"{len(texts)} generated motions ({args.frames} frames) and {n_transfer} transfers "
        f"(on {len(pairs)} neutral leaders) per arm, from {len(held_out)} held-out {style} "
        f"clips (the classifier labels {real_accuracy:.2f} of these real clips {style}); "
        f"evaluation {timings['base']:.0f} s (base) and {timings['adapter']:.0f} s "
        f"(adapter); total wall time {time.monotonic() - started:.0f} s on "
        f"{torch.get_num_threads()} thread(s)."
    )


if __name__ == "__main__":
    main()
