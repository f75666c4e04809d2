"""Sampling loops: repeatedly ask the denoiser for x0 and let a scheduler take a step."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor
from tqdm.auto import tqdm

from momo.diffusion.guidance import X0Predictor

logger = logging.getLogger(__name__)

#: Called after every step with (step index, model timestep, new sample, x0 prediction).
StepCallback = Callable[[int, int, Tensor, Tensor], None]


class SamplingScheduler(Protocol):
    """What the loop needs from a scheduler (`DDIMScheduler`, `DDPMScheduler`)."""

    @property
    def sampling_timesteps(self) -> list[int]: ...

    def step(
        self,
        x0_pred: Tensor,
        timestep: int,
        x_t: Tensor,
        *,
        generator: torch.Generator | None = None,
        noise: Tensor | None = None,
    ) -> Tensor: ...


def sample(
    predict_x0: X0Predictor,
    x_T: Tensor,
    scheduler: SamplingScheduler,
    *,
    generator: torch.Generator | None = None,
    progress: bool = False,
    callback: StepCallback | None = None,
) -> Tensor:
    """Denoise ``x_T`` ``[B, T, F]`` from the noisiest timestep down to a clean sample.

    Args:
        predict_x0: (x_t, timestep) -> x0, e.g. from `make_x0_predictor`.
        x_T: initial latents at the scheduler's noisiest timestep.
        scheduler: a `DDIMScheduler` (eta 0 or > 0) or a `DDPMScheduler`.
        generator: RNG for stochastic steps.
        progress: show a progress bar.
        callback: called after each step.

    Returns:
        The final sample ``[B, T, F]`` (normalised features).
    """
    x = x_T
    timesteps = scheduler.sampling_timesteps
    with torch.no_grad():
        for i, t in enumerate(tqdm(timesteps, desc="sampling", disable=not progress, leave=False)):
            x0 = predict_x0(x, t)
            x = scheduler.step(x0, t, x, generator=generator)
            if callback is not None:
                callback(i, t, x, x0)
    return x
