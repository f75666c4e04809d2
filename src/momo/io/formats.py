"""NumPy motion files: HumanML3D features, joint positions, and the reference's ``results.npy``.

- ``.npy`` holding ``[T, 263]`` is HumanML3D features (raw, un-normalised); ``[T, 22, 3]`` is joint
  positions in metres at 20 fps. The two are told apart by shape.
- ``results.npy`` is what the reference implementation (MDM / MoMo) saves: a pickled dict with
  ``motion`` float ``[N, 22, 3, T]`` (joint positions), ``text`` (N captions), ``lengths`` (N
  frame counts) and ``num_samples`` / ``num_repetitions``. It is read with a restricted unpickler
  that only accepts NumPy arrays and plain Python values, so a crafted file cannot run code.
"""

from __future__ import annotations

import io
import math
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from momo.errors import MotionFormatError
from momo.io.budget import MAX_ARRAY_BYTES
from momo.motion.representation import FEATURE_DIM, NUM_JOINTS
from momo.utils.files import atomic_output

_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, dicts, lists, strings and numbers, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a motion file")


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"motion file not found: {p}")
    return p


def read_npy(path: str | os.PathLike[str]) -> Any:
    """Read a ``.npy`` file: a plain array, or (for object arrays) the unpickled object.

    Object arrays (as in ``results.npy``) go through a restricted unpickler.

    Raises:
        FileNotFoundError: if the file does not exist.
        MotionFormatError: if it is not a readable ``.npy`` file.
    """
    p = _check_path(path)
    data = p.read_bytes()
    if not data:
        raise MotionFormatError(f"{p}: the file is empty; pass a .npy array")
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except Exception as err:  # noqa: BLE001 - a damaged header fails in many ways (tokenize, ...)
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise MotionFormatError(
            f"{p}: not a .npy file or its header is damaged ({reason}); save arrays with numpy.save"
        ) from None
    if not dtype.hasobject:
        _check_declared_size(shape, dtype, len(data) - stream.tell(), str(p))
    if dtype.hasobject:
        try:
            obj = _SafeUnpickler(stream).load()
        except Exception as err:  # noqa: BLE001 - any failure means the file is unusable
            raise MotionFormatError(
                f"{p}: cannot read this object array ({err}); only arrays and dicts of arrays, "
                "lists and strings (like the reference's results.npy) are supported"
            ) from None
        if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
            return obj.item()
        return obj
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as err:
        raise MotionFormatError(f"{p}: the .npy file is damaged or truncated ({err})") from None


def _check_declared_size(
    shape: tuple[int, ...], dtype: np.dtype, available: int, source: str
) -> None:
    """Raise before loading if a header declares more data than the file holds or momo reads."""
    needed = math.prod(int(n) for n in shape) * dtype.itemsize
    if needed > MAX_ARRAY_BYTES:
        raise MotionFormatError(
            f"{source}: the header declares an array of shape {list(shape)} ({needed:.3g} bytes), "
            f"more than the {MAX_ARRAY_BYTES} bytes momo reads; the file is damaged or not a motion"
        )
    if needed > available:
        raise MotionFormatError(
            f"{source}: the .npy file is damaged or truncated (its header declares shape "
            f"{list(shape)}, {needed} bytes of data, but {available} follow)"
        )


#: dtype kinds a motion array may have: signed and unsigned integers, floats.
_NUMERIC_KINDS = "iuf"


