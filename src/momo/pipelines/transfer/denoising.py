"""The two ways a transfer denoises its batch, and what they share.

- `batched_transfer`: MoMo as the reference runs it. Real motions are DDIM-inverted with their
  own text and no guidance, prompts start from Gaussian noise, every output starts from a copy
  of the leader's latent, and the whole batch is sampled together; at the transfer steps the
  mixed-attention processor is installed on the transfer layers for the conditional forward
  only (unconditional guidance copies run plain) and removed after.
- `replayed_transfer` (``reuse_inversion``): the transfer layers record each output's mixed
  attention while the real inputs are inverted, then the outputs are sampled alone, reading the
  record (`momo.pipelines.transfer.replay`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Union

import torch
from torch import Tensor

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.guidance import X0Predictor, make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.sampling import sample
from momo.models.attention import Attention, AttentionProcessor, use_processors
from momo.motion.batch import frame_mask as make_frame_mask
from momo.motion.batch import normalized_batch, text_drop
from momo.pipelines.transfer.config import TransferConfig
from momo.pipelines.transfer.layout import TransferLayout
from momo.pipelines.transfer.leader_body import (
    KeptPart,
    PinRule,
    keeping_parts,
    travel_speed,
    travels_differently,
)
from momo.pipelines.transfer.mixed_attention import mixing_processors
from momo.pipelines.transfer.replay import (
    MixedAttentionStore,
    recording_processors,
    replay_processors,
    storage_dtype,
)
from momo.pipelines.transfer.schedule import TransferSchedule
from momo.text_embedding import TextEmbedding

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)

#: Size of the attention record of ``reuse_inversion`` above which a warning is logged.
RECORD_WARNING_BYTES = 2**30


@dataclass(frozen=True)
class TransferBatch:
    """What both denoising paths share: the model, the config and every row's conditions.

    Attributes:
        model: the model.
        config: the resolved transfer.
        scheduler: DDIM over the config's sampled timesteps.
        text: every row's prompt embedding (encoded once), in layout order.
        drop: bool ``[R]``: rows that run unconditionally (no text).
        frame_mask: bool ``[R, T]`` (True = real frame), or None when no row is padded.
        progress: show progress bars.
    """

    model: MotionDiffusionModel
    config: TransferConfig
    scheduler: DDIMScheduler
    text: TextEmbedding
    drop: Tensor
    frame_mask: Tensor | None
    progress: bool

    @property
    def layout(self) -> TransferLayout:
        """The batch layout."""
        return self.config.layout

    @property
    def schedule(self) -> TransferSchedule:
        """Where and when outputs mix."""
        return self.config.schedule


def prepare_batch(
    model: MotionDiffusionModel,
    config: TransferConfig,
    progress: bool,
    texts: Sequence[str | None] | None = None,
) -> TransferBatch:
    """Scheduler, prompts (each distinct one encoded once), text-drop flags and frame mask.

    ``texts`` is every row's prompt (default: ``config.row_texts()``); the row lengths are
    ``config.row_lengths``.
    """
    texts = config.row_texts() if texts is None else texts
    lengths, frames = config.row_lengths, config.batch_frames
    return TransferBatch(
        model=model,
        config=config,
        scheduler=DDIMScheduler(
            model.schedule, config.sampled_timesteps, reference_rounding=config.reference_rounding
        ),
        text=encode_rows(model, texts),
        drop=text_drop(texts, model.device),
        # every row full length: nothing to mask (same result, faster)
        frame_mask=make_frame_mask(lengths, frames, model.device)
        if min(lengths) < frames
        else None,
        progress=progress,
    )


def encode_rows(model: MotionDiffusionModel, texts: Sequence[str | None]) -> TextEmbedding:
    """Every row's prompt embedding, each distinct prompt encoded once (no text: "")."""
    unique = sorted({t for t in texts if t})
    if not unique:
        return model.encode_text([""] * len(texts))
    position = {t: i for i, t in enumerate(unique)}
    return model.encode_text(unique).index([position.get(t or "", 0) for t in texts])


