"""Training on a tiny synthetic set: the loss goes down, resume equals an uninterrupted run,
checkpoints are refused or checked where they must be, and the export loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from momo.data.dataset import TrainingSet
from momo.data.synthetic import synthetic_cache
from momo.errors import MomoError
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.training.config import RunConfig, TrainingConfig
from momo.training.loop import LearningRateSchedule, Trainer, diffusion_loss, masked_mse

TINY_MODEL = ModelConfig(
    denoiser=DenoiserConfig(
        arch="trans_dec",
        emb_trans_dec="cls_tcond_cross_cond",
        num_layers=2,
        latent_dim=32,
        ff_size=64,
        num_heads=2,
        dropout=0.1,
        text_token_dim=16,
        text_pooled_dim=16,
        cond_mask_prob=0.1,
    ),
    diffusion=DiffusionConfig(num_timesteps=100, noise_schedule="cosine"),
    text_encoder="minilm",
)


def _config(**training: object) -> RunConfig:
    base = dict(
        steps=6,
        batch_size=4,
        min_frames=40,
        max_frames=56,
        learning_rate=1e-3,
        warmup_steps=2,
        log_every=2,
        checkpoint_every=3,
        sample_every=0,
        ema_decay=0.99,
        seed=7,
    )
    base.update(training)
    return RunConfig(model=TINY_MODEL, training=TrainingConfig(**base))


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    return TrainingSet(synthetic_cache(num_clips=8, min_frames=45, max_frames=70), max_frames=56)


def _fixed_loss(trainer: Trainer, weights: torch.nn.Module) -> float:
    """Loss on fixed batches with fixed noise and timesteps (independent of training RNG)."""
    rng = np.random.default_rng(123)
    generator = torch.Generator().manual_seed(123)
    weights.eval()
    total = 0.0
    with torch.no_grad():
        for _ in range(4):
            batch = trainer.data.sample_batch(8, rng, crop_frames=48)
            loss, _ = diffusion_loss(
                weights, trainer.schedule, batch, trainer.config.training, 0.0, generator
            )
            total += float(loss)
    return total / 4


def test_masked_mse_ignores_padding() -> None:
    target = torch.zeros(2, 4, 3)
    prediction = torch.ones(2, 4, 3)
    prediction[:, 2:] = 100.0
    mask = torch.tensor([[True, True, False, False]] * 2)
    assert float(masked_mse(prediction, target, mask)) == pytest.approx(1.0)


def test_learning_rate_schedule() -> None:
    schedule = LearningRateSchedule(
        TrainingConfig(steps=110, warmup_steps=10, lr_schedule="cosine", min_lr_ratio=0.1)
    )
    assert schedule(0) == pytest.approx(0.1) and schedule(9) == pytest.approx(1.0)
    assert schedule(10) == pytest.approx(1.0)
    assert schedule(60) == pytest.approx(0.55)
    assert schedule(110) == pytest.approx(0.1) and schedule(500) == pytest.approx(0.1)
    constant = LearningRateSchedule(
        TrainingConfig(steps=10, warmup_steps=0, lr_schedule="constant")
    )
    assert constant(0) == constant(9) == 1.0


def test_loss_goes_down(tmp_path: Path, data: TrainingSet) -> None:
    trainer = Trainer(
        _config(steps=80, checkpoint_every=0, log_every=20, eval_every=40, eval_batches=2),
        data,
        tmp_path / "run",
    )
    assert trainer.eval_data is not None
    assert {trainer.data.cache.clips[int(r)].split for r in trainer.eval_data.windows.clip} == {
        "test"
    }
    first_eval = trainer.evaluate()
    assert trainer.evaluate() == first_eval  # fixed batches, noise and timesteps
    before = _fixed_loss(trainer, trainer.denoiser)
    result = trainer.train(progress=False)
    after = _fixed_loss(trainer, trainer.denoiser)
    assert result.step == 80 and not result.stopped_early
    assert after < 0.7 * before, (before, after)
    assert _fixed_loss(trainer, trainer.ema.module) < before
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    log = [entry for entry in lines if "loss" in entry]
    evals = [entry for entry in lines if "val_loss" in entry]
    assert [entry["step"] for entry in log] == [20, 40, 60, 80]
    assert [entry["step"] for entry in evals] == [40, 80]
    assert evals[-1]["val_loss"] < first_eval["val_loss"]
    assert log[-1]["loss"] < log[0]["loss"]
    assert {"loss", "mse", "lr", "grad_norm", "steps_per_s", "peak_rss_mb"} <= set(log[0])


def test_resume_equals_uninterrupted_run(tmp_path: Path, data: TrainingSet) -> None:
    config = _config(steps=6, velocity_loss_weight=0.5)
    straight = Trainer(config, data, tmp_path / "straight")
    straight.train(progress=False)

    first = Trainer(config, data, tmp_path / "resumed")
    result = first.train(stop_at_step=3, progress=False)
    assert result.step == 3 and result.stopped_early
    # Something else drawing from the global RNG between sessions must not matter.
    torch.rand(10)
    second = Trainer(config, data, tmp_path / "resumed", resume=True)
    assert second.step == 3
    second.train(progress=False)

    for name, value in straight.denoiser.state_dict().items():
        torch.testing.assert_close(second.denoiser.state_dict()[name], value, rtol=0, atol=0)
    for name, value in straight.ema.state_dict().items():
        torch.testing.assert_close(second.ema.state_dict()[name], value, rtol=0, atol=0)
    logs = [
        [json.loads(line) for line in (tmp_path / run / "log.jsonl").read_text().splitlines()]
        for run in ("straight", "resumed")
    ]
    # The stop at step 3 logs its partial interval; intervals not cut by it are identical.
    assert [e["step"] for e in logs[0]] == [2, 4, 6]
    assert [e["step"] for e in logs[1]] == [2, 3, 4, 6]
    assert logs[0][0]["loss"] == logs[1][0]["loss"] and logs[0][2]["loss"] == logs[1][3]["loss"]


def test_run_directory_protection(tmp_path: Path, data: TrainingSet) -> None:
    config = _config(steps=2, checkpoint_every=0)
    with pytest.raises(FileNotFoundError):
        Trainer(config, data, tmp_path / "run", resume=True)
    Trainer(config, data, tmp_path / "run").train(progress=False)
    with pytest.raises(MomoError, match="--resume"):
        Trainer(config, data, tmp_path / "run")
    other_model = RunConfig(
        model=ModelConfig(
            denoiser=DenoiserConfig(**{**TINY_MODEL.denoiser.to_dict(), "num_layers": 1}),
            diffusion=TINY_MODEL.diffusion,
        ),
        training=config.training,
    )
    with pytest.raises(MomoError, match="another model config"):
        Trainer(other_model, data, tmp_path / "run", resume=True)
    other_data = TrainingSet(synthetic_cache(num_clips=8, seed=5, min_frames=45), max_frames=56)
    with pytest.raises(MomoError, match="other data"):
        Trainer(config, other_data, tmp_path / "run", resume=True)


def test_text_width_mismatch_is_refused(tmp_path: Path, data: TrainingSet) -> None:
    wide = ModelConfig(
        denoiser=DenoiserConfig(**{**TINY_MODEL.denoiser.to_dict(), "text_token_dim": 384})
    )
    with pytest.raises(MomoError, match="do not fit the model"):
        Trainer(RunConfig(model=wide, training=_config().training), data, tmp_path / "run")


def test_foot_loss_runs_and_is_finite(tmp_path: Path, data: TrainingSet) -> None:
    trainer = Trainer(
        _config(steps=1, foot_loss_weight=1.0, checkpoint_every=0), data, tmp_path / "r"
    )
    terms = trainer.train_step()
    assert np.isfinite(terms["foot"]) and terms["foot"] >= 0


def test_export_loads_with_load_model(tmp_path: Path, data: TrainingSet) -> None:
    loading = pytest.importorskip("momo.models.loading")
    trainer = Trainer(_config(steps=3, checkpoint_every=0), data, tmp_path / "run")
    trainer.train(progress=False)
    directory = trainer.export()
    assert {p.name for p in directory.iterdir()} >= {
        "config.json",
        "model.safetensors",
        "Mean.npy",
        "Std.npy",
    }
    with pytest.raises(MomoError):
        trainer.export()

    class FakeEncoder:
        name, token_dim, pooled_dim = "synthetic", 16, 16

        def encode(self, texts):  # noqa: ANN001, ANN202
            return data.text_embedding([0] * len(texts))

    model = loading.load_model(directory, text_encoder=FakeEncoder())
    for name, value in trainer.ema.module.state_dict().items():
        if not name.endswith(".pe"):
            torch.testing.assert_close(model.denoiser.state_dict()[name], value)
    np.testing.assert_array_equal(model.normalizer.std, data.cache.std)
    config = json.loads((directory / "config.json").read_text())
    assert config["extra"]["training_steps"] == 3 and config["extra"]["weights"] == "ema"
    assert "initialised_from" not in config["extra"]  # trained from scratch
