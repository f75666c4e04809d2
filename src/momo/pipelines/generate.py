"""Text-to-motion generation (`momo.generate`), in numbered steps.

1. Check the prompts, lengths and guidance; draw (or take) the initial noise from the seed.
2. Encode the prompts once (reused at every step), build the frame mask and text-drop flags.
3. Sample with classifier-free guidance (DDPM, as MDM generates, or deterministic DDIM), the
   x0 predictions' feet pinned at the chosen timesteps (`momo.pipelines.foot_pinning`).
4. Denormalise and cut each row to its length; the seed goes into each motion's meta.

A model may store generation defaults in ``config.json`` (``extra.generate_defaults``, e.g.
``{"pin_feet_steps": [0, 1, 2]}``); `generate` uses them for options the caller leaves out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import torch
from torch import Tensor

from momo.constants import DEFAULT_GUIDANCE_SCALE, DEFAULT_NUM_FRAMES
from momo.diffusion.guidance import guidance_scales, make_x0_predictor
from momo.diffusion.sampling import sample
from momo.errors import TransferError
from momo.motion.batch import frame_mask as make_frame_mask
from momo.pipelines.conditioning import encode_texts
from momo.pipelines.foot_pinning import checked_pin_steps, pinning_feet
from momo.pipelines.scheduling import ddim_scheduler, ddpm_scheduler
from momo.pipelines.seeds import resolve_seed
from momo.pipelines.stored_defaults import stored_defaults

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)

#: Key of the model's ``config.extra`` holding its generation defaults.
GENERATE_DEFAULTS = "generate_defaults"
#: Options a model may set, and the JSON types each takes.
_KINDS: dict[str, str] = {"pin_feet_steps": "integers"}


def generate(
    model: MotionDiffusionModel,
    texts: Sequence[str],
    *,
    num_frames: int | Sequence[int] = DEFAULT_NUM_FRAMES,
    guidance_scale: float | Sequence[float] = DEFAULT_GUIDANCE_SCALE,
    seed: int | None = None,
    sampler: Literal["ddpm", "ddim"] = "ddpm",
    num_steps: int | None = None,
    noise: Tensor | None = None,
    pin_feet_steps: Sequence[int] | None = None,
    progress: bool = True,
) -> list[Motion]:
    """Generate one motion per prompt.

    Args:
        model: a loaded model.
        texts: prompts (an empty string generates unconditionally).
        num_frames: frames per motion (one value or one per prompt; at most the model's
            limit, `MotionDiffusionModel.max_frames`).
        guidance_scale: classifier-free guidance (one value or one per prompt; 1 = none).
        seed: seed of the initial noise and of the sampler's noise (None: a fresh one); recorded
            in each motion's ``meta["seed"]``.
        sampler: "ddpm" (ancestral, as MDM generates) or "ddim" (deterministic, eta 0).
        num_steps: respaced steps (default: all of the model's timesteps).
        noise: optional initial latents ``[B, T_max, 263]`` (overrides the seeded draw).
        pin_feet_steps: model timesteps at which the x0 prediction's planted feet are pinned
            (`momo.pipelines.foot_pinning`; with 0 among them the returned feet are pinned).
            None: the model's stored default, else none; ``()``: never.
        progress: show a progress bar.

    Returns:
        One `Motion` per prompt, raw features of the requested length, ``text`` set, ``meta``
        holding its guidance scale, the seed and the timesteps at which feet were pinned.
    """
    from momo.motion.motion import Motion

    # 1. Arguments checked; the seed fixed (a fresh one when none is given) and the noise drawn.
    texts, frames, scales = _checked(model, texts, num_frames, guidance_scale, sampler)
    pin_steps = resolved_pin_steps(model, pin_feet_steps)
    batch, length, nfeats = len(texts), max(frames), model.denoiser.config.nfeats
    seed = resolve_seed(seed)
    generator = torch.Generator().manual_seed(int(seed))
    if noise is None:
        # Drawn on the CPU in float32 so a seed gives the same motions on any device/dtype.
        noise = torch.randn(batch, length, nfeats, generator=generator)
    elif tuple(noise.shape) != (batch, length, nfeats):
        raise TransferError(
            f"noise must have shape [{batch}, {length}, {nfeats}], got {list(noise.shape)}"
        )
    x_T = noise.to(device=model.device, dtype=model.dtype)
    # 2. Prompts encoded once, frame mask and text-drop flags.
    text, drop = encode_texts(model, texts)
    frame_mask = make_frame_mask(frames, length, model.device)
    predict = make_x0_predictor(model.denoiser, text, frame_mask, scales, drop)
    predict = pinning_feet(predict, model, frames, pin_steps)
    # 3. Sampling with classifier-free guidance.
    scheduler = (ddpm_scheduler if sampler == "ddpm" else ddim_scheduler)(model, num_steps)
    x0 = sample(predict, x_T, scheduler, generator=generator, progress=progress)
    # 4. Raw features cut to each length; the seed recorded.
    features = model.model_to_features(x0, frames)
    meta = {"seed": seed, "pin_feet_steps": list(pin_steps)}
    return [
        Motion(f, text=t or None, name="generated", meta={"guidance_scale": float(s), **meta})
        for f, t, s in zip(features, texts, scales.tolist())
    ]


def resolved_pin_steps(
    model: MotionDiffusionModel, pin_feet_steps: Sequence[int] | None
) -> tuple[int, ...]:
    """The timesteps at which `generate` pins feet: the caller's, else the model's stored
    ``pin_feet_steps``, else none; checked against the model's timesteps."""
    if pin_feet_steps is None:
        stored = stored_defaults(model, GENERATE_DEFAULTS, _KINDS)
        pin_feet_steps = stored.get("pin_feet_steps", ())
    return checked_pin_steps(pin_feet_steps, model.num_timesteps)


def _checked(
    model: MotionDiffusionModel,
    texts: Sequence[str],
    num_frames: int | Sequence[int],
    guidance_scale: float | Sequence[float],
    sampler: str,
) -> tuple[list[str], list[int], Tensor]:
    """(prompts, frames per prompt, guidance scales ``[B]``), after checking every argument."""
    if isinstance(texts, str):
        raise TransferError("generate() takes a list of prompts, not a single string")
    texts = list(texts)
    if not texts:
        raise TransferError("generate() needs at least one prompt")
    frames = [int(num_frames)] * len(texts) if isinstance(num_frames, int) else list(num_frames)
    if len(frames) != len(texts):
        raise TransferError(f"got {len(frames)} frame counts for {len(texts)} prompts")
    limit = model.max_frames
    if any(not 1 <= n <= limit for n in frames):
        raise TransferError(f"num_frames must be within 1..{limit} (the model's limit)")
    scales = guidance_scales(guidance_scale, len(texts))
    if not bool(torch.isfinite(scales).all()) or bool((scales < 0).any()):
        raise TransferError(f"guidance_scale must be finite and >= 0, got {scales.tolist()}")
    if sampler not in ("ddpm", "ddim"):
        raise TransferError(f"unknown sampler {sampler!r}; use 'ddpm' or 'ddim'")
    return texts, frames, scales
