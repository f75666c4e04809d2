"""`momo generate --text ... --out DIR`: text-to-motion with a diffusion model."""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING

from momo.cli import options
from momo.cli.common import add_model_options, add_overwrite_option, load_model_arg
from momo.cli.feet import add_fix_feet_option, fixed_feet
from momo.cli.skeleton import add_skeleton_option, resolve_skeleton
from momo.errors import OutputExistsError
from momo.utils.files import (
    check_output_path,
    check_writable_location,
    path_exists,
)
from momo.utils.output_dirs import staged_directory

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)

#: Files written per prompt, by suffix (momo.save_motion dispatches on it).
OUTPUT_SUFFIXES: tuple[str, ...] = (".npy", ".bvh", ".mp4")
#: The settings file of a run.
CONFIG_NAME = "generate.json"
#: Names this command writes, whatever the prompts (what --overwrite replaces).
_OUTPUT_NAME = re.compile(r"\d{2,}_[a-z0-9_]*\.(npy|bvh|mp4)|generate\.json")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo generate``."""
    parser = subparsers.add_parser(
        "generate",
        help="generate motions from text prompts",
        description="Generate one motion per --text with a motion diffusion model and write each "
        "as .npy (HumanML3D features), .bvh and a stick-figure .mp4, plus generate.json with "
        "the resolved settings.",
    )
    parser.add_argument(
        "--text", "-t", action="append", required=True, metavar="PROMPT",
        help="a prompt (repeat for several motions)",
    )  # fmt: skip
    parser.add_argument("--out", "-o", required=True, metavar="DIR", help="output directory")
    add_model_options(parser)
    parser.add_argument(
        "--frames", type=options.positive_int, default=120, metavar="N",
        help="frames per motion at 20 fps (default 120, at most 196)",
    )  # fmt: skip
    parser.add_argument(
        "--guidance", type=options.finite_float, default=2.5, metavar="S",
        help="classifier-free guidance scale (default 2.5; 1 = none)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=options.seed, default=None, help="random seed (default: random)"
    )
    parser.add_argument(
        "--sampler", choices=("ddpm", "ddim"), default="ddpm",
        help="ancestral DDPM (default, as MDM) or deterministic DDIM",
    )  # fmt: skip
    parser.add_argument(
        "--steps", type=options.positive_int, default=None, metavar="N",
        help="respaced sampling steps (default: all of the model's timesteps)",
    )  # fmt: skip
    parser.add_argument(
        "--pin-feet-steps", metavar="A:B",
        help="diffusion timesteps at which the model's prediction has its planted feet pinned, "
        "inclusive; 0 among them pins the written motions' feet; 'none' never (default: the "
        "model's setting, else none)",
    )  # fmt: skip
    parser.add_argument("--no-video", action="store_true", help="skip the .mp4 files")
    add_skeleton_option(parser, names="smpl")
    add_fix_feet_option(parser)
    add_overwrite_option(parser)
    parser.set_defaults(func=run)
    return parser


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug[:limit].rstrip("_") or "motion"


def output_stems(texts: list[str], out_dir: Path) -> list[Path]:
    """``DIR/NN_prompt_words`` for each prompt (numbered so equal prompts do not collide)."""
    return [out_dir / f"{i:02d}_{_slug(t)}" for i, t in enumerate(texts)]


def run(args: argparse.Namespace) -> int:
    """Generate the motions of ``args.text`` into ``args.out``; returns the exit status.

    The files are written into a folder beside ``--out`` and swapped in at the end, so an
    interrupted run leaves ``--out`` as it was; ``--overwrite`` replaces an earlier run's
    files (other files in the folder are kept).
    """
    from momo.io.api import save_motion

    out_dir = Path(args.out)
    suffixes = [s for s in OUTPUT_SUFFIXES if not (args.no_video and s == ".mp4")]
    stems = output_stems(args.text, out_dir)
    _check_outputs(out_dir, stems, suffixes, overwrite=args.overwrite)
    skeleton = resolve_skeleton(args.skeleton, has_follower=False)

    # A drawn seed is recorded in generate.json so any run can be repeated.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    model = load_model_arg(args)
    motions = _generated(model, args, seed)
    if args.fix_feet:
        motions, _ = fixed_feet(motions, [stem.name for stem in stems])
    written = [stem.with_suffix(suffix) for stem in stems for suffix in suffixes]
    resolved = {
        "texts": list(args.text),
        "model": str(args.model),
        "normalization": args.normalization,
        "frames": args.frames,
        "guidance_scale": args.guidance,
        "seed": seed,
        "sampler": args.sampler,
        "steps": args.steps,
        "pin_feet_steps": motions[0].meta["pin_feet_steps"],
        "fix_feet": bool(args.fix_feet),
        "model_config": model.config.to_dict(),
        "outputs": [str(path) for path in written],
    }

    def keep(name: str) -> bool:  # what an existing folder keeps: with --overwrite, not ours
        return not args.overwrite or _OUTPUT_NAME.fullmatch(name) is None

    with staged_directory(out_dir, keep=keep) as staging:
        for motion, stem in zip(motions, stems):
            for suffix in suffixes:
                save_motion(motion, staging / stem.with_suffix(suffix).name, skeleton=skeleton)
        (staging / CONFIG_NAME).write_text(json.dumps(resolved, indent=2) + "\n")
    for path in written:
        print(path)
    return 0


def _check_outputs(
    out_dir: Path, stems: list[Path], suffixes: list[str], *, overwrite: bool
) -> None:
    """Refuse before any slow work if an output is in the way or cannot be written."""
    if path_exists(out_dir) and not out_dir.is_dir():
        raise OutputExistsError(
            f"--out {out_dir} exists and is not a directory (or is a dangling symlink)"
        )
    for stem in stems:
        for suffix in suffixes:
            check_output_path(stem.with_suffix(suffix), overwrite=overwrite)
    check_output_path(out_dir / CONFIG_NAME, overwrite=overwrite)
    check_writable_location(out_dir)


def _generated(model: MotionDiffusionModel, args: argparse.Namespace, seed: int) -> list[Motion]:
    """``momo.generate`` with the command's settings (``--pin-feet-steps`` parsed here)."""
    import momo
    from momo.pipelines.transfer.schedule import parse_span

    pin_steps = None
    if args.pin_feet_steps is not None:
        pin_steps = parse_span(args.pin_feet_steps, model.num_timesteps, "pin-feet-steps")
    return momo.generate(
        model,
        args.text,
        num_frames=args.frames,
        guidance_scale=args.guidance,
        seed=seed,
        sampler=args.sampler,
        num_steps=args.steps,
        pin_feet_steps=pin_steps,
    )
