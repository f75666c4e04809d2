"""One transfer's options, resolved and checked in one place (`resolve_config`).

`TransferConfig` is frozen and JSON-ready: ``dataclasses.asdict`` of it is what the result
records (``config.json``). Every check of `momo.transfer`'s arguments lives here, so the
pipeline itself only computes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch import Tensor

from momo.constants import DEFAULT_GUIDANCE_SCALE, DEFAULT_NUM_FRAMES, FPS, MIN_TRANSFER_FRAMES
from momo.errors import TransferError
from momo.motion.motion import Motion
from momo.pipelines.scheduling import sampled_timesteps
from momo.pipelines.seeds import resolve_seed
from momo.pipelines.transfer.layout import TransferLayout
from momo.pipelines.transfer.leader_body import resolve_follower_body, resolve_leader_body
from momo.pipelines.transfer.schedule import TransferSchedule

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel

logger = logging.getLogger(__name__)

#: What the outputs are conditioned on: the follower's text (MoMo's choice), the leader's, none.
OUTPUT_TEXTS = ("follower", "leader", "none")


@dataclass(frozen=True)
class TransferInput:
    """A leader or follower as given: a real motion or a prompt, with its resolved length.

    Attributes:
        kind: "motion" (a real motion, inverted) or "text" (a prompt, generated).
        text: the caption of the motion or the prompt (None: a motion without caption; its rows
            run unconditionally).
        name: the motion's name (None for a prompt).
        num_frames: frames of the row (the motion's, or the generation length).
    """

    kind: Literal["motion", "text"]
    text: str | None
    name: str | None
    num_frames: int

    @property
    def is_real(self) -> bool:
        """True for a real motion (inverted), False for a prompt (generated)."""
        return self.kind == "motion"


@dataclass(frozen=True)
class GuidanceScales:
    """Classifier-free guidance per role (inverted rows always run at 1)."""

    leader: float
    followers: tuple[float, ...]
    outputs: tuple[float, ...]


@dataclass(frozen=True)
class TransferConfig:
    """Every resolved option of one transfer (see `momo.transfer` for their meaning).

    Attributes:
        leader, followers: the inputs, described.
        num_frames: length of prompt-generated rows.
        rows, row_lengths: label and length of every batch row, in layout order.
        layers, steps: the mixing schedule (0-based decoder layers x model timesteps).
        num_layers, num_timesteps: L and T of the model.
        mixing_timesteps: the sampled timesteps at which outputs mix.
        guidance_scale: per role.
        follower_copies: k rows per follower.
        assign_root_rotation: outputs take the leader's root angular velocity.
        seed: seed of the initial noise; noise: whether the caller gave it ("given") or not.
        sampler, eta: DDIM, deterministic.
        reference_rounding: DDIM coefficients rounded to float32 as the reference does.
        num_steps, sampled_timesteps: the DDIM steps of inversion and sampling.
        reuse_inversion: outputs sampled alone with the inversion's recorded attention.
        output_text: the outputs' prompt: "follower" (its text, the reference's), "leader"
            (the leader's text) or "none" (unconditional).
        inversion: how real motions are inverted (own caption, no guidance).
        inversion_corrections: fixed-point corrections per DDIM inversion step
            (`momo.diffusion.inversion.ddim_invert`; 0: the reference's plain inversion).
        leader_root_path: outputs take the leader's root angular and XZ velocity (features
            0-2), a real leader's as given.
        leader_body: the body part outputs keep from the leader while denoising ("none",
            "root", "lower"; `momo.pipelines.transfer.leader_body`).
        leader_body_steps: the model timesteps at which it is kept (empty with "none").
        follower_body: the body part outputs take from their follower at chosen steps
            ("none", "upper"), in the outputs that keep the leader's part (all of them when
            the leader keeps nothing).
        follower_body_steps: the model timesteps at which it is taken (empty with "none").
        model_defaults: the options taken from the model's stored transfer defaults (those the
            caller left out; `momo.pipelines.transfer.model_defaults`).
        device, dtype, model, text_encoder, momo_version: what ran it.
    """

    leader: TransferInput
    followers: tuple[TransferInput, ...]
    num_frames: int
    rows: tuple[str, ...]
    row_lengths: tuple[int, ...]
    layers: tuple[int, ...]
    steps: tuple[int, ...]
    num_layers: int
    num_timesteps: int
    mixing_timesteps: tuple[int, ...]
    guidance_scale: GuidanceScales
    follower_copies: int
    assign_root_rotation: bool
    seed: int
    noise: Literal["given", "seeded"]
    reference_rounding: bool
    num_steps: int
    sampled_timesteps: tuple[int, ...]
    reuse_inversion: bool
    device: str
    dtype: str
    model: dict[str, Any] = field(hash=False)
    text_encoder: str
    momo_version: str
    output_text: str = "follower"
    sampler: Literal["ddim"] = "ddim"
    eta: float = 0.0
    inversion: dict[str, Any] = field(
        default_factory=lambda: {"text": "own caption", "guidance_scale": 1.0}, hash=False
    )
    model_defaults: dict[str, Any] = field(default_factory=dict, hash=False)
    leader_root_path: bool = False
    inversion_corrections: int = 0
    leader_body: str = "none"
    leader_body_steps: tuple[int, ...] = ()
    follower_body: str = "none"
    follower_body_steps: tuple[int, ...] = ()

    @property
    def layout(self) -> TransferLayout:
        """The batch layout (leader, follower copies, outputs)."""
        return TransferLayout(len(self.followers), self.follower_copies)

    @property
    def schedule(self) -> TransferSchedule:
        """Where and when outputs mix."""
        return TransferSchedule(self.layers, self.steps, self.num_layers, self.num_timesteps)

    @property
    def batch_frames(self) -> int:
        """Frames of the batch: the longest row."""
        return max(self.row_lengths)

    def row_scales(self) -> list[float]:
        """Guidance of every row, in layout order."""
        g = self.guidance_scale
        return self.layout.arrange(g.leader, list(g.followers), list(g.outputs))

    def row_texts(self) -> list[str | None]:
        """Text of every row, in layout order (outputs: see ``output_text``)."""
        texts = [f.text for f in self.followers]
        outputs = {
            "follower": texts,
            "leader": [self.leader.text] * len(texts),
            "none": [None] * len(texts),
        }[self.output_text]
        return self.layout.arrange(self.leader.text, texts, outputs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (``dataclasses.asdict``, tuples as lists): config.json."""
        return _lists(asdict(self))


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def resolve_config(
    model: MotionDiffusionModel,
    inputs: Sequence[Motion | str],
    *,
    num_frames: Any = None,
    layers: Sequence[int] | None = None,
    steps: Sequence[int] | None = None,
    guidance_scale: Any = None,
    assign_root_rotation: bool = True,
    follower_copies: Any = 1,
    noise: Tensor | None = None,
    seed: int | None = None,
    reference_rounding: bool = False,
    num_steps: Any = None,
    reuse_inversion: bool | None = None,
    output_text: Any = "follower",
    leader_root_path: bool | None = None,
    inversion_corrections: Any = None,
    leader_body: Any = None,
    leader_body_steps: Any = None,
    follower_body: Any = None,
    follower_body_steps: Any = None,
) -> TransferConfig:
    """Check `momo.transfer`'s arguments and fill in every default (see `momo.transfer`).

    Options left as None take the model's stored transfer defaults first
    (`momo.pipelines.transfer.model_defaults`), then the library's.

    Args:
        model: the model that will run the transfer.
        inputs: ``[leader, *followers]`` as `input_list` returns them.

    Raises:
        TransferError: anything `momo.transfer` lists.
    """
    from momo import __version__

    limit = model.max_frames
    leader, followers = inputs[0], list(inputs[1:])
    leader_in, followers_in, text_frames = _resolve_inputs(leader, followers, num_frames, limit)
    options = _resolve_options(
        model,
        [leader_in, *followers_in],
        layers=layers,
        steps=steps,
        num_steps=num_steps,
        reuse_inversion=reuse_inversion,
        leader_root_path=leader_root_path,
        inversion_corrections=inversion_corrections,
        output_text=output_text,
        leader_body=leader_body,
        leader_body_steps=leader_body_steps,
        follower_body=follower_body,
        follower_body_steps=follower_body_steps,
        guidance_scale=guidance_scale,
    )
    applied, reuse_inversion = options.applied, options.reuse_inversion
    layers, steps, num_steps = options.layers, options.steps, options.num_steps
    copies = _copies(follower_copies)
    for item, what in zip(inputs, roles(len(followers_in))):
        if isinstance(item, Motion):
            _warn_if_out_of_range(model, item, what)
    schedule = TransferSchedule.resolve(
        len(model.denoiser.self_attention_modules()), model.num_timesteps, layers, steps
    )
    layout = TransferLayout(len(followers_in), copies)
    guidance = _guidance(options.guidance_scale, leader_in, followers_in)
    timesteps = _sampled_timesteps(model, num_steps, schedule)
    lengths = layout.arrange(
        leader_in.num_frames, [f.num_frames for f in followers_in], lambda j: leader_in.num_frames
    )
    if copies > 1 and any(f.is_real for f in followers_in):
        logger.warning(
            "follower_copies=%d with a real follower: HumanML3D features do not depend on the "
            "heading, so its copies turned about the vertical axis equal the original and only "
            "add computation",
            copies,
        )
    if noise is not None:
        _check_noise(noise, layout, max(lengths), model.denoiser.config.nfeats)
    return TransferConfig(
        leader=leader_in,
        followers=tuple(followers_in),
        num_frames=text_frames,
        rows=tuple(row.label for row in layout.rows),
        row_lengths=tuple(lengths),
        layers=schedule.layers,
        steps=schedule.steps,
        num_layers=schedule.num_layers,
        num_timesteps=schedule.num_timesteps,
        mixing_timesteps=tuple(schedule.mixing_timesteps(timesteps)),
        guidance_scale=guidance,
        follower_copies=copies,
        assign_root_rotation=bool(assign_root_rotation),
        seed=resolve_seed(seed),
        noise="seeded" if noise is None else "given",
        reference_rounding=bool(reference_rounding),
        num_steps=len(timesteps),
        sampled_timesteps=timesteps,
        reuse_inversion=bool(reuse_inversion),
        output_text=output_text,
        device=str(model.device),
        dtype=str(model.dtype).removeprefix("torch."),
        model=model.config.to_dict(),
        text_encoder=getattr(model.text_encoder, "name", type(model.text_encoder).__name__),
        momo_version=__version__,
        model_defaults={key: _lists(value) for key, value in applied.items()},
        leader_root_path=options.leader_root_path,
        inversion_corrections=options.inversion_corrections,
        leader_body=options.leader_body[0],
        leader_body_steps=options.leader_body[1],
        follower_body=options.follower_body[0],
        follower_body_steps=options.follower_body[1],
    )


