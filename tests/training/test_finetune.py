"""Fine-tuning: `momo train --init MODEL` starts from a model's weights and keeps its Mean/Std."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import momo
from momo.cli.main import main
from momo.data.dataset import TrainingSet
from momo.data.synthetic import synthetic_cache
from momo.errors import MomoError
from momo.training.config import RunConfig
from momo.training.finetune import (
    INIT_DIR,
    finetune_config,
    model_statistics,
    start_from,
    with_statistics,
)
from momo.training.loop import Trainer


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_start_from_copies_weights_and_keeps_the_model_statistics(
    tiny_model_dir: Path, tmp_path: Path, tiny_384: dict
) -> None:
    model = momo.load_model(tiny_model_dir)
    cache = synthetic_cache(
        num_clips=6, min_frames=45, max_frames=60, token_dim=384, pooled_dim=384, seed=5
    )
    assert not np.allclose(cache.mean, model.normalizer.mean)
    config = finetune_config(RunConfig.from_dict({"training": tiny_384["training"]}), model)
    assert config.model.denoiser == model.config.denoiser
    unnormalised = Trainer(config, TrainingSet(cache, max_frames=48), tmp_path / "no")
    with pytest.raises(MomoError, match="statistics"):
        start_from(unnormalised, model, str(tiny_model_dir))
    other = TrainingSet(with_statistics(cache, *model_statistics(model)), max_frames=48)
    trainer = Trainer(config, other, tmp_path / "ft")
    start_from(trainer, model, str(tiny_model_dir))
    for name, value in _state(model.denoiser).items():
        assert torch.equal(trainer.denoiser.state_dict()[name], value), name
        assert torch.equal(trainer.ema.module.state_dict()[name], value), name
    np.testing.assert_array_equal(trainer.mean.numpy(), np.float32(model.normalizer.mean))
    before = _state(trainer.denoiser)
    trainer.train(progress=False)
    changed = [k for k, v in _state(trainer.denoiser).items() if not torch.equal(v, before[k])]
    assert changed, "fine-tuning did not change any weight"
    exported = trainer.export()
    np.testing.assert_array_equal(
        np.load(exported / "Mean.npy"), np.load(tiny_model_dir / "Mean.npy")
    )
    assert (tmp_path / "ft" / INIT_DIR / "init.json").is_file()
    origin = momo.load_model(exported).config.extra["initialised_from"]
    assert origin["model"] == tiny_model_dir.name
    assert origin.get("training_steps") == model.config.extra.get("training_steps")
    (tmp_path / "ft" / INIT_DIR / "init.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(MomoError, match="init.json is unreadable"):
        trainer.export(overwrite=True)


def test_train_init_cli_resume_and_errors(
    tiny_model_dir: Path, tmp_path: Path, capsys, make_cache_384
) -> None:  # noqa: ANN001
    cache = make_cache_384(tmp_path / "b.safetensors", seed=3)
    out = tmp_path / "ft"
    run = ["train", "--out", str(out), "--cache", str(cache), "--no-progress"]
    assert main([*run, "--init", str(tiny_model_dir), "--steps", "1"]) == 0
    assert "Starting from" in capsys.readouterr().out
    # A resumed fine-tuning run keeps the initial model's statistics.
    assert main([*run, "--resume", "--steps", "2"]) == 0
    np.testing.assert_array_equal(
        np.load(out / "model" / "Mean.npy"), np.load(tiny_model_dir / "Mean.npy")
    )
    assert main([*run, "--resume", "--init", str(tiny_model_dir)]) == 2
    assert "new run" in capsys.readouterr().err
    foreign = synthetic_cache(
        num_clips=6, min_frames=45, max_frames=60, token_dim=384, pooled_dim=384
    )
    foreign_path = foreign.save(tmp_path / "foreign.safetensors")  # text_encoder "synthetic"
    other = ["train", "--out", str(tmp_path / "x"), "--cache", str(foreign_path)]
    assert main([*other, "--init", str(tiny_model_dir), "--steps", "1"]) == 2
    assert "rebuild the cache" in capsys.readouterr().err


def test_train_init_from_the_bundled_model(tmp_path: Path, capsys, make_cache_384) -> None:  # noqa: ANN001
    cache = make_cache_384(tmp_path / "c.safetensors", seed=4)
    run = ["train", "--out", str(tmp_path / "ft"), "--cache", str(cache), "--no-progress"]
    settings = ["--steps", "1", "--batch-size", "2", "--threads", "1", "--sample-every", "0"]
    assert main([*run, "--init", "default", *settings, "--eval-every", "0"]) == 0
    assert "Reached step 1/1" in capsys.readouterr().out
    bundled = momo.load_model()
    exported = momo.load_model(tmp_path / "ft" / "model")
    assert exported.config.denoiser == bundled.config.denoiser
    origin = exported.config.extra["initialised_from"]
    assert origin["model"] == "default"
    assert origin["training_steps"] == bundled.config.extra["training_steps"]
    assert origin["initialised_from"] == bundled.config.extra["initialised_from"]
