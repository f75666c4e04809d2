"""Per-frame self-attention queries, keys and values of one motion along its diffusion path.

MoMo's attention analysis looks at the self-attention features of a leader and a
follower at a given layer and timestep: clustered queries group the periodic sub-motions of the
outline, clustered keys group motifs, and ``q_leader . k_follower`` matches frames. This module
records those features with the model's own `CaptureProcessor`, installed on the chosen layers
only for the model calls at the chosen timesteps:

- a real `Motion` is DDIM-inverted as `momo.invert` does (conditioned on its own text, no
  guidance), and the features are those the model sees at level t on the way up;
- a prompt is sampled with deterministic DDIM (eta 0) from seeded noise, with classifier-free
  guidance; the features are those of the conditional row (the pass that mixing acts on).

Heads are merged (``[H, N, d/H] -> [N, d]``, the layout of the in-projection's output), the
first (CLS / condition) token is dropped and padding frames are dropped, so every feature is
``[T, d]`` with one row per frame of the motion.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import torch
from einops import rearrange
from torch import Tensor

from momo.constants import DEFAULT_GUIDANCE_SCALE, DEFAULT_NUM_FRAMES
from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.sampling import sample
from momo.errors import TransferError
from momo.models.attention import AttentionCapture, CaptureProcessor, use_processors
from momo.motion.batch import frame_mask as make_frame_mask
from momo.motion.batch import text_drop
from momo.pipelines.scheduling import ddim_scheduler

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.motion.motion import Motion

logger = logging.getLogger(__name__)

#: The conditional row of a guided forward: callers' rows come first (momo.diffusion.guidance).
_ROW = 0


@dataclass(frozen=True, eq=False)
class AttentionFeatures:
    """Self-attention features of one motion, per (layer, timestep), one row per frame.

    Attributes:
        queries: ``[L, S, T, d]`` queries (heads merged; CLS token and padding frames dropped),
            for ``layers[i]`` and ``timesteps[j]`` at ``[i, j]``; CPU, the model's dtype.
        keys: ``[L, S, T, d]`` keys, same layout.
        values: ``[L, S, T, d]`` values, same layout.
        layers: the 0-based layers, ascending (axis 0).
        timesteps: the model timesteps, ascending (axis 1; 0 = cleanest).
        source: ``"inversion"`` (a real motion) or ``"sampling"`` (a prompt).
        text: the conditioning text (None: unconditional).
        final_sample: ``[T, 263]`` normalised end of the run: the inverted latent x_T for a
            real motion, the sampled clean motion x0 for a prompt (CPU).
    """

    queries: Tensor
    keys: Tensor
    values: Tensor
    layers: tuple[int, ...]
    timesteps: tuple[int, ...]
    source: Literal["inversion", "sampling"]
    text: str | None
    final_sample: Tensor

    @property
    def num_frames(self) -> int:
        """T, the number of frames of the motion."""
        return int(self.queries.shape[2])

    def _index(self, layer: int, timestep: int) -> tuple[int, int]:
        if layer not in self.layers:
            raise KeyError(f"layer {layer} was not captured (captured: {list(self.layers)})")
        if timestep not in self.timesteps:
            raise KeyError(
                f"timestep {timestep} was not captured (captured: {list(self.timesteps)})"
            )
        return self.layers.index(layer), self.timesteps.index(timestep)

    def query(self, layer: int, timestep: int) -> Tensor:
        """Queries ``[T, d]`` of one layer at one timestep (KeyError if not captured)."""
        return self.queries[self._index(layer, timestep)]

    def key(self, layer: int, timestep: int) -> Tensor:
        """Keys ``[T, d]`` of one layer at one timestep (KeyError if not captured)."""
        return self.keys[self._index(layer, timestep)]

    def value(self, layer: int, timestep: int) -> Tensor:
        """Values ``[T, d]`` of one layer at one timestep (KeyError if not captured)."""
        return self.values[self._index(layer, timestep)]


def _choose(
    requested: Sequence[int] | int | None, available: Sequence[int], what: str
) -> tuple[int, ...]:
    """Validate a user's choice of layers/timesteps; None = all. Returns sorted, unique."""
    if requested is None:
        return tuple(available)
    if isinstance(requested, int):
        requested = [requested]
    chosen = sorted({int(v) for v in requested})
    if not chosen:
        raise TransferError(f"no {what} chosen; pass at least one, or None for all")
    missing = [v for v in chosen if v not in set(available)]
    if missing:
        raise TransferError(
            f"{what} {missing} do not exist in this model; choose from "
            f"{available[0]}..{available[-1]}"
        )
    return tuple(chosen)


