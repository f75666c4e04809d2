"""Load and save models: official MDM/MoMo checkpoints and our own safetensors format.

Our format is a directory holding ``config.json`` (`ModelConfig.to_dict`: architecture,
diffusion, text-encoder name), ``model.safetensors`` (denoiser weights, official key names
without the positional tables) and ``Mean.npy`` / ``Std.npy``.

Official checkpoints are ``modelNNNNNNNNN.pt`` (a plain state dict) with ``args.json`` beside
it. They are read with ``torch.load(weights_only=True)`` only; a file that would need to run
code to unpickle is refused. Loading is strict after one explicit rename table
(`OFFICIAL_KEY_RENAMES`) and after dropping the non-learned positional tables.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from momo.diffusion.schedules import NoiseSchedule
from momo.errors import MissingFileError, ModelLoadError, OutputExistsError
from momo.models.bundle import MotionDiffusionModel
from momo.models.config import DenoiserConfig, DiffusionConfig, ModelConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEncoder, encoder_widths, text_encoder_from_name
from momo.utils.files import atomic_output, path_exists

if TYPE_CHECKING:
    from momo.models.adapters import AdapterSpec
    from momo.motion.normalization import Normalizer

logger = logging.getLogger(__name__)

#: Substring renames applied to official checkpoint keys before the strict load (older MoMo
#: files name the self-attention ``self_frame_attn``; same tensors).
OFFICIAL_KEY_RENAMES: tuple[tuple[str, str], ...] = ((".self_frame_attn.", ".self_attn."),)

#: Buffers that are not learned and are rebuilt on construction; ignored in files.
NON_LEARNED_SUFFIX = "sequence_pos_encoder.pe"

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def default_model_dir() -> Path:
    """Where the bundled default model lives (``momo/assets/default``)."""
    return Path(str(resources.files("momo.assets"))) / "default"


# Reading weights ---------------------------------------------------------------------------


def read_official_state_dict(path: str | os.PathLike[str]) -> dict[str, Tensor]:
    """Read an official ``.pt`` state dict with ``torch.load(weights_only=True)``.

    Accepts a plain state dict, or a dict whose ``"model_avg"`` / ``"model"`` entry is one.

    Raises:
        MissingFileError: missing file.
        ModelLoadError: a file that needs code execution to unpickle, or no state dict inside.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"checkpoint {path} not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ModelLoadError(
            f"refusing to load {path}: it is not a plain tensor checkpoint (loading it would run "
            f"code from the file; {' '.join(str(error).split())[:200]}). Only load checkpoints "
            "from sources you trust, converted to a plain state dict"
        ) from error
    except (RuntimeError, EOFError, OSError) as error:
        raise ModelLoadError(f"cannot read checkpoint {path}: {error}") from error
    if isinstance(data, Mapping):
        for key in ("model_avg", "model", "state_dict"):
            if isinstance(data.get(key), Mapping):
                data = data[key]
                break
    if not isinstance(data, Mapping) or not all(isinstance(v, Tensor) for v in data.values()):
        raise ModelLoadError(f"{path} does not hold a state dict of tensors")
    return dict(data)


