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
3. Transfer: the evaluation runner's held-out benchmark
   (`momo.evaluation.heldout_benchmark.run_heldout_benchmark`, the same run as ``momo evaluate
   --data``): ``--pairs`` pairs of REAL held-out clips whose leader and follower differ (half of
   each leader's followers share its content in another style, the rest have another content),
   all cut to their first ``--crop`` frames; pairs sharing a leader run as one `momo.transfer`
   (DDIM inversion, default layers, steps and guidance). MoMo's auxiliary metrics
   (`momo.evaluation.metrics`), FID and diversity in the classifier's space and its content
   accuracy w.r.t. the leader and style accuracy w.r.t. the follower, next to the
   ``--baselines`` (default output = leader and output = follower), over all pairs and per kind.

Run: ``python benchmarks/default_model_quality.py --model /path/to/model [--num 200]
[--pairs 100] [--threads 2] [--baselines all]``. With a 6 x 192 model on 2 CPU threads: about
2 min to train the classifier (first run only; it is cached) and 5 min of generation; the
transfer with all baselines took about 4 min per leader and its 4 followers on one shared
thread (see the model card); the two default baselines are copies and add no time.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from quality.classifier import classifier_section
from quality.common import model_frame_limit
from quality.generation import generation_section
from quality.tables import print_tables
from quality.transfer import parse_variant, transfer_section

logger = logging.getLogger("default_model_quality")


def default_out_path() -> Path:
    """``<momo cache dir>/benchmarks/default_model_quality-<UTC time>.json``."""
    from momo.data.cache import default_cache_dir

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return default_cache_dir() / "benchmarks" / f"default_model_quality-{stamp}.json"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' or a model directory")
    parser.add_argument("--cache", help="training-data cache (default: momo's default path)")
    parser.add_argument("--classifier-dir", help="where the classifier is kept (default: cache)")
    parser.add_argument("--classifier-epochs", type=int, default=8, help="(cached by setting)")
    parser.add_argument("--num", type=int, default=200, help="held-out clips to generate from")
    parser.add_argument("--pairs", type=int, default=100, help="real transfer pairs")
    parser.add_argument("--followers-per-leader", type=int, default=4)
    parser.add_argument(
        "--baselines", default="leader,follower", help="transfer baselines (runner names) or all"
    )
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
    parser.add_argument("--skip-transfer", action="store_true", help="only classifier + generation")
    parser.add_argument(
        "--pin-feet-steps",
        default="model",
        metavar="A:B",
        help="timesteps at which generation pins feet: 'model' (its stored default), 'none', "
        "or A:B inclusive",
    )
    parser.add_argument(
        "--allow-data-mismatch",
        action="store_true",
        help="run even if the model was trained on another data cache (held-out not guaranteed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns an exit status."""
    args = build_parser().parse_args(argv)
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
    frame_limit = model_frame_limit(model)

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
    baselines = [b for b in args.baselines.split(",") if b]
    if baselines == ["all"]:
        from momo.evaluation.baselines import BASELINES

        baselines = list(BASELINES)
    if not args.skip_generation:
        step = time.perf_counter()
        pin_steps = None
        if args.pin_feet_steps != "model":
            from momo.pipelines.transfer.schedule import parse_span

            pin_steps = parse_span(args.pin_feet_steps, model.num_timesteps, "pin-feet-steps")
        report["generation"] = generation_section(
            model, cache, classifier, num=args.num, frame_limit=frame_limit,
            batch_size=args.batch_size, seed=args.seed, pin_feet_steps=pin_steps,
        )  # fmt: skip
        seconds["generation"] = time.perf_counter() - step

    report["transfer_variants"] = {}
    for name, options in ({} if args.skip_transfer else variants).items():
        step = time.perf_counter()
        report["transfer_variants"][name] = transfer_section(
            model, cache, classifier, pairs=args.pairs,
            followers_per_leader=args.followers_per_leader, crop=min(args.crop, frame_limit),
            seed=args.seed, baselines=baselines, options=options,
        )  # fmt: skip
        seconds[f"transfer ({name})"] = time.perf_counter() - step
    if not args.skip_transfer:
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
