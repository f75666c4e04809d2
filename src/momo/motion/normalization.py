"""Per-channel feature normalisation: ``(x - Mean) / Std``, as the models see motions.

Mean and Std come with the data a model was trained on (HumanML3D ships ``Mean.npy`` and
``Std.npy`` of shape [263]). Padded frames hold raw zeros, i.e. ``-Mean / Std`` once normalised
(see `momo.motion.batch`).

Near-zero Std: a channel whose Std is below `MIN_STD` (e.g. a contact channel that never changes
in a small data set) would turn into Inf or huge values. Such entries are replaced by 1, so the
channel is only centred, the same convention as scikit-learn's ``StandardScaler``; the
replacement is logged and `Normalizer.std` holds the values actually used (and saved).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from momo.errors import ModelLoadError, MotionFormatError
from momo.motion.representation import (
    FEATURE_DIM,
    LOCAL_VEL,
    RIC,
    ROOT_HEIGHT,
    ROOT_LIN_VEL,
    ROOT_ROT_VEL,
    ROT6D,
)
from momo.utils.files import atomic_output, check_output_path

logger = logging.getLogger(__name__)

ArrayT = TypeVar("ArrayT")

MIN_STD = 1e-6
"""Std values below this are replaced by 1 (the channel is centred, not scaled)."""

OUT_OF_RANGE_Z = 6.0
"""Mean |z| of a feature group above which `Normalizer.out_of_range_groups` reports it."""

FEATURE_GROUPS = {
    "root angular velocity": ROOT_ROT_VEL,
    "root velocity": ROOT_LIN_VEL,
    "root height": ROOT_HEIGHT,
    "joint positions": RIC,
    "joint rotations": ROT6D,
    "joint velocities": LOCAL_VEL,
}
"""HumanML3D feature groups checked by `Normalizer.out_of_range_groups` (foot contacts are
binary and left out)."""

MEAN_FILE = "Mean.npy"
"""File name of the per-channel mean in a normalisation directory."""
STD_FILE = "Std.npy"
"""File name of the per-channel standard deviation in a normalisation directory."""


class Normalizer:
    """Normalise and denormalise features channel by channel.

    Args:
        mean: ``[D]`` per-channel mean (D = 263 for HumanML3D features).
        std: ``[D]`` per-channel standard deviation, >= 0; entries below `MIN_STD` become 1.

    Raises:
        ModelLoadError: if ``mean`` and ``std`` are not finite 1-D arrays of the same length, or
            ``std`` has negative entries.
    """

    def __init__(self, mean: Any, std: Any) -> None:
        mean = _as_float32_vector(mean, "mean")
        std = _as_float32_vector(std, "std")
        if mean.shape != std.shape:
            raise ModelLoadError(
                f"normalisation mean and std differ in shape ({list(mean.shape)} vs "
                f"{list(std.shape)}); they must be per-channel vectors of the same length"
            )
        if (std < 0).any():
            raise ModelLoadError("normalisation std has negative entries; std must be >= 0")
        tiny = std < MIN_STD
        if tiny.any():
            logger.warning(
                "normalisation std is below %g on channel(s) %s; those channels are centred "
                "but not scaled (std = 1)",
                MIN_STD,
                np.flatnonzero(tiny).tolist(),
            )
            std = np.where(tiny, np.float32(1.0), std)
        mean.flags.writeable = False
        std.flags.writeable = False
        self._mean = mean
        self._std = std

    @property
    def mean(self) -> np.ndarray:
        """float32 ``[D]`` per-channel mean (read-only)."""
        return self._mean

    @property
    def std(self) -> np.ndarray:
        """float32 ``[D]`` per-channel standard deviation actually used (read-only)."""
        return self._std

    @property
    def dim(self) -> int:
        """Number of channels D."""
        return int(self._mean.shape[0])

    def normalize(self, x: ArrayT) -> ArrayT:
        """``(x - mean) / std`` over the last dimension.

        Args:
            x: raw features ``[..., D]``, NumPy array or torch tensor.

        Returns:
            Normalised features of the same shape and kind: torch on the input's device and
            dtype; NumPy in the input's floating dtype (float32 for non-float input).

        Raises:
            MotionFormatError: if the last dimension is not D.
        """
        mean, std = self._like(x)
        return (x - mean) / std  # type: ignore[operator, return-value]

    def denormalize(self, x: ArrayT) -> ArrayT:
        """``x * std + mean`` over the last dimension, the inverse of `normalize`.

        Args:
            x: normalised features ``[..., D]``, NumPy array or torch tensor.

        Returns:
            Raw features of the same shape and kind (device and dtype as in `normalize`).

        Raises:
            MotionFormatError: if the last dimension is not D.
        """
        mean, std = self._like(x)
        return x * std + mean  # type: ignore[operator, return-value]

    def out_of_range_groups(
        self, features: np.ndarray, threshold: float = OUT_OF_RANGE_Z
    ) -> dict[str, float]:
        """Feature groups of a motion that lie far outside the data behind Mean/Std.

        For each HumanML3D feature group but the foot contacts (binary, so their z-scores are
        large by nature), the mean |z| over frames and channels; the groups above
        ``threshold`` are returned. Real motions of the training distribution stay below ~4
        (bundled model, held-out clips: at most 4.3); a motion in other units, with another up
        axis or at another frame rate lands far above.

        Args:
            features: ``[T, 263]`` raw features.
            threshold: mean |z| above which a group is reported.

        Returns:
            ``{group name: mean |z|}`` for the groups above the threshold (empty: in range).
        """
        if self.dim != FEATURE_DIM:
            return {}
        z = np.abs(self.normalize(np.asarray(features, dtype=np.float64)))
        found = {}
        for name, part in FEATURE_GROUPS.items():
            value = float(z[:, part].mean())
            if value > threshold:
                found[name] = value
        return found

    def as_tensors(self, device: Any = None, dtype: Any = None) -> tuple[Any, Any]:
        """Mean and std as torch tensors ``[D]`` on ``device`` with ``dtype`` (default float32)."""
        import torch

        dtype = torch.float32 if dtype is None else dtype
        return (
            torch.tensor(self._mean, device=device, dtype=dtype),
            torch.tensor(self._std, device=device, dtype=dtype),
        )

    def _like(self, x: Any) -> tuple[Any, Any]:
        shape = tuple(getattr(x, "shape", ()))
        if not shape or shape[-1] != self.dim:
            raise MotionFormatError(
                f"features to (de)normalise must have shape [..., {self.dim}], got {list(shape)}"
            )
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(x, torch.Tensor):
            dtype = x.dtype if x.is_floating_point() else torch.float32
            return self.as_tensors(device=x.device, dtype=dtype)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
        return self._mean.astype(dtype), self._std.astype(dtype)

    @classmethod
    def from_dir(cls, path: str | os.PathLike[str], *, dim: int = FEATURE_DIM) -> Normalizer:
        """Read ``Mean.npy`` and ``Std.npy`` from a directory.

        Args:
            path: the directory (e.g. HumanML3D's data root, or a checkpoint written by momo).
            dim: the expected number of channels (263 for HumanML3D features).

        Raises:
            FileNotFoundError: if ``path`` does not exist.
            ModelLoadError: if it is not a directory, a file is missing or unreadable, or the
                arrays are not finite ``[dim]`` vectors.
        """
        folder = Path(path)
        if not folder.exists():
            raise FileNotFoundError(
                f"normalisation directory {folder} does not exist; pass the folder that holds "
                f"{MEAN_FILE} and {STD_FILE}"
            )
        if not folder.is_dir():
            raise ModelLoadError(
                f"{folder} is not a directory; pass the folder that holds {MEAN_FILE} and "
                f"{STD_FILE} (or the mean and std arrays themselves)"
            )
        arrays = {}
        for name in (MEAN_FILE, STD_FILE):
            file = folder / name
            if not file.is_file():
                raise ModelLoadError(
                    f"{file} not found; a normalisation directory needs {MEAN_FILE} and "
                    f"{STD_FILE}, each of shape [{dim}] (HumanML3D's come with the dataset)"
                )
            try:
                array = np.load(file, allow_pickle=False)
            except (OSError, ValueError) as error:
                raise ModelLoadError(f"cannot read {file} as a .npy array: {error}") from error
            if array.shape != (dim,):
                raise ModelLoadError(
                    f"{file} has shape {list(array.shape)}, expected [{dim}] (one value per "
                    "feature channel); is it the right file?"
                )
            arrays[name] = array
        try:
            return cls(arrays[MEAN_FILE], arrays[STD_FILE])
        except ModelLoadError as error:
            raise ModelLoadError(f"{folder}: {error}") from error

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write ``Mean.npy`` and ``Std.npy`` (float32) into a directory, creating it if needed.

        Args:
            path: the directory.
            overwrite: replace existing files.

        Returns:
            The directory.

        Raises:
            OutputExistsError: if either file exists and ``overwrite`` is False (nothing is
                written then).
        """
        folder = Path(path)
        for name in (MEAN_FILE, STD_FILE):
            check_output_path(folder / name, overwrite=overwrite)
        for name, array in ((MEAN_FILE, self._mean), (STD_FILE, self._std)):
            with atomic_output(folder / name, overwrite=overwrite) as tmp:
                np.save(tmp, array)
        return folder

    def __repr__(self) -> str:
        return f"Normalizer(dim={self.dim})"


def _as_float32_vector(values: Any, what: str) -> np.ndarray:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    try:
        array = np.array(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ModelLoadError(f"normalisation {what} is not numeric: {error}") from error
    if array.ndim != 1 or array.shape[0] == 0:
        raise ModelLoadError(
            f"normalisation {what} must be a 1-D per-channel vector, got shape {list(array.shape)}"
        )
    if not np.isfinite(array).all():
        raise ModelLoadError(f"normalisation {what} contains NaN or Inf")
    return array
