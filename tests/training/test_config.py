"""Run configs: the shipped config file, round trips, flag overrides and rejected typos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from momo.errors import MomoError
from momo.training.config import RunConfig, TrainingConfig

REPO = Path(__file__).resolve().parents[2]


def test_default_model_config_is_valid_and_moMo_shaped() -> None:
    config = RunConfig.from_file(REPO / "configs" / "default_model.json")
    denoiser = config.model.denoiser
    assert denoiser.arch == "trans_dec" and denoiser.emb_trans_dec == "cls_tcond_cross_cond"
    assert (denoiser.text_token_dim, denoiser.text_pooled_dim) == (384, 384)
    assert 128 <= denoiser.latent_dim <= 256 and 4 <= denoiser.num_layers <= 8
    assert denoiser.cond_mask_prob == 0.1
    assert config.model.diffusion.num_timesteps == 100
    assert config.model.diffusion.noise_schedule == "cosine"
    assert config.model.text_encoder == "minilm"
    assert RunConfig.from_dict(json.loads(config.to_json())) == config


def test_overrides_and_validation(tmp_path: Path) -> None:
    config = RunConfig().with_training(steps=5, batch_size=None, learning_rate=1e-3)
    assert config.training.steps == 5 and config.training.batch_size == 32
    with pytest.raises(MomoError, match="unknown training config keys"):
        RunConfig.from_dict({"training": {"step": 5}})
    with pytest.raises(MomoError, match="unknown config sections"):
        RunConfig.from_dict({"modle": {}})
    with pytest.raises(MomoError):
        RunConfig.from_dict({"model": {"denoiser": {"num_layer": 2}}})
    with pytest.raises(MomoError, match="max_frames"):
        TrainingConfig(min_frames=100, max_frames=50)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MomoError, match="not valid JSON"):
        RunConfig.from_file(bad)
    with pytest.raises(FileNotFoundError):
        RunConfig.from_file(tmp_path / "missing.json")
