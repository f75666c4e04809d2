"""Classifier-free guidance with a per-row scale, in one batched forward.

Batch convention (processors rely on it): the denoiser is called once on ``B + U`` rows; rows
``0..B-1`` are the caller's rows, conditional, in the caller's order; rows ``B..B+U-1`` are
unconditional copies (``drop_text`` True) of the rows whose scale is not 1, in ascending row
order. A processor built for a B-row layout therefore acts on rows ``< B`` only and leaves the
unconditional copies plain. Rows with scale 1 get no copy: their output is the conditional
prediction exactly (as the reference's short cut does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch
from torch import Tensor


class Condition(Protocol):
    """A batch of conditions (e.g. `momo.TextEmbedding`) whose rows can be selected."""

    def index(self, rows: Tensor) -> Any:
        """The rows ``rows`` (a LongTensor, possibly repeating rows), as a new condition."""
        ...


class Denoiser(Protocol):
    """What guidance calls: an x0-predicting network (`momo.models.mdm.MotionDenoiser` is one).

    Args of a call: ``x_t`` ``[B, T, F]``, ``timesteps`` LongTensor ``[B]``, the rows'
    condition (or None), ``frame_mask`` bool ``[B, T]`` (True = real frame) or None, and
    ``drop_text`` bool ``[B]`` (rows that run unconditionally) or None. Returns x0 ``[B, T, F]``.
    """

    def __call__(
        self,
        x_t: Tensor,
        timesteps: Tensor,
        text: Any,
        frame_mask: Tensor | None = None,
        drop_text: Tensor | None = None,
    ) -> Tensor: ...


#: What sampling and inversion loops call: (x_t [B, T, F], model timestep) -> x0 [B, T, F].
X0Predictor = Callable[[Tensor, int], Tensor]


def guidance_scales(scale: float | Sequence[float] | Tensor, batch: int) -> Tensor:
    """Per-row guidance scales as a float64 CPU tensor ``[B]`` (a scalar is broadcast)."""
    scales = torch.as_tensor(scale, dtype=torch.float64).flatten().cpu()
    if scales.numel() == 1:
        scales = scales.expand(batch).clone()
    if scales.numel() != batch:
        raise ValueError(f"got {scales.numel()} guidance scales for {batch} rows")
    return scales


def guided_x0(
    denoiser: Denoiser,
    x_t: Tensor,
    timesteps: Tensor,
    text: Condition | None,
    frame_mask: Tensor | None,
    guidance_scale: float | Sequence[float] | Tensor = 1.0,
    drop_text: Tensor | None = None,
) -> Tensor:
    """x0 with classifier-free guidance: uncond + s * (cond - uncond), per row, one forward.

    Args:
        denoiser: the network (see `Denoiser`).
        x_t: ``[B, T, F]`` normalised samples.
        timesteps: LongTensor ``[B]``.
        text: the rows' text (None: every row unconditional, guidance is moot).
        frame_mask: bool ``[B, T]`` (True = real frame) or None.
        guidance_scale: scalar or ``[B]``; 1 means no guidance for that row.
        drop_text: bool ``[B]``: rows that are unconditional even in the conditional part
            (e.g. prompts left empty); None = none.

    Returns:
        ``[B, T, F]`` guided x0 predictions.
    """
    batch = x_t.shape[0]
    scales = guidance_scales(guidance_scale, batch)
    guided_rows = torch.nonzero(scales != 1.0).flatten()
    if drop_text is not None:
        drop_text = drop_text.to(device=x_t.device, dtype=torch.bool)
    if text is None or guided_rows.numel() == 0:
        return denoiser(x_t, timesteps, text, frame_mask, drop_text)
    rows = torch.cat([torch.arange(batch), guided_rows]).to(x_t.device)
    drop = torch.ones(rows.numel(), dtype=torch.bool, device=x_t.device)
    drop[:batch] = False if drop_text is None else drop_text
    out = denoiser(
        x_t[rows],
        timesteps.to(x_t.device)[rows],
        text.index(rows),
        None if frame_mask is None else frame_mask[rows],
        drop,
    )
    cond, uncond = out[:batch], out[batch:]
    result = cond.clone()
    s = scales[guided_rows].to(device=out.device, dtype=out.dtype).view(-1, 1, 1)
    idx = guided_rows.to(out.device)
    result[idx] = uncond + s * (cond[idx] - uncond)
    return result


def make_x0_predictor(
    denoiser: Denoiser,
    text: Condition | None,
    frame_mask: Tensor | None = None,
    guidance_scale: float | Sequence[float] | Tensor = 1.0,
    drop_text: Tensor | None = None,
) -> X0Predictor:
    """Bind text, mask, guidance and always-unconditional rows once, for the loops.

    The text embedding is computed by the caller once and reused at every step.
    """

    def predict(x_t: Tensor, timestep: int) -> Tensor:
        timesteps = torch.full((x_t.shape[0],), int(timestep), dtype=torch.long, device=x_t.device)
        return guided_x0(denoiser, x_t, timesteps, text, frame_mask, guidance_scale, drop_text)

    return predict
