"""Schedulers of a loaded model: DDIM (inversion, deterministic sampling) and DDPM (ancestral).

The model bundle carries its noise schedule; the pipelines turn it into the step arithmetic of
`momo.diffusion` over all of the model's timesteps or an evenly respaced subset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.ddpm import DDPMScheduler

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel


def sampled_timesteps(model: MotionDiffusionModel, num_steps: int | None = None) -> tuple[int, ...]:
    """All of the model's timesteps (None) or ``num_steps`` evenly respaced ones, ascending."""
    if num_steps is None:
        return tuple(range(model.num_timesteps))
    return tuple(model.schedule.respaced_timesteps(num_steps))


def ddim_scheduler(
    model: MotionDiffusionModel,
    num_steps: int | None = None,
    *,
    eta: float = 0.0,
    reference_rounding: bool = False,
) -> DDIMScheduler:
    """A DDIM scheduler over all of the model's timesteps or ``num_steps`` respaced ones."""
    return DDIMScheduler(
        model.schedule,
        sampled_timesteps(model, num_steps),
        eta=eta,
        reference_rounding=reference_rounding,
    )


def ddpm_scheduler(model: MotionDiffusionModel, num_steps: int | None = None) -> DDPMScheduler:
    """An ancestral (DDPM) scheduler over all or ``num_steps`` respaced timesteps."""
    return DDPMScheduler(model.schedule, sampled_timesteps(model, num_steps))
