"""One tiny-model kit for every test (as diffusers' ``get_dummy_components``).

- `WordEncoder`: a deterministic text encoder (each word a fixed random vector; no download).
- `tiny_denoiser`: a seeded 32-wide MoMo-style denoiser; `tiny_model`: a whole seeded model
  around it; `tiny_bundle`: the 2-layer preset the model-level tests use.
- `synthetic_motion`: smooth random features (enough for the transfer machinery).
- `tiny_384_run_config`: a `momo train` config of a tiny model on the bundled 384-d encoder;
  `train_with_cli`: run `momo train` on it.

Tests import it as ``from kit import ...`` (the tests folder is on the import path).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from momo.diffusion.schedules import NoiseSchedule
from momo.models.bundle import MotionDiffusionModel
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.models.mdm import MotionDenoiser
from momo.motion.motion import Motion
from momo.motion.normalization import Normalizer
from momo.motion.representation import CANONICAL_BONE_LENGTHS, NUM_JOINTS, PARENTS, REST_DIRECTIONS
from momo.text_embedding import TextEmbedding


class WordEncoder:
    """Each word maps to a fixed random vector; the pooled vector hashes the whole prompt.

    Attributes:
        batches: every list of prompts encoded, in order (``calls`` counts them).
    """

    def __init__(self, token_dim: int = 12, pooled_dim: int = 10, name: str = "words") -> None:
        self.name = name
        self.token_dim = token_dim
        self.pooled_dim = pooled_dim
        self.batches: list[list[str]] = []

    @property
    def calls(self) -> int:
        """How many times `encode` ran."""
        return len(self.batches)

    @staticmethod
    def _vector(key: str, dim: int) -> torch.Tensor:
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
        return torch.randn(dim, generator=torch.Generator().manual_seed(seed))

    def encode(self, texts: Sequence[str]) -> TextEmbedding:
        self.batches.append(list(texts))
        words = [t.split() or [""] for t in texts]
        length = max(len(w) for w in words)
        tokens = torch.zeros(len(texts), length, self.token_dim)
        mask = torch.zeros(len(texts), length, dtype=torch.bool)
        pooled = torch.stack([self._vector(" ".join(ws) + "#", self.pooled_dim) for ws in words])
        for i, ws in enumerate(words):
            for j, w in enumerate(ws):
                tokens[i, j] = self._vector(w, self.token_dim)
                mask[i, j] = True
        return TextEmbedding(tokens, mask, pooled)


def tiny_config(**overrides: Any) -> DenoiserConfig:
    """A 2-layer, 32-wide MoMo-style denoiser config for the `WordEncoder`."""
    kwargs: dict[str, Any] = dict(
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


def tiny_denoiser(seed: int = 0, **overrides: Any) -> MotionDenoiser:
    """Seeded tiny denoiser in eval mode (float32)."""
    torch.manual_seed(seed)
    return MotionDenoiser(tiny_config(**overrides)).eval()


def tiny_model(
    seed: int = 0,
    *,
    num_timesteps: int = 10,
    num_layers: int = 3,
    dtype: torch.dtype = torch.float64,
    mean_scale: float = 0.3,
    encoder_name: str = "words",
    **overrides: Any,
) -> MotionDiffusionModel:
    """A complete seeded tiny model: denoiser, cosine schedule, statistics, `WordEncoder`.

    Args:
        seed: seed of the weights and of the statistics.
        num_timesteps: T of the cosine schedule.
        num_layers: decoder layers.
        dtype: dtype of the denoiser.
        mean_scale: spread of the normaliser's means (stds lie in 0.5..2).
        encoder_name: the text encoder's name (also recorded in the model config).
        overrides: any `DenoiserConfig` field.
    """
    denoiser = tiny_denoiser(seed, num_layers=num_layers, **overrides).to(dtype)
    config = denoiser.config
    rng = np.random.default_rng(seed)
    normalizer = Normalizer(
        rng.normal(0, mean_scale, 263).astype(np.float32),
        rng.uniform(0.5, 2.0, 263).astype(np.float32),
    )
    model_config = ModelConfig(config, DiffusionConfig(num_timesteps, "cosine"), encoder_name)
    encoder = WordEncoder(config.text_token_dim or 12, config.text_pooled_dim or 10, encoder_name)
    schedule = NoiseSchedule.from_name("cosine", num_timesteps)
    return MotionDiffusionModel(denoiser, schedule, normalizer, encoder, model_config)


def tiny_bundle(
    seed: int = 0, num_timesteps: int = 20, dtype: torch.dtype = torch.float64, **overrides: Any
) -> MotionDiffusionModel:
    """The model-level tests' preset: 2 layers, T = 20, unit-spread means."""
    return tiny_model(
        seed,
        num_timesteps=num_timesteps,
        dtype=dtype,
        **{"num_layers": 2, "mean_scale": 1.0, "encoder_name": "wordhash", **overrides},
    )


