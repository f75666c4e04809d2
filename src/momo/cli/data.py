"""`momo data build` / `momo data card`: the training-data cache and its data card."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from momo.errors import MomoError

if TYPE_CHECKING:
    from momo.data.cache import DataCache

from momo.cli import options

logger = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo data`` with its ``build`` and ``card`` actions."""
    from momo.data.labels import SOURCES

    parser = subparsers.add_parser(
        "data",
        help="build the training-data cache from motion archives, or print its data card",
        description="Training data for `momo train`. `build` imports Bandai Namco datasets 1 and "
        "2 and the DeepMimic clips (or, with --from DIR, your own captioned BVH / .npy / "
        "DeepMimic files), converts them to HumanML3D features (with left/right "
        "mirrored copies), splits them by clip into train and test, writes captions, caches "
        "their text embeddings and Mean/Std, and saves one file outside the repository. With "
        "--humanml3d DIR it reads a HumanML3D folder as HumanML3D's loader does (its features, "
        "captions with their time spans, train/test split and Mean/Std). `card` prints clips "
        "and hours per source, label and split.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    build = actions.add_parser("build", help="build the cache (once; takes minutes)")
    build.add_argument(
        "--data",
        metavar="DIR",
        help="folder holding bandai-namco/ and deepmimic/ (default: $MOMO_DATA_DIR or "
        "../shared/data)",
    )
    _add_cache_option(build)
    build.add_argument(
        "--sources",
        nargs="+",
        choices=SOURCES,
        help="bundled sources to include (default: all)",
    )
    _add_folder_options(build)
    _add_humanml3d_options(build)
    build.add_argument(
        "--test-fraction",
        type=options.finite_float,
        default=0.1,
        help="share of clips held out (default 0.1)",
    )
    build.add_argument("--seed", type=options.seed, default=0, help="seed of the split (default 0)")
    build.add_argument(
        "--workers", type=int, default=2, choices=(1, 2), help="import processes (default 2)"
    )
    build.add_argument(
        "--limit",
        type=options.positive_int,
        help="read at most N clips per source (a quick partial build)",
    )
    build.add_argument(
        "--statistics",
        choices=("grouped", "per_channel"),
        default="grouped",
        help="Std per feature group as HumanML3D (default) or per channel",
    )
    build.add_argument(
        "--text-encoder",
        default="minilm",
        metavar="NAME",
        help="encoder of the cached caption embeddings: minilm (default, bundled), distilbert, "
        "clip or distilbert+clip (the one of the model to train or fine-tune)",
    )
    _add_composition_options(build)
    build.add_argument("--overwrite", action="store_true", help="replace an existing cache")
    build.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    build.set_defaults(func=run_build)

    card = actions.add_parser("card", help="print the data card of a built cache")
    _add_cache_option(card)
    card.add_argument("--json", action="store_true", help="print the card as JSON")
    card.set_defaults(func=run_card)
    parser.set_defaults(func=lambda args: _missing_action(parser))
    return parser


def _add_folder_options(parser: argparse.ArgumentParser) -> None:
    from momo.cli.common import add_source_options

    folder = parser.add_argument_group("your own data (instead of the bundled sources)")
    folder.add_argument(
        "--from",
        dest="folder",
        metavar="DIR",
        help="build from the .bvh / .npy / DeepMimic files found recursively in DIR; captions "
        "from NAME.txt beside each file (one per line) or --captions",
    )
    folder.add_argument(
        "--captions",
        metavar="FILE",
        help="CSV (columns file, caption; one row per caption) or JSON ({file: caption or "
        "[captions]}) naming files relative to DIR",
    )
    add_source_options(folder)


def _add_humanml3d_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a HumanML3D folder (instead of the bundled sources)")
    group.add_argument(
        "--humanml3d",
        metavar="DIR",
        help="build from the HumanML3D folder DIR (new_joint_vecs/, texts/, Mean.npy, Std.npy, "
        "train.txt, test.txt): motions of 40-199 frames, whole-motion captions and caption "
        "spans as clips of their own, the folder's Mean/Std and split",
    )
    group.add_argument(
        "--distilbert",
        metavar="DIR",
        help="with --humanml3d: local folder of the DistilBERT model of --text-encoder "
        "distilbert or distilbert+clip (default: the Hugging Face cache; nothing is downloaded)",
    )
    group.add_argument(
        "--clip",
        metavar="DIR",
        help="with --humanml3d: local folder of the CLIP model of --text-encoder clip or "
        "distilbert+clip (default: the Hugging Face cache; nothing is downloaded)",
    )


def _add_composition_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("spatial compositions (momo.data.compositions)")
    group.add_argument(
        "--compositions",
        type=options.positive_int,
        metavar="N",
        help="add N train clips that join a locomotion clip's root and legs with an arm-action "
        "clip's upper body, with composed captions (seeded by --seed)",
    )
    group.add_argument(
        "--compose-onto",
        metavar="FILE",
        help="with --compositions: add them to this already built cache instead of importing "
        "the sources again",
    )


def _add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache",
        metavar="FILE",
        help="cache file (default: $MOMO_CACHE_DIR or ~/.cache/momo-motion/"
        "training-data-v1.safetensors)",
    )


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_build(args: argparse.Namespace) -> int:
    """Build the cache, save it and print its data card."""
    from momo.data.build import BuildConfig, build_cache, default_data_root
    from momo.data.cache import check_outside_repository, default_cache_path
    from momo.data.card import cache_card
    from momo.data.labels import SOURCES
    from momo.utils.files import check_output_path

    path = Path(args.cache).expanduser() if args.cache else default_cache_path()
    check_outside_repository(path)
    check_output_path(path, overwrite=args.overwrite)
    started = time.monotonic()
    if args.compose_onto is not None:
        cache = _compose_onto(args)
    elif args.humanml3d is not None:
        cache = _build_from_humanml3d(args)
    elif args.folder is not None:
        _check_no_humanml3d_options(args)
        cache = _build_from_folder(args)
    else:
        _check_no_humanml3d_options(args)
        _check_no_folder_options(args)
        config = BuildConfig(
            data_root=Path(args.data).expanduser() if args.data else default_data_root(),
            sources=tuple(args.sources or SOURCES),
            test_fraction=args.test_fraction,
            seed=args.seed,
            workers=args.workers,
            limit=args.limit,
            statistics=args.statistics,
            text_encoder=args.text_encoder,
        )
        cache = build_cache(config, progress=not args.no_progress)
    if args.compositions is not None and args.compose_onto is None:
        cache = _with_compositions(cache, args)
    cache.save(path, overwrite=args.overwrite)
    seconds = time.monotonic() - started
    print(cache_card(cache).to_text())
    _print_skipped(cache.info)
    print(
        f"Built {path} in {seconds:.0f} s (import and features {cache.info['import_seconds']} s, "
        f"{len(cache.clips)} clip copies, {cache.features.shape[0]} frames, "
        f"{path.stat().st_size / 2**20:.0f} MiB)."
    )
    return 0


