"""The training loop: MDM's objective on our training windows, resumable and seeded.

One step (MDM / MoMo training):

1. draw a batch of normalised windows x0 ``[B, L, 263]`` with frame masks and cached text;
2. draw timesteps t ~ U{0..T-1}, noise, and x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) noise;
3. drop the text of each row with probability ``cond_mask_prob`` (classifier-free guidance);
4. predict x0 and take the masked MSE over real frames (plus MDM's optional velocity and
   foot-contact terms);
5. AdamW step with gradient clipping, learning-rate schedule, EMA update.

Everything random comes from three seeded sources saved in every checkpoint (the data
generator, the loop's torch generator, and torch's global RNG for dropout), so a resumed run
continues exactly as an uninterrupted one. The run directory holds ``config.json``,
``log.jsonl`` (one line per ``log_every`` steps), ``checkpoints/``, ``samples/`` and, after
:meth:`Trainer.export`, ``model/`` in our checkpoint format (EMA weights, config, Mean/Std).
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from momo.data.dataset import MotionBatch, TrainingSet
from momo.diffusion.schedules import NoiseSchedule
from momo.errors import ConfigError, MissingFileError, MomoError
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEmbedding, TextEncoder
from momo.training.checkpoint import (
    RngStates,
    checkpoint_dir,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from momo.training.config import RunConfig, TrainingConfig
from momo.training.ema import make_ema
from momo.training.interrupts import deferred_interrupts
from momo.utils.files import atomic_output, remove_stale_temporaries

logger = logging.getLogger(__name__)

LOG_FILE = "log.jsonl"
CONFIG_FILE = "config.json"
EXPORT_DIR = "model"


class LearningRateSchedule:
    """Multiplier of the peak learning rate: linear warm-up, then cosine decay or constant.

    A plain object (not a closure) so ``LambdaLR`` can save and restore it.
    """

    def __init__(self, config: TrainingConfig) -> None:
        self.warmup = config.warmup_steps
        self.total = config.steps
        self.kind = config.lr_schedule
        self.floor = config.min_lr_ratio

    def __call__(self, step: int) -> float:
        """Factor for the update number ``step`` (0-based)."""
        if self.warmup and step < self.warmup:
            return (step + 1) / self.warmup
        if self.kind == "constant":
            return 1.0
        span = max(1, self.total - self.warmup)
        progress = min(1.0, (step - self.warmup) / span)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def masked_mse(prediction: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over real frames: ``[B, T, F]`` x2 and bool ``[B, T]`` -> scalar.

    MDM's ``masked_l2``: the squared error summed over real frames and features, divided by
    (real frames x features).
    """
    weights = mask.to(prediction.dtype)[..., None]
    total = ((prediction - target) ** 2 * weights).sum()
    return total / (weights.sum() * prediction.shape[-1]).clamp(min=1.0)


def foot_contact_loss(
    x0_pred: Tensor, x0: Tensor, frame_mask: Tensor, mean: Tensor, std: Tensor
) -> Tensor:
    """MDM's foot-contact loss: squared velocity of the predicted feet where the target says
    they touch the ground (contact features of frame t), over frame pairs that are both real.

    Args:
        x0_pred / x0: normalised ``[B, T, 263]``.
        frame_mask: bool ``[B, T]``.
        mean / std: ``[263]`` statistics.
    """
    from momo.motion.kinematics import features_to_joints
    from momo.motion.representation import FOOT_CONTACT, FOOT_JOINTS

    joints = features_to_joints(x0_pred * std + mean)  # [B, T, 22, 3]
    feet = joints[:, :, list(FOOT_JOINTS)]  # [B, T, 4, 3]
    velocity = feet[:, 1:] - feet[:, :-1]  # [B, T-1, 4, 3]
    contact = (x0[..., FOOT_CONTACT] * std[FOOT_CONTACT] + mean[FOOT_CONTACT])[:, :-1] > 0.5
    pairs = (frame_mask[:, 1:] & frame_mask[:, :-1])[..., None] & contact  # [B, T-1, 4]
    weights = pairs.to(velocity.dtype)[..., None]
    return (velocity**2 * weights).sum() / (weights.sum() * 3).clamp(min=1.0)


