"""Tiny seeded models, a deterministic text encoder and synthetic motions for transfer tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from momo.diffusion.schedules import NoiseSchedule
from momo.models.bundle import MotionDiffusionModel
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEmbedding
from momo.motion.motion import Motion
from momo.motion.normalization import Normalizer


class WordEncoder:
    """Each word maps to a fixed random vector; the pooled vector hashes the whole prompt."""

    name = "words"

    def __init__(self, token_dim: int = 12, pooled_dim: int = 10) -> None:
        self.token_dim = token_dim
        self.pooled_dim = pooled_dim
        self.calls: list[list[str]] = []

    @staticmethod
    def _vector(key: str, dim: int) -> torch.Tensor:
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
        return torch.randn(dim, generator=torch.Generator().manual_seed(seed))

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        self.calls.append(list(texts))
        words = [t.split() or [""] for t in texts]
        length = max(len(w) for w in words)
        tokens = torch.zeros(len(texts), length, self.token_dim)
        mask = torch.zeros(len(texts), length, dtype=torch.bool)
        pooled = torch.stack([self._vector(t + "#", self.pooled_dim) for t in texts])
        for i, ws in enumerate(words):
            for j, w in enumerate(ws):
                tokens[i, j] = self._vector(w, self.token_dim)
                mask[i, j] = True
        return TextEmbedding(tokens, mask, pooled)


def tiny_model(
    seed: int = 0,
    *,
    num_timesteps: int = 10,
    num_layers: int = 3,
    dtype: torch.dtype = torch.float64,
    **overrides: object,
) -> MotionDiffusionModel:
    """A seeded 32-wide MoMo-style model (trans_dec, CLS = t + pooled text, token cross-attention)."""
    kwargs: dict[str, object] = dict(
        arch="trans_dec",
        emb_trans_dec="cls_tcond_cross_cond",
        num_layers=num_layers,
        latent_dim=32,
        ff_size=48,
        num_heads=4,
        dropout=0.1,
        text_token_dim=12,
        text_pooled_dim=10,
        max_positions=256,
    )
    kwargs.update(overrides)
    config = DenoiserConfig(**kwargs)  # type: ignore[arg-type]
    torch.manual_seed(seed)
    denoiser = MotionDenoiser(config).eval().to(dtype)
    rng = np.random.default_rng(seed)
    normalizer = Normalizer(
        rng.normal(0, 0.3, 263).astype(np.float32), rng.uniform(0.5, 2.0, 263).astype(np.float32)
    )
    model_config = ModelConfig(config, DiffusionConfig(num_timesteps, "cosine"), "words")
    encoder = WordEncoder(config.text_token_dim or 12, config.text_pooled_dim or 10)
    schedule = NoiseSchedule.from_name("cosine", num_timesteps)
    return MotionDiffusionModel(denoiser, schedule, normalizer, encoder, model_config)


def synthetic_motion(frames: int, seed: int = 0, text: str | None = "a person waves") -> Motion:
    """Smooth random features (not a real motion; enough for the transfer machinery)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / 20.0
    phase = rng.uniform(0, 2 * np.pi, 263)
    scale = rng.uniform(0.02, 0.3, 263)
    features = scale * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + phase)
    features[:, 3] += 0.9  # root height
    return Motion(features.astype(np.float32), text=text, name=f"synthetic_{seed}")
