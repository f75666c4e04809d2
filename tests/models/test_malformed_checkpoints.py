"""Checkpoints and their configs with wrong types, impossible sizes or broken weights."""

from __future__ import annotations

import json

import pytest
import torch

from kit import WordEncoder, tiny_bundle, tiny_denoiser
from momo.errors import ModelLoadError
from momo.models.loading import load_model, official_config, save_pretrained


@pytest.fixture(scope="module")
def mdm_state_dict() -> dict[str, torch.Tensor]:
    """A tiny MDM-style (trans_enc, pooled text) state dict as an official file holds it."""
    denoiser = tiny_denoiser(arch="trans_enc", text_token_dim=None, text_pooled_dim=10)
    return dict(denoiser.state_dict())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"num_heads": "4"}, "num_heads must be an integer, got '4'"),
        ({"num_heads": 0}, "num_heads = 0"),
        ({"num_heads": 3}, "not divisible by num_heads 3"),
        ({"diffusion_steps": 99.5}, "diffusion_steps must be an integer, got 99.5"),
        ({"diffusion_steps": 0}, "num_timesteps 0 must be >= 1"),
        ({"diffusion_steps": True}, "diffusion_steps must be an integer"),
        ({"mask_frames": "false"}, "mask_frames must be true or false"),
        ({"dropout": float("nan")}, "dropout must be a finite number"),
        ({"dropout": 1.5}, "dropout 1.5 must be in [0, 1)"),
        ({"noise_schedule": 3}, "noise_schedule must be a string"),
        ({"arch": ["trans_enc"]}, "unsupported arch"),
    ],
)
def test_wrongly_typed_args_json(mdm_state_dict, args, fragment) -> None:
    assert official_config({"arch": "trans_enc"}, mdm_state_dict).denoiser.num_heads == 4
    with pytest.raises(ModelLoadError) as caught:
        official_config({"arch": "trans_enc", **args}, mdm_state_dict)
    assert fragment in str(caught.value)


def test_args_json_that_is_not_an_object(mdm_state_dict) -> None:
    with pytest.raises(ModelLoadError, match="JSON object"):
        official_config(["trans_enc"], mdm_state_dict)
    assert official_config({"diffusion_steps": 50.0, "arch": "trans_enc"}, mdm_state_dict)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c["denoiser"].update(num_heads="4"), "num_heads must be an integer"),
        (lambda c: c["denoiser"].update(num_heads=0), "num_heads = 0"),
        (lambda c: c["denoiser"].update(latent_dim=-32), "latent_dim = -32"),
        (lambda c: c["diffusion"].update(num_timesteps=20.5), "num_timesteps must be an integer"),
        (lambda c: c["denoiser"].update(dropout="0.1"), "dropout must be a number"),
        (lambda c: c["denoiser"].update(mask_frames=1), "mask_frames must be true or false"),
        (lambda c: c.update(denoiser=[1, 2]), "must be a JSON object"),
        (lambda c: c.update(diffusion="cosine"), "malformed"),
    ],
)
def test_wrongly_typed_config_json(tmp_path, edit, fragment) -> None:
    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    config = json.loads((out / "config.json").read_text())
    edit(config)
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError) as caught:
        load_model(out, text_encoder=WordEncoder())
    assert fragment in str(caught.value)


def test_config_json_that_is_not_json(tmp_path) -> None:
    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    (out / "config.json").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(out, text_encoder=WordEncoder())
    (out / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelLoadError):
        load_model(out, text_encoder=WordEncoder())


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_weights_that_are_not_finite_are_refused(tmp_path, bad) -> None:
    bundle = tiny_bundle()
    with torch.no_grad():
        next(bundle.denoiser.parameters()).view(-1)[3] = bad
    out = save_pretrained(bundle, tmp_path / "model")
    with pytest.raises(ModelLoadError, match="NaN or infinite in 1 tensors"):
        load_model(out, text_encoder=WordEncoder())


def test_integer_weights_are_refused(tmp_path) -> None:
    from safetensors.torch import load_file, save_file

    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    tensors = load_file(str(out / "model.safetensors"))
    name = sorted(tensors)[0]
    tensors[name] = tensors[name].to(torch.int64)
    save_file(tensors, str(out / "model.safetensors"))
    with pytest.raises(ModelLoadError, match=f"must hold floats: {name} \\(torch.int64\\)"):
        load_model(out, text_encoder=WordEncoder())
