"""`MotionDiffusionModel`: a denoiser with everything needed to use it on motions and prompts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.schedules import NoiseSchedule
from momo.errors import TransferError
from momo.models.config import ModelConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEmbedding, TextEncoder

if TYPE_CHECKING:
    from momo.motion.motion import Motion
    from momo.motion.normalization import Normalizer


@dataclass(eq=False)
class MotionDiffusionModel:
    """A loaded model: denoiser + noise schedule + normalisation + text encoder + config.

    Attributes:
        denoiser: the network (x_t, t, text) -> x0, in normalised feature space.
        schedule: the noise schedule it was trained with.
        normalizer: per-channel Mean/Std of the training data (raw <-> normalised features).
        text_encoder: turns prompts into `TextEmbedding`s.
        config: architecture, diffusion and text-encoder names (what `save_pretrained` writes).
    """

    denoiser: MotionDenoiser
    schedule: NoiseSchedule
    normalizer: Normalizer
    text_encoder: TextEncoder
    config: ModelConfig

    @property
    def device(self) -> torch.device:
        """Device of the denoiser's weights."""
        return next(self.denoiser.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """Floating dtype of the denoiser's weights (the compute dtype)."""
        return next(self.denoiser.parameters()).dtype

    @property
    def num_timesteps(self) -> int:
        """T, the model's number of diffusion timesteps."""
        return self.schedule.num_timesteps

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> MotionDiffusionModel:
        """Move/cast the denoiser in place (the text encoder stays where it runs); returns self."""
        self.denoiser.to(device=device, dtype=dtype)
        return self

    def encode_text(self, texts: Sequence[str]) -> TextEmbedding:
        """Encode prompts once, on the denoiser's device and dtype: ``[B, S, D]`` etc."""
        return self.text_encoder.encode(list(texts)).to(self.device, self.dtype)

    def scheduler(
        self, num_steps: int | None = None, *, eta: float = 0.0, reference_rounding: bool = False
    ) -> DDIMScheduler:
        """A DDIM scheduler over all timesteps or ``num_steps`` evenly respaced ones."""
        timesteps = (
            range(self.num_timesteps)
            if num_steps is None
            else self.schedule.respaced_timesteps(num_steps)
        )
        return DDIMScheduler(
            self.schedule, tuple(timesteps), eta=eta, reference_rounding=reference_rounding
        )

    def motions_to_model(self, motions: Sequence[Motion]) -> tuple[Tensor, Tensor]:
        """Normalise and pad motions for the denoiser.

        Raw features are padded with zeros to the longest motion and then normalised, so padded
        frames hold -Mean/Std (as the reference's data loader does).

        Returns:
            (x ``[B, T_max, 263]`` on the model's device/dtype, frame_mask bool ``[B, T_max]``).
        """
        from momo.motion.batch import pad_features

        if not motions:
            raise TransferError("no motions given; pass at least one Motion")
        padded, mask = pad_features([np.asarray(m.features, dtype=np.float32) for m in motions])
        x = np.asarray(self.normalizer.normalize(np.asarray(padded, dtype=np.float64)))
        x_t = torch.as_tensor(x).to(device=self.device, dtype=self.dtype)
        return x_t, torch.as_tensor(np.asarray(mask), dtype=torch.bool, device=self.device)

    def model_to_features(self, x: Tensor, lengths: Sequence[int]) -> list[np.ndarray]:
        """Denormalise model outputs ``[B, T, 263]`` and cut each row to its length.

        Returns:
            B float32 arrays ``[T_i, 263]`` of raw features.
        """
        raw = np.asarray(self.normalizer.denormalize(x.detach().cpu().double().numpy()))
        return [raw[i, : int(n)].astype(np.float32) for i, n in enumerate(lengths)]

    def __repr__(self) -> str:
        c = self.config.denoiser
        return (
            f"MotionDiffusionModel({c.arch}/{c.emb_trans_dec if c.arch == 'trans_dec' else 'enc'}, "
            f"{c.num_layers} layers, d={c.latent_dim}, T={self.num_timesteps}, "
            f"text={getattr(self.text_encoder, 'name', type(self.text_encoder).__name__)}, device={self.device}, dtype={self.dtype})"
        )
