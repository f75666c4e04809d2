"""``leader_body`` and ``follower_body``: outputs keep a body part of the leader (and take one of
the follower) while the rest is transferred.

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

``follower_body="upper"`` is the other half: at its steps the same outputs take the follower's
upper body (a real follower's as given, a generated one's as predicted), so with the leader's
lower body kept those steps compose the two motions by body part, as SINC composes training
data, and the steps left out (the last ones, at low noise) let the model join the parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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
#: Parts an output may take from its follower at chosen steps, in the outputs that keep their
#: leader's part (all outputs when the leader keeps nothing).
FOLLOWER_BODY_PARTS = ("none", "upper")
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
    return _resolve_part("leader_body", LEADER_BODY_PARTS, part, steps, num_timesteps)


def resolve_follower_body(part: Any, steps: Any, num_timesteps: int) -> tuple[str, tuple[int, ...]]:
    """``(part, timesteps)`` of ``follower_body`` checked: part one of `FOLLOWER_BODY_PARTS`
    (None: "none"), steps as in `resolve_leader_body`.

    Raises:
        TransferError: an unknown part, or steps that are not timesteps of the model.
    """
    return _resolve_part("follower_body", FOLLOWER_BODY_PARTS, part, steps, num_timesteps)


def _resolve_part(
    option: str, parts: tuple[str, ...], part: Any, steps: Any, num_timesteps: int
) -> tuple[str, tuple[int, ...]]:
    part = "none" if part is None else part
    if part not in parts:
        raise TransferError(f"{option} must be one of {', '.join(parts)}, got {part!r}")
    if part == "none":
        return part, ()
    if steps is None:
        return part, tuple(range(num_timesteps))
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise TransferError(f"{option}_steps must be a list of timesteps, got {steps!r}")
    values = list(steps)
    bad = [
        v
        for v in values
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < num_timesteps
    ]
    if bad or not values:
        raise TransferError(
            f"{option}_steps must be timesteps in 0..{num_timesteps - 1}, got "
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


@dataclass(frozen=True)
class KeptPart:
    """A body part that output rows take from a source motion at some timesteps.

    Attributes:
        part: a body part of `BODY_PARTS`.
        timesteps: model timesteps at which it is taken.
        source: the sources' normalised features ``[len(output_rows) or 1, T, F]`` (real
            motions, padded to the batch's frames), or per output the batch row whose
            prediction is its source (a generated motion) or its features ``[T, F]``.
        lengths: per output (or one shared) the source's own frames: later frames of an
            output are left to the model (a follower shorter than the leader); None: all.
    """

    part: str
    timesteps: frozenset[int]
    source: Tensor | Sequence[int | Tensor]
    lengths: Sequence[int] | None = None


def keeping_parts(
    predict: X0Predictor,
    kept: Sequence[KeptPart],
    output_rows: Sequence[int],
    pinned: PinRule | None = None,
) -> X0Predictor:
    """``predict`` whose output rows take the ``kept`` parts at their timesteps (later parts
    over earlier ones where channels overlap).

    Args:
        predict: (x_t, timestep) -> x0 of the whole batch.
        kept: the parts, with their timesteps and sources.
        output_rows: batch rows of the outputs.
        pinned: which output rows take the parts (``leader_body="auto"``), decided at each step
            where a part is taken, from that step's x0 prediction of the whole batch; None: all.
    """
    masks = [torch.as_tensor(body_part_mask(k.part)) for k in kept]

    def predict_x0(x_t: Tensor, timestep: int) -> Tensor:
        x0 = predict(x_t, timestep)
        now = [(k, m) for k, m in zip(kept, masks) if timestep in k.timesteps]
        if not now:
            return x0
        flags = [True] * len(output_rows) if pinned is None else pinned(x0)
        which = [i for i, flag in enumerate(flags) if flag]
        if not which:
            return x0
        rows = [output_rows[i] for i in which]
        taken = x0[rows]
        for k, mask in now:
            target = _target(k.source, x0)
            if len(target) > 1:
                target = target[which]
            where = _channels_and_frames(k, mask, which, len(output_rows), x0.shape[1])
            taken = torch.where(where.to(x0.device), target.to(x0.dtype), taken)
        x0 = x0.clone()
        x0[rows] = taken
        return x0

    return predict_x0


def _channels_and_frames(
    kept: KeptPart, mask: Tensor, which: Sequence[int], num_outputs: int, num_frames: int
) -> Tensor:
    """Bool ``[len(which), num_frames, F]``: where the chosen outputs take ``kept``'s part (its
    channels, within the source's own frames)."""
    where = mask.expand(len(which), num_frames, -1)
    if kept.lengths is None:
        return where
    lengths = list(kept.lengths) * (num_outputs if len(kept.lengths) == 1 else 1)
    within = torch.arange(num_frames)[None, :] < torch.tensor([lengths[i] for i in which])[:, None]
    return where & within[:, :, None]


def _target(source: Tensor | Sequence[int | Tensor], x0: Tensor) -> Tensor:
    """A `KeptPart`'s source features at a step whose x0 prediction is ``x0``."""
    if isinstance(source, Tensor):
        return source
    rows = [x0[s] if isinstance(s, int) else s.to(x0) for s in source]
    return torch.stack(rows)
