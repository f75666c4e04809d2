"""Feet pinned inside the sampling loop: `momo.fix_feet` applied to the x0 prediction.

At each chosen timestep the denoiser's x0 prediction is denormalised, each row's ankles and toes
are pinned while they are on the floor (`momo.fix_feet` with ``contacts="floor"``: lower than
5 cm; the model's contact channels often mark lifted or travelling feet, and pinning those bends
the legs out of shape), over the row's own frames (padding is left alone), and the result is
normalised again before the scheduler takes its step. The sampler then carries on from a motion whose planted feet do not slide, so the model's
later steps work with the pinned legs rather than a post-process overriding them at the end. This
is a projection of the kind PhysDiff (Yuan et al. 2023) applies with a physics simulator, here
with a kinematic foot pin. When timestep 0 is among the chosen ones the returned motion is pinned
too (a DDPM or DDIM step at t = 0 returns the x0 prediction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from momo.diffusion.guidance import X0Predictor
from momo.errors import TransferError
from momo.motion.fix_feet import fix_feet
from momo.motion.motion import Motion

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel


def checked_pin_steps(steps: Sequence[int], num_timesteps: int) -> tuple[int, ...]:
    """``steps`` as sorted unique timesteps, each within ``0..num_timesteps - 1``.

    Raises:
        TransferError: a value that is not an integer or lies outside the model's timesteps.
    """
    if isinstance(steps, (str, bytes)):
        raise TransferError("pin_feet_steps takes a list of timesteps, e.g. range(10)")
    chosen = list(steps)
    if any(isinstance(t, bool) or not isinstance(t, (int, np.integer)) for t in chosen):
        raise TransferError(f"pin_feet_steps must be integers, got {chosen!r}")
    outside = sorted({int(t) for t in chosen if not 0 <= int(t) < num_timesteps})
    if outside:
        raise TransferError(
            f"pin_feet_steps {outside} lie outside the model's timesteps 0..{num_timesteps - 1}"
        )
    return tuple(sorted({int(t) for t in chosen}))


def pinned_x0(model: MotionDiffusionModel, x0: Tensor, frames: Sequence[int]) -> Tensor:
    """``x0`` ``[B, T, 263]`` (normalised) with each row's feet pinned over its first frames."""
    out = x0.clone()
    for row, features in enumerate(model.model_to_features(x0, frames)):
        count = len(features)
        fixed = fix_feet(Motion(features), contacts="floor").features.astype(np.float64)
        normalised = np.asarray(model.normalizer.normalize(fixed))
        out[row, :count] = torch.as_tensor(normalised, dtype=x0.dtype, device=x0.device)
    return out


def pinning_feet(
    predict_x0: X0Predictor,
    model: MotionDiffusionModel,
    frames: Sequence[int],
    steps: Sequence[int],
) -> X0Predictor:
    """``predict_x0`` whose predictions at ``steps`` have their feet pinned (`pinned_x0`).

    Args:
        predict_x0: (x_t, timestep) -> x0, normalised.
        model: the model whose normaliser maps between x0 and features.
        frames: each row's length (frames beyond it are padding and stay as predicted).
        steps: model timesteps at which to pin (checked with `checked_pin_steps`).
    """
    chosen = frozenset(steps)
    if not chosen:
        return predict_x0

    def predict(x_t: Tensor, timestep: int) -> Tensor:
        x0 = predict_x0(x_t, timestep)
        return pinned_x0(model, x0, frames) if int(timestep) in chosen else x0

    return predict