def classify_array(array: np.ndarray, source: str) -> str:
    """``"features"`` for ``[T, 263]``, ``"joints"`` for ``[T, 22, 3]``.

    Raises:
        MotionFormatError: for any other shape, non-numeric or non-finite data, or no frames.
    """
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise MotionFormatError(
            f"{source}: the array holds {array.dtype} values, which are not numbers; save positions "
            "or features as a float array"
        )
    if array.ndim == 2 and array.shape[1] == FEATURE_DIM:
        kind = "features"
    elif array.ndim == 3 and array.shape[1:] == (NUM_JOINTS, 3):
        kind = "joints"
    else:
        hint = ""
        if array.ndim == 3 and array.shape[:2] == (NUM_JOINTS, 3):
            hint = " (it looks like [22, 3, T]: transpose it to [T, 22, 3])"
        elif array.ndim == 3 and array.shape[0] == 1 and array.shape[2] == FEATURE_DIM:
            hint = " (drop the leading batch dimension)"
        raise MotionFormatError(
            f"{source}: an array of shape {list(array.shape)} is neither HumanML3D features "
            f"[T, {FEATURE_DIM}] nor joint positions [T, {NUM_JOINTS}, 3]{hint}"
        )
    if array.shape[0] < 1:
        raise MotionFormatError(f"{source}: the array has no frames")
    if not np.isfinite(array).all():
        raise MotionFormatError(f"{source}: the array contains NaN or Inf; clean it first")
    return kind


#: Statures (metres) a joints array may show; far outside them it is in other units.
JOINTS_HEIGHT_RANGE: tuple[float, float] = (0.3, 3.5)
#: Largest magnitude of a raw HumanML3D feature value (positions and velocities in metres,
#: rotations in [-1, 1]; real data stay under 10).
MAX_FEATURE_MAGNITUDE = 1e4


def check_joints_scale(joints: np.ndarray, source: str) -> None:
    """Raise unless joint positions ``[T, 22, 3]`` show a human in metres.

    The stature (`momo.io.joint_maps.standing_height`, from the legs) must be within
    `JOINTS_HEIGHT_RANGE`; the message suggests the unit the array seems to be in.
    """
    from momo.io.joint_maps import standing_height

    height = standing_height(joints)
    lo, hi = JOINTS_HEIGHT_RANGE
    if lo <= height <= hi:
        return
    hint = "check that it holds the 22 SMPL joints in metres"
    for unit, factor in (("centimetres", 100.0), ("millimetres", 1000.0), ("inches", 39.37)):
        if lo <= height / factor <= hi:
            hint = f"it looks like {unit}: divide the array by {factor:g}"
            break
    raise MotionFormatError(
        f"{source}: the joints show a person {height:.3g} m tall; joint positions must be in "
        f"metres ({lo:g} to {hi:g} m tall): {hint}"
    )


def check_feature_values(features: np.ndarray, source: str) -> None:
    """Raise if raw HumanML3D features cannot be a motion (huge values, or no body at all)."""
    largest = float(np.max(np.abs(features))) if features.size else 0.0
    if largest > MAX_FEATURE_MAGNITUDE:
        raise MotionFormatError(
            f"{source}: feature values reach {largest:.3g}; raw HumanML3D features stay within "
            f"{MAX_FEATURE_MAGNITUDE:g} (normalised features must be denormalised with Mean/Std "
            "first; other data are not features)"
        )
    ric = features[:, 4 : 4 + (NUM_JOINTS - 1) * 3]
    if not np.any(ric):
        raise MotionFormatError(
            f"{source}: the features hold no body (every joint position is zero); this is not a "
            "motion"
        )


