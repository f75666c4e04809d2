"""Fine-tuning: start a training run from an existing model instead of random weights.

``momo train --init MODEL`` loads MODEL with `momo.load_model` (the bundled ``default``, a model
exported by a run, or an official checkpoint with ``--normalization``), takes its architecture,
diffusion and text encoder as the run's model config, copies its weights into the trained
network and its EMA, and keeps *its* Mean/Std: the network was trained on features normalised
by them, so the fine-tuning data is normalised the same way (the new cache's own statistics would
shift every input; :func:`with_statistics`). The statistics are written into the run directory
(``init/``) so a resumed run normalises with them too; the exported model carries them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from momo.errors import MomoError
from momo.utils.files import atomic_output

if TYPE_CHECKING:
    from momo.data.cache import DataCache
    from momo.models.bundle import MotionDiffusionModel
    from momo.training.config import RunConfig
    from momo.training.loop import Trainer

#: Folder of a run directory holding the initial model's statistics and provenance.
INIT_DIR = "init"
#: File in `INIT_DIR` naming the initial model and its recorded ``extra`` (`recorded_origin`).
INIT_FILE = "init.json"


def finetune_config(config: RunConfig, model: MotionDiffusionModel) -> RunConfig:
    """``config`` with its model section replaced by ``model``'s (training settings kept)."""
    return dataclasses.replace(config, model=dataclasses.replace(model.config, extra={}))


def check_cache_fits(cache: DataCache, model: MotionDiffusionModel) -> None:
    """Refuse a cache whose text embeddings come from another encoder than the model's.

    Raises:
        MomoError: the encoders differ (the message says how to rebuild the cache).
    """
    if cache.text_encoder != model.config.text_encoder:
        raise MomoError(
            f"the data cache holds {cache.text_encoder!r} text embeddings but the model was "
            f"trained with {model.config.text_encoder!r}; rebuild the cache with "
            f"`momo data build --text-encoder {model.config.text_encoder}`"
        )


def with_statistics(cache: DataCache, mean: np.ndarray, std: np.ndarray) -> DataCache:
    """``cache`` normalised with other statistics (the initial model's) instead of its own."""
    return dataclasses.replace(
        cache, mean=np.array(mean, dtype=np.float32), std=np.array(std, dtype=np.float32)
    )


def model_statistics(model: MotionDiffusionModel) -> tuple[np.ndarray, np.ndarray]:
    """The Mean/Std [263] a model normalises with."""
    return (
        np.asarray(model.normalizer.mean, dtype=np.float32),
        np.asarray(model.normalizer.std, dtype=np.float32),
    )


def start_from(
    trainer: Trainer, model: MotionDiffusionModel, source: str, *, write: bool = True
) -> None:
    """Copy ``model``'s weights into a new run and record its statistics in the run directory.

    The trainer's data must already be normalised with the model's statistics
    (:func:`with_statistics`).

    Args:
        trainer: a trainer at step 0, built with :func:`finetune_config`'s config.
        model: the initial model.
        source: how the model was named (recorded in ``init/init.json``).
        write: record the statistics in the run directory (False on the ranks of a distributed
            run other than 0).

    Raises:
        MomoError: the trainer has already trained, the architectures differ, or the data is
            normalised with other statistics.
    """
    if trainer.step != 0:
        raise MomoError("a run can start from a model only before its first step")
    mean, std = model_statistics(model)
    cache = trainer.data.cache
    if not (np.array_equal(cache.mean, mean) and np.array_equal(cache.std, std)):
        raise MomoError("normalise the data with the model's statistics first (with_statistics)")
    state = {k: v.detach().clone() for k, v in model.denoiser.state_dict().items()}
    try:
        trainer.denoiser.load_state_dict(state)
        trainer.ema.module.load_state_dict(state)
    except RuntimeError as error:
        raise MomoError(f"the model {source} does not fit the run's network: {error}") from error
    if not write:
        return
    directory = trainer.run_dir / INIT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in (("Mean.npy", mean), ("Std.npy", std)):
        with atomic_output(directory / name, overwrite=True) as tmp, open(tmp, "wb") as handle:
            np.save(handle, array)
    provenance = {"model": source, "extra": model.config.extra}
    with atomic_output(directory / INIT_FILE, overwrite=True) as tmp:
        Path(tmp).write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")


def recorded_statistics(run_dir: str | Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The statistics a fine-tuning run recorded (for resuming it); None for other runs."""
    directory = Path(run_dir) / INIT_DIR
    if not (directory / "Mean.npy").is_file():
        return None
    return np.load(directory / "Mean.npy"), np.load(directory / "Std.npy")


def recorded_origin(run_dir: str | Path) -> dict[str, object] | None:
    """What a fine-tuning run started from, as its exported model records it.

    Returns ``{"model": name, "training_steps": ..., "training_data": ...}`` (the starting
    model's name, or a file path's last part, and the fields its own config recorded, including
    its own ``initialised_from`` when it was fine-tuned too); None for runs trained from scratch.
    """
    path = Path(run_dir) / INIT_DIR / INIT_FILE
    if not path.is_file():
        return None
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
        source, extra = str(provenance["model"]), dict(provenance.get("extra") or {})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MomoError(
            f"{path} is unreadable ({error}); restore it or start the fine-tuning run again"
        ) from error
    origin: dict[str, object] = {"model": source if source == "default" else Path(source).name}
    for key in ("training_steps", "training_data", "initialised_from"):
        if key in extra:
            origin[key] = extra[key]
    return origin