@dataclass(frozen=True)
class _Options:
    """The options a model's stored defaults may set, resolved and checked."""

    applied: dict[str, Any]
    layers: Any
    steps: Any
    num_steps: Any
    reuse_inversion: bool
    leader_root_path: bool
    inversion_corrections: int
    leader_body: tuple[str, tuple[int, ...]]
    follower_body: tuple[str, tuple[int, ...]]
    guidance_scale: Any


def _resolve_options(
    model: MotionDiffusionModel,
    inputs: Sequence[Any],
    *,
    layers: Any,
    steps: Any,
    num_steps: Any,
    reuse_inversion: bool | None,
    leader_root_path: bool | None,
    inversion_corrections: Any,
    output_text: Any,
    leader_body: Any,
    leader_body_steps: Any,
    follower_body: Any,
    follower_body_steps: Any,
    guidance_scale: Any,
) -> _Options:
    """Options left as None take the model's stored defaults; then the combinations are checked
    (``inputs``: the resolved leader and followers)."""
    all_real = all(item.is_real for item in inputs)
    given = {
        "layers": layers,
        "steps": steps,
        "num_steps": num_steps,
        "reuse_inversion": reuse_inversion,
        "leader_root_path": leader_root_path,
        "inversion_corrections": inversion_corrections,
        "leader_body": leader_body,
        "leader_body_steps": leader_body_steps,
        "follower_body": follower_body,
        "follower_body_steps": follower_body_steps,
        "guidance_scale": guidance_scale,
    }
    applied = _model_defaults(model, given, all_real)
    reuse = bool(applied.get("reuse_inversion", reuse_inversion))
    corrections = _corrections(applied.get("inversion_corrections", inversion_corrections))
    if corrections and reuse:
        raise TransferError(
            "inversion_corrections re-evaluate the model while inverting, which reuse_inversion "
            "records attention from; use one or the other"
        )
    if output_text not in OUTPUT_TEXTS:
        raise TransferError(
            f"output_text must be one of {', '.join(OUTPUT_TEXTS)}, got {output_text!r}"
        )
    if reuse and not all_real:
        raise TransferError(
            "reuse_inversion needs a real leader and real followers (prompts have no inversion "
            "to reuse); give motion files or leave it off"
        )
    return _Options(
        applied=applied,
        layers=applied.get("layers", layers),
        steps=applied.get("steps", steps),
        num_steps=applied.get("num_steps", num_steps),
        reuse_inversion=reuse,
        leader_root_path=bool(applied.get("leader_root_path", leader_root_path)),
        inversion_corrections=corrections,
        leader_body=resolve_leader_body(
            applied.get("leader_body", leader_body),
            applied.get("leader_body_steps", leader_body_steps),
            model.num_timesteps,
        ),
        follower_body=resolve_follower_body(
            applied.get("follower_body", follower_body),
            applied.get("follower_body_steps", follower_body_steps),
            model.num_timesteps,
        ),
        guidance_scale=applied.get("guidance_scale", guidance_scale),
    )