def read_results_npy(
    obj: dict[str, Any], source: str, sample: int | None
) -> tuple[np.ndarray, str | None, dict[str, Any]]:
    """Pick one sample of a reference ``results.npy`` dict.

    Args:
        obj: the unpickled dict.
        source: the file name, for messages.
        sample: index of the sample (row of ``motion``); None is allowed only if there is one.

    Returns:
        ``(joints [T, 22, 3] float32 metres, caption or None, info)``, cut to the sample's length.

    Raises:
        MotionFormatError: if the dict is not a results file or ``sample`` is out of range.
    """
    if "motion" not in obj:
        raise MotionFormatError(
            f"{source}: a dict without 'motion'; expected the reference's results.npy "
            "(motion [N, 22, 3, T], text, lengths)"
        )
    try:
        motion = np.asarray(obj["motion"])
    except (ValueError, TypeError):
        motion = np.empty(0, dtype=object)  # ragged nested lists
    if motion.dtype.kind not in _NUMERIC_KINDS:
        raise MotionFormatError(
            f"{source}: 'motion' is not an array of numbers ({motion.dtype}); expected float "
            f"[N, {NUM_JOINTS}, 3, T] as the reference's results.npy holds"
        )
    if motion.ndim != 4 or motion.shape[1:3] != (NUM_JOINTS, 3):
        raise MotionFormatError(
            f"{source}: 'motion' has shape {list(motion.shape)}; expected [N, {NUM_JOINTS}, 3, T]"
        )
    count = motion.shape[0]
    if sample is None:
        if count != 1:
            raise MotionFormatError(
                f"{source}: holds {count} samples; choose one with sample=0..{count - 1}"
            )
        sample = 0
    if not isinstance(sample, (int, np.integer)) or not -count <= sample < count:
        raise MotionFormatError(
            f"{source}: sample {sample} is out of range; this file holds {count} samples "
            f"(0..{count - 1})"
        )
    sample = int(sample) % count
    lengths = obj.get("lengths")
    length = motion.shape[3]
    if lengths is not None:
        try:
            lengths = np.asarray(lengths, dtype=np.float64).reshape(-1)
        except (ValueError, TypeError):
            raise MotionFormatError(
                f"{source}: 'lengths' must be N frame counts (integers)"
            ) from None
        if len(lengths) == count:
            if not (np.isfinite(lengths[sample]) and lengths[sample] == int(lengths[sample])):
                raise MotionFormatError(
                    f"{source}: 'lengths' holds {lengths[sample]}, not a frame count"
                )
            length = int(min(max(lengths[sample], 0), motion.shape[3]))
    joints = np.transpose(motion[sample, :, :, :length], (2, 0, 1)).astype(np.float32)
    if joints.shape[0] < 1:
        raise MotionFormatError(f"{source}: sample {sample} has no frames")
    if not np.isfinite(joints).all():
        raise MotionFormatError(f"{source}: sample {sample} contains NaN or Inf")
    texts = obj.get("text")
    text = None
    if isinstance(texts, (list, tuple, np.ndarray)) and len(texts) == count:
        text = str(texts[sample])
    info = {"format": "results.npy", "sample": sample, "samples": count, "text": text}
    return joints, text, info


def save_features_npy(
    features: np.ndarray, path: str | os.PathLike[str], *, overwrite: bool = False
) -> None:
    """Write raw HumanML3D features ``[T, 263]`` as float32 ``.npy``, atomically."""
    array = np.asarray(features, dtype=np.float32)
    classify_array(array, str(path))
    with atomic_output(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def save_results_npy(
    joints: Sequence[np.ndarray],
    texts: Sequence[str | None],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> None:
    """Write joint motions as the reference's ``results.npy``, atomically.

    Args:
        joints: N arrays ``[T_i, 22, 3]`` in metres.
        texts: N captions ("" for none).
        path: the output file.
        overwrite: replace an existing file.

    The dict holds ``motion`` float32 ``[N, 22, 3, T_max]`` (shorter motions padded by repeating
    their last frame), ``text``, ``lengths`` int64 ``[N]``, ``num_samples = N`` and
    ``num_repetitions = 1``, as the reference writes it.
    """
    if len(joints) != len(texts) or not joints:
        raise MotionFormatError("save_results_npy needs one caption per motion and at least one")
    arrays = [np.asarray(j, dtype=np.float32) for j in joints]
    for i, a in enumerate(arrays):
        if classify_array(a, f"motion {i}") != "joints":
            raise MotionFormatError(f"motion {i} must be joints [T, 22, 3]")
    longest = max(a.shape[0] for a in arrays)
    motion = np.empty((len(arrays), NUM_JOINTS, 3, longest), dtype=np.float32)
    for i, a in enumerate(arrays):
        padded = np.concatenate([a, np.repeat(a[-1:], longest - a.shape[0], axis=0)])
        motion[i] = np.transpose(padded, (1, 2, 0))
    data = {
        "motion": motion,
        "text": [t or "" for t in texts],
        "lengths": np.array([a.shape[0] for a in arrays], dtype=np.int64),
        "num_samples": len(arrays),
        "num_repetitions": 1,
    }
    with atomic_output(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.array(data, dtype=object), allow_pickle=True)
