"""Tiny seeded models and a deterministic stand-in text encoder for fast tests."""

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


class WordHashEncoder:
    """Deterministic encoder: each word maps to a fixed random vector (no model, no download)."""

    def __init__(self, token_dim: int = 12, pooled_dim: int = 10, name: str = "wordhash") -> None:
        self.name = name
        self.token_dim = token_dim
        self.pooled_dim = pooled_dim
        self.calls = 0

    def _vector(self, word: str, dim: int) -> torch.Tensor:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
        return torch.randn(dim, generator=torch.Generator().manual_seed(seed))

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        self.calls += 1
        words = [t.split() or [""] for t in texts]
        length = max(len(w) for w in words)
        tokens = torch.zeros(len(texts), length, self.token_dim)
        mask = torch.zeros(len(texts), length, dtype=torch.bool)
        pooled = torch.zeros(len(texts), self.pooled_dim)
        for i, ws in enumerate(words):
            for j, w in enumerate(ws):
                tokens[i, j] = self._vector(w, self.token_dim)
                mask[i, j] = True
            pooled[i] = self._vector(" ".join(ws) + "#", self.pooled_dim)
        return TextEmbedding(tokens, mask, pooled)


def tiny_config(**overrides) -> DenoiserConfig:
    """A 2-layer, 32-wide MoMo-style denoiser config for the WordHashEncoder."""
    kwargs = dict(
        arch="trans_dec",
        emb_trans_dec="cls_tcond_cross_cond",
        num_layers=2,
        latent_dim=32,
        ff_size=48,
        num_heads=4,
        dropout=0.1,
        text_token_dim=12,
        text_pooled_dim=10,
        max_positions=256,
    )
    kwargs.update(overrides)
    return DenoiserConfig(**kwargs)


def tiny_denoiser(seed: int = 0, **overrides) -> MotionDenoiser:
    """Seeded tiny denoiser in eval mode (float32)."""
    torch.manual_seed(seed)
    return MotionDenoiser(tiny_config(**overrides)).eval()


def tiny_bundle(seed: int = 0, num_timesteps: int = 20, dtype=torch.float64, **overrides):
    """A complete tiny model with a seeded denoiser, unit-ish statistics and WordHashEncoder."""
    from momo.motion.normalization import Normalizer

    denoiser = tiny_denoiser(seed, **overrides).to(dtype)
    rng = np.random.default_rng(seed)
    normalizer = Normalizer(
        rng.normal(size=263).astype(np.float32), rng.uniform(0.5, 2.0, 263).astype(np.float32)
    )
    config = ModelConfig(denoiser.config, DiffusionConfig(num_timesteps, "cosine"), "wordhash")
    encoder = WordHashEncoder(denoiser.config.text_token_dim or 12, denoiser.config.text_pooled_dim)
    schedule = NoiseSchedule.from_name("cosine", num_timesteps)
    return MotionDiffusionModel(denoiser, schedule, normalizer, encoder, config)
