"""Attention features of many real motions at once: DDIM inversion in batches.

`capture_features` records one motion; this records many, batching motions of similar length
into one inversion each (rows never interact: attention is masked to each row's own frames).
Every motion is conditioned on its own text (no guidance), as `momo.invert` does, and its
features are those the model sees at level t on the way up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from einops import rearrange
from torch import Tensor
from tqdm.auto import tqdm

from momo.analysis.capture import AttentionFeatures, _choose
from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.errors import TransferError
from momo.models.attention import AttentionCapture, CaptureProcessor, use_processors
from momo.pipelines.scheduling import ddim_scheduler

if TYPE_CHECKING:
    from momo.diffusion.ddim import DDIMScheduler
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

#: Default number of motions inverted together.
DEFAULT_BATCH_SIZE = 32


def capture_motions(
    model: MotionDiffusionModel,
    motions: Sequence[Motion],
    *,
    layers: Sequence[int] | int | None = None,
    timesteps: Sequence[int] | int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_steps: int | None = None,
    progress: bool = False,
) -> list[AttentionFeatures]:
    """Record per-frame self-attention queries, keys and values of many real motions.

    Args:
        model: a loaded model in eval mode.
        motions: real motions (each conditioned on its own ``text``; None: unconditional).
        layers: 0-based self-attention layers (an int, a list, or None for all).
        timesteps: model timesteps (an int, a list, or None for all).
        batch_size: motions per inversion (sorted by length so padding stays small).
        num_steps: DDIM inversion over this many evenly spaced timesteps
            (`MotionDiffusionModel.scheduler`); None: all of them. ``timesteps`` must be among
            them.
        progress: show a progress bar over batches.

    Returns:
        One `AttentionFeatures` per motion, in the order given (``source="inversion"``;
        ``final_sample`` is the motion's inverted latent x_T).

    Raises:
        TransferError: no motions, a motion too long for the model, bad layers/timesteps.
    """
    if not motions:
        raise TransferError("no motions given; pass at least one Motion")
    if batch_size < 1:
        raise TransferError(f"batch_size must be >= 1, got {batch_size}")
    denoiser = model.denoiser
    config = denoiser.config
    modules = denoiser.self_attention_modules()
    try:
        scheduler = ddim_scheduler(model, num_steps)
    except ValueError as error:
        raise TransferError(f"num_steps: {error}") from None
    chosen_layers = _choose(layers, list(range(len(modules))), "layers")
    chosen_steps = _choose(timesteps, list(scheduler.timesteps), "timesteps")
    too_long = [m.num_frames for m in motions if m.num_frames + 1 > config.max_positions]
    if too_long:
        raise TransferError(
            f"a motion has {max(too_long)} frames, the model handles at most "
            f"{config.max_positions - 1}; cut it shorter"
        )
    order = sorted(range(len(motions)), key=lambda i: motions[i].num_frames)
    results: dict[int, AttentionFeatures] = {}
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for rows in tqdm(batches, desc="capturing", disable=not progress, leave=False):
        batch = [motions[i] for i in rows]
        captured = _capture_batch(model, scheduler, batch, chosen_layers, chosen_steps)
        for row, features in zip(rows, captured):
            results[row] = features
    return [results[i] for i in range(len(motions))]


def _capture_batch(
    model: MotionDiffusionModel,
    scheduler: DDIMScheduler,
    motions: Sequence[Motion],
    layers: tuple[int, ...],
    timesteps: tuple[int, ...],
) -> list[AttentionFeatures]:
    """One batched inversion with capture on ``layers`` at ``timesteps``."""
    denoiser = model.denoiser
    modules = denoiser.self_attention_modules()
    x_start, frame_mask = model.motions_to_model(list(motions))
    texts = [m.text or None for m in motions]
    embedding = model.encode_text([t or "" for t in texts])
    drop = torch.tensor([t is None for t in texts], dtype=torch.bool, device=model.device)
    predict = make_x0_predictor(denoiser, embedding, frame_mask, 1.0, drop)

    capture = AttentionCapture(to_cpu=True)
    processors = {modules[layer]: CaptureProcessor(capture, layer) for layer in layers}
    wanted = set(timesteps)
    skip_first = 1 if denoiser.config.has_cls_token else 0
    store: dict[tuple[int, int], tuple[Tensor, Tensor, Tensor]] = {}

    def merged(t: Tensor) -> Tensor:
        return rearrange(t, "b h n e -> b n (h e)")[:, skip_first:].clone()

    def predict_capturing(x_t: Tensor, timestep: int) -> Tensor:
        if int(timestep) not in wanted:
            return predict(x_t, timestep)
        with use_processors(processors):
            x0 = predict(x_t, timestep)
        for record in capture.records:
            store[(record.layer, int(timestep))] = (
                merged(record.q),
                merged(record.k),
                merged(record.v),
            )
        capture.records.clear()
        return x0

    final = ddim_invert(predict_capturing, x_start, scheduler)
    mask = frame_mask.cpu()

    def stacked(part: int, row: int) -> Tensor:
        real = mask[row]
        return torch.stack(
            [torch.stack([store[(lay, t)][part][row][real] for t in timesteps]) for lay in layers]
        )

    return [
        AttentionFeatures(
            queries=stacked(0, row),
            keys=stacked(1, row),
            values=stacked(2, row),
            layers=layers,
            timesteps=timesteps,
            source="inversion",
            text=texts[row],
            final_sample=final[row][mask[row].to(final.device)].detach().cpu(),
        )
        for row in range(len(motions))
    ]
