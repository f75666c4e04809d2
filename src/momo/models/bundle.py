"""`MotionDiffusionModel`: a denoiser with everything needed to use it on motions and prompts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from momo.constants import MAX_FRAMES
from momo.errors import TransferError
from momo.models.config import ModelConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEncoder
from momo.motion.batch import normalized_batch
from momo.text_embedding import TextEmbedding

if TYPE_CHECKING:
    # Type only: the bundle holds a schedule but runs no diffusion arithmetic (the pipelines
    # build schedulers from it: `momo.pipelines.scheduling`).
    from momo.diffusion.schedules import NoiseSchedule
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

    @property
    def max_frames(self) -> int:
        """Longest motion the model supports: its training limit (HumanML3D: 196) or less.

        The limit is the smaller of the one recorded in the model's config (``max_frames``) and
        what its positional table holds (one position goes to the CLS token, if any).
        """
        limit = int(self.config.extra.get("max_frames", MAX_FRAMES))
        config = self.denoiser.config
        return min(limit, config.max_positions - (1 if config.has_cls_token else 0))

    def motions_to_model(self, motions: Sequence[Motion]) -> tuple[Tensor, Tensor]:
        """Normalise and pad motions for the denoiser (`momo.motion.batch.normalized_batch`).

        Raw features are padded with zeros to the longest motion and then normalised, so padded
        frames hold -Mean/Std (as the reference's data loader does).

        Returns:
            (x ``[B, T_max, 263]`` on the model's device/dtype, frame_mask bool ``[B, T_max]``).
        """
        if not motions:
            raise TransferError("no motions given; pass at least one Motion")
        return normalized_batch(
            [m.features for m in motions], self.normalizer, device=self.device, dtype=self.dtype
        )

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
