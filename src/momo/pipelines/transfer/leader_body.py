"""``leader_body``: outputs keep the leader's body part while the rest is transferred.

At the chosen sampling timesteps every output row's x0 prediction takes the leader's
normalised features on the part's channels (`momo.motion.body_parts`) before the scheduler
step, as MDM's inpainting does, so the part follows the leader exactly (the last DDIM step
returns x0) and the model fills in the other channels around it, with the follower's motifs
coming in through mixed attention. A real leader's part is taken as given, a generated
leader's from its own row's prediction at that step.

``"auto"`` keeps the lower body only for outputs whose leader and follower travel differently
(`travels_differently`: a walk leading a standing wave), and nothing for two motions that travel
alike (two walks in different styles, where the legs carry the follower's style). The speeds are
a real motion's own and a generated one's as predicted at that step, so the choice is made
again at every kept step; it settles within the first few steps as the predictions do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from momo.constants import FPS
from momo.diffusion.guidance import X0Predictor
from momo.errors import TransferError
from momo.motion.body_parts import body_part_mask

#: Parts an output may keep from the leader ("none": nothing kept; "auto": the lower body when
#: leader and follower travel differently, see `travels_differently`).
LEADER_BODY_PARTS = ("none", "root", "lower", "auto")
#: ``auto``: least difference of root speed (m/s) that counts as travelling differently.
AUTO_SPEED_GAP = 0.15
#: ``auto``: least difference of root speed, as a share of the faster motion's.
AUTO_SPEED_RATIO = 0.5


def resolve_leader_body(part: Any, steps: Any, num_timesteps: int) -> tuple[str, tuple[int, ...]]:
    """``(part, timesteps)`` checked: part one of `LEADER_BODY_PARTS` (None: "none"), steps
    model timesteps in ``0..num_timesteps-1`` (None: all of them; none at all with "none").

    Raises:
        TransferError: an unknown part, or steps that are not timesteps of the model.
    """
    part = "none" if part is None else part
    if part not in LEADER_BODY_PARTS:
        raise TransferError(
            f"leader_body must be one of {', '.join(LEADER_BODY_PARTS)}, got {part!r}"
        )
    if part == "none":
        return part, ()
    if steps is None:
        return part, tuple(range(num_timesteps))
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise TransferError(f"leader_body_steps must be a list of timesteps, got {steps!r}")
    values = list(steps)
    bad = [
        v
        for v in values
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < num_timesteps
    ]
    if bad or not values:
        raise TransferError(
            f"leader_body_steps must be timesteps in 0..{num_timesteps - 1}, got "
            f"{bad[:3] if bad else 'none'}"
        )
    return part, tuple(sorted({int(v) for v in values}))


def travel_speed(features: np.ndarray | Tensor) -> float:
    """Mean horizontal root speed (m/s) of raw features ``[T, 263]`` (channels 1-2 are the
    root's XZ velocity per frame)."""
    velocity = torch.as_tensor(features)[:, 1:3].double()
    return float(velocity.norm(dim=-1).mean()) * FPS if len(velocity) else 0.0


def travels_differently(leader_speed: float, follower_speed: float) -> bool:
    """``leader_body="auto"``'s rule: the speeds differ by more than `AUTO_SPEED_GAP` m/s and
    by more than `AUTO_SPEED_RATIO` of the faster one (a walk against a standing wave, not two
    walks in different styles)."""
    gap = abs(leader_speed - follower_speed)
    return gap > AUTO_SPEED_GAP and gap > AUTO_SPEED_RATIO * max(leader_speed, follower_speed)


#: Per output row, whether it keeps the leader's part, from the batch's x0 prediction.
PinRule = Callable[[Tensor], list[bool]]


def keeping_leader_body(
    predict: X0Predictor,
    part: str,
    timesteps: Sequence[int],
    output_rows: Sequence[int],
    leader: Tensor | Sequence[int],
    pinned: PinRule | None = None,
) -> X0Predictor:
    """``predict`` whose output rows keep the leader's ``part`` at ``timesteps``.

    Args:
        predict: (x_t, timestep) -> x0 of the whole batch.
        part: a body part of `BODY_PARTS` ("root" or "lower").
        timesteps: model timesteps at which the part is kept.
        output_rows: batch rows of the outputs.
        leader: each output's leader: normalised features ``[len(output_rows) or 1, T, F]``
            (real leaders, padded to the batch's frames), or per output the batch row whose
            prediction is its leader's (generated leaders).
        pinned: which output rows keep the part (``leader_body="auto"``), decided at each kept
            step from that step's x0 prediction of the whole batch; None: all of them.
    """
    keep_at = frozenset(int(t) for t in timesteps)
    mask = torch.as_tensor(body_part_mask(part))

    def predict_x0(x_t: Tensor, timestep: int) -> Tensor:
        x0 = predict(x_t, timestep)
        if timestep not in keep_at:
            return x0
        flags = [True] * len(output_rows) if pinned is None else pinned(x0)
        which = [i for i, flag in enumerate(flags) if flag]
        if not which:
            return x0
        target = leader if isinstance(leader, Tensor) else x0[list(leader)]
        if len(target) > 1:
            target = target[which]
        rows = [output_rows[i] for i in which]
        x0 = x0.clone()
        x0[rows] = torch.where(mask.to(x0.device), target.to(x0.dtype), x0[rows])
        return x0

    return predict_x0
