"""Low-rank adapters: attach, scale, stack, save/load, train, and use in `momo transfer`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import momo
from momo.cli.main import main
from momo.data.cache import DataCache
from momo.data.dataset import TrainingSet
from momo.errors import ModelLoadError
from momo.models.adapters import (
    Adapter,
    AdapterConfig,
    attach_adapter,
    detach_adapters,
    parse_adapter_spec,
)
from momo.models.config import DenoiserConfig
from momo.models.mdm import MotionDenoiser
from momo.text_embedding import TextEmbedding
from momo.training.adapters import mean_loss, train_adapter
from momo.training.config import RunConfig
from momo.training.finetune import model_statistics, with_statistics


def _denoiser(layers: int = 2) -> MotionDenoiser:
    torch.manual_seed(0)
    config = DenoiserConfig(
        num_layers=layers, latent_dim=16, ff_size=32, num_heads=2, text_token_dim=8,
        text_pooled_dim=8,
    )  # fmt: skip
    return MotionDenoiser(config).eval()


def _inputs(seed: int = 1) -> tuple:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 12, 263, generator=g)
    t = torch.tensor([3, 7])
    tokens = torch.randn(2, 4, 8, generator=g)
    text = TextEmbedding(tokens, torch.ones(2, 4, dtype=torch.bool), torch.randn(2, 8, generator=g))
    return x, t, text, torch.ones(2, 12, dtype=torch.bool)


def _random_adapter(denoiser: MotionDenoiser, seed: int, rank: int = 2) -> Adapter:
    adapter = Adapter(denoiser, AdapterConfig(rank=rank, alpha=2.0))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for update in adapter.updates.values():
            update.lora_B.copy_(0.5 * torch.randn(update.lora_B.shape, generator=g))
    return adapter


@torch.no_grad()
def test_scale_zero_is_the_base_model_and_detach_restores_it() -> None:
    denoiser = _denoiser()
    inputs = _inputs()
    base = denoiser(*inputs)
    base_weights = {k: v.clone() for k, v in denoiser.state_dict().items()}
    adapter = attach_adapter(denoiser, _random_adapter(denoiser, 0), scale=0.0)
    torch.testing.assert_close(denoiser(*inputs), base, rtol=1e-6, atol=1e-6)
    adapter.scale = 1.0
    assert (denoiser(*inputs) - base).abs().max() > 1e-3
    # A fresh adapter (B = 0) changes nothing even at scale 1.
    detach_adapters(denoiser)
    attach_adapter(denoiser, Adapter(denoiser), scale=1.0)
    torch.testing.assert_close(denoiser(*inputs), base, rtol=1e-6, atol=1e-6)
    detach_adapters(denoiser)
    assert denoiser.state_dict().keys() == base_weights.keys()
    for key, value in denoiser.state_dict().items():
        assert torch.equal(value, base_weights[key]), key


@torch.no_grad()
def test_adapters_stack_scale_linearly_and_round_trip(tmp_path: Path) -> None:
    denoiser = _denoiser()
    attention = denoiser.self_attention_modules()[0]
    base = attention.in_proj_weight.clone()
    first = _random_adapter(denoiser, 1)
    second = _random_adapter(denoiser, 2)
    key = next(k for k in first.updates if k.endswith("self_attn__in_proj_weight"))
    delta = {a: a.updates[key].delta().clone() for a in (first, second)}  # at scale 1
    attach_adapter(denoiser, first, scale=0.5)
    attach_adapter(denoiser, second, scale=-2.0)
    expected = base + 0.5 * delta[first] - 2.0 * delta[second]
    torch.testing.assert_close(attention.in_proj_weight, expected, rtol=1e-5, atol=1e-6)
    outputs = denoiser(*_inputs())
    first.save(tmp_path / "a.safetensors")
    second.save(tmp_path / "b.safetensors")
    detach_adapters(denoiser)
    torch.testing.assert_close(attention.in_proj_weight, base, rtol=0, atol=0)
    from momo.models.adapters import load_adapters

    load_adapters(
        denoiser, [f"{tmp_path / 'a.safetensors'}:0.5", (tmp_path / "b.safetensors", -2.0)]
    )
    torch.testing.assert_close(denoiser(*_inputs()), outputs, rtol=1e-5, atol=1e-6)
    with pytest.raises(ModelLoadError, match="another architecture"):
        Adapter.load(tmp_path / "a.safetensors", _denoiser(layers=1))
    with pytest.raises(FileNotFoundError):
        Adapter.load(tmp_path / "missing.safetensors", denoiser)


def test_parse_adapter_spec() -> None:
    assert parse_adapter_spec("style.safetensors") == (Path("style.safetensors"), 1.0)
    assert parse_adapter_spec("dir/style.safetensors:0.5") == (Path("dir/style.safetensors"), 0.5)
    assert parse_adapter_spec("C:/a/style.safetensors") == (Path("C:/a/style.safetensors"), 1.0)
    assert parse_adapter_spec("s.safetensors:-1") == (Path("s.safetensors"), -1.0)


def test_trained_adapter_lowers_the_loss_and_base_is_untouched(
    tiny_model_dir: Path, tmp_path: Path, tiny_384: dict, make_cache_384
) -> None:  # noqa: ANN001
    model = momo.load_model(tiny_model_dir)
    base_weights = {k: v.clone() for k, v in model.denoiser.state_dict().items()}
    cache = DataCache.load(make_cache_384(tmp_path / "style.safetensors", seed=7))
    data = TrainingSet(with_statistics(cache, *model_statistics(model)), max_frames=48)
    config = RunConfig.from_dict({"training": tiny_384["training"]}).with_training(
        steps=30, batch_size=4, learning_rate=1e-2, warmup_steps=0
    )
    run = train_adapter(model, data, config.training, AdapterConfig(rank=2, alpha=2.0))
    for key, value in model.denoiser.state_dict().items():
        assert torch.equal(value, base_weights[key]), key
    assert not any(p.requires_grad for p in run.adapter.parameters())
    before = mean_loss(model, data, config.training, batches=4)
    attach_adapter(model.denoiser, run.adapter, scale=1.0)
    after = mean_loss(model, data, config.training, batches=4)
    run.adapter.scale = 0.0
    assert mean_loss(model, data, config.training, batches=4) == pytest.approx(before, rel=1e-6)
    # Fixed batches and noise: the gap is far above float noise (measured 2.22 -> 2.06).
    assert after < 0.97 * before, (before, after)


def test_lora_cli_and_transfer_adapter_option(
    tiny_model_dir: Path, tmp_path: Path, capsys, make_cache_384
) -> None:  # noqa: ANN001
    cache = make_cache_384(tmp_path / "style.safetensors", seed=7)
    out = tmp_path / "style"
    train = ["train", "--init", str(tiny_model_dir), "--out", str(out), "--cache", str(cache)]
    settings = ["--steps", "5", "--batch-size", "2", "--lr", "0.01", "--threads", "1"]
    assert main([*train, *settings, "--lora-rank", "2", "--no-progress"]) == 0
    assert "Trained" in capsys.readouterr().out
    adapter = out / "adapter.safetensors"
    assert len(json.loads((out / "adapter.json").read_text())["losses"]) == 5
    assert main([*train, *settings, "--lora-rank", "2"]) == 2  # never overwritten
    assert "exists" in capsys.readouterr().err
    # The API keyword installs the same file.
    adapted = momo.load_model(tiny_model_dir, adapters=[(adapter, 0.7)])
    base = momo.load_model(tiny_model_dir)
    weights = [
        m.in_proj_weight for m in (adapted, base) for m in [m.denoiser.self_attention_modules()[0]]
    ]
    assert not torch.allclose(*weights)
    no_init = ["train", "--out", str(tmp_path / "x"), "--cache", str(cache), "--lora-rank", "2"]
    assert main(no_init) == 2

    def transfer(name: str, *extra: str) -> np.ndarray:
        args = ["transfer", "--model", str(tiny_model_dir), "--out", str(tmp_path / name)]
        args += ["--leader", "a person walks", "--follower", "a person jumps", "--seed", "0"]
        args += ["--no-video", "--frames", "40", "--sampling-steps", "3", *extra]
        assert main(args) == 0
        return np.load(tmp_path / name / "results.npy", allow_pickle=True).item()["motion"]

    plain = transfer("plain")
    off = transfer("off", "--adapter", f"{adapter}:0")
    on = transfer("on", "--adapter", str(adapter), "--adapter", f"{adapter}:0.5")
    np.testing.assert_allclose(off, plain, rtol=1e-5, atol=1e-5)
    assert np.abs(on - plain).max() > 1e-4
    assert main(["transfer", "--leader", "a", "--follower", "b", "--out", str(tmp_path / "m"),
                 "--adapter", str(tmp_path / "missing.safetensors"), "--no-video"]) == 2  # fmt: skip