def _with_compositions(cache: DataCache, args: argparse.Namespace) -> DataCache:
    from momo.data.compositions import CompositionConfig, add_compositions

    return add_compositions(cache, CompositionConfig(count=args.compositions, seed=args.seed))


def _compose_onto(args: argparse.Namespace) -> DataCache:
    """``--compose-onto FILE``: that cache with ``--compositions`` added (nothing imported)."""
    from momo.data.cache import DataCache

    if args.compositions is None:
        raise MomoError("--compose-onto needs --compositions N")
    if args.folder is not None:
        raise MomoError("--compose-onto reads a built cache; leave out --from")
    base = DataCache.load(Path(args.compose_onto).expanduser())
    if "compositions" in base.info:
        raise MomoError(
            f"{args.compose_onto} already holds compositions; compose onto a plain cache"
        )
    cache = _with_compositions(base, args)
    cache.info.setdefault("import_seconds", 0.0)
    return cache


def _build_from_folder(args: argparse.Namespace) -> DataCache:
    """The cache of ``--from DIR`` (the bundled-source options must be left out)."""
    from momo.cli.common import parse_joint_map
    from momo.data.folder import FolderConfig, build_folder_cache

    given = [
        option
        for option, value in (
            ("--data", args.data),
            ("--sources", args.sources),
            ("--limit", args.limit),
        )
        if value is not None
    ]
    if given:
        raise MomoError(
            f"{', '.join(given)} apply to the bundled sources; leave them out with --from"
        )
    if args.sample is not None:
        raise MomoError(
            "--sample reads one motion of a results.npy file; it does not apply to --from"
        )
    config = FolderConfig(
        folder=Path(args.folder).expanduser(),
        captions=Path(args.captions).expanduser() if args.captions else None,
        joint_map=parse_joint_map(args.joint_map),
        up_axis=args.up_axis,
        test_fraction=args.test_fraction,
        seed=args.seed,
        workers=args.workers,
        statistics=args.statistics,
        text_encoder=args.text_encoder,
    )
    return build_folder_cache(config, progress=not args.no_progress)


