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


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"training": {"steps": 10.5}}, "steps must be an integer, got 10.5"),
        ({"training": {"steps": "100"}}, "steps must be an integer"),
        ({"training": {"learning_rate": "fast"}}, "learning_rate must be a number"),
        ({"training": {"learning_rate": float("nan")}}, "learning_rate must be a finite number"),
        ({"training": {"num_threads": -3}}, "num_threads must be >= 1, got -3"),
        ({"training": {"mirror": "yes"}}, "mirror must be true or false"),
        ({"training": {"adam_betas": 0.9}}, "adam_betas must be a list"),
        ({"training": {"adam_betas": [0.9, "x"]}}, "adam_betas has an item that is not a number"),
        ({"training": {"sample_prompts": "walk"}}, "sample_prompts must be a list"),
        ({"training": {"lr_schedule": "linear"}}, "lr_schedule must be one of"),
        ({"training": []}, "training must be a JSON object"),
        ({"model": []}, "model must be a JSON object"),
        ({"model": {"denoiser": {"num_heads": 0}}}, "num_heads = 0"),
        ({"model": {"diffusion": {"num_timesteps": 1.5}}}, "num_timesteps must be an integer"),
        ({"model": {"text_encoder": 5}}, "text_encoder must be a string"),
    ],
)
def test_wrongly_typed_run_configs(data, fragment) -> None:
    from momo.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict(data)
    assert fragment in str(caught.value)


def test_flags_are_checked_like_the_file() -> None:
    from momo.errors import ConfigError

    with pytest.raises(ConfigError, match="num_threads must be >= 1"):
        RunConfig().with_training(num_threads=-3)
    with pytest.raises(ConfigError, match="learning_rate must be a finite number"):
        RunConfig().with_training(learning_rate=float("nan"))
