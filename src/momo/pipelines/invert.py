"""DDIM inversion of real motions to the model's initial latents (`momo.invert`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from torch import Tensor

from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.errors import TransferError
from momo.pipelines.conditioning import encode_texts
from momo.pipelines.scheduling import ddim_scheduler

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion


def invert(
    model: MotionDiffusionModel,
    motions: Sequence[Motion],
    *,
    num_steps: int | None = None,
    progress: bool = True,
    corrections: int = 0,
) -> Tensor:
    """DDIM-invert real motions to the model's initial latents x_T.

    Each motion is conditioned on its own text (unconditional when it has none), without
    guidance, as the reference does.

    Args:
        model: a loaded model.
        motions: motions to invert (different lengths are padded and masked).
        num_steps: respaced DDIM steps (default: all of the model's timesteps).
        progress: show a progress bar.
        corrections: fixed-point corrections per step (`momo.diffusion.inversion.ddim_invert`;
            0: the reference's plain inversion).

    Returns:
        ``[len(motions), T_max, 263]`` normalised latents on the model's device and dtype,
        padded to the longest motion (padded frames are carried along but masked).
    """
    if not motions:
        raise TransferError("invert() needs at least one motion")
    # 1. Pad, then normalise (padded frames hold -Mean/Std, as the reference's loader).
    x0, frame_mask = model.motions_to_model(motions)
    # 2. Each motion's own text, encoded once; no guidance.
    text, drop = encode_texts(model, [m.text for m in motions])
    predict = make_x0_predictor(model.denoiser, text, frame_mask, 1.0, drop)
    # 3. DDIM inversion up to the noisiest timestep.
    scheduler = ddim_scheduler(model, num_steps)
    return ddim_invert(predict, x0, scheduler, progress=progress, corrections=corrections)
