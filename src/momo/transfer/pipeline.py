"""`momo.transfer`: MoMo's zero-shot motion transfer (MOMO_SPEC.md §5), in numbered steps.

1. Resolve the inputs: each of the leader and the followers is a real motion or a prompt;
   lengths are checked against what the model supports.
2. Resolve the schedule (layers x timesteps), the batch layout and the guidance of every row.
3. Encode every prompt once.
4. Initial latents: real motions are DDIM-inverted with their own text and no guidance;
   prompts start from Gaussian noise (seeded or given). Every output starts from a copy of
   the leader's latent.
5. DDIM sampling of the whole batch; at transfer steps the mixed-attention processor is
   installed on the transfer layers for the conditional forward only (unconditional guidance
   copies run plain) and removed after.
6. Assign the leader's root rotation (feature 0) to every output, cut each row to its length.

With ``reuse_inversion`` (real motions only), steps 4-5 record the outputs' mixed attention
while inverting and then sample the outputs alone (`momo.transfer.replay`); with ``num_steps``
inversion and sampling run on evenly respaced timesteps.

Only what is needed is computed: output rows never project their own queries/keys/values in a
mixing layer (their attention reads the leader's queries and the followers' keys/values
computed for those rows anyway), unconditional guidance copies exist only for rows whose scale
is not 1, their cross-attention is a constant (`ConstantMemoryCrossAttention`), attention runs
without a mask when no row is padded, and prompts are encoded once.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch import Tensor

from momo.constants import DEFAULT_GUIDANCE_SCALE, DEFAULT_NUM_FRAMES, FPS, MIN_TRANSFER_FRAMES
from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.guidance import X0Predictor, make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.sampling import sample
from momo.errors import TransferError
from momo.models.attention import Attention, AttentionProcessor, use_processors
from momo.motion.batch import frame_mask as make_frame_mask
from momo.motion.batch import normalized_batch, text_drop
from momo.motion.motion import Motion
from momo.transfer.cross_attention import ConstantMemoryCrossAttention
from momo.transfer.layout import TransferLayout
from momo.transfer.mixed_attention import mixing_processors
from momo.transfer.replay import (
    MixedAttentionStore,
    recording_processors,
    replay_processors,
    storage_dtype,
)
from momo.transfer.result import TransferResult
from momo.transfer.schedule import TransferSchedule

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.models.text_encoders import TextEmbedding

logger = logging.getLogger(__name__)

#: Size of the attention record of ``reuse_inversion`` above which a warning is logged.
RECORD_WARNING_BYTES = 2**30


@dataclass(frozen=True)
class TransferInput:
    """A leader or follower as given: a real motion or a prompt, with its resolved length.

    Attributes:
        motion: the real motion, or None for a prompt.
        text: the caption of the motion or the prompt (None: a motion without caption; its rows
            run unconditionally).
        num_frames: frames of the row (the motion's, or the generation length).
    """

    motion: Motion | None
    text: str | None
    num_frames: int

    @property
    def is_real(self) -> bool:
        """True for a real motion (inverted), False for a prompt (generated)."""
        return self.motion is not None

    def describe(self) -> dict[str, Any]:
        """JSON-ready record for config.json."""
        return {
            "kind": "motion" if self.is_real else "text",
            "text": self.text,
            "name": None if self.motion is None else self.motion.name,
            "num_frames": self.num_frames,
        }


def max_motion_frames(model: MotionDiffusionModel) -> int:
    """Longest motion the model supports (`MotionDiffusionModel.max_frames`)."""
    return model.max_frames


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
        return TransferInput(item, item.text or None, item.num_frames)
    if isinstance(item, str):
        if not item.strip():
            raise TransferError(f"the {what} prompt is empty; give a description of a motion")
        return TransferInput(None, item.strip(), text_frames)
    raise TransferError(
        f"the {what} must be a momo.Motion or a prompt string, got {type(item).__name__}"
    )


def _resolve_inputs(
    leader: Any, followers: Any, num_frames: int | None, limit: int
) -> tuple[TransferInput, list[TransferInput], int]:
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
        for f, what in zip(followers, _roles(len(followers))[1:])
    ]
    return leader_in, followers_in, text_frames


def _roles(num_followers: int) -> list[str]:
    if num_followers == 1:
        return ["leader", "follower"]
    return ["leader", *(f"follower {j + 1}" for j in range(num_followers))]


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
    guidance_scale: float | None, leader: TransferInput, followers: Sequence[TransferInput]
) -> tuple[float, float]:
    """(scale of generated rows, scale of outputs); inverted rows always run at 1."""
    any_real = leader.is_real or any(f.is_real for f in followers)
    if guidance_scale is None:
        return DEFAULT_GUIDANCE_SCALE, 1.0 if any_real else DEFAULT_GUIDANCE_SCALE
    try:
        scale = float(guidance_scale)
    except (TypeError, ValueError):
        raise TransferError(f"guidance_scale must be a number, got {guidance_scale!r}") from None
    if not math.isfinite(scale) or scale < 0:
        raise TransferError(f"guidance_scale must be a finite number >= 0, got {guidance_scale}")
    return scale, scale


def _copies(follower_copies: Any) -> int:
    if isinstance(follower_copies, bool) or not isinstance(follower_copies, (int, np.integer)):
        raise TransferError(f"follower_copies must be an integer >= 1, got {follower_copies!r}")
    if follower_copies < 1:
        raise TransferError(f"follower_copies must be >= 1, got {follower_copies}")
    return int(follower_copies)


def _input_noise(
    noise: Tensor | None,
    layout: TransferLayout,
    num_frames: int,
    nfeats: int,
    generator: torch.Generator,
) -> tuple[Tensor, list[list[Tensor]]]:
    """Initial noise of the input rows: (leader ``[T, F]``, followers ``[F][k]``), on the CPU.

    Seeded noise (float32, so a seed gives the same motions in any dtype) is drawn once for every input row in layout order; given noise replaces the
    leader's and the followers' rows (``[1 + F]``: the first copy of each follower, the other
    copies keep their seeded draw; ``[1 + F * k]``: every copy).
    """
    drawn = torch.randn(layout.num_input_rows, num_frames, nfeats, generator=generator)
    leader, followers = layout.split_inputs(list(drawn))
    if noise is None:
        return leader, followers
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
    given = list(noise.detach().cpu())  # kept in its dtype (float64 noise stays exact)
    if len(given) == per_copy:
        return layout.split_inputs(given)
    leader, first_copies = TransferLayout(layout.num_followers).split_inputs(given)
    return leader, [[first[0], *copies[1:]] for first, copies in zip(first_copies, followers)]


def _scheduled(
    predict: X0Predictor,
    schedule: TransferSchedule,
    processors: Mapping[Attention, AttentionProcessor],
    store: MixedAttentionStore | None = None,
) -> X0Predictor:
    """``predict`` with ``processors`` installed at the schedule's timesteps (and the store told
    which timestep it is, None outside the schedule)."""

    def predict_x0(x_t: Tensor, timestep: int) -> Tensor:
        mixes = schedule.mixes_at(timestep)
        if store is not None:
            store.timestep = timestep if mixes else None
        if not mixes:
            return predict(x_t, timestep)
        with use_processors(processors):
            return predict(x_t, timestep)

    return predict_x0


@dataclass(frozen=True)
class _Plan:
    """Everything resolved before denoising: inputs, layout, schedule and per-row conditions."""

    model: MotionDiffusionModel
    leader: TransferInput
    followers: Sequence[TransferInput]
    layout: TransferLayout
    schedule: TransferSchedule
    scheduler: DDIMScheduler
    batch_frames: int
    lengths: Sequence[int]
    scales: Sequence[float]
    text: TextEmbedding
    drop: Tensor
    progress: bool


def _invert(
    plan: _Plan,
    motions: Sequence[Motion],
    recording: MixedAttentionStore | None = None,
) -> tuple[Tensor, Tensor]:
    """DDIM-invert real motions, each with its own text, no guidance.

    With a ``recording`` store (motions = [leader, followers]), the transfer layers record each
    output's mixed attention at the transfer steps (`momo.transfer.replay`) without changing
    the inversion.

    Returns:
        (normalised clean motions, latents x_T), both ``[n, batch_frames, 263]``.
    """
    model = plan.model
    x0_t, frame_mask = normalized_batch(
        [m.features for m in motions],
        model.normalizer,
        max_frames=plan.batch_frames,
        device=model.device,
        dtype=model.dtype,
    )
    texts = [m.text or "" for m in motions]
    if bool(frame_mask.all()):
        frame_mask = None  # nothing to mask: attention runs without a mask (same result)
    drop = text_drop(texts, model.device)
    predict = make_x0_predictor(model.denoiser, model.encode_text(texts), frame_mask, 1.0, drop)
    if recording is not None:
        recorders = recording_processors(
            model.denoiser.self_attention_modules(), plan.schedule.layers, recording
        )
        predict = _scheduled(predict, plan.schedule, recorders, recording)
    return x0_t, ddim_invert(predict, x0_t, plan.scheduler, progress=plan.progress)


def _scheduler(
    model: MotionDiffusionModel,
    num_steps: Any,
    reference_rounding: bool,
    schedule: TransferSchedule,
) -> DDIMScheduler:
    """The DDIM scheduler of inversion and sampling; checks that some sampled step mixes."""
    total = model.num_timesteps
    if num_steps is not None and (
        isinstance(num_steps, bool)
        or not isinstance(num_steps, (int, np.integer))
        or not 1 <= num_steps <= total
    ):
        raise TransferError(f"num_steps must be an integer in 1..{total}, got {num_steps!r}")
    scheduler = model.scheduler(
        None if num_steps is None else int(num_steps), reference_rounding=reference_rounding
    )
    if schedule.layers and schedule.steps and not schedule.mixing_timesteps(scheduler.timesteps):
        raise TransferError(
            f"none of the {len(scheduler.timesteps)} sampled timesteps "
            f"({_span(scheduler.timesteps)}) is a mixing step ({_span(schedule.steps)}); "
            "choose steps among the sampled ones or sample more steps"
        )
    return scheduler


def _span(values: Sequence[int]) -> str:
    values = list(values)
    if len(values) <= 6:
        return ", ".join(map(str, values))
    return f"{values[0]}, {values[1]}, ..., {values[-1]}"


def _batched_transfer(
    plan: _Plan,
    frame_mask: Tensor | None,
    leader_noise: Tensor,
    follower_noise: Sequence[Sequence[Tensor]],
) -> Tensor:
    """MoMo as the reference runs it: leader, followers and outputs denoised in one batch.

    Returns:
        x0 of every row of the layout ``[R, batch_frames, 263]``.
    """
    model, layout = plan.model, plan.layout
    real_inputs = [item for item in [plan.leader, *plan.followers] if item.is_real]
    inverted: dict[int, Tensor] = {}
    if real_inputs:
        _, latents = _invert(plan, [item.motion for item in real_inputs])  # type: ignore[misc]
        inverted = {id(item): latent for item, latent in zip(real_inputs, latents)}

    def latent(item: TransferInput, drawn: Tensor) -> Tensor:
        if item.is_real:
            return inverted[id(item)]
        return drawn.to(device=model.device, dtype=model.dtype)

    leader_latent = latent(plan.leader, leader_noise)
    follower_latents = [
        [latent(item, drawn) for drawn in follower_noise[j]]
        for j, item in enumerate(plan.followers)
    ]
    x_T = torch.stack(
        layout.arrange(leader_latent, follower_latents, lambda j: leader_latent, per_copy=True)
    )

    # 5. Sampling with mixed attention at the transfer steps.
    denoiser = model.denoiser
    predict = make_x0_predictor(
        denoiser, plan.text, frame_mask, torch.tensor(plan.scales), plan.drop
    )
    mixing = mixing_processors(denoiser.self_attention_modules(), plan.schedule.layers, layout)
    return sample(
        _scheduled(predict, plan.schedule, mixing), x_T, plan.scheduler, progress=plan.progress
    )


def _replayed_transfer(plan: _Plan) -> Tensor:
    """MoMo with the inversion's attention (`momo.transfer.replay`): outputs sampled alone.

    Follower copies of a real motion are identical, and attending to k identical copies of
    keys/values equals attending to one, so each follower is recorded once.

    Returns:
        x0 of every row of the layout ``[R, batch_frames, 263]``: the leader's and followers'
        rows are the real motions, normalised.
    """
    model, layout, schedule = plan.model, plan.layout, plan.schedule
    store = MixedAttentionStore(storage_dtype(model.dtype))
    config = model.denoiser.config
    steps = len(schedule.mixing_timesteps(plan.scheduler.timesteps))
    size = (
        steps
        * len(schedule.layers)
        * store.record_bytes(
            len(plan.followers), plan.batch_frames + int(config.has_cls_token), config.latent_dim
        )
    )
    if size > RECORD_WARNING_BYTES:
        logger.warning(
            "reuse_inversion will hold %.2f GiB (%d bytes) of recorded attention for %d "
            "follower(s); pass fewer followers per call if memory is short",
            size / 2**30,
            size,
            len(plan.followers),
        )
    motions = [item.motion for item in [plan.leader, *plan.followers]]
    clean, latents = _invert(plan, motions, store)  # type: ignore[arg-type]
    logger.info("reuse_inversion: %d bytes of recorded attention", store.nbytes)

    outputs = layout.output_rows
    rows = torch.tensor(outputs, device=model.device)
    leader_frames = plan.lengths[layout.leader_row]
    out_frame_mask = None
    if leader_frames < plan.batch_frames:
        out_frame_mask = make_frame_mask(
            [leader_frames] * len(outputs), plan.batch_frames, model.device
        )
    predict = make_x0_predictor(
        model.denoiser,
        plan.text.index(rows.to(plan.text.tokens.device)),
        out_frame_mask,
        torch.tensor([plan.scales[r] for r in outputs]),
        plan.drop[rows],
    )
    replay = replay_processors(model.denoiser.self_attention_modules(), schedule.layers, store)
    x_T = latents[:1].expand(len(outputs), -1, -1).clone()
    sampled = sample(
        _scheduled(predict, schedule, replay, store), x_T, plan.scheduler, progress=plan.progress
    )
    store.entries.clear()
    follower_clean = [[clean[1 + j]] * layout.follower_copies for j in range(len(plan.followers))]
    outputs_x0 = list(sampled)
    return torch.stack(
        layout.arrange(clean[0], follower_clean, lambda j: outputs_x0[j], per_copy=True)
    )


def transfer(
    model: MotionDiffusionModel,
    leader: Motion | str,
    followers: Sequence[Motion | str],
    *,
    num_frames: int | None = None,
    layers: Sequence[int] | None = None,
    steps: Sequence[int] | None = None,
    guidance_scale: float | None = None,
    assign_root_rotation: bool = True,
    follower_copies: int = 1,
    noise: Tensor | None = None,
    seed: int | None = None,
    progress: bool = True,
    reference_rounding: bool = False,
    num_steps: int | None = None,
    reuse_inversion: bool = False,
) -> TransferResult:
    """Transfer each follower's motifs onto the leader's outline (MoMo).

    Args:
        model: a loaded model (`momo.load_model`).
        leader: a real `Motion` (inverted) or a prompt (generated).
        followers: one or more real motions or prompts; one output per follower.
        num_frames: length of prompt-generated rows (default: the leader's if it is real, else
            120). Outputs always take the leader's length.
        layers: 0-based decoder layers that mix (default 1..L-1; empty: none, which gives plain
            generation of the follower's text from the leader's noise).
        steps: model timesteps that mix (default round(0.1T)..T-round(0.1T)).
        guidance_scale: classifier-free guidance of generated rows and outputs. Default: 2.5
            when every motion is generated; when any motion is real, outputs default to 1.0
            (the reference's choice) and generated rows to 2.5. Inverted rows always run at 1.
        assign_root_rotation: replace each output's root angular velocity (feature 0) by the
            leader's, so outputs turn as the leader does.
        follower_copies: k rows per follower whose keys/values are concatenated. Prompt
            followers get k samples. Real followers get k copies turned about the vertical axis
            by 360/k degrees; HumanML3D features are expressed in each frame's heading frame, so
            such a turn leaves them unchanged and the copies equal the original.
        noise: optional initial latents ``[1 + F, T, 263]`` of the leader and follower rows
            (``[1 + F * k, T, 263]`` for one per copy), normalised, T = the longest row; rows of
            real motions are ignored.
        seed: seed of the noise (None: a fresh one, recorded in ``result.config``).
        progress: show progress bars.
        reference_rounding: round the DDIM coefficients to float32 as the reference does
            (default: keep them in float64; the two differ by up to ~3.5e-5).
        num_steps: DDIM steps of inversion and sampling, evenly respaced over the model's
            timesteps (default: all of them, as the reference). Fewer steps are proportionally
            faster and change the result; mixing happens at the sampled timesteps that lie in
            ``steps``.
        reuse_inversion: real leader and real followers only: take the leader's and the
            followers' attention at the transfer steps from their inversion instead of
            denoising them again, and sample the outputs alone (`momo.transfer.replay`). About
            1.5x faster for one follower; the outputs differ from the reference's by the
            inversion's reconstruction drift, and the reported leader and followers are the
            real motions themselves.

    Returns:
        A `TransferResult` with one output per follower.

    Raises:
        TransferError: no followers, a motion too long or too short, layers or steps out of
            range, no mixing step among the sampled timesteps, ``reuse_inversion`` with a prompt,
            or malformed noise / guidance / copies / num_steps.
    """
    # 1. Inputs.
    limit = max_motion_frames(model)
    leader_in, followers_in, text_frames = _resolve_inputs(leader, followers, num_frames, limit)
    copies = _copies(follower_copies)
    for item, what in zip([leader_in, *followers_in], _roles(len(followers_in))):
        if item.is_real:
            _warn_if_out_of_range(model, item.motion, what)  # type: ignore[arg-type]

    # 2. Schedule, layout, guidance.
    denoiser = model.denoiser
    schedule = TransferSchedule.resolve(
        len(denoiser.self_attention_modules()), model.num_timesteps, layers, steps
    )
    layout = TransferLayout(len(followers_in), copies)
    generated_scale, output_scale = _guidance(guidance_scale, leader_in, followers_in)
    scheduler = _scheduler(model, num_steps, reference_rounding, schedule)
    if reuse_inversion and not all(item.is_real for item in [leader_in, *followers_in]):
        raise TransferError(
            "reuse_inversion needs a real leader and real followers (prompts have no inversion "
            "to reuse); give motion files or leave it off"
        )

    def row_scale(item: TransferInput) -> float:
        return 1.0 if item.is_real else generated_scale

    scales = layout.arrange(
        row_scale(leader_in), [row_scale(f) for f in followers_in], lambda j: output_scale
    )
    texts = layout.arrange(
        leader_in.text, [f.text for f in followers_in], lambda j: followers_in[j].text
    )
    lengths = layout.arrange(
        leader_in.num_frames, [f.num_frames for f in followers_in], lambda j: leader_in.num_frames
    )
    batch_frames = max(lengths)
    if copies > 1 and any(f.is_real for f in followers_in):
        logger.warning(
            "follower_copies=%d with a real follower: HumanML3D features do not depend on the "
            "heading, so its copies turned about the vertical axis equal the original and only "
            "add computation",
            copies,
        )
    if seed is None:
        seed = secrets.randbits(63)
    generator = torch.Generator().manual_seed(int(seed))

    # Unconditional rows' cross-attention is a constant: skip its work (same result).
    shortcuts = {m: ConstantMemoryCrossAttention() for m in denoiser.cross_attention_modules()}
    with torch.inference_mode(), use_processors(shortcuts):
        # 3. Prompts, encoded once.
        unique = sorted({t for t in texts if t})
        if unique:
            embedding = model.encode_text(unique)
            position = {t: i for i, t in enumerate(unique)}
            text = embedding.index([position.get(t or "", 0) for t in texts])
        else:
            text = model.encode_text([""] * len(texts))
        drop = text_drop(texts, model.device)
        frame_mask = None  # every row is full length: nothing to mask (same result, faster)
        if min(lengths) < batch_frames:
            frame_mask = make_frame_mask(lengths, batch_frames, model.device)

        # 4. Initial latents.
        nfeats = denoiser.config.nfeats
        leader_noise, follower_noise = _input_noise(noise, layout, batch_frames, nfeats, generator)
        plan = _Plan(
            model, leader_in, followers_in, layout, schedule, scheduler, batch_frames, lengths,
            scales, text, drop, progress,
        )  # fmt: skip
        if reuse_inversion:  # 4-5 with the inversion's attention: outputs sampled alone
            x0 = _replayed_transfer(plan)
        else:
            x0 = _batched_transfer(plan, frame_mask, leader_noise, follower_noise)

        # 6. Root rotation, lengths, motions.
        if assign_root_rotation:
            for row in layout.output_rows:
                x0[row, :, 0] = x0[layout.leader_row, :, 0]
        features = model.model_to_features(x0, lengths)

    motions = [
        Motion(f, text=t, name=row.label, meta={"role": row.role, "guidance_scale": s})
        for f, t, row, s in zip(features, texts, layout.rows, scales)
    ]
    config = _record(
        model,
        leader_in,
        followers_in,
        layout,
        schedule,
        scales,
        lengths,
        text_frames,
        assign_root_rotation,
        seed,
        noise is not None,
        reference_rounding,
        scheduler,
        reuse_inversion,
    )
    return TransferResult.from_rows(
        motions,
        layout,
        config=config,
        leader_input=leader_in.motion,
        follower_inputs=[f.motion for f in followers_in],
        samples=x0.detach().cpu(),
    )


def _record(
    model: MotionDiffusionModel,
    leader: TransferInput,
    followers: Sequence[TransferInput],
    layout: TransferLayout,
    schedule: TransferSchedule,
    scales: Sequence[float],
    lengths: Sequence[int],
    text_frames: int,
    assign_root_rotation: bool,
    seed: int,
    noise_given: bool,
    reference_rounding: bool,
    scheduler: DDIMScheduler,
    reuse_inversion: bool,
) -> dict[str, Any]:
    """Every resolved parameter, JSON-ready (written as config.json)."""
    from momo import __version__

    split = layout.split(list(scales))
    rotations: list[list[float]] | None = None
    if layout.follower_copies > 1:
        rotations = [
            [
                360.0 * c / layout.follower_copies if f.is_real else 0.0
                for c in range(layout.follower_copies)
            ]
            for f in followers
        ]
    sampler: Literal["ddim"] = "ddim"
    return {
        "momo_version": __version__,
        "leader": leader.describe(),
        "followers": [f.describe() for f in followers],
        "num_frames": text_frames,
        "rows": [row.label for row in layout.rows],
        "row_lengths": list(lengths),
        "layers": list(schedule.layers),
        "steps": list(schedule.steps),
        "mixing_timesteps": schedule.mixing_timesteps(scheduler.timesteps),
        "num_layers": schedule.num_layers,
        "num_timesteps": schedule.num_timesteps,
        "guidance_scale": {
            "leader": split.leader,
            "followers": [copies[0] for copies in split.followers],
            "outputs": split.outputs,
        },
        "follower_copies": layout.follower_copies,
        "follower_copy_rotations_degrees": rotations,
        "assign_root_rotation": assign_root_rotation,
        "seed": int(seed),
        "noise": "given" if noise_given else "seeded",
        "sampler": sampler,
        "eta": 0.0,
        "reference_rounding": reference_rounding,
        "num_steps": len(scheduler.timesteps),
        "sampled_timesteps": [int(t) for t in scheduler.timesteps],
        "reuse_inversion": reuse_inversion,
        "inversion": {"text": "own caption", "guidance_scale": 1.0},
        "device": str(model.device),
        "dtype": str(model.dtype).removeprefix("torch."),
        "model": model.config.to_dict(),
        "text_encoder": getattr(model.text_encoder, "name", type(model.text_encoder).__name__),
    }
