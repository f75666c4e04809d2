"""Resumable training checkpoints, written atomically.

A checkpoint is one ``torch.save`` file holding plain tensors, numbers and strings only, so it
loads with ``torch.load(weights_only=True)``:

- ``format`` / ``format_version``, ``step``, ``config`` (the run config as JSON text);
- ``model``, ``ema``, ``optimizer``, ``scheduler``: state dicts;
- ``rng``: the torch global RNG state (dropout), the training generator's state (noise,
  timesteps, text dropout) and the data generator's state (NumPy bit generator, as JSON text);
- ``data``: a fingerprint of the training data (so a resumed run notices another cache).

The run directory keeps ``checkpoints/last.pt`` (replaced atomically at every save) and the
``keep`` most recent numbered copies ``checkpoints/step_000001000.pt``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from momo.errors import MissingFileError, MomoError
from momo.utils.files import atomic_output

logger = logging.getLogger(__name__)

FORMAT = "momo-motion-training-checkpoint"
FORMAT_VERSION = 1
LAST = "last.pt"


@dataclass
class RngStates:
    """Every random state a training step draws from.

    Attributes:
        torch_global: ``torch.get_rng_state()`` (nn.Dropout draws from it).
        generator: state of the loop's ``torch.Generator``.
        numpy: ``np.random.Generator.bit_generator.state`` of the data sampler.
    """

    torch_global: torch.Tensor
    generator: torch.Tensor
    numpy: dict[str, Any]

    @classmethod
    def capture(cls, generator: torch.Generator, data_rng: np.random.Generator) -> RngStates:
        """Snapshot the current states."""
        return cls(torch.get_rng_state(), generator.get_state(), data_rng.bit_generator.state)

    def restore(self, generator: torch.Generator, data_rng: np.random.Generator) -> None:
        """Put the states back."""
        torch.set_rng_state(self.torch_global)
        generator.set_state(self.generator)
        data_rng.bit_generator.state = self.numpy


def checkpoint_dir(run_dir: str | os.PathLike[str]) -> Path:
    """``<run_dir>/checkpoints``."""
    return Path(run_dir) / "checkpoints"


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    *,
    step: int,
    config_json: str,
    model: torch.nn.Module,
    ema: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    rng: RngStates,
    data_fingerprint: str,
    keep: int = 2,
) -> Path:
    """Write ``last.pt`` (and a numbered copy when ``keep`` > 0) atomically; returns last.pt."""
    directory = checkpoint_dir(run_dir)
    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "step": int(step),
        "config": config_json,
        "model": model.state_dict(),
        "ema": ema.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {
            "torch_global": rng.torch_global,
            "generator": rng.generator,
            "numpy": json.dumps(rng.numpy),
        },
        "data": {"fingerprint": data_fingerprint},
    }
    last = directory / LAST
    with atomic_output(last, overwrite=True) as tmp:
        torch.save(state, tmp)
    if keep > 0:
        numbered = directory / f"step_{step:09d}.pt"
        with atomic_output(numbered, overwrite=True) as tmp:
            torch.save(state, tmp)
        for old in sorted(directory.glob("step_*.pt"))[:-keep]:
            old.unlink()
    return last


@dataclass
class Checkpoint:
    """A loaded checkpoint (see the module docstring for the fields)."""

    step: int
    config_json: str
    model: dict[str, Any]
    ema: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: RngStates
    data_fingerprint: str


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint file (``weights_only`` loading: no code runs from the file).

    Raises:
        MissingFileError: no file.
        MomoError: not a training checkpoint of this format.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no training checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a damaged file
        raise MomoError(f"cannot read the checkpoint {path}: {error}") from error
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise MomoError(f"{path} is not a momo training checkpoint")
    if state.get("format_version") != FORMAT_VERSION:
        raise MomoError(
            f"{path} is checkpoint format v{state.get('format_version')}, this version of momo "
            f"reads v{FORMAT_VERSION}"
        )
    try:
        rng = state["rng"]
        step = state["step"]
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise TypeError(f"step {step!r} is not a step number")
        return Checkpoint(
            step=step,
            config_json=str(state["config"]),
            model=dict(state["model"]),
            ema=dict(state["ema"]),
            optimizer=dict(state["optimizer"]),
            scheduler=dict(state["scheduler"]),
            rng=RngStates(rng["torch_global"], rng["generator"], json.loads(rng["numpy"])),
            data_fingerprint=str(state["data"]["fingerprint"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise MomoError(
            f"{path} is damaged ({type(error).__name__}: {error}); resume from another "
            "checkpoint (checkpoints/step_*.pt: copy one over last.pt)"
        ) from error


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """``checkpoints/last.pt`` of a run, or None when the run has none."""
    path = checkpoint_dir(run_dir) / LAST
    return path if path.is_file() else None
