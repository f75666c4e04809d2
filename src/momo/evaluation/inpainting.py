"""The MDM inpainting baseline: keep the leader's root and lower body, generate the rest.

DDIM sampling with the follower's caption (classifier-free guidance 2.5, as MDM generates) from
seeded noise, where at every step the model's x0 prediction takes the leader's normalised
features on the kept channels (MDM's inpainting: the prediction is overwritten before the
scheduler step). The kept channels are MDM's lower-body mask: the root (channels 0..3), and the
positions, rotations and velocities of the pelvis, hips, knees, ankles and feet, and the four
foot contacts. The last DDIM step returns x0 itself, so the output equals the leader on the kept
channels up to float round-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from momo.errors import EvaluationError
from momo.motion.body_parts import LOWER_BODY_JOINTS, lower_body_mask

__all__ = ["INPAINTING_GUIDANCE", "LOWER_BODY_JOINTS", "inpaint", "lower_body_mask"]

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel

#: Guidance of the generated part (MDM's default for text-to-motion).
INPAINTING_GUIDANCE = 2.5


def inpaint(
    model: MotionDiffusionModel,
    leader: np.ndarray,
    follower_text: str,
    *,
    keep: np.ndarray | None = None,
    seed: int = 0,
    num_steps: int | None = None,
    guidance_scale: float = INPAINTING_GUIDANCE,
) -> np.ndarray:
    """Generate ``follower_text`` with the leader's kept channels: raw features ``[T_leader, 263]``.

    Args:
        model: the diffusion model.
        leader: raw features ``[T, 263]``.
        follower_text: the caption the free channels are generated from.
        keep: bool ``[263]`` channels kept from the leader (default `lower_body_mask`).
        seed: seed of the initial noise.
        num_steps: DDIM steps (default: all of the model's timesteps).
        guidance_scale: classifier-free guidance of the generated part.
    """
    from momo.diffusion.guidance import make_x0_predictor
    from momo.diffusion.sampling import sample
    from momo.motion.motion import Motion
    from momo.pipelines.scheduling import ddim_scheduler

    keep = lower_body_mask() if keep is None else np.asarray(keep, dtype=bool)
    if keep.shape != (263,):
        raise EvaluationError(f"keep must be a bool mask of 263 channels, got {list(keep.shape)}")
    x_leader, frame_mask = model.motions_to_model([Motion(leader)])
    kept = torch.as_tensor(keep, device=model.device)
    text = model.encode_text([follower_text])
    predict = make_x0_predictor(model.denoiser, text, frame_mask, guidance_scale)

    def predict_inpainted(x_t: torch.Tensor, timestep: int) -> torch.Tensor:
        return torch.where(kept, x_leader, predict(x_t, timestep))

    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(x_leader.shape, generator=generator, dtype=torch.float32)
    x0 = sample(
        predict_inpainted, noise.to(model.device, model.dtype), ddim_scheduler(model, num_steps)
    )
    return model.model_to_features(x0, [len(leader)])[0]
