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
    corrections: int = 0,
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
        corrections: fixed-point corrections per step (0: plain DDIM inversion, as the
            reference). Plain inversion evaluates the model at the less noisy sample; DDIM
            sampling evaluates it at the noisier one, so a sample drifts on its way back. Each
            correction re-evaluates the model at the new sample and its own timestep and solves
            the inversion step again with that prediction: a fixed point is a sample that one
            DDIM sampling step maps exactly onto the previous one. Costs one more model call
            per correction and step; not applied at the noisiest step (no sampling step
            starts there).

    Returns:
        x_T ``[B, T, F]``.
    """
    x = x0
    with torch.no_grad():
        for i, t in enumerate(
            tqdm(scheduler.timesteps, desc="inverting", disable=not progress, leave=False)
        ):
            pred = predict_x0(x, t)
            new = scheduler.invert_step(pred, t, x)
            upper = scheduler.next_timestep(t)
            if upper < scheduler.schedule.num_timesteps:
                for _ in range(corrections):
                    new = scheduler.invert_step(predict_x0(new, upper), t, x)
            x = new
            if callback is not None:
                callback(i, t, x, pred)
    return x