def initial_noise(
    noise: Tensor | None, layout: TransferLayout, num_frames: int, nfeats: int, seed: int
) -> tuple[Tensor, list[list[Tensor]]]:
    """Initial noise of the input rows: (leader ``[T, F]``, followers ``[F][k]``), on the CPU.

    Seeded noise (float32, so a seed gives the same motions in any dtype) is drawn once for
    every input row in layout order; given noise (checked by `resolve_config`) replaces the
    leader's and the followers' rows (``[1 + F]``: the first copy of each follower, the other
    copies keep their seeded draw; ``[1 + F * k]``: every copy).
    """
    generator = torch.Generator().manual_seed(seed)
    drawn = torch.randn(layout.num_input_rows, num_frames, nfeats, generator=generator)
    leader, followers = layout.split_inputs(list(drawn))
    if noise is None:
        return leader, followers
    given = list(noise.detach().cpu())  # kept in its dtype (float64 noise stays exact)
    if len(given) == layout.num_input_rows:
        return layout.split_inputs(given)
    leader, first_copies = TransferLayout(layout.num_followers).split_inputs(given)
    return leader, [[first[0], *copies[1:]] for first, copies in zip(first_copies, followers)]


def scheduled(
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


def invert_motions(
    batch: TransferBatch,
    motions: Sequence[Motion],
    recording: MixedAttentionStore | None = None,
    pairs: tuple[Tensor, Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """DDIM-invert real motions, each with its own text, no guidance.

    With a ``recording`` store (motions = [leader, followers]), the transfer layers record each
    output's mixed attention at the transfer steps (`momo.pipelines.transfer.replay`) without
    changing the inversion; ``pairs`` (leader rows, follower rows) says which rows each output
    pairs (default: row 0 with each further row).

    Returns:
        (normalised clean motions, latents x_T), both ``[n, batch_frames, 263]``.
    """
    model = batch.model
    x0, frame_mask = normalized_batch(
        [m.features for m in motions],
        model.normalizer,
        max_frames=batch.config.batch_frames,
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
            model.denoiser.self_attention_modules(), batch.schedule.layers, recording, pairs
        )
        predict = scheduled(predict, batch.schedule, recorders, recording)
    corrections = batch.config.inversion_corrections
    return x0, ddim_invert(
        predict, x0, batch.scheduler, progress=batch.progress, corrections=corrections
    )


class InversionStore(Protocol):
    """Latents x_T of real motions inverted before (e.g. `momo.evaluation.InversionCache`).

    A latent is ``[frames, 263]`` (the motion's own frames), normalised, for this config's model
    settings; `load` returns None when the store has none.
    """

    def load(self, motion: Motion, config: TransferConfig) -> Tensor | None:
        """The stored latent of ``motion`` under ``config``, or None."""

    def save(self, motion: Motion, config: TransferConfig, latent: Tensor) -> None:
        """Keep ``latent`` (the motion's own frames) for later transfers."""


def inverted_latents(
    batch: TransferBatch, motions: Sequence[Motion], store: InversionStore | None = None
) -> list[Tensor]:
    """Latents x_T ``[batch_frames, 263]`` of real motions: from ``store``, else inverted together.

    Padded frames of a stored latent are zeros; they are masked like any padding, so the
    motion's own frames denoise as if it had been inverted in this batch.
    """
    if store is None:
        return list(invert_motions(batch, motions)[1])
    model, frames = batch.model, batch.config.batch_frames
    found = [store.load(m, batch.config) for m in motions]
    todo = [i for i, latent in enumerate(found) if latent is None]
    if todo:
        _, fresh = invert_motions(batch, [motions[i] for i in todo])
        for i, latent in zip(todo, fresh):
            store.save(motions[i], batch.config, latent[: len(motions[i].features)])
            found[i] = latent
    padded = []
    for latent in found:
        latent = latent.to(device=model.device, dtype=model.dtype)  # type: ignore[union-attr]
        padded.append(torch.nn.functional.pad(latent, (0, 0, 0, frames - len(latent))))
    return padded


def batched_transfer(
    batch: TransferBatch,
    inputs: Sequence[Motion | str],
    leader_noise: Tensor,
    follower_noise: Sequence[Sequence[Tensor]],
    inversions: InversionStore | None = None,
) -> Tensor:
    """MoMo as the reference runs it: leader, followers and outputs denoised in one batch.

    Args:
        batch: the prepared batch.
        inputs: ``[leader, *followers]``: real motions or prompts.
        leader_noise, follower_noise: initial noise of the input rows (`initial_noise`); used
            for prompts only.
        inversions: where real motions' latents are looked up and kept (None: invert all).

    Returns:
        x0 of every row of the layout ``[R, batch_frames, 263]``.
    """
    from momo.motion.motion import Motion

    model, layout = batch.model, batch.layout
    real = {i: item for i, item in enumerate(inputs) if isinstance(item, Motion)}
    inverted: dict[int, Tensor] = {}
    if real:
        inverted = dict(zip(real, inverted_latents(batch, list(real.values()), inversions)))

    def latent(index: int, drawn: Tensor) -> Tensor:
        if index in inverted:
            return inverted[index]
        return drawn.to(device=model.device, dtype=model.dtype)

    leader_latent = latent(0, leader_noise)
    follower_latents = [
        [latent(1 + j, drawn) for drawn in copies] for j, copies in enumerate(follower_noise)
    ]
    x_T = torch.stack(
        layout.arrange(leader_latent, follower_latents, lambda j: leader_latent, per_copy=True)
    )
    denoiser = model.denoiser
    scales = torch.tensor(batch.config.row_scales())
    predict = make_x0_predictor(denoiser, batch.text, batch.frame_mask, scales, batch.drop)
    mixing = mixing_processors(denoiser.self_attention_modules(), batch.schedule.layers, layout)
    keep = leader_body_kept(
        batch,
        layout.output_rows,
        [inputs[0] if isinstance(inputs[0], Motion) else layout.leader_row],
        [
            item if isinstance(item, Motion) else layout.follower_rows(j)[0]
            for j, item in enumerate(inputs[1:])
        ],
    )
    return sample(
        keep(scheduled(predict, batch.schedule, mixing)),
        x_T,
        batch.scheduler,
        progress=batch.progress,
    )


def leader_root_rotation(batch: TransferBatch, denoised: Tensor, leader: Motion | str) -> Tensor:
    """The root angular velocity (normalised feature 0, ``[batch_frames]``) the outputs take
    with ``assign_root_rotation``: the leader's as denoised (the reference), or, when
    ``leader_body`` keeps a body part, a real leader's as given (so the reconstruction does not
    replace what the kept part holds).

    Args:
        batch: the prepared batch.
        denoised: the leader row's x0 ``[batch_frames, F]``.
        leader: the leader as given.
    """
    from momo.motion.motion import Motion

    if batch.config.leader_body == "none" or not isinstance(leader, Motion):
        return denoised[:, 0]
    x, _ = batch.model.motions_to_model([leader])
    return torch.nn.functional.pad(x[0, :, 0], (0, len(denoised) - x.shape[1]))


#: A motion whose features an output reads: a real one, or the batch row generating it.
Source = Union["Motion", int]


def leader_body_kept(
    batch: TransferBatch,
    output_rows: Sequence[int],
    leaders: Sequence[Source],
    followers: Sequence[Source],
) -> Callable[[X0Predictor], X0Predictor]:
    """Wraps a predictor so the output rows keep their leaders' body part and take their
    followers' (the config's ``leader_body`` and ``follower_body``; identity when both are
    "none"). ``leaders`` and ``followers``: per output row (or one leader for all) its real
    leader / follower, or the batch row generating it."""
    config = batch.config
    kept = []
    if config.leader_body != "none":
        part = "lower" if config.leader_body == "auto" else config.leader_body
        steps = frozenset(config.leader_body_steps)
        kept.append(KeptPart(part, steps, _sources(batch, leaders, len(output_rows))))
    if config.follower_body != "none":
        steps = frozenset(config.follower_body_steps)
        source = _sources(batch, followers, len(output_rows))
        lengths = [config.row_lengths[m] if isinstance(m, int) else m.num_frames for m in followers]
        kept.insert(0, KeptPart(config.follower_body, steps, source, lengths))
    if not kept:
        return lambda predict: predict
    pinned = None
    if config.leader_body == "auto":
        per_output = list(leaders) * (len(output_rows) if len(leaders) == 1 else 1)
        pinned = _travel_rule(batch, per_output, list(followers))
    return lambda predict: keeping_parts(predict, kept, output_rows, pinned)


def _sources(
    batch: TransferBatch, motions: Sequence[Source], num_outputs: int
) -> Tensor | list[int | Tensor]:
    """`KeptPart.source` of per-output (or one shared) motions: normalised features padded to
    the batch's frames when all are real, else per output its batch row (a generated motion)
    or its features ``[T, F]`` (a real one)."""
    real = [m for m in motions if not isinstance(m, int)]
    if not real:
        return [int(m) for m in motions] * (num_outputs if len(motions) == 1 else 1)
    x, _ = batch.model.motions_to_model(real)  # type: ignore[arg-type]
    x = torch.nn.functional.pad(x, (0, 0, 0, batch.config.batch_frames - x.shape[1]))
    if len(real) == len(motions):
        return x
    features = iter(x)
    return [m if isinstance(m, int) else next(features) for m in motions]


def _travel_rule(
    batch: TransferBatch, leaders: Sequence[Source], followers: Sequence[Source]
) -> PinRule:
    """``leader_body="auto"``: an output keeps its leader's lower body when leader and follower
    travel differently (`travels_differently`); a real motion's speed is its own, a generated
    one's that of its row in the step's x0 prediction."""
    mean, std = batch.model.normalizer.as_tensors(dtype=torch.float64)
    lengths = batch.config.row_lengths
    given = {
        id(m): travel_speed(m.features) for m in [*leaders, *followers] if not isinstance(m, int)
    }  # real motions' speeds, measured once

    def speed(source: Source, x0: Tensor) -> float:
        if not isinstance(source, int):
            return given[id(source)]
        rows = x0[source, : lengths[source]].detach().cpu().double()
        return travel_speed(rows * std + mean)

    def rule(x0: Tensor) -> list[bool]:
        flags = [
            travels_differently(speed(lead, x0), speed(follow, x0))
            for lead, follow in zip(leaders, followers)
        ]
        logger.debug("leader_body=auto: outputs keeping the leader's lower body: %s", flags)
        return flags

    return rule


def replayed_transfer(batch: TransferBatch, motions: Sequence[Motion]) -> Tensor:
    """MoMo with the inversion's attention (`momo.pipelines.transfer.replay`): outputs sampled
    alone.

    Follower copies of a real motion are identical, and attending to k identical copies of
    keys/values equals attending to one, so each follower is recorded once.

    Args:
        batch: the prepared batch.
        motions: ``[leader, *followers]``, all real.

    Returns:
        x0 of every row of the layout ``[R, batch_frames, 263]``: the leader's and followers'
        rows are the real motions, normalised.
    """
    model, layout, schedule, config = batch.model, batch.layout, batch.schedule, batch.config
    num_followers = len(motions) - 1
    store = MixedAttentionStore(storage_dtype(model.dtype))
    _warn_if_record_is_large(store, batch, num_followers)
    clean, latents = invert_motions(batch, motions, store)
    logger.info("reuse_inversion: %d bytes of recorded attention", store.nbytes)

    outputs = layout.output_rows
    rows = torch.tensor(outputs, device=model.device)
    leader_frames = config.row_lengths[layout.leader_row]
    out_frame_mask = None
    if leader_frames < config.batch_frames:
        out_frame_mask = make_frame_mask(
            [leader_frames] * len(outputs), config.batch_frames, model.device
        )
    scales = config.row_scales()
    predict = make_x0_predictor(
        model.denoiser,
        batch.text.index(rows.to(batch.text.tokens.device)),
        out_frame_mask,
        torch.tensor([scales[r] for r in outputs]),
        batch.drop[rows],
    )
    replay = replay_processors(model.denoiser.self_attention_modules(), schedule.layers, store)
    x_T = latents[:1].expand(len(outputs), -1, -1).clone()
    keep = leader_body_kept(batch, list(range(len(outputs))), motions[:1], motions[1:])
    sampled = sample(
        keep(scheduled(predict, schedule, replay, store)),
        x_T,
        batch.scheduler,
        progress=batch.progress,
    )
    store.entries.clear()
    follower_clean = [[clean[1 + j]] * layout.follower_copies for j in range(num_followers)]
    outputs_x0 = list(sampled)
    return torch.stack(
        layout.arrange(clean[0], follower_clean, lambda j: outputs_x0[j], per_copy=True)
    )


def _warn_if_record_is_large(
    store: MixedAttentionStore, batch: TransferBatch, num_followers: int
) -> None:
    """Announce an attention record above `RECORD_WARNING_BYTES` before inverting."""
    config = batch.model.denoiser.config
    steps = len(batch.config.mixing_timesteps)
    size = (
        steps
        * len(batch.schedule.layers)
        * store.record_bytes(
            num_followers,
            batch.config.batch_frames + int(config.has_cls_token),
            config.latent_dim,
        )
    )
    if size > RECORD_WARNING_BYTES:
        logger.warning(
            "reuse_inversion will hold %.2f GiB (%d bytes) of recorded attention for %d "
            "follower(s); pass fewer followers per call if memory is short",
            size / 2**30,
            size,
            num_followers,
        )
