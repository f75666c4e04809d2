"""``leader_body``: outputs keep the leader's body part while the rest is transferred.

At the chosen sampling timesteps every output row's x0 prediction takes the leader's
normalised features on the part's channels (`momo.motion.body_parts`) before the scheduler
step, as MDM's inpainting does, so the part follows the leader exactly (the last DDIM step
returns x0) and the model fills in the other channels around it, with the follower's motifs
coming in through mixed attention. A real leader's part is taken as given, a generated
leader's from its own row's prediction at that step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from momo.diffusion.guidance import X0Predictor
from momo.errors import TransferError
from momo.motion.body_parts import body_part_mask

#: Parts an output may keep from the leader ("none": nothing kept).
LEADER_BODY_PARTS = ("none", "root", "lower")


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


def keeping_leader_body(
    predict: X0Predictor,
    part: str,
    timesteps: Sequence[int],
    output_rows: Sequence[int],
    leader: Tensor | Sequence[int],
) -> X0Predictor:
    """``predict`` whose output rows keep the leader's ``part`` at ``timesteps``.

    Args:
        predict: (x_t, timestep) -> x0 of the whole batch.
        part: a body part of `LEADER_BODY_PARTS` other than "none".
        timesteps: model timesteps at which the part is kept.
        output_rows: batch rows of the outputs.
        leader: each output's leader: normalised features ``[len(output_rows) or 1, T, F]``
            (real leaders, padded to the batch's frames), or per output the batch row whose
            prediction is its leader's (generated leaders).
    """
    keep_at = frozenset(int(t) for t in timesteps)
    rows = list(output_rows)
    mask = torch.as_tensor(body_part_mask(part))

    def predict_x0(x_t: Tensor, timestep: int) -> Tensor:
        x0 = predict(x_t, timestep)
        if timestep not in keep_at:
            return x0
        target = leader if isinstance(leader, Tensor) else x0[list(leader)]
        kept = mask.to(x0.device)
        x0 = x0.clone()
        x0[rows] = torch.where(kept, target.to(x0.dtype), x0[rows])
        return x0

    return predict_x0
