"""Training a low-rank adapter (`momo.models.adapters`) on a frozen model.

The model's own weights are frozen; only the adapter's updates are optimised (AdamW) on MDM's
objective (`momo.training.loop.diffusion_loss`), on batches of a training set normalised with the
model's Mean/Std (`momo.training.finetune.with_statistics`). An adapter has few parameters and
trains in minutes on a handful of clips, so there is no EMA and no checkpointing: a run writes
the adapter file at its end.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from momo.data.dataset import TrainingSet
from momo.errors import MomoError
from momo.models.adapters import Adapter, AdapterConfig, attach_adapter, detach_adapters
from momo.models.bundle import MotionDiffusionModel
from momo.training.config import TrainingConfig
from momo.training.loop import diffusion_loss

logger = logging.getLogger(__name__)


@dataclass
class AdapterRun:
    """What :func:`train_adapter` did.

    Attributes:
        adapter: the trained adapter (detached from the model).
        losses: the training loss of every step.
        seconds: wall time of the optimisation.
    """

    adapter: Adapter
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def train_adapter(
    model: MotionDiffusionModel,
    data: TrainingSet,
    training: TrainingConfig,
    adapter_config: AdapterConfig | None = None,
) -> AdapterRun:
    """Train a new adapter for ``training.steps`` steps of ``training.batch_size`` windows.

    Uses ``training``'s learning rate, betas, gradient clipping, loss weights and seed; the
    text dropout is the model's ``cond_mask_prob``. The model is left as it was (no adapter
    attached, weights unchanged, in eval mode).

    Raises:
        MomoError: if the loss becomes non-finite.
    """
    denoiser = model.denoiser
    adapter = Adapter(denoiser, adapter_config)
    frozen = {name: p.requires_grad for name, p in denoiser.named_parameters()}
    denoiser.requires_grad_(False)
    attach_adapter(denoiser, adapter, scale=1.0)
    adapter.requires_grad_(True)
    optimizer = torch.optim.AdamW(
        adapter.parameters(),
        lr=training.learning_rate,
        betas=training.adam_betas,
        weight_decay=training.weight_decay,
    )
    generator = torch.Generator().manual_seed(training.seed)
    rng = np.random.default_rng(np.random.SeedSequence([training.seed, 1]))
    run = AdapterRun(adapter)
    started = time.monotonic()
    try:
        denoiser.train()
        for step in range(training.steps):
            batch = data.sample_batch(training.batch_size, rng)
            loss, _ = diffusion_loss(
                denoiser,
                model.schedule,
                batch,
                training,
                model.config.denoiser.cond_mask_prob,
                generator,
            )
            if not torch.isfinite(loss):
                raise MomoError(f"the loss became {float(loss)} at step {step + 1}; lower --lr")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if training.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(adapter.parameters(), training.grad_clip)
            optimizer.step()
            run.losses.append(float(loss.detach()))
            if training.log_every and (step + 1) % training.log_every == 0:
                logger.info("adapter step %d: loss %.4f", step + 1, run.losses[-1])
    finally:
        run.seconds = time.monotonic() - started
        denoiser.eval()
        detach_adapters(denoiser)
        for name, p in denoiser.named_parameters():
            p.requires_grad_(frozen.get(name, False))
        adapter.requires_grad_(False)
    return run


@torch.no_grad()
def mean_loss(
    model: MotionDiffusionModel,
    data: TrainingSet,
    training: TrainingConfig,
    *,
    batches: int = 8,
    seed: int = 0,
) -> float:
    """MDM's loss of the model as it is (adapters included) on fixed seeded batches.

    The same ``seed`` draws the same windows, timesteps and noise, so two calls differ only by
    the model (e.g. an adapter at scale 0 and 1). Text is never dropped.
    """
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    was_training = model.denoiser.training
    model.denoiser.eval()
    total = 0.0
    for _ in range(batches):
        batch = data.sample_batch(training.batch_size, rng)
        loss, _ = diffusion_loss(model.denoiser, model.schedule, batch, training, 0.0, generator)
        total += float(loss)
    model.denoiser.train(was_training)
    return total / batches
