"""`InversionCache`: DDIM inversions of real motions kept on disk, reused across transfers and runs.

A benchmark inverts each distinct motion once: MTB's 55 followers serve 15-16 pairs each. An
entry is keyed by the model (its weights digest and text encoder), the motion's content (its
features and text) and the settings that change an inversion (sampled timesteps, DDIM
coefficient rounding, dtype); each is one ``.npy`` file written atomically, so several
processes may share a folder. Give the cache to `momo.transfer` (``inversions=``) or
`run_benchmark` (``inversion_cache=``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from momo.errors import EvaluationError
from momo.utils.files import atomic_output

if TYPE_CHECKING:
    from momo.motion.motion import Motion
    from momo.pipelines.transfer.config import TransferConfig


class InversionCache:
    """Inverted latents by (model, motion, settings), on disk (``folder``) or in memory (None).

    Attributes:
        hits: latents found so far.
        misses: latents asked for and absent (then inverted and saved).
    """

    def __init__(self, folder: str | os.PathLike[str] | None, model_sha256: str) -> None:
        """Open (and create) ``folder`` for the model whose `model_digest` is ``model_sha256``.

        Raises:
            EvaluationError: ``folder`` exists and is not a folder.
        """
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            if self.folder.exists() and not self.folder.is_dir():
                raise EvaluationError(
                    f"inversion cache {self.folder} is not a folder; choose another"
                )
            self.folder.mkdir(parents=True, exist_ok=True)
        self.model_sha256 = model_sha256
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, np.ndarray] = {}

    def key(self, motion: Motion, config: TransferConfig) -> str:
        """SHA-256 naming the latent of ``motion`` under ``config``'s model and settings."""
        features = np.ascontiguousarray(np.asarray(motion.features))
        settings = {
            "model": self.model_sha256,
            "text_encoder": config.text_encoder,
            "text": motion.text or "",
            "shape": list(features.shape),
            "features_dtype": str(features.dtype),
            "num_timesteps": config.num_timesteps,
            "sampled_timesteps": list(config.sampled_timesteps),
            "reference_rounding": config.reference_rounding,
            "dtype": config.dtype,
        }
        corrections = getattr(config, "inversion_corrections", 0)
        if corrections:  # keys of plain inversions stay as they were
            settings["inversion_corrections"] = corrections
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
        digest.update(features.tobytes())
        return digest.hexdigest()

    def load(self, motion: Motion, config: TransferConfig) -> Tensor | None:
        """The stored latent ``[frames, 263]``, or None (counted as a miss)."""
        key = self.key(motion, config)
        latent = self._memory.get(key)
        if latent is None and self.folder is not None and self._path(key).is_file():
            try:
                latent = np.load(self._path(key), allow_pickle=False)
            except (OSError, ValueError):
                latent = None  # a damaged entry is inverted again and replaced
        if latent is None or latent.shape[0] != len(motion.features):
            self.misses += 1
            return None
        self.hits += 1
        return torch.from_numpy(np.array(latent))

    def save(self, motion: Motion, config: TransferConfig, latent: Tensor) -> None:
        """Keep ``latent`` (atomically on disk; in memory without a folder)."""
        key = self.key(motion, config)
        array = latent.detach().cpu().numpy()
        if self.folder is None:
            self._memory[key] = array
            return
        with atomic_output(self._path(key), overwrite=True) as tmp, open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.npy"