def capture_features(
    model: MotionDiffusionModel,
    motion_or_text: Motion | str,
    *,
    layers: Sequence[int] | int | None = None,
    timesteps: Sequence[int] | int | None = None,
    num_frames: int | None = None,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    seed: int | None = 0,
    noise: Tensor | None = None,
    progress: bool = False,
    num_steps: int | None = None,
) -> AttentionFeatures:
    """Record per-frame self-attention queries, keys and values of one motion.

    Runs DDIM inversion (a `Motion`) or DDIM sampling (a prompt) over all of the model's
    timesteps with `CaptureProcessor` on the chosen self-attention layers at the chosen
    timesteps; the trajectory itself is that of plain attention.

    Memory: ``3 x len(layers) x len(timesteps) x T x d`` values are kept (all 12 layers x 100
    timesteps of a 196-frame motion at d = 512 is about 1.4 GB in float32); choose a few.

    Args:
        model: a loaded model (in eval mode, as `momo.load_model` returns it).
        motion_or_text: a real motion (inverted) or a prompt (generated).
        layers: 0-based self-attention layers to record (an int, a list, or None for all).
        timesteps: model timesteps to record (an int, a list, or None for all).
        num_frames: length of a generated motion (prompts only; at most the model's limit,
            `MotionDiffusionModel.max_frames`); default: the
            length of ``noise`` if given, else 120.
        guidance_scale: classifier-free guidance when sampling a prompt (1 = none). Inversion
            never uses guidance.
        seed: seed of the initial noise of a prompt (None: random).
        noise: optional initial latent ``[num_frames, 263]`` or ``[1, num_frames, 263]`` of a
            prompt (overrides ``seed``).
        progress: show a progress bar.
        num_steps: DDIM steps of the run (None: all of the model's timesteps); the recorded
            ``timesteps`` must then be among the respaced ones.

    Returns:
        `AttentionFeatures` with ``[len(layers), len(timesteps), T, d]`` tensors.

    Raises:
        TransferError: unknown layers/timesteps, an empty prompt, a bad length or noise shape.
    """
    from momo.motion.motion import Motion

    denoiser = model.denoiser
    config = denoiser.config
    modules = denoiser.self_attention_modules()
    scheduler = ddim_scheduler(model, num_steps)
    chosen_layers = _choose(layers, list(range(len(modules))), "layers")
    chosen_steps = _choose(timesteps, list(scheduler.timesteps), "timesteps")
    if denoiser.training:
        logger.warning(
            "the denoiser is in training mode: dropout makes the captured features random"
        )

    if isinstance(motion_or_text, Motion):
        source: Literal["inversion", "sampling"] = "inversion"
        text = motion_or_text.text or None
        if motion_or_text.num_frames > model.max_frames:
            raise TransferError(
                f"motion has {motion_or_text.num_frames} frames, the model handles at most "
                f"{model.max_frames}; cut it shorter"
            )
        x_start, frame_mask = model.motions_to_model([motion_or_text])
        scale = 1.0
    elif isinstance(motion_or_text, str):
        source = "sampling"
        text = motion_or_text.strip()
        if not text:
            raise TransferError("the prompt is empty; pass a motion or a non-empty prompt")
        if noise is not None and noise.dim() == 2:
            noise = noise[None]
        if num_frames is None:
            num_frames = DEFAULT_NUM_FRAMES if noise is None or noise.dim() != 3 else noise.shape[1]
        if not 1 <= int(num_frames) <= model.max_frames:
            raise TransferError(
                f"num_frames must be within 1..{model.max_frames} (the model's limit)"
            )
        shape = (1, int(num_frames), config.nfeats)
        if noise is None:
            generator = torch.Generator()
            if seed is None:
                generator.seed()
            else:
                generator.manual_seed(int(seed))
            # Drawn on the CPU in float32, as momo.generate does, so a seed means the same noise.
            noise = torch.randn(shape, generator=generator)
        if tuple(noise.shape) != shape:
            raise TransferError(f"noise must have shape {list(shape[1:])}, got {list(noise.shape)}")
        x_start = noise.to(device=model.device, dtype=model.dtype)
        frame_mask = make_frame_mask([shape[1]], shape[1], model.device)
        scale = float(guidance_scale)
        if scale < 0:
            raise TransferError("guidance_scale must be >= 0")
    else:
        raise TypeError(
            f"expected a Motion or a prompt string, got {type(motion_or_text).__name__}"
        )

    embedding = model.encode_text([text or ""])
    drop = text_drop([text], model.device)
    predict = make_x0_predictor(denoiser, embedding, frame_mask, scale, drop)

    capture = AttentionCapture(to_cpu=True)
    processors = {modules[layer]: CaptureProcessor(capture, layer) for layer in chosen_layers}
    wanted = set(chosen_steps)
    real_frames = frame_mask[_ROW].cpu()
    skip_first = 1 if config.has_cls_token else 0
    # (layer, timestep) -> (q, k, v), each [T, d]; filled as the run goes so that the capture
    # never holds more than one call's records (it also stores [B, H, N, N] weights).
    store: dict[tuple[int, int], tuple[Tensor, Tensor, Tensor]] = {}

    def per_frame(t: Tensor) -> Tensor:
        merged = rearrange(t[_ROW], "h n e -> n (h e)")[skip_first:]
        return merged[real_frames].clone()

    def predict_capturing(x_t: Tensor, timestep: int) -> Tensor:
        if int(timestep) not in wanted:
            return predict(x_t, timestep)
        capture.step = int(timestep)
        with use_processors(processors):
            x0 = predict(x_t, timestep)
        for record in capture.records:
            key = (record.layer, int(timestep))
            if key in store:
                raise RuntimeError(f"layer {record.layer} ran twice at timestep {timestep}")
            store[key] = (per_frame(record.q), per_frame(record.k), per_frame(record.v))
        capture.records.clear()
        return x0

    if source == "inversion":
        final = ddim_invert(predict_capturing, x_start, scheduler, progress=progress)
    else:
        final = sample(predict_capturing, x_start, scheduler, progress=progress)

    missing = [(lay, t) for lay in chosen_layers for t in chosen_steps if (lay, t) not in store]
    if missing:
        raise RuntimeError(f"no capture for (layer, timestep) {missing[:4]}")

    def stacked(part: int) -> Tensor:
        return torch.stack(
            [torch.stack([store[(lay, t)][part] for t in chosen_steps]) for lay in chosen_layers]
        )

    return AttentionFeatures(
        queries=stacked(0),
        keys=stacked(1),
        values=stacked(2),
        layers=chosen_layers,
        timesteps=chosen_steps,
        source=source,
        text=text,
        final_sample=final[_ROW][real_frames.to(final.device)].detach().cpu(),
    )
