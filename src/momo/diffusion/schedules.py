"""Noise schedules: alpha_bar over model timesteps 0..T-1 (0 = cleanest), and forward noising."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from momo.errors import ModelLoadError

#: Largest beta of the cosine schedule (Nichol & Dhariwal; MDM).
MAX_BETA = 0.999


def cosine_betas(num_timesteps: int, max_beta: float = MAX_BETA) -> np.ndarray:
    """Cosine schedule betas (float64 ``[T]``).

    alpha_bar(s) = cos(((s + 0.008) / 1.008) * pi / 2)^2 and
    beta_i = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta), evaluated in Python
    floats as the reference does.
    """

    def alpha_bar(s: float) -> float:
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [
        min(1 - alpha_bar((i + 1) / num_timesteps) / alpha_bar(i / num_timesteps), max_beta)
        for i in range(num_timesteps)
    ]
    return np.array(betas, dtype=np.float64)


def linear_betas(num_timesteps: int) -> np.ndarray:
    """DDPM's linear schedule scaled to T steps: 1e-4 .. 0.02 at T = 1000 (float64 ``[T]``)."""
    scale = 1000 / num_timesteps
    return np.linspace(scale * 0.0001, scale * 0.02, num_timesteps, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """Cumulative signal levels of a diffusion process.

    Attributes:
        alphas_cumprod: alpha_bar_t, float64 ``[T]`` (t = 0 is the least noisy level).
        name: "cosine", "linear" or "custom".
    """

    alphas_cumprod: Tensor
    name: str = "custom"

    def __post_init__(self) -> None:
        ab = torch.as_tensor(self.alphas_cumprod, dtype=torch.float64).cpu()
        if ab.dim() != 1 or len(ab) < 1:
            raise ValueError("alphas_cumprod must be a non-empty 1-D tensor")
        if not bool(((ab > 0) & (ab < 1)).all()) or not bool((ab[1:] < ab[:-1]).all()):
            raise ValueError("alphas_cumprod must decrease strictly within (0, 1)")
        object.__setattr__(self, "alphas_cumprod", ab)

    @classmethod
    def from_betas(cls, betas: np.ndarray | Tensor, name: str = "custom") -> NoiseSchedule:
        """Schedule with alpha_bar_t = prod_{i <= t} (1 - beta_i) (float64 cumulative product)."""
        betas = np.asarray(betas, dtype=np.float64)
        return cls(torch.from_numpy(np.cumprod(1.0 - betas, axis=0)), name=name)

    @classmethod
    def from_name(cls, name: str, num_timesteps: int) -> NoiseSchedule:
        """ "cosine" or "linear" with ``num_timesteps`` steps.

        Raises:
            ModelLoadError: unknown schedule name or a non-positive step count.
        """
        if num_timesteps < 1:
            raise ModelLoadError(f"num_timesteps must be positive, got {num_timesteps}")
        if name == "cosine":
            return cls.from_betas(cosine_betas(num_timesteps), name="cosine")
        if name == "linear":
            return cls.from_betas(linear_betas(num_timesteps), name="linear")
        raise ModelLoadError(f"unknown noise schedule {name!r}; use 'cosine' or 'linear'")

    @property
    def num_timesteps(self) -> int:
        """T, the number of model timesteps."""
        return int(self.alphas_cumprod.shape[0])

    @property
    def betas(self) -> Tensor:
        """beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} (alpha_bar_{-1} = 1), float64 ``[T]``."""
        ab = self.alphas_cumprod
        prev = torch.cat([ab.new_ones(1), ab[:-1]])
        return 1.0 - ab / prev

    def alpha_bar(self, timestep: int) -> float:
        """alpha_bar at one model timestep; 1.0 for timestep -1 and 0.0 for timestep T."""
        if timestep == -1:
            return 1.0
        if timestep == self.num_timesteps:
            return 0.0
        if not 0 <= timestep < self.num_timesteps:
            raise ValueError(f"timestep {timestep} outside 0..{self.num_timesteps - 1}")
        return float(self.alphas_cumprod[timestep])

    def q_sample(self, x0: Tensor, timesteps: Tensor, noise: Tensor) -> Tensor:
        """Noise clean motions to level t: sqrt(ab_t) x0 + sqrt(1 - ab_t) noise.

        Args:
            x0: ``[B, ...]`` clean (normalised) motions.
            timesteps: LongTensor ``[B]``.
            noise: standard normal, same shape as ``x0``.

        Returns:
            x_t, same shape and dtype as ``x0``.
        """
        ab = self.alphas_cumprod.to(x0.device)[timesteps.to(x0.device)]
        ab = ab.view(-1, *([1] * (x0.dim() - 1)))
        return (ab.sqrt() * x0 + (1.0 - ab).sqrt() * noise).to(x0.dtype)

    def respaced_timesteps(self, num_steps: int) -> list[int]:
        """``num_steps`` model timesteps spread evenly over 0..T-1, ascending.

        The same choice as the reference's ``space_timesteps(T, [num_steps])``: the rounded
        positions i * (T - 1) / (num_steps - 1).
        """
        total = self.num_timesteps
        if not 1 <= num_steps <= total:
            raise ValueError(f"num_steps must be in 1..{total}, got {num_steps}")
        if num_steps == 1:
            return [0]
        stride = (total - 1) / (num_steps - 1)
        return sorted({round(i * stride) for i in range(num_steps)})
