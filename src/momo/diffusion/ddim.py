"""The DDIM step and its inverse: pure arithmetic on (x_t, x0 prediction), no model calls.

With alpha_bar written ab and the network predicting x0 (DDIM, Song et al. 2021, Eq. 12; MDM and MoMo
predict x0, and the reference uses eta = 0):

    eps      = (x_t / sqrt(ab_t) - x0) / sqrt(1 / ab_t - 1)
    x_{prev} = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z      (sampling)
    sigma    = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev)
    x_{next} = sqrt(ab_next) x0 + sqrt(1 - ab_next) eps                            (inversion)

where prev/next are the neighbouring timesteps of the (possibly respaced) sequence, with
ab = 1 before the first and ab = 0 after the last (so inversion ends on the predicted noise).

Coefficient convention: ``reference_rounding=False`` (default) keeps every coefficient in
float64; ``True`` rounds them to float32 first, as the reference's ``_extract_into_tensor`` does,
which reproduces its numbers to ~1e-15 but moves inverted latents by up to ~3.5e-5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from momo.diffusion.schedules import NoiseSchedule


@dataclass(frozen=True, eq=False)
class DDIMScheduler:
    """DDIM over an ascending list of model timesteps.

    Args:
        schedule: the model's noise schedule.
        timesteps: model timesteps used, ascending (default: all 0..T-1). A respaced sampler
            uses ``schedule.respaced_timesteps(n)``; timesteps stay in model units.
        eta: 0 for deterministic DDIM, > 0 adds noise (1 ~ DDPM-like variance).
        reference_rounding: round coefficients to float32 as the reference does.
    """

    schedule: NoiseSchedule
    timesteps: Sequence[int] = field(default=())
    eta: float = 0.0
    reference_rounding: bool = False
    _position: dict[int, int] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        steps = tuple(int(t) for t in self.timesteps) or tuple(range(self.schedule.num_timesteps))
        if list(steps) != sorted(set(steps)):
            raise ValueError("timesteps must be strictly ascending")
        if steps[0] < 0 or steps[-1] >= self.schedule.num_timesteps:
            raise ValueError(f"timesteps must lie in 0..{self.schedule.num_timesteps - 1}")
        if self.eta < 0:
            raise ValueError(f"eta must be >= 0, got {self.eta}")
        object.__setattr__(self, "timesteps", steps)
        self._position.update({t: i for i, t in enumerate(steps)})

    # Timestep bookkeeping -----------------------------------------------------------------

    @property
    def sampling_timesteps(self) -> list[int]:
        """Timesteps in sampling order (noisiest first)."""
        return list(reversed(self.timesteps))

    def previous_timestep(self, timestep: int) -> int:
        """The next-cleaner timestep of the sequence, or -1 after the cleanest."""
        i = self._index(timestep)
        return self.timesteps[i - 1] if i > 0 else -1

    def next_timestep(self, timestep: int) -> int:
        """The next-noisier timestep of the sequence, or T after the noisiest."""
        i = self._index(timestep)
        return self.timesteps[i + 1] if i + 1 < len(self.timesteps) else self.schedule.num_timesteps

    def _index(self, timestep: int) -> int:
        try:
            return self._position[int(timestep)]
        except KeyError:
            raise ValueError(f"timestep {timestep} is not in this scheduler's sequence") from None

    # Arithmetic ---------------------------------------------------------------------------

    def _coef(self, value: float, like: Tensor) -> Tensor:
        dtype = torch.float32 if self.reference_rounding else torch.float64
        return torch.tensor(value, dtype=dtype, device=like.device)

    @staticmethod
    def _sqrt(coef: Tensor) -> Tensor:
        """Square root of a 0-dim coefficient, correctly rounded in its own dtype.

        torch's float32 ``sqrt`` on CPU may use a vector kernel that is off by one ulp, and which
        kernel runs depends on the processor, so the reference's float32 coefficients would
        differ between machines. IEEE ``math.sqrt`` in float64 rounded once more to float32 is the
        correctly rounded float32 square root (double rounding is harmless for sqrt since
        53 >= 2 * 24 + 2), the value a GPU's ``sqrtf`` gives.
        """
        return torch.tensor(math.sqrt(max(float(coef), 0.0)), dtype=coef.dtype, device=coef.device)

    def predict_eps(self, x_t: Tensor, timestep: int, x0_pred: Tensor) -> Tensor:
        """Noise implied by (x_t, x0) at ``timestep``: (x_t / sqrt(ab) - x0) / sqrt(1/ab - 1)."""
        ab = self.schedule.alpha_bar(timestep)
        recip = self._coef(math.sqrt(1.0 / ab), x_t)
        recipm1 = self._coef(math.sqrt(1.0 / ab - 1.0), x_t)
        return ((recip * x_t - x0_pred) / recipm1).to(x_t.dtype)

    def step(
        self,
        x0_pred: Tensor,
        timestep: int,
        x_t: Tensor,
        *,
        generator: torch.Generator | None = None,
        noise: Tensor | None = None,
    ) -> Tensor:
        """One sampling step from ``timestep`` to the previous timestep of the sequence.

        Args:
            x0_pred: model prediction ``[B, ...]``.
            timestep: current model timestep (must be in ``timesteps``).
            x_t: current sample, same shape.
            generator: RNG for the eta > 0 noise.
            noise: explicit standard-normal noise (overrides ``generator``).

        Returns:
            The sample at the previous timestep (the final x0 after the cleanest one).
        """
        eps = self.predict_eps(x_t, timestep, x0_pred)
        ab = self._coef(self.schedule.alpha_bar(timestep), x_t)
        ab_prev = self._coef(self.schedule.alpha_bar(self.previous_timestep(timestep)), x_t)
        sqrt = self._sqrt
        sigma = self.eta * sqrt((1 - ab_prev) / (1 - ab)) * sqrt(1 - ab / ab_prev)
        out = x0_pred * sqrt(ab_prev) + sqrt(1 - ab_prev - sigma**2) * eps
        if self.eta > 0 and self.previous_timestep(timestep) >= 0:
            if noise is None:
                noise = torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
                noise = noise.to(x_t.device)
            out = out + sigma * noise
        return out.to(x_t.dtype)

    def invert_step(self, x0_pred: Tensor, timestep: int, x_t: Tensor) -> Tensor:
        """One DDIM-inversion step from ``timestep`` to the next (noisier) timestep.

        ``x0_pred`` is the model evaluated at the sample's own level ``timestep`` (MDM's
        ``ddim_reverse_sample``). After the noisiest timestep the result is the predicted noise.
        """
        eps = self.predict_eps(x_t, timestep, x0_pred)
        ab_next = self._coef(self.schedule.alpha_bar(self.next_timestep(timestep)), x_t)
        return (x0_pred * self._sqrt(ab_next) + self._sqrt(1 - ab_next) * eps).to(x_t.dtype)