def rename_official_keys(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Apply `OFFICIAL_KEY_RENAMES` and drop the non-learned positional tables."""
    out: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        if key.endswith(NON_LEARNED_SUFFIX):
            continue
        for old, new in OFFICIAL_KEY_RENAMES:
            key = key.replace(old, new)
        if key in out:
            raise ModelLoadError(f"checkpoint holds {key!r} twice (under old and new names)")
        out[key] = value
    return out


def load_weights_strict(denoiser: MotionDenoiser, state_dict: Mapping[str, Tensor]) -> None:
    """Load weights, requiring exactly the denoiser's learned keys with matching shapes.

    Raises:
        ModelLoadError: listing missing and unexpected keys, or shape mismatches.
    """
    state_dict = {k: v for k, v in state_dict.items() if not k.endswith(NON_LEARNED_SUFFIX)}
    own = denoiser.state_dict()
    expected = {k for k in own if not k.endswith(NON_LEARNED_SUFFIX)}
    missing = sorted(expected - set(state_dict))
    unexpected = sorted(set(state_dict) - expected)
    if missing or unexpected:
        raise ModelLoadError(
            "checkpoint does not match the architecture: "
            f"missing keys {missing or 'none'}; unexpected keys {unexpected or 'none'}. "
            "Check that args.json / config.json belongs to this weights file"
        )
    bad = [
        f"{k} {list(v.shape)} (model {list(own[k].shape)})"
        for k, v in state_dict.items()
        if tuple(v.shape) != tuple(own[k].shape)
    ]
    if bad:
        raise ModelLoadError(f"checkpoint tensors have the wrong shapes: {'; '.join(bad)}")
    _check_values(state_dict)
    full = dict(state_dict)
    for key in own:
        if key.endswith(NON_LEARNED_SUFFIX):
            full[key] = own[key]
    denoiser.load_state_dict(full, strict=True)


def _check_values(state_dict: Mapping[str, Tensor]) -> None:
    """Refuse non-float tensors and weights that are NaN or infinite (a diverged training)."""
    not_float = [f"{k} ({v.dtype})" for k, v in state_dict.items() if not v.is_floating_point()]
    if not_float:
        raise ModelLoadError(
            f"checkpoint tensors must hold floats: {', '.join(not_float[:5])}"
            + (f" and {len(not_float) - 5} more" if len(not_float) > 5 else "")
        )
    broken = [k for k, v in state_dict.items() if not bool(torch.isfinite(v).all())]
    if broken:
        raise ModelLoadError(
            f"checkpoint weights are NaN or infinite in {len(broken)} tensors "
            f"({', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''}); the training that "
            "wrote it diverged or the file is damaged: use an earlier checkpoint"
        )


# Official checkpoints ----------------------------------------------------------------------


def _layer_count(state_dict: Mapping[str, Tensor], prefix: str) -> int:
    pattern = re.compile(rf"^{re.escape(prefix)}\.layers\.(\d+)\.")
    indices = {int(m.group(1)) for k in state_dict if (m := pattern.match(k))}
    return max(indices) + 1 if indices else 0


def _arg(args: Mapping[str, Any], key: str, default: Any, kind: type) -> Any:
    """``args[key]`` (or ``default``) checked to be of ``kind`` (int, float, bool or str).

    An integer written as a float (``1000.0``) is accepted as an integer; ``3.5`` is not.
    """
    value = args.get(key, default)
    if isinstance(value, bool) != (kind is bool):
        ok = False
    elif kind is int:
        ok = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    elif kind is float:
        ok = isinstance(value, (int, float)) and math.isfinite(value)
    else:
        ok = isinstance(value, kind)
    if not ok:
        wanted = {int: "an integer", float: "a finite number", bool: "true or false"}
        raise ModelLoadError(
            f"args.json: {key} must be {wanted.get(kind, 'a string')}, got {value!r}"[:200]
        )
    return kind(value)


def official_config(args: Mapping[str, Any], state_dict: Mapping[str, Tensor]) -> ModelConfig:
    """Architecture of an official checkpoint from its ``args.json`` and its (renamed) weights.

    Layer count, width and feed-forward size come from the weights; arch, emb_trans_dec,
    text_encoder_type, diffusion_steps, noise_schedule, cond_mask_prob and mask_frames from the
    args; heads default to 4. MoMo's decoder masks padded frames unless the args say otherwise;
    MDM's encoder only when ``mask_frames`` is set (older checkpoints attend over padding).
    """
    if not isinstance(args, Mapping):
        raise ModelLoadError(f"args.json must hold a JSON object, got {type(args).__name__}")
    arch = args.get("arch", "trans_enc")
    if arch not in ("trans_enc", "trans_dec"):
        raise ModelLoadError(
            f"unsupported arch {arch!r} in args.json (supported: trans_enc, trans_dec)"
        )
    prefix = "seqTransDecoder" if arch == "trans_dec" else "seqTransEncoder"
    num_layers = _layer_count(state_dict, prefix)
    try:
        latent_dim, nfeats = state_dict["input_process.poseEmbedding.weight"].shape
        ff_size = state_dict[f"{prefix}.layers.0.linear1.weight"].shape[0]
        text_in = state_dict["embed_text.weight"].shape[1]
    except KeyError as error:
        raise ModelLoadError(
            f"checkpoint lacks {error.args[0]!r}; is it an MDM/MoMo {arch} checkpoint?"
        ) from error
    encoder_type = args.get("text_encoder_type", "clip")
    emb = args.get("emb_trans_dec", False)
    if isinstance(emb, bool) or emb is None:
        # Original MDM: True = [t + text; frames] with the same as memory; False = no CLS.
        emb = "cls_tcond_cross_tcond" if emb else "cls_none_cross_tcond"
    steps = _arg(args, "diffusion_steps", 1000, int)
    if encoder_type == "bert" and arch == "trans_dec":
        token_dim: int | None = int(text_in)
        pooled = state_dict.get("embed_text_clip.weight")
        pooled_dim = None if pooled is None else int(pooled.shape[1])
        text_encoder = "distilbert+clip" if pooled_dim is not None else "distilbert"
    elif encoder_type in ("clip", None):
        token_dim, pooled_dim, text_encoder = None, int(text_in), "clip"
    else:
        raise ModelLoadError(
            f"unsupported text_encoder_type {encoder_type!r} for arch {arch} in args.json"
        )
    pos_len = (
        _arg(args, "pos_embed_max_len", 5000, int) if arch == "trans_enc" else max(1000, steps)
    )
    denoiser = DenoiserConfig(
        arch=arch,
        emb_trans_dec=emb if arch == "trans_dec" else "cls_tcond_cross_cond",
        num_layers=num_layers,
        latent_dim=int(latent_dim),
        ff_size=int(ff_size),
        num_heads=_arg(args, "num_heads", _arg(args, "heads", 4, int), int),
        dropout=_arg(args, "dropout", 0.1, float),
        nfeats=int(nfeats),
        text_token_dim=token_dim,
        text_pooled_dim=pooled_dim,
        mask_frames=_arg(args, "mask_frames", arch == "trans_dec", bool),
        cond_mask_prob=_arg(args, "cond_mask_prob", 0.1, float),
        activation=_arg(args, "activation", "gelu", str),
        max_positions=pos_len,
    )
    diffusion = DiffusionConfig(steps, _arg(args, "noise_schedule", "cosine", str))
    return ModelConfig(denoiser, diffusion, text_encoder, extra={"source": "official"})


def load_official_denoiser(
    checkpoint: str | os.PathLike[str], args: Mapping[str, Any] | None = None
) -> tuple[MotionDenoiser, ModelConfig]:
    """Build and strictly load the denoiser of an official checkpoint (float32, eval mode).

    Args:
        checkpoint: ``modelNNNNNNNNN.pt``.
        args: the parsed ``args.json``; read from beside the checkpoint when None.
    """
    checkpoint = Path(checkpoint)
    if args is None:
        args_path = checkpoint.parent / "args.json"
        if not args_path.is_file():
            raise ModelLoadError(
                f"{args_path} not found; official checkpoints need the args.json written beside "
                "them by training"
            )
        try:
            args = json.loads(args_path.read_text())
        except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, nested too deep
            raise ModelLoadError(f"{args_path} is not valid JSON: {error}") from error
    state_dict = rename_official_keys(read_official_state_dict(checkpoint))
    config = official_config(args, state_dict)
    denoiser = MotionDenoiser(config.denoiser)
    load_weights_strict(denoiser, state_dict)
    return denoiser.eval(), config


# Normalisation -----------------------------------------------------------------------------


def _normalizer(source: Any, fallback_dir: Path | None) -> Normalizer:
    from momo.motion.normalization import Normalizer

    if isinstance(source, Normalizer):
        return source
    if source is None:
        if fallback_dir is None:
            raise ModelLoadError(
                "official checkpoints carry no normalisation: pass normalization=(mean, std) or "
                "a directory with Mean.npy and Std.npy (HumanML3D's for HumanML3D models)"
            )
        source = fallback_dir
    if isinstance(source, (str, os.PathLike)):
        directory = Path(source)
        if not (directory / "Mean.npy").is_file() or not (directory / "Std.npy").is_file():
            raise MissingFileError(f"{directory} must contain Mean.npy and Std.npy")
        return Normalizer.from_dir(directory)
    try:
        mean, std = source
    except (TypeError, ValueError) as error:
        raise ModelLoadError(
            "normalization must be (mean, std), a directory with Mean.npy/Std.npy, or a Normalizer"
        ) from error
    return Normalizer(np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32))


# Public API --------------------------------------------------------------------------------


def load_model(
    source: str | os.PathLike[str] = "default",
    *,
    text_encoder: TextEncoder | None = None,
    normalization: Any = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype | None = None,
    adapters: Sequence[AdapterSpec] = (),
) -> MotionDiffusionModel:
    """Load a model ready for `momo.invert`, `momo.generate` and `momo.transfer`.

    Args:
        source: ``"default"`` (the bundled model), a directory written by `save_pretrained`,
            or an official ``modelNNNNNNNNN.pt`` with ``args.json`` beside it (a directory
            holding exactly one such file also works).
        text_encoder: override of the text encoder (default: what the model was trained with):
            any object with ``encode(texts) -> TextEmbedding``. Its widths are read from its
            ``token_dim`` / ``pooled_dim`` when it has them, else from one probe encoding.
        normalization: ``(mean, std)``, a directory with Mean.npy/Std.npy, or a Normalizer.
            Required for official checkpoints; overrides the bundled statistics otherwise.
        device: where the denoiser runs.
        dtype: compute dtype (e.g. ``torch.float64`` for parity checks); default float32.
        adapters: low-rank adapter files to install, each a path, ``"FILE:SCALE"`` or
            ``(path, scale)`` (see `momo.models.adapters`; they stack).

    Raises:
        MissingFileError: the source path does not exist.
        ModelLoadError: malformed or mismatching checkpoint, unsafe pickle, unavailable encoder.
    """
    if isinstance(source, str) and source == "default":
        directory = default_model_dir()
        if not (directory / CONFIG_FILE).is_file():
            raise ModelLoadError(
                f"the bundled default model is not installed ({directory} has no {CONFIG_FILE}); "
                "reinstall momo-motion or pass the path of a checkpoint"
            )
        source = directory
    path = Path(source)
    if not path_exists(path):
        raise MissingFileError(f"model {path} not found (expected 'default', a directory or a .pt)")
    if path.is_dir() and not (path / CONFIG_FILE).is_file():
        candidates = sorted(path.glob("model*.pt"))
        if len(candidates) != 1:
            raise ModelLoadError(
                f"{path} has no {CONFIG_FILE} and {len(candidates)} model*.pt files; pass the "
                "checkpoint file itself"
            )
        path = candidates[0]

    if path.is_dir():
        config = _read_config(path)
        denoiser = MotionDenoiser(config.denoiser)
        load_weights_strict(denoiser, _read_safetensors(path / WEIGHTS_FILE))
        normalizer = _normalizer(normalization, path)
    else:
        denoiser, config = load_official_denoiser(path)
        normalizer = _normalizer(normalization, None)
    denoiser.eval()
    denoiser.to(device=device, dtype=dtype or torch.float32)
    if adapters:
        from momo.models.adapters import load_adapters

        load_adapters(denoiser, adapters)
    if text_encoder is None:
        text_encoder = text_encoder_from_name(config.text_encoder, device=device)
    _check_encoder(text_encoder, config.denoiser)
    schedule = NoiseSchedule.from_name(
        config.diffusion.noise_schedule, config.diffusion.num_timesteps
    )
    logger.info("loaded %s from %s", config.denoiser.arch, path)
    return MotionDiffusionModel(denoiser, schedule, normalizer, text_encoder, config)


def _check_encoder(encoder: TextEncoder, config: DenoiserConfig) -> None:
    """Check the encoder's widths against what the denoiser reads (see `encoder_widths`)."""
    widths = encoder_widths(encoder)
    if config.uses_token_text and widths.token_dim != config.text_token_dim:
        raise ModelLoadError(
            f"text encoder {widths.name!r} gives {widths.token_dim}-d token states, the model "
            f"needs {config.text_token_dim}; pass an encoder of that width"
        )
    reads_pooled = not config.uses_token_text or config.cls_token == "tcond"
    if reads_pooled and widths.pooled_dim != config.text_pooled_dim:
        raise ModelLoadError(
            f"text encoder {widths.name!r} gives {widths.pooled_dim}-d sentence vectors, "
            f"the model needs {config.text_pooled_dim}; pass an encoder of that width"
        )


def _read_config(directory: Path) -> ModelConfig:
    try:
        data = json.loads((directory / CONFIG_FILE).read_text())
    except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, nested too deep
        raise ModelLoadError(f"{directory / CONFIG_FILE} is not valid JSON: {error}") from error
    return ModelConfig.from_dict(data)


def _read_safetensors(path: Path) -> dict[str, Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise MissingFileError(f"{path} not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise ModelLoadError(f"cannot read {path}: {error}") from error


def save_pretrained(
    model_or_parts: MotionDiffusionModel | Mapping[str, Any],
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> Path:
    """Write a model in our format: config.json, model.safetensors, Mean.npy, Std.npy.

    Args:
        model_or_parts: a `MotionDiffusionModel`, or a mapping with ``"denoiser"``
            (`MotionDenoiser`), ``"config"`` (`ModelConfig`) and ``"normalizer"`` (Normalizer)
            for use before a text encoder is at hand (e.g. from a training loop).
        directory: output directory (created).
        overwrite: replace an existing model there.

    Returns:
        The directory.

    Raises:
        OutputExistsError: the directory already holds a model and ``overwrite`` is False.
    """
    if isinstance(model_or_parts, MotionDiffusionModel):
        denoiser, config = model_or_parts.denoiser, model_or_parts.config
        normalizer = model_or_parts.normalizer
    else:
        try:
            denoiser = model_or_parts["denoiser"]
            config = model_or_parts["config"]
            normalizer = model_or_parts["normalizer"]
        except KeyError as error:
            raise TypeError(
                f"save_pretrained parts need 'denoiser', 'config' and 'normalizer' ({error})"
            ) from error
    if config.denoiser != denoiser.config:
        raise ValueError("config.denoiser does not describe the denoiser being saved")
    directory = Path(directory)
    names = (CONFIG_FILE, WEIGHTS_FILE, "Mean.npy", "Std.npy")
    if not overwrite:
        for name in names:
            if (directory / name).exists():
                raise OutputExistsError(
                    f"{directory / name} already exists; choose another directory or pass "
                    "overwrite=True (--overwrite)"
                )
    directory.mkdir(parents=True, exist_ok=True)

    from safetensors.torch import save_file

    tensors = {
        k: v.detach().cpu().contiguous()
        for k, v in denoiser.state_dict().items()
        if not k.endswith(NON_LEARNED_SUFFIX)
    }
    with atomic_output(directory / WEIGHTS_FILE, overwrite=overwrite) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt", "producer": "momo-motion"})
    with atomic_output(directory / "Mean.npy", overwrite=overwrite) as tmp:
        np.save(tmp, np.asarray(normalizer.mean, dtype=np.float32))
    with atomic_output(directory / "Std.npy", overwrite=overwrite) as tmp:
        np.save(tmp, np.asarray(normalizer.std, dtype=np.float32))
    # config.json last: a directory with a config is a complete model.
    with atomic_output(directory / CONFIG_FILE, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    return directory