#: Most fixed-point corrections per inversion step (each one costs a model call per step).
MAX_INVERSION_CORRECTIONS = 10


def _corrections(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TransferError(f"inversion_corrections must be an integer, got {value!r}")
    if not 0 <= value <= MAX_INVERSION_CORRECTIONS:
        raise TransferError(
            f"inversion_corrections must be in 0..{MAX_INVERSION_CORRECTIONS}, got {value}"
        )
    return int(value)


def _model_defaults(
    model: MotionDiffusionModel, given: dict[str, Any], all_real: bool
) -> dict[str, Any]:
    """The model's stored defaults for the options the caller left as None."""
    from momo.pipelines.transfer.model_defaults import model_transfer_defaults

    stored = model_transfer_defaults(model)
    applied = {key: value for key, value in stored.items() if given.get(key) is None}
    if not all_real:
        applied.pop("reuse_inversion", None)
    return applied


def roles(num_followers: int) -> list[str]:
    """Labels of the inputs for messages: "leader", then "follower" or "follower 1", ..."""
    if num_followers == 1:
        return ["leader", "follower"]
    return ["leader", *(f"follower {j + 1}" for j in range(num_followers))]


def _check_length(frames: int, what: str, limit: int, real: bool) -> None:
    if frames < MIN_TRANSFER_FRAMES:
        raise TransferError(
            f"the {what} has {frames} frames ({frames / FPS:.2f} s); a transfer needs at least "
            f"{MIN_TRANSFER_FRAMES} frames ({MIN_TRANSFER_FRAMES / FPS:.0f} s at {FPS} fps). "
            "Use a longer motion" + ("" if real else " or a larger num_frames (--frames)")
        )
    if frames > limit:
        if real:
            raise TransferError(
                f"the {what} has {frames} frames ({frames / FPS:.1f} s) but the model supports "
                f"at most {limit} ({limit / FPS:.1f} s). Crop it first, e.g. "
                f"momo.Motion(motion.features[:{limit}], text=motion.text), or pass --crop to "
                "`momo transfer` to keep its first frames"
            )
        raise TransferError(
            f"num_frames {frames} exceeds the model's limit of {limit} frames "
            f"({limit / FPS:.1f} s); ask for at most {limit}"
        )


def _as_input(item: Any, what: str, text_frames: int, limit: int) -> TransferInput:
    if isinstance(item, Motion):
        _check_length(item.num_frames, what, limit, real=True)
        return TransferInput("motion", item.text or None, item.name, item.num_frames)
    if isinstance(item, str):
        if not item.strip():
            raise TransferError(f"the {what} prompt is empty; give a description of a motion")
        return TransferInput("text", item.strip(), None, text_frames)
    raise TransferError(
        f"the {what} must be a momo.Motion or a prompt string, got {type(item).__name__}"
    )


def input_list(leader: Any, followers: Any) -> list[Any]:
    """``[leader, *followers]``, after checking that followers is a non-empty list."""
    if isinstance(followers, (str, Motion)):
        raise TransferError(
            "followers must be a list of motions or prompts; wrap a single follower in a list, "
            "e.g. transfer(model, leader, [follower])"
        )
    try:
        followers = list(followers)
    except TypeError:
        raise TransferError(
            f"followers must be a list of motions or prompts, got {type(followers).__name__}"
        ) from None
    if not followers:
        raise TransferError("no followers given; pass at least one follower motion or prompt")
    return [leader, *followers]


def _resolve_inputs(
    leader: Any, followers: list[Any], num_frames: int | None, limit: int
) -> tuple[TransferInput, list[TransferInput], int]:
    if num_frames is not None and (
        isinstance(num_frames, bool) or not isinstance(num_frames, (int, np.integer))
    ):
        raise TransferError(f"num_frames must be an integer, got {num_frames!r}")
    if num_frames is None and isinstance(leader, Motion):
        # Check the leader first: its length is the default length of generated rows.
        _check_length(leader.num_frames, "leader", limit, real=True)
        text_frames = leader.num_frames
    else:
        text_frames = DEFAULT_NUM_FRAMES if num_frames is None else int(num_frames)
    if any(isinstance(item, str) for item in [leader, *followers]):
        _check_length(text_frames, "generated motion", limit, real=False)
    leader_in = _as_input(leader, "leader", text_frames, limit)
    followers_in = [
        _as_input(f, what, text_frames, limit)
        for f, what in zip(followers, roles(len(followers))[1:])
    ]
    return leader_in, followers_in, text_frames


def _warn_if_out_of_range(model: MotionDiffusionModel, motion: Motion, what: str) -> None:
    """Log a warning when a real motion lies far outside the model's training data."""
    groups = model.normalizer.out_of_range_groups(motion.features)
    if groups:
        described = ", ".join(f"{name} {z:.1f}" for name, z in groups.items())
        logger.warning(
            "the %s%s lies far outside the model's training data (mean |z| of %s; held-out "
            "data stays below 5): check its units (metres), up axis (+Y) and frame rate "
            "(20 fps); the transfer may be poor",
            what,
            f" ({motion.name})" if motion.name else "",
            described,
        )


def _guidance(
    guidance_scale: Any, leader: TransferInput, followers: Sequence[TransferInput]
) -> GuidanceScales:
    """Scales per role: generated rows and outputs as asked; inverted rows always at 1."""
    any_real = leader.is_real or any(f.is_real for f in followers)
    if guidance_scale is None:
        generated = DEFAULT_GUIDANCE_SCALE
        output = 1.0 if any_real else DEFAULT_GUIDANCE_SCALE
    else:
        try:
            generated = output = float(guidance_scale)
        except (TypeError, ValueError):
            raise TransferError(
                f"guidance_scale must be a number, got {guidance_scale!r}"
            ) from None
        if not math.isfinite(generated) or generated < 0:
            raise TransferError(
                f"guidance_scale must be a finite number >= 0, got {guidance_scale}"
            )

    def scale(item: TransferInput) -> float:
        return 1.0 if item.is_real else generated

    return GuidanceScales(
        leader=scale(leader),
        followers=tuple(scale(f) for f in followers),
        outputs=(output,) * len(followers),
    )


def _copies(follower_copies: Any) -> int:
    if isinstance(follower_copies, bool) or not isinstance(follower_copies, (int, np.integer)):
        raise TransferError(f"follower_copies must be an integer >= 1, got {follower_copies!r}")
    if follower_copies < 1:
        raise TransferError(f"follower_copies must be >= 1, got {follower_copies}")
    return int(follower_copies)


def _sampled_timesteps(
    model: MotionDiffusionModel, num_steps: Any, schedule: TransferSchedule
) -> tuple[int, ...]:
    """The DDIM timesteps of inversion and sampling; checks that some sampled step mixes."""
    total = model.num_timesteps
    if num_steps is not None and (
        isinstance(num_steps, bool)
        or not isinstance(num_steps, (int, np.integer))
        or not 1 <= num_steps <= total
    ):
        raise TransferError(f"num_steps must be an integer in 1..{total}, got {num_steps!r}")
    timesteps = sampled_timesteps(model, None if num_steps is None else int(num_steps))
    if schedule.layers and schedule.steps and not schedule.mixing_timesteps(timesteps):
        raise TransferError(
            f"none of the {len(timesteps)} sampled timesteps "
            f"({_span(timesteps)}) is a mixing step ({_span(schedule.steps)}); "
            "choose steps among the sampled ones or sample more steps"
        )
    return timesteps


def _span(values: Sequence[int]) -> str:
    values = list(values)
    if len(values) <= 6:
        return ", ".join(map(str, values))
    return f"{values[0]}, {values[1]}, ..., {values[-1]}"


def _check_noise(noise: Any, layout: TransferLayout, num_frames: int, nfeats: int) -> None:
    """Given initial noise: ``[1 + F]`` rows (leader, first copy of each follower) or
    ``[1 + F * k]`` (every copy), ``num_frames`` = the longest row, finite."""
    if not isinstance(noise, Tensor):
        raise TransferError(f"noise must be a torch.Tensor, got {type(noise).__name__}")
    per_follower = 1 + layout.num_followers
    per_copy = layout.num_input_rows
    if (
        noise.dim() != 3
        or noise.shape[0] not in (per_follower, per_copy)
        or tuple(noise.shape[1:]) != (num_frames, nfeats)
    ):
        shapes = f"[{per_follower}, {num_frames}, {nfeats}]"
        if per_copy != per_follower:
            shapes += f" or [{per_copy}, {num_frames}, {nfeats}] (one row per follower copy)"
        raise TransferError(
            f"noise must have shape {shapes} (leader, then followers; {num_frames} = the longest "
            f"row), got {list(noise.shape)}"
        )
    if not bool(torch.isfinite(noise).all()):
        raise TransferError("noise contains NaN or Inf")
