"""Exponential moving average of the weights (what the training run exports).

Built on ``torch.optim.swa_utils.AveragedModel`` with a warm-up of the decay,
``min(decay, (1 + n) / (10 + n))`` after n updates, so the average follows the weights closely
early on and settles at ``decay`` later (the usual choice of diffusion code bases).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel


def ema_decay(decay: float, num_updates: int) -> float:
    """The decay used for the update after ``num_updates`` earlier updates."""
    return min(decay, (1.0 + num_updates) / (10.0 + num_updates))


def make_ema(model: nn.Module, decay: float) -> AveragedModel:
    """An EMA copy of ``model`` (call ``.update_parameters(model)`` after each optimiser step).

    The first update copies the weights; update n (n >= 1) moves each averaged weight toward the
    current one by ``1 - ema_decay(decay, n)``. Buffers are copied from ``model`` at creation
    and not averaged. ``.module`` is the averaged network; ``state_dict()`` includes the count.
    """

    def multi_avg_fn(
        averaged: list[Tensor] | tuple[Tensor, ...],
        current: list[Tensor] | tuple[Tensor, ...],
        num_averaged: Tensor | int,
    ) -> None:
        weight = 1.0 - ema_decay(decay, int(num_averaged))
        torch._foreach_lerp_(list(averaged), list(current), weight)

    ema = AveragedModel(model, multi_avg_fn=multi_avg_fn)
    ema.requires_grad_(False)
    ema.eval()
    return ema
