"""The DDPM ancestral step (posterior sampling with the fixed small variance), arithmetic only.

For a step from timestep t to the previous timestep p of the sequence (ab_p = 1 before the
first), with alpha = ab_t / ab_p and beta = 1 - alpha:

    mean  = beta sqrt(ab_p) / (1 - ab_t) x0 + (1 - ab_p) sqrt(alpha) / (1 - ab_t) x_t
    var   = beta (1 - ab_p) / (1 - ab_t)
    x_p   = mean + sqrt(var) z          (no noise on the last step)

This is MDM's ``p_sample`` with ``sigma_small`` (the posterior variance), also for respaced
sequences (betas recomputed from the kept alpha_bar values, as ``SpacedDiffusion`` does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from momo.diffusion.schedules import NoiseSchedule


@dataclass(frozen=True, eq=False)
class DDPMScheduler:
    """Ancestral sampling over an ascending list of model timesteps.

    Args:
        schedule: the model's noise schedule.
        timesteps: model timesteps used, ascending (default all).
    """

    schedule: NoiseSchedule
    timesteps: Sequence[int] = field(default=())

    def __post_init__(self) -> None:
        steps = tuple(int(t) for t in self.timesteps) or tuple(range(self.schedule.num_timesteps))
        if list(steps) != sorted(set(steps)) or steps[0] < 0:
            raise ValueError("timesteps must be strictly ascending model timesteps")
        if steps[-1] >= self.schedule.num_timesteps:
            raise ValueError(f"timesteps must lie in 0..{self.schedule.num_timesteps - 1}")
        object.__setattr__(self, "timesteps", steps)

    @property
    def sampling_timesteps(self) -> list[int]:
        """Timesteps in sampling order (noisiest first)."""
        return list(reversed(self.timesteps))

    def previous_timestep(self, timestep: int) -> int:
        """The next-cleaner timestep of the sequence, or -1 after the cleanest."""
        i = tuple(self.timesteps).index(int(timestep))
        return self.timesteps[i - 1] if i > 0 else -1

    def step(
        self,
        x0_pred: Tensor,
        timestep: int,
        x_t: Tensor,
        *,
        generator: torch.Generator | None = None,
        noise: Tensor | None = None,
    ) -> Tensor:
        """Sample x at the previous timestep given the x0 prediction at ``timestep``."""
        prev = self.previous_timestep(timestep)
        ab_t = self.schedule.alpha_bar(timestep)
        ab_p = self.schedule.alpha_bar(prev)
        alpha = ab_t / ab_p
        beta = 1.0 - alpha
        coef_x0 = beta * math.sqrt(ab_p) / (1.0 - ab_t)
        coef_xt = (1.0 - ab_p) * math.sqrt(alpha) / (1.0 - ab_t)
        mean = coef_x0 * x0_pred + coef_xt * x_t
        if prev < 0:
            return mean
        std = math.sqrt(beta * (1.0 - ab_p) / (1.0 - ab_t))
        if noise is None:
            noise = torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype, device="cpu")
            noise = noise.to(x_t.device)
        return mean + std * noise
