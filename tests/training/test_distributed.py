"""Data-parallel training: 2 CPU processes (gloo) match one process on the same global batch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from momo.data.cache import DataCache
from momo.data.dataset import TrainingSet
from momo.data.synthetic import synthetic_cache
from momo.training.config import RunConfig
from momo.training.loop import Trainer

CONFIG = {
    "model": {
        "denoiser": {
            "num_layers": 1,
            "latent_dim": 16,
            "ff_size": 32,
            "num_heads": 2,
            "dropout": 0.0,
            "text_token_dim": 16,
            "text_pooled_dim": 16,
        },
        "diffusion": {"num_timesteps": 10, "noise_schedule": "cosine"},
    },
    "training": {
        "steps": 3,
        "batch_size": 4,
        "min_frames": 40,
        "max_frames": 56,
        "warmup_steps": 1,
        "sample_every": 0,
        "eval_every": 0,
        "checkpoint_every": 3,
        "num_threads": 1,
    },
}


def _data(cache_path: Path) -> TrainingSet:
    return TrainingSet(DataCache.load(cache_path), min_frames=40, max_frames=56)


def _grads(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in trainer.denoiser.named_parameters()}


def _worker(rank: int, world: int, root: str) -> None:
    from momo.training.distributed import DistributedTrainer, finish, init_distributed

    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    context = init_distributed("cpu", init_method=f"file://{root}/rendezvous")
    config = RunConfig.from_dict(CONFIG)
    trainer = DistributedTrainer(
        config, _data(Path(root) / "cache.safetensors"), f"{root}/ddp", context=context
    )
    trainer.train_step()
    grads = _grads(trainer)
    result = trainer.train(progress=False)
    state = {k: v.detach().clone() for k, v in trainer.denoiser.state_dict().items()}
    torch.save({"grads": grads, "state": state, "loss": result.last_loss}, f"{root}/rank{rank}.pt")
    finish(result)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_two_processes_match_one_on_the_same_global_batch(tmp_path: Path) -> None:
    synthetic_cache(num_clips=8, min_frames=45, max_frames=70).save(tmp_path / "cache.safetensors")
    mp.start_processes(_worker, args=(2, str(tmp_path)), nprocs=2, start_method="spawn")

    torch.set_num_threads(1)
    single = Trainer(
        RunConfig.from_dict(CONFIG), _data(tmp_path / "cache.safetensors"), tmp_path / "one"
    )
    single.train_step()
    grads = _grads(single)
    result = single.train(progress=False)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    for name, grad in grads.items():
        for rank in ranks:
            torch.testing.assert_close(rank["grads"][name], grad, rtol=1e-4, atol=1e-6)
    for name, value in single.denoiser.state_dict().items():
        for rank in ranks:
            torch.testing.assert_close(rank["state"][name], value, rtol=1e-4, atol=1e-5)
    assert ranks[0]["loss"] == pytest.approx(result.last_loss, rel=1e-4)
    # Rank 0 wrote the run directory: a config, a log line per step and a checkpoint.
    assert json.loads((tmp_path / "ddp" / "config.json").read_text()) == json.loads(
        (tmp_path / "one" / "config.json").read_text()
    )
    assert len((tmp_path / "ddp" / "log.jsonl").read_text().splitlines()) == len(
        (tmp_path / "one" / "log.jsonl").read_text().splitlines()
    )
    assert sorted(p.name for p in (tmp_path / "ddp" / "checkpoints").iterdir()) == sorted(
        p.name for p in (tmp_path / "one" / "checkpoints").iterdir()
    )
