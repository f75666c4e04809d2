"""The reference fixture (../shared/fixtures/momo_parity_1.pt) as a `MotionDiffusionModel`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from models.parity_helpers import fixture_denoiser
from momo.diffusion.schedules import NoiseSchedule
from momo.models.bundle import MotionDiffusionModel
from momo.models.config import DiffusionConfig, ModelConfig
from momo.models.text_encoders import TextEmbedding
from momo.motion.motion import Motion
from momo.motion.normalization import Normalizer


def load_fixture(fixtures_dir: Path, fixture_id: int = 1) -> dict[str, Any]:
    """The fixture dict, read with weights_only=True."""
    return torch.load(fixtures_dir / f"momo_parity_{fixture_id}.pt", weights_only=True)


def ours(x: Tensor) -> Tensor:
    """Reference layout [B, 263, 1, T] -> ours [B, T, 263]."""
    return x[:, :, 0].transpose(1, 2)


class FixtureEncoder:
    """Returns the fixture's stub DistilBERT tokens and CLIP vectors, looked up by prompt."""

    name = "fixture"

    def __init__(self, data: dict[str, Any]) -> None:
        self.prompts = {p["text"]: p for p in data["prompts"].values()}
        first = next(iter(self.prompts.values()))
        self.token_dim = int(first["bert_tokens"].shape[1])
        self.pooled_dim = int(first["clip_embedding"].shape[0])

    def encode(self, texts: list[str]) -> TextEmbedding:
        prompts = [self.prompts[t] for t in texts]
        length = max(int(p["n_tokens"]) for p in prompts)
        tokens = torch.zeros(len(texts), length, self.token_dim, dtype=torch.float64)
        mask = torch.zeros(len(texts), length, dtype=torch.bool)
        for i, p in enumerate(prompts):
            n = int(p["n_tokens"])
            tokens[i, :n] = p["bert_tokens"].double()
            mask[i, :n] = True
        pooled = torch.stack([p["clip_embedding"].double() for p in prompts])
        return TextEmbedding(tokens, mask, pooled)


def fixture_model(data: dict[str, Any]) -> MotionDiffusionModel:
    """The fixture's network, schedule, normalisation and prompts, in float64."""
    c = data["config"]
    denoiser = fixture_denoiser(data)
    steps = c["diffusion_steps"]
    normalizer = Normalizer(
        data["source_motion"]["mean"].numpy(), data["source_motion"]["std"].numpy()
    )
    model_config = ModelConfig(
        denoiser.config, DiffusionConfig(steps, c["noise_schedule"]), "fixture"
    )
    schedule = NoiseSchedule.from_name(c["noise_schedule"], steps)
    return MotionDiffusionModel(denoiser, schedule, normalizer, FixtureEncoder(data), model_config)


def fixture_motions(data: dict[str, Any]) -> list[Motion]:
    """The inverted motions (leader, follower) as raw features, cut to their lengths."""
    mean = data["source_motion"]["mean"].double()
    std = data["source_motion"]["std"].double()
    raw = ours(data["inversion_input"]) * std + mean
    motions = []
    for row, (length, text) in enumerate(zip(data["inversion_lengths"], data["inversion_texts"])):
        features = raw[row, : int(length)].numpy().astype(np.float32)
        motions.append(Motion(features, text=text, name=f"fixture_{row}"))
    return motions
