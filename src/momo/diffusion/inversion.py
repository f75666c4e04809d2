"""DDIM inversion: from a clean motion up to the latent that DDIM sampling maps back onto it."""

from __future__ import annotations

import torch
from torch import Tensor
from tqdm.auto import tqdm

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.guidance import X0Predictor
from momo.diffusion.sampling import StepCallback


def ddim_invert(
    predict_x0: X0Predictor,
    x0: Tensor,
    scheduler: DDIMScheduler,
    *,
    progress: bool = False,
    callback: StepCallback | None = None,
) -> Tensor:
    """Invert clean motions ``[B, T, F]`` to latents at the noisiest timestep (MDM convention).

    Runs t over the scheduler's timesteps in ascending order; at each t the model is evaluated
    at the sample's own level t, then `DDIMScheduler.invert_step` moves it to the next level.
    The result after the noisiest timestep is the predicted noise. Callers condition on each
    motion's own text and use no guidance (the reference's choice).

    Args:
        predict_x0: (x_t, timestep) -> x0.
        x0: normalised clean motions (padding frames included, masked by the predictor).
        scheduler: DDIM scheduler (eta is ignored: inversion is deterministic).
        progress: show a progress bar.
        callback: called after each step with (step index, timestep, new sample, x0 prediction).

    Returns:
        x_T ``[B, T, F]``.
    """
    x = x0
    with torch.no_grad():
        for i, t in enumerate(
            tqdm(scheduler.timesteps, desc="inverting", disable=not progress, leave=False)
        ):
            pred = predict_x0(x, t)
            x = scheduler.invert_step(pred, t, x)
            if callback is not None:
                callback(i, t, x, pred)
    return x
