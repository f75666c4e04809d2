"""Data-parallel training under ``torchrun`` (DistributedDataParallel; gloo on CPU, NCCL on GPU).

Every process draws the same *global* batch of ``batch_size`` windows, timesteps, noise and
text-drop flags from the run's seeded generators (as a single process does), and computes the
loss of its own contiguous share of the rows; DDP averages the gradients. Each share's loss is
its sum of squared errors divided by the global number of real (frame, feature) values times
the world size, so the averaged gradient is exactly the single-process gradient of the global
batch (to float tolerance). The generators' states therefore do not depend on the world size:
a run can be resumed with another number of processes.

Rank 0 alone writes the run directory (config, log, checkpoints, samples, export); the others
only train. The objective is MDM's masked MSE: the velocity and foot-contact terms are refused
(they would need the same global normalisation).

    torchrun --nproc-per-node 2 -m momo.cli.main train --config ... --out runs/x
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from momo.data.dataset import TrainingSet
from momo.errors import MomoError
from momo.models.text_encoders import TextEncoder
from momo.text_embedding import TextEmbedding
from momo.training.config import RunConfig
from momo.training.loop import Trainer, TrainResult


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in the process group.

    Attributes:
        rank: 0 .. world_size - 1.
        world_size: number of processes.
        local_rank: index on this machine (picks the GPU).
    """

    rank: int
    world_size: int
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that writes files and prints)."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True when ``torchrun`` started this process with more than one process in the group."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: str = "cpu", init_method: str = "env://") -> DistributedContext:
    """Join the process group described by torchrun's environment (gloo on CPU, NCCL on GPU).

    Raises:
        MomoError: if the environment lacks ``RANK`` / ``WORLD_SIZE``.
    """
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    except (KeyError, ValueError) as error:
        raise MomoError("distributed training needs torchrun's RANK and WORLD_SIZE") from error
    local = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device.startswith("cuda") else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world)
    if backend == "nccl":
        torch.cuda.set_device(local)
    return DistributedContext(rank, world, local)


def _rows(text: TextEmbedding, rows: slice) -> TextEmbedding:
    return TextEmbedding(text.tokens[rows], text.token_mask[rows], text.pooled[rows])


class DistributedTrainer(Trainer):
    """A `Trainer` whose steps run data-parallel over the process group (see the module).

    Args:
        config / data / run_dir / resume: as for `Trainer` (every rank reads the checkpoint).
        context: this process's rank and the world size.

    Raises:
        MomoError: the batch size does not divide by the world size, or the config uses the
            velocity or foot-contact loss.
    """

    def __init__(
        self,
        config: RunConfig,
        data: TrainingSet,
        run_dir: str | os.PathLike[str],
        *,
        context: DistributedContext,
        resume: bool = False,
        text_encoder: TextEncoder | None = None,
    ) -> None:
        tcfg = config.training
        if tcfg.batch_size % context.world_size:
            raise MomoError(
                f"the batch size {tcfg.batch_size} must divide by the {context.world_size} "
                "processes (each trains an equal share of every batch)"
            )
        if tcfg.velocity_loss_weight > 0 or tcfg.foot_loss_weight > 0:
            raise MomoError("distributed training supports the MSE objective only")
        if tcfg.device.startswith("cuda"):
            config = config.with_training(device=f"cuda:{context.local_rank}")
        super().__init__(config, data, run_dir, resume=resume, text_encoder=text_encoder)
        self.context = context
        # Dropout draws from torch's global generator, seeded alike on every rank by `Trainer`;
        # give each rank its own stream so their rows get independent masks.
        torch.manual_seed(tcfg.seed + 1 + context.rank)
        ids = None if self.device.type == "cpu" else [self.device.index]
        self.parallel = DistributedDataParallel(self.denoiser, device_ids=ids)

    def train_step(self) -> dict[str, float]:
        """One optimiser step on this rank's share of the global batch."""
        tcfg = self.config.training
        world, rank = self.context.world_size, self.context.rank
        self.denoiser.train()
        batch = self.data.sample_batch(tcfg.batch_size, self.data_rng)
        size = batch.x0.shape[0]
        # The draws of `diffusion_loss` for the whole batch, in the same order.
        timesteps = torch.randint(0, self.schedule.num_timesteps, (size,), generator=self.generator)
        noise = torch.randn(batch.x0.shape, generator=self.generator, dtype=batch.x0.dtype)
        drop = (
            torch.rand(size, generator=self.generator) < self.config.model.denoiser.cond_mask_prob
        )
        share = size // world
        rows = slice(rank * share, (rank + 1) * share)
        mask = batch.frame_mask[rows].to(self.device)
        x0 = batch.x0[rows].to(self.device)
        x_t = self.schedule.q_sample(x0, timesteps[rows], noise[rows].to(self.device))
        text = _rows(batch.text, rows).to(self.device)
        t = timesteps[rows].to(self.device)
        prediction = self.parallel(x_t, t, text, mask, drop[rows].to(self.device))
        values = batch.frame_mask.sum() * batch.x0.shape[-1]
        weights = mask.to(prediction.dtype)[..., None]
        local_sum = ((prediction - x0) ** 2 * weights).sum()
        loss = local_sum * (world / values.clamp(min=1).item())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        bound = tcfg.grad_clip if tcfg.grad_clip > 0 else float("inf")
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.denoiser.parameters(), bound))
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update_parameters(self.denoiser)
        self.step += 1
        total = local_sum.detach().clone()
        dist.all_reduce(total)
        global_loss = float(total) / float(values.clamp(min=1))
        if not torch.isfinite(torch.tensor(global_loss)):
            raise MomoError(f"the loss became {global_loss} at step {self.step}; lower the lr")
        return {"loss": global_loss, "mse": global_loss, "lr": lr, "grad_norm": grad_norm}

    # Rank 0 alone writes ------------------------------------------------------------------

    def save(self) -> Path:
        """Write the checkpoint on rank 0; other ranks only return where it goes."""
        if self.context.is_main:
            return super().save()
        return self.run_dir / "checkpoints"

    def export(
        self, directory: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> Path:
        """Export the EMA weights on rank 0 (other ranks write nothing)."""
        if self.context.is_main:
            return super().export(directory, overwrite=overwrite)
        return Path(directory) if directory is not None else self.run_dir / "model"

    def render_samples(self) -> Path | None:
        """Render samples on rank 0 only."""
        return super().render_samples() if self.context.is_main else None

    def _remove_stale_temporaries(self) -> None:
        # Only rank 0 writes into the run folder, so only it may clean there: another rank
        # cleaning would delete rank 0's temporary files while it writes them.
        if self.context.is_main:
            super()._remove_stale_temporaries()

    def _write_config(self) -> None:
        if self.context.is_main:
            super()._write_config()

    def _trim_log(self) -> None:
        if self.context.is_main:
            super()._trim_log()

    def _log(self, interval: list[dict[str, float]], seconds: float) -> float:
        if self.context.is_main:
            return super()._log(interval, seconds)
        return interval[-1]["loss"]

    def _log_evaluation(self) -> None:
        if self.context.is_main:
            super()._log_evaluation()


def finish(result: TrainResult) -> TrainResult:
    """Wait for every rank, then leave the process group; returns ``result``."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return result