def _build_from_humanml3d(args: argparse.Namespace) -> DataCache:
    """The cache of ``--humanml3d DIR`` (the options of other builds must be left out)."""
    from momo.data.humanml3d_build import build_humanml3d_cache
    from momo.data.local_encoders import local_text_encoder

    defaults = {"test_fraction": 0.1, "seed": 0, "statistics": "grouped", "workers": 2}
    given = [
        option
        for option, value in (
            ("--from", args.folder),
            ("--data", args.data),
            ("--sources", args.sources),
            ("--limit", args.limit),
            ("--captions", args.captions),
            ("--joint-map", args.joint_map),
            ("--sample", args.sample),
        )
        if value is not None
    ] + [
        f"--{name.replace('_', '-')}"
        for name, default in defaults.items()
        if getattr(args, name) != default
    ]
    if given:
        raise MomoError(
            f"{', '.join(given)} do not apply to --humanml3d (it keeps the folder's own split, "
            "Mean/Std and captions)"
        )
    encoder = local_text_encoder(args.text_encoder, distilbert=args.distilbert, clip=args.clip)
    return build_humanml3d_cache(
        Path(args.humanml3d).expanduser(), encoder, progress=not args.no_progress
    )


def _check_no_humanml3d_options(args: argparse.Namespace) -> None:
    given = [f"--{name}" for name in ("distilbert", "clip") if getattr(args, name) is not None]
    if given:
        raise MomoError(f"{', '.join(given)} apply to --humanml3d DIR only")


def _check_no_folder_options(args: argparse.Namespace) -> None:
    given = [
        option
        for option, value in (
            ("--captions", args.captions),
            ("--joint-map", args.joint_map),
            ("--sample", args.sample),
        )
        if value is not None
    ]
    if given:
        raise MomoError(f"{', '.join(given)} apply to --from DIR only")


def _print_skipped(info: dict[str, Any]) -> None:
    """List the files that were skipped, with their reasons."""
    dropped = info.get("dropped", [])
    if "files_found" not in info or not dropped:
        return
    shortest = info.get("build", {}).get("min_frames")
    print(f"Skipped {len(dropped)} of {info['files_found']} files:")
    for entry in dropped:
        reason = str(entry["reason"])
        if reason.endswith(" frames") and reason.split()[0].isdigit():
            reason = f"too short: {reason} at 20 fps, the shortest window is {shortest}"
        print(f"  {entry['name']}: {reason}")


def run_card(args: argparse.Namespace) -> int:
    """Print the data card of a cache."""
    from momo.data.cache import DataCache, default_cache_path
    from momo.data.card import cache_card

    path = Path(args.cache).expanduser() if args.cache else default_cache_path()
    card = cache_card(DataCache.load(path))
    if args.json:
        print(json.dumps(card.to_dict(), indent=2))
    else:
        print(card.to_text())
    return 0