def synthetic_motion(frames: int, seed: int = 0, text: str | None = "a person waves") -> Motion:
    """Smooth random features (not a real motion; enough for the transfer machinery)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / 20.0
    phase = rng.uniform(0, 2 * np.pi, 263)
    scale = rng.uniform(0.02, 0.3, 263)
    features = scale * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + phase)
    features[:, 3] += 0.9  # root height
    return Motion(features.astype(np.float32), text=text, name=f"synthetic_{seed}")


def travelling(motion: Motion, step: float) -> Motion:
    """``motion`` whose root moves ``step`` metres forward every frame (features 1-2)."""
    features = np.array(motion.features, copy=True)
    features[:, 1] = 0.0
    features[:, 2] = step
    return Motion(features, text=motion.text)


def feature_scale(features: np.ndarray) -> float:
    """A bound on the features' magnitude, for tolerances relative to it."""
    return float(np.abs(features).max()) + 1.0


def walking_joints(frames: int = 24, speed: float = 1.0) -> np.ndarray:
    """The canonical rest pose (facing +Z, feet on the floor) sliding along +Z with swinging
    hands, at 20 fps: float32 [frames, 22, 3] metres."""
    pose = np.zeros((NUM_JOINTS, 3))
    for joint in range(1, NUM_JOINTS):
        pose[joint] = pose[PARENTS[joint]] + REST_DIRECTIONS[joint] * CANONICAL_BONE_LENGTHS[joint]
    pose[:, 1] -= pose[:, 1].min()
    t = np.arange(frames) / 20.0
    joints = np.repeat(pose[None], frames, axis=0)
    joints[..., 2] += speed * t[:, None]
    joints[:, [20, 21], 2] += 0.2 * np.sin(2 * np.pi * t)[:, None] * np.array([1.0, -1.0])
    return joints.astype(np.float32)


def save_minilm_checkpoint(path: Path, num_timesteps: int, max_positions: int) -> Path:
    """Save a seeded 3-layer, 32-wide model that reads the bundled MiniLM encoder's 384-d text
    (so `momo.load_model` and the CLI load it as a user's model) to ``path``."""
    from momo.models.loading import save_pretrained

    config = DenoiserConfig(
        num_layers=3, latent_dim=32, ff_size=48, num_heads=4,
        text_token_dim=384, text_pooled_dim=384, max_positions=max_positions,
    )  # fmt: skip
    torch.manual_seed(0)
    denoiser = MotionDenoiser(config).eval()
    rng = np.random.default_rng(0)
    normalizer = Normalizer(
        rng.normal(0, 0.3, 263).astype(np.float32), rng.uniform(0.5, 2, 263).astype(np.float32)
    )
    model_config = ModelConfig(config, DiffusionConfig(num_timesteps, "cosine"), "minilm")
    save_pretrained({"denoiser": denoiser, "config": model_config, "normalizer": normalizer}, path)
    return path


def tiny_384_run_config(**training: Any) -> dict[str, Any]:
    """A `momo train` config (as JSON data) of a 2-layer, 16-wide model that reads the bundled
    MiniLM encoder's 384-d text (so `momo.load_model` loads it), 10 cosine timesteps.

    Training logs every step and warms up for one, with no samples or evaluations; ``training``
    sets the other options (steps, batch size, frames, ...) or overrides these.
    """
    denoiser = {
        "num_layers": 2, "latent_dim": 16, "ff_size": 32, "num_heads": 2,
        "text_token_dim": 384, "text_pooled_dim": 384,
    }  # fmt: skip
    return {
        "model": {
            "denoiser": denoiser,
            "diffusion": {"num_timesteps": 10, "noise_schedule": "cosine"},
            "text_encoder": "minilm",
        },
        "training": {
            "log_every": 1,
            "sample_every": 0,
            "eval_every": 0,
            "warmup_steps": 1,
            **training,
        },  # fmt: skip
    }


def train_with_cli(run_config: dict[str, Any], cache: Path, folder: Path, name: str) -> Path:
    """Write ``run_config`` to ``folder/tiny.json`` and `momo train` it on ``cache`` (one thread,
    no progress bar) into ``folder/runs/<name>``, which is returned; the run must succeed."""
    import json

    from momo.cli.main import main

    config = folder / "tiny.json"
    config.write_text(json.dumps(run_config))
    run = folder / "runs" / name
    train = ["train", "--config", str(config), "--out", str(run), "--cache", str(cache)]
    assert main([*train, "--no-progress", "--threads", "1"]) == 0
    return run
