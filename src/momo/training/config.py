"""Training configuration: the model to train and how to train it, as frozen dataclasses.

A run is described by one JSON file (e.g. ``configs/default_model.json``)::

    {"model": {"denoiser": {...DenoiserConfig...}, "diffusion": {...}, "text_encoder": "minilm"},
     "training": {...TrainingConfig...}}

The CLI reads it, applies its flags on top (:meth:`RunConfig.with_training`), and writes the
resolved config next to the run's outputs.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from momo.errors import ConfigError, MissingFileError, MomoError
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.utils.fields import field_type_problems

#: Prompts rendered periodically during training to watch progress.
DEFAULT_SAMPLE_PROMPTS: tuple[str, ...] = (
    "a person walks forward",
    "an exhausted person walks forward",
    "a person waves with the right hand",
)


@dataclass(frozen=True)
class TrainingConfig:
    """How to train (every field can be set in the config file or by a ``momo train`` flag).

    Attributes:
        steps: optimiser steps in total (a resumed run continues up to this step).
        batch_size: windows per step.
        min_frames: shortest crop (frames at 20 fps; 40 = 2 s), and shortest clip used.
        max_frames: longest crop (160 = 8 s). Each batch draws one length in between.
        crop: ``"random"`` (each batch crops its windows to one length drawn between
            ``min_frames`` and ``max_frames``) or ``"whole"`` (windows are taken whole, up to
            ``max_frames``, each with its own length, as HumanML3D's loader takes its motions
            and caption spans; the batch is padded to its longest).
        window_stride: frames between window starts in long clips.
        mirror: train on left/right mirrored copies too.
        learning_rate: peak AdamW learning rate.
        weight_decay: AdamW weight decay.
        adam_betas: AdamW betas.
        warmup_steps: linear warm-up from 0 to the peak rate.
        lr_schedule: ``"cosine"`` (decay to ``min_lr_ratio`` x peak at ``steps``) or ``"constant"``.
        min_lr_ratio: final learning rate of the cosine schedule, relative to the peak.
        grad_clip: clip the global gradient norm to this (0 disables).
        ema_decay: decay of the exponential moving average of the weights (what is exported).
        velocity_loss_weight: weight of MDM's velocity loss (masked MSE of frame differences of
            x0); 0 disables (default, as MoMo's HumanML3D training).
        foot_loss_weight: weight of MDM's foot-contact loss (velocity of feet marked in contact
            by the target, from forward kinematics of the prediction); 0 disables.
        seed: seeds data order, noise, timesteps, text dropout and weight init.
        log_every: steps between JSONL log lines (mean loss over the interval).
        checkpoint_every: steps between resumable checkpoints.
        keep_checkpoints: numbered checkpoints kept besides ``last.pt`` (0: only ``last.pt``).
        eval_every: steps between evaluations of the loss on the held-out test split (fixed
            batches, noise and timesteps, text always on; raw and EMA weights; 0 disables).
        eval_batches: batches per evaluation.
        sample_every: steps between sample renders (0 disables).
        sample_prompts: prompts rendered at each sample step.
        sample_frames: length of rendered samples.
        sample_steps: DDIM steps used for the renders.
        sample_guidance: classifier-free guidance scale of the renders.
        num_threads: torch CPU threads (None: leave torch's default).
        device: ``"cpu"`` or ``"cuda"``.
    """

    steps: int = 100_000
    batch_size: int = 32
    min_frames: int = 40
    max_frames: int = 160
    crop: Literal["random", "whole"] = "random"
    window_stride: int = 40
    mirror: bool = True
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 1000
    lr_schedule: Literal["cosine", "constant"] = "cosine"
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    velocity_loss_weight: float = 0.0
    foot_loss_weight: float = 0.0
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2
    eval_every: int = 1000
    eval_batches: int = 8
    sample_every: int = 10_000
    sample_prompts: tuple[str, ...] = DEFAULT_SAMPLE_PROMPTS
    sample_frames: int = 120
    sample_steps: int = 100
    sample_guidance: float = 2.5
    num_threads: int | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        if isinstance(self.adam_betas, list):
            object.__setattr__(self, "adam_betas", tuple(self.adam_betas))
        if isinstance(self.sample_prompts, list):
            object.__setattr__(self, "sample_prompts", tuple(self.sample_prompts))
        problems = field_type_problems(self)
        if problems:
            raise ConfigError("invalid training config: " + "; ".join(problems))
        for name in ("steps", "batch_size", "min_frames", "window_stride", "log_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if self.max_frames < self.min_frames:
            problems.append("max_frames must be >= min_frames")
        if self.learning_rate <= 0:
            problems.append("learning_rate must be > 0")
        if not 0.0 <= self.ema_decay < 1.0:
            problems.append("ema_decay must be in [0, 1)")
        if self.crop not in ("random", "whole"):
            problems.append("crop must be 'random' or 'whole'")
        if self.lr_schedule not in ("cosine", "constant"):
            problems.append("lr_schedule must be 'cosine' or 'constant'")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            problems.append("min_lr_ratio must be in [0, 1]")
        for name in (
            "warmup_steps",
            "checkpoint_every",
            "keep_checkpoints",
            "sample_every",
            "eval_every",
            "eval_batches",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if min(self.grad_clip, self.velocity_loss_weight, self.foot_loss_weight) < 0:
            problems.append("grad_clip and loss weights must be >= 0")
        if self.num_threads is not None and self.num_threads < 1:
            problems.append(f"num_threads must be >= 1, got {self.num_threads}")
        if not all(0.0 <= beta < 1.0 for beta in self.adam_betas):
            problems.append("adam_betas must be in [0, 1)")
        if problems:
            raise ConfigError("invalid training config: " + "; ".join(problems))
        object.__setattr__(self, "adam_betas", tuple(float(b) for b in self.adam_betas))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        data = dataclasses.asdict(self)
        data["adam_betas"] = list(self.adam_betas)
        data["sample_prompts"] = list(self.sample_prompts)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error (a typo must not be ignored)."""
        _check_object(data, "training")
        _check_keys(cls, data, "training")
        return cls(**data)


@dataclass(frozen=True)
class RunConfig:
    """A training run: the model (architecture, diffusion, text encoder) and the training.

    Attributes:
        model: what is trained; its ``denoiser.cond_mask_prob`` is the text dropout rate.
        training: how.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the format of the config files)."""
        return {
            "model": {
                "denoiser": self.model.denoiser.to_dict(),
                "diffusion": self.model.diffusion.to_dict(),
                "text_encoder": self.model.text_encoder,
            },
            "training": self.training.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Read a config dict; missing sections and fields take their defaults.

        Raises:
            ConfigError: unknown keys, or values of the wrong type or range.
        """
        _check_object(data, "the run config")
        unknown = sorted(set(data) - {"model", "training"})
        if unknown:
            raise ConfigError(f"unknown config sections {unknown}; expected 'model' and 'training'")
        model = data.get("model", {})
        _check_object(model, "model")
        unknown = sorted(set(model) - {"denoiser", "diffusion", "text_encoder"})
        if unknown:
            raise ConfigError(f"unknown model config keys {unknown}")
        try:
            denoiser = DenoiserConfig.from_dict(model.get("denoiser", {}))
            diffusion_data = model.get("diffusion", {})
            _check_object(diffusion_data, "model.diffusion")
            _check_keys(DiffusionConfig, diffusion_data, "model.diffusion")
            diffusion = DiffusionConfig(**diffusion_data)
        except MomoError as error:
            raise ConfigError(f"invalid model config: {error}") from error
        if not isinstance(model.get("text_encoder", "minilm"), str):
            raise ConfigError("model.text_encoder must be a string such as 'minilm'")
        return cls(
            model=ModelConfig(
                denoiser=denoiser,
                diffusion=diffusion,
                text_encoder=model.get("text_encoder", "minilm"),
            ),
            training=TrainingConfig.from_dict(data.get("training", {})),
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> RunConfig:
        """Read a JSON config file.

        Raises:
            MissingFileError: no such file.
            MomoError: not JSON, or invalid contents.
        """
        path = Path(path)
        if not path.is_file():
            raise MissingFileError(f"config file {path} not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, nested too deep
            raise MomoError(f"{path} is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise MomoError(f"{path} must hold a JSON object")
        return cls.from_dict(data)

    def with_training(self, **changes: Any) -> RunConfig:
        """A copy with some training fields replaced (None values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        _check_keys(TrainingConfig, changes, "training")
        return dataclasses.replace(self, training=dataclasses.replace(self.training, **changes))

    def to_json(self) -> str:
        """Pretty JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _check_keys(cls: type, data: dict[str, Any], where: str) -> None:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {where} config keys {unknown}; known: {sorted(names)}")


def _check_object(data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object, got {data!r}"[:200])