def diffusion_loss(
    denoiser: MotionDenoiser,
    schedule: NoiseSchedule,
    batch: MotionBatch,
    config: TrainingConfig,
    cond_mask_prob: float,
    generator: torch.Generator,
    *,
    mean: Tensor | None = None,
    std: Tensor | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """One batch of MDM's objective (steps 2-4 of the module docstring).

    Returns:
        (total loss, {"mse": ..., "vel": ..., "foot": ...} as floats).
    """
    x0 = batch.x0
    size = x0.shape[0]
    timesteps = torch.randint(0, schedule.num_timesteps, (size,), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    drop_text = torch.rand(size, generator=generator) < cond_mask_prob
    x_t = schedule.q_sample(x0, timesteps, noise)
    x0_pred = denoiser(x_t, timesteps, batch.text, batch.frame_mask, drop_text)
    mse = masked_mse(x0_pred, x0, batch.frame_mask)
    terms = {"mse": float(mse.detach())}
    loss = mse
    if config.velocity_loss_weight > 0:
        pairs = batch.frame_mask[:, 1:] & batch.frame_mask[:, :-1]
        vel = masked_mse(x0_pred[:, 1:] - x0_pred[:, :-1], x0[:, 1:] - x0[:, :-1], pairs)
        loss = loss + config.velocity_loss_weight * vel
        terms["vel"] = float(vel.detach())
    if config.foot_loss_weight > 0:
        if mean is None or std is None:
            raise MomoError("the foot-contact loss needs the data's mean and std")
        foot = foot_contact_loss(x0_pred, x0, batch.frame_mask, mean, std)
        loss = loss + config.foot_loss_weight * foot
        terms["foot"] = float(foot.detach())
    return loss, terms


@dataclass
class TrainResult:
    """What a call to :meth:`Trainer.train` did.

    Attributes:
        step: the step reached.
        steps_run: steps taken in this call.
        last_loss: mean loss over the last logging interval (NaN if none).
        seconds: wall time of this call's steps.
        peak_rss_mb: peak resident memory of the process so far.
        stopped_early: True when a time limit or ``stop_at_step`` ended the call before
            ``config.steps``.
    """

    step: int
    steps_run: int
    last_loss: float
    seconds: float
    peak_rss_mb: float
    stopped_early: bool

    @property
    def steps_per_second(self) -> float:
        """Steps per second of this call."""
        return self.steps_run / self.seconds if self.seconds > 0 else float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Trainer:
    """Train a denoiser on a :class:`TrainingSet`, writing into a run directory.

    Args:
        config: model and training settings.
        data: the training windows (its cache provides Mean/Std and the text embeddings).
        run_dir: where config, log, checkpoints, samples and the export go.
        resume: continue from ``run_dir/checkpoints/last.pt``; without it, a run directory
            that already holds a checkpoint is an error (nothing is overwritten).
        text_encoder: encodes sample prompts missing from the cache's captions (default: the
            model's encoder by name, from the bundled package or the Hugging Face cache only).

    Raises:
        MomoError: the run directory holds a checkpoint and ``resume`` is False, or a resumed
            checkpoint belongs to another model or data.
        MissingFileError: ``resume`` without a checkpoint.
    """

    def __init__(
        self,
        config: RunConfig,
        data: TrainingSet,
        run_dir: str | os.PathLike[str],
        *,
        resume: bool = False,
        text_encoder: TextEncoder | None = None,
    ) -> None:
        self.config = config
        self.data = data
        self.text_encoder = text_encoder
        self.run_dir = Path(run_dir)
        tcfg = config.training
        dcfg = config.model.denoiser
        self.device = torch.device(tcfg.device)
        _check_text_dims(data, dcfg.text_token_dim, dcfg.text_pooled_dim)

        existing = latest_checkpoint(self.run_dir)
        if existing is not None and not resume:
            raise MomoError(
                f"{self.run_dir} already holds a training run; pass --resume to continue it or "
                "choose another --out"
            )
        if resume and existing is None:
            raise MissingFileError(
                f"nothing to resume: no checkpoint in {self.run_dir}/checkpoints"
            )

        # Model init draws from torch's global RNG: seed it here (an edge of the library).
        torch.manual_seed(tcfg.seed)
        self.denoiser = MotionDenoiser(dcfg).to(self.device)
        self.ema = make_ema(self.denoiser, tcfg.ema_decay)
        self.schedule = NoiseSchedule.from_name(
            config.model.diffusion.noise_schedule, config.model.diffusion.num_timesteps
        )
        self.optimizer = torch.optim.AdamW(
            self.denoiser.parameters(),
            lr=tcfg.learning_rate,
            betas=tcfg.adam_betas,
            weight_decay=tcfg.weight_decay,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, LearningRateSchedule(tcfg)
        )
        self.generator = torch.Generator().manual_seed(tcfg.seed)
        self.data_rng = np.random.default_rng(np.random.SeedSequence([tcfg.seed, 1]))
        self.mean = torch.from_numpy(np.asarray(data.cache.mean, dtype=np.float32)).to(self.device)
        self.std = torch.from_numpy(np.asarray(data.cache.std, dtype=np.float32)).to(self.device)
        self.fingerprint = data.cache.fingerprint()
        self.step = 0
        #: The step of the last checkpoint written or resumed from (None: none yet).
        self.checkpoint_step: int | None = None
        # True while an optimiser step is under way (its state is then not checkpointed).
        self._in_step = False
        if resume:
            self._restore(existing)  # type: ignore[arg-type]
        self._sample_text: TextEmbedding | None = None
        self.eval_data = _held_out(data)

    # Set-up ---------------------------------------------------------------------------------

    def _restore(self, path: Path) -> None:
        ckpt = load_checkpoint(path)
        saved = RunConfig.from_dict(json.loads(ckpt.config_json))
        if saved.model != self.config.model:
            raise MomoError(
                f"the checkpoint in {path.parent} was trained with another model config; resume "
                "with the run's own config.json"
            )
        if ckpt.data_fingerprint != self.fingerprint:
            raise MomoError(
                f"the checkpoint in {path.parent} was trained on other data (fingerprint "
                f"{ckpt.data_fingerprint}, this cache {self.fingerprint}); use the same cache"
            )
        self.denoiser.load_state_dict(ckpt.model)
        self.ema.load_state_dict(ckpt.ema)
        self.optimizer.load_state_dict(ckpt.optimizer)
        self.scheduler.load_state_dict(ckpt.scheduler)
        # The schedule follows the current config (e.g. more total steps); only its position
        # comes from the checkpoint.
        schedule = LearningRateSchedule(self.config.training)
        self.scheduler.lr_lambdas = [schedule] * len(self.optimizer.param_groups)
        for group, base in zip(self.optimizer.param_groups, self.scheduler.base_lrs):
            group["lr"] = base * schedule(self.scheduler.last_epoch)
        ckpt.rng.restore(self.generator, self.data_rng)
        self.step = self.checkpoint_step = ckpt.step
        logger.info("resumed %s at step %d", path, self.step)

    def _prepare_run_dir(self) -> None:
        """Check the run can go on; clean what a killed process left; write the config."""
        steps = self.config.training.steps
        if self.step > steps:
            raise ConfigError(
                f"the run in {self.run_dir} is already at step {self.step}, past the {steps} "
                "steps asked for; pass a larger --steps to train on, or --export-only to "
                "export it"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        self._write_config()
        self._trim_log()

    def _remove_stale_temporaries(self) -> None:
        """Delete what a killed process left half-written (by the one process that writes)."""
        remove_stale_temporaries(self.run_dir)
        remove_stale_temporaries(checkpoint_dir(self.run_dir))

    def _write_config(self) -> None:
        path = self.run_dir / CONFIG_FILE
        with atomic_output(path, overwrite=True) as tmp:
            tmp.write_text(self.config.to_json(), encoding="utf-8")

    def _trim_log(self) -> None:
        """Drop log lines past the resumed step (they were written after the last checkpoint),
        and lines that are not JSON (a line torn by a killed process)."""
        path = self.run_dir / LOG_FILE
        if not path.is_file():
            return
        kept, torn = [], 0
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            record = _log_record(line)
            if record is None:
                torn += bool(line.strip())
            elif record.get("step", 0) <= self.step:
                kept.append(line)
        if torn:
            logger.info(
                "dropped %d unreadable lines (torn by an interrupted write) from %s", torn, path
            )
        with atomic_output(path, overwrite=True) as tmp:
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

    # Training ---------------------------------------------------------------------------------

    def train_step(self) -> dict[str, float]:
        """One optimiser step; returns the loss terms, the learning rate and the gradient norm."""
        tcfg = self.config.training
        self._in_step = True
        self.denoiser.train()
        batch = self.data.sample_batch(tcfg.batch_size, self.data_rng)
        if self.device.type != "cpu":
            batch = _batch_to(batch, self.device)
        loss, terms = diffusion_loss(
            self.denoiser,
            self.schedule,
            batch,
            tcfg,
            self.config.model.denoiser.cond_mask_prob,
            self.generator,
            mean=self.mean,
            std=self.std,
        )
        if not torch.isfinite(loss):
            self._in_step = False  # nothing was updated: the state is still the last step's
            raise MomoError(
                f"the loss became {float(loss)} at step {self.step + 1}; lower the learning rate "
                "or resume from an earlier checkpoint"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        # With clipping off, an infinite bound only measures the norm.
        bound = tcfg.grad_clip if tcfg.grad_clip > 0 else math.inf
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.denoiser.parameters(), bound))
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update_parameters(self.denoiser)
        self.step += 1
        self._in_step = False
        return {"loss": float(loss.detach()), **terms, "lr": lr, "grad_norm": grad_norm}

    def save(self) -> Path:
        """Write a resumable checkpoint of the current step.

        Raises:
            MomoError: called in the middle of a step (the state would not resume exactly).
        """
        if self._in_step:
            raise MomoError("a checkpoint cannot be written in the middle of a training step")
        path = save_checkpoint(
            self.run_dir,
            step=self.step,
            config_json=json.dumps(self.config.to_dict()),
            model=self.denoiser,
            ema=self.ema,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            rng=RngStates.capture(self.generator, self.data_rng),
            data_fingerprint=self.fingerprint,
            keep=self.config.training.keep_checkpoints,
        )
        self.checkpoint_step = self.step
        return path

    def train(
        self,
        *,
        stop_at_step: int | None = None,
        time_limit_s: float | None = None,
        progress: bool = True,
    ) -> TrainResult:
        """Train up to ``config.training.steps`` (or ``stop_at_step``, or until the time limit).

        A checkpoint is written every ``checkpoint_every`` steps and when the call ends. On
        Ctrl-C the current step is finished and checkpointed before ``KeyboardInterrupt``
        propagates; a second Ctrl-C stops at once, keeping the last checkpoint (a state in the
        middle of a step is never saved). Hidden temporary files that a killed process left in
        the run directory are removed first.

        Raises:
            ConfigError: the run is already past ``config.training.steps``.
        """
        from tqdm.auto import tqdm

        tcfg = self.config.training
        target = tcfg.steps if stop_at_step is None else min(tcfg.steps, stop_at_step)
        self._prepare_run_dir()
        start_step, started = self.step, time.monotonic()
        interval: list[dict[str, float]] = []
        last_loss = float("nan")
        interval_start = time.monotonic()
        bar = tqdm(
            total=tcfg.steps, initial=self.step, desc="training", unit="step", disable=not progress
        )
        stopped_early = False
        try:
            with deferred_interrupts() as interrupted:
                while self.step < target:
                    if interrupted():
                        raise KeyboardInterrupt
                    if time_limit_s is not None and time.monotonic() - started >= time_limit_s:
                        stopped_early = True
                        break
                    interval.append(self.train_step())
                    bar.update(1)
                    if self.step % tcfg.log_every == 0 or self.step == target:
                        last_loss = self._log(interval, time.monotonic() - interval_start)
                        bar.set_postfix(loss=f"{last_loss:.4f}", lr=f"{interval[-1]['lr']:.2e}")
                        interval, interval_start = [], time.monotonic()
                    self._periodic_work()
                if interrupted():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            if self.step > start_step and not self._in_step and self.checkpoint_step != self.step:
                self.save()
                logger.info("interrupted: checkpoint written at step %d", self.step)
            raise
        finally:
            bar.close()
        if interval:
            last_loss = self._log(interval, time.monotonic() - interval_start)
        if self.step > start_step and self.checkpoint_step != self.step:
            self.save()
        stopped_early = stopped_early or self.step < tcfg.steps
        return TrainResult(
            step=self.step,
            steps_run=self.step - start_step,
            last_loss=last_loss,
            seconds=time.monotonic() - started,
            peak_rss_mb=peak_rss_mb(),
            stopped_early=stopped_early,
        )

    def _periodic_work(self) -> None:
        """Evaluation, checkpoint and sample render of the steps that ask for them."""
        tcfg = self.config.training
        if tcfg.eval_every and self.step % tcfg.eval_every == 0:
            self._log_evaluation()
        if tcfg.checkpoint_every and self.step % tcfg.checkpoint_every == 0:
            self.save()
        if tcfg.sample_every and self.step % tcfg.sample_every == 0:
            self.render_samples()

    def _log(self, interval: list[dict[str, float]], seconds: float) -> float:
        keys = interval[0].keys()
        record: dict[str, Any] = {"step": self.step}
        for key in keys:
            values = [entry[key] for entry in interval if key in entry]
            record[key] = values[-1] if key == "lr" else float(np.mean(values))
        record["steps_per_s"] = len(interval) / seconds if seconds > 0 else None
        record["peak_rss_mb"] = round(peak_rss_mb(), 1)
        record["time"] = time.time()
        with open(self.run_dir / LOG_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return float(record["loss"])

    def evaluate(self) -> dict[str, float]:
        """Loss on the held-out test split with the raw and the EMA weights.

        The batches, timesteps and noise are the same at every call (seeded generators of their
        own), text is never dropped, and dropout is off, so values are comparable across steps
        and the training randomness is untouched. Empty when the cache has no test windows.
        """
        if self.eval_data is None:
            return {}
        tcfg = self.config.training
        results = {}
        for name, module in (("val_loss", self.denoiser), ("val_loss_ema", self.ema.module)):
            was_training = module.training
            module.eval()
            rng = np.random.default_rng(0)
            generator = torch.Generator().manual_seed(0)
            total = 0.0
            with torch.no_grad():
                for _ in range(tcfg.eval_batches):
                    batch = self.eval_data.sample_batch(tcfg.batch_size, rng)
                    if self.device.type != "cpu":
                        batch = _batch_to(batch, self.device)
                    loss, _ = diffusion_loss(
                        module,
                        self.schedule,
                        batch,
                        tcfg,
                        0.0,
                        generator,
                        mean=self.mean,
                        std=self.std,
                    )
                    total += float(loss)
            module.train(was_training)
            results[name] = total / tcfg.eval_batches
        return results

    def _log_evaluation(self) -> None:
        values = self.evaluate()
        if values:
            with open(self.run_dir / LOG_FILE, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"step": self.step, **values, "time": time.time()}) + "\n")

    # Samples and export -------------------------------------------------------------------------

    def _prompt_embedding(self, prompts: tuple[str, ...]) -> TextEmbedding:
        if self._sample_text is None:
            cache = self.data.cache
            if all(p in cache.captions for p in prompts):
                rows = [cache.captions.index(p) for p in prompts]
                self._sample_text = self.data.text_embedding(rows)
            else:
                from momo.models.text_encoders import text_encoder_from_name

                encoder = self.text_encoder or text_encoder_from_name(
                    self.config.model.text_encoder, local_files_only=True
                )
                self._sample_text = encoder.encode(list(prompts))
        return self._sample_text.to(self.device)

    def sample(self, prompts: tuple[str, ...], num_frames: int, *, seed: int = 0) -> Tensor:
        """Generate raw features ``[P, num_frames, 263]`` from prompts with the EMA weights.

        Uses DDIM with ``sample_steps`` steps and ``sample_guidance``; draws from its own
        generator so the training randomness is untouched.
        """
        from momo.diffusion.ddim import DDIMScheduler
        from momo.diffusion.guidance import make_x0_predictor
        from momo.diffusion.sampling import sample

        tcfg = self.config.training
        with torch.random.fork_rng(devices=[]):
            text = self._prompt_embedding(prompts)
        generator = torch.Generator().manual_seed(seed)
        x_T = torch.randn((len(prompts), num_frames, self.mean.shape[0]), generator=generator)
        scheduler = DDIMScheduler(
            self.schedule, tuple(self.schedule.respaced_timesteps(tcfg.sample_steps))
        )
        predict = make_x0_predictor(self.ema.module, text, None, tcfg.sample_guidance)
        x0 = sample(predict, x_T.to(self.device), scheduler)
        return x0.cpu() * self.std.cpu() + self.mean.cpu()

    def render_samples(self) -> Path | None:
        """Render ``sample_prompts`` side by side into ``samples/step_N.mp4``; returns the path.

        A failure to render (e.g. no ffmpeg) is logged as a warning and training goes on.
        """
        tcfg = self.config.training
        if not tcfg.sample_prompts:
            return None
        path = self.run_dir / "samples" / f"step_{self.step:09d}.mp4"
        try:
            from momo.io.render import render_motions
            from momo.motion.kinematics import features_to_joints

            features = self.sample(tcfg.sample_prompts, tcfg.sample_frames)
            joints = [np.asarray(features_to_joints(f.numpy())) for f in features]
            render_motions(joints, path, titles=list(tcfg.sample_prompts), overwrite=True)
        except (ImportError, OSError, RuntimeError, MomoError) as error:
            logger.warning("could not render samples at step %d: %s", self.step, error)
            return None
        logger.info("samples of step %d rendered to %s", self.step, path)
        return path

    def export(
        self, directory: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> Path:
        """Write the EMA weights in our checkpoint format (config, weights, Mean/Std).

        Args:
            directory: default ``<run_dir>/model``.
            overwrite: replace an existing export.
        """
        from momo.models.loading import save_pretrained
        from momo.motion.normalization import Normalizer
        from momo.training.finetune import recorded_origin

        directory = Path(directory) if directory is not None else self.run_dir / EXPORT_DIR
        data = self.data.cache
        model_config = self.config.model
        extra = {
            "training_steps": self.step,
            "training_data": data.fingerprint(),
            "training_config": self.config.training.to_dict(),
            "weights": "ema",
            "ema_decay": self.config.training.ema_decay,
        }
        if (origin := recorded_origin(self.run_dir)) is not None:
            extra["initialised_from"] = origin
        parts = {
            "denoiser": self.ema.module,
            "config": replace(model_config, extra={**model_config.extra, **extra}),
            "normalizer": Normalizer(data.mean, data.std),
        }
        return save_pretrained(parts, directory, overwrite=overwrite)


def _held_out(data: TrainingSet) -> TrainingSet | None:
    """Windows of the cache's test split (no mirrors), or None when it has none."""
    from momo.data.splits import TEST

    if not data.cache.rows(TEST):
        return None
    try:
        return TrainingSet(
            data.cache,
            split=TEST,
            min_frames=data.min_frames,
            max_frames=data.max_frames,
            mirror=False,
            crop=data.crop,
        )
    except MomoError:
        return None


def _check_text_dims(data: TrainingSet, token_dim: int | None, pooled_dim: int | None) -> None:
    cache = data.cache
    problems = []
    if token_dim is not None and cache.text_tokens.shape[-1] != token_dim:
        problems.append(f"tokens are {cache.text_tokens.shape[-1]}-d, the model wants {token_dim}")
    if pooled_dim is not None and cache.text_pooled.shape[-1] != pooled_dim:
        problems.append(
            f"pooled vectors are {cache.text_pooled.shape[-1]}-d, the model wants {pooled_dim}"
        )
    if problems:
        raise MomoError(
            f"the data cache's text embeddings ({cache.text_encoder!r}) do not fit the model: "
            + "; ".join(problems)
        )


def _log_record(line: str) -> dict[str, Any] | None:
    """A log line's record, or None when the line is not a JSON object with a numeric step."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("step", 0), (int, float)):
        return None
    return record


def _batch_to(batch: MotionBatch, device: torch.device) -> MotionBatch:
    return MotionBatch(
        x0=batch.x0.to(device),
        frame_mask=batch.frame_mask.to(device),
        text=batch.text.to(device),
        captions=batch.captions,
        caption_ids=batch.caption_ids,
        clip_rows=batch.clip_rows,
    )
