"""Batching motions of different lengths: zero padding, frame masks, text-drop flags.

Convention (as in the reference): padded frames hold raw zeros (``-Mean / Std`` once normalised)
and a frame mask marks real frames with True; models mask padded frames out of attention.
Every pipeline (invert, generate, transfer, attention capture) prepares its batch with the
helpers here, so they agree on padding, masks and unconditional rows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.errors import MotionFormatError

if TYPE_CHECKING:
    import torch

    from momo.motion.normalization import Normalizer


def pad_features(features: Sequence[Any], max_frames: int | None = None) -> tuple[Any, Any]:
    """Stack ``[T_i, D]`` feature arrays into one zero-padded batch with a frame mask.

    Args:
        features: B arrays ``[T_i, D]`` (D = 263 for HumanML3D features), all NumPy or all torch
            tensors (same device), all with the same D.
        max_frames: length of the batch; default the longest T_i. Must be >= every T_i.

    Returns:
        ``(padded, frame_mask)``: ``padded`` ``[B, T_max, D]`` with the values of item i in
        ``padded[i, :T_i]`` and raw zeros after; ``frame_mask`` bool ``[B, T_max]``, True on
        real frames. Torch input gives tensors on the first item's device and dtype; NumPy input
        arrays of the items' common dtype.

    Raises:
        MotionFormatError: if the list is empty, mixes NumPy and torch, an item is not 2-D, the
            Ds differ, or an item is longer than ``max_frames``.
    """
    items = list(features)
    if not items:
        raise MotionFormatError("pad_features needs at least one motion, got an empty list")
    torch = sys.modules.get("torch")
    is_tensor = [torch is not None and isinstance(item, torch.Tensor) for item in items]
    if any(is_tensor) and not all(is_tensor):
        raise MotionFormatError(
            "pad_features got a mix of NumPy arrays and torch tensors; convert them to one kind"
        )
    if not is_tensor[0]:
        items = [np.asarray(item) for item in items]
    shapes = [tuple(item.shape) for item in items]
    for index, shape in enumerate(shapes):
        if len(shape) != 2:
            raise MotionFormatError(
                f"motion {index} has shape {list(shape)}; pad_features expects [T, D] per motion"
            )
    dims = {shape[1] for shape in shapes}
    if len(dims) != 1:
        raise MotionFormatError(f"motions differ in feature size ({sorted(dims)}); expected one D")
    lengths = [shape[0] for shape in shapes]
    num_frames = max(lengths) if max_frames is None else int(max_frames)
    longest = int(np.argmax(lengths))
    if lengths[longest] > num_frames:
        raise MotionFormatError(
            f"motion {longest} has {lengths[longest]} frames, more than max_frames={num_frames}; "
            "crop it first or raise max_frames"
        )
    (dim,) = dims
    batch = len(items)

    if is_tensor[0]:
        first = items[0]
        padded = first.new_zeros((batch, num_frames, dim))
        mask = torch.zeros((batch, num_frames), dtype=torch.bool, device=first.device)
        for index, (item, length) in enumerate(zip(items, lengths)):
            if item.device != first.device:
                raise MotionFormatError(
                    f"motion {index} is on {item.device}, motion 0 on {first.device}; move them "
                    "to one device"
                )
            padded[index, :length] = item
            mask[index, :length] = True
        return padded, mask

    dtype = np.result_type(*items)
    padded_np = np.zeros((batch, num_frames, dim), dtype=dtype)
    mask_np = np.zeros((batch, num_frames), dtype=bool)
    for index, (item, length) in enumerate(zip(items, lengths)):
        padded_np[index, :length] = item
        mask_np[index, :length] = True
    return padded_np, mask_np


def lengths_to_mask(lengths: Sequence[int] | Any, max_frames: int | None = None) -> Any:
    """Frame mask from lengths: ``mask[i, t] = t < lengths[i]``.

    Args:
        lengths: B lengths (sequence, NumPy array or torch integer tensor).
        max_frames: mask width; default ``max(lengths)``.

    Returns:
        bool ``[B, max_frames]``: torch (on the lengths' device) for a torch tensor, else NumPy.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(lengths, torch.Tensor):
        width = int(lengths.max()) if max_frames is None else int(max_frames)
        return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]
    array = np.asarray(lengths, dtype=np.int64)
    width = int(array.max()) if max_frames is None else int(max_frames)
    return np.arange(width)[None, :] < array[:, None]


def frame_mask(
    lengths: Sequence[int], num_frames: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """Torch frame mask of a batch: bool ``[B, num_frames]``, True on the first ``lengths[i]``.

    Args:
        lengths: B row lengths, each at most ``num_frames``.
        num_frames: width of the batch.
        device: device of the mask.
    """
    import torch

    return (
        torch.arange(num_frames, device=device)[None]
        < torch.tensor(list(lengths), device=device)[:, None]
    )


def text_drop(
    texts: Sequence[str | None], device: torch.device | str | None = None
) -> torch.Tensor:
    """Rows that run unconditionally: bool ``[B]``, True where the text is None or empty."""
    import torch

    return torch.tensor([not t for t in texts], dtype=torch.bool, device=device)


def normalized_batch(
    features: Sequence[np.ndarray],
    normalizer: Normalizer,
    *,
    max_frames: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad raw features with zeros, then normalise them: the denoiser's input batch.

    Padding comes first, so padded frames hold ``-Mean / Std`` as in the reference's data
    loader. Normalisation runs in float64 before the cast to ``dtype``.

    Args:
        features: B raw feature arrays ``[T_i, 263]``.
        normalizer: the model's Mean/Std.
        max_frames: width of the batch (default: the longest item).
        device: device of the returned tensors.
        dtype: dtype of the returned batch (default float64).

    Returns:
        ``(x, frame_mask)``: normalised ``[B, T, 263]`` and bool ``[B, T]`` (True = real frame).
    """
    import torch

    padded, mask = pad_features(
        [np.asarray(f, dtype=np.float32) for f in features], max_frames=max_frames
    )
    x = np.asarray(normalizer.normalize(np.asarray(padded, dtype=np.float64)))
    x_t = torch.as_tensor(x).to(device=device, dtype=dtype)
    return x_t, torch.as_tensor(np.asarray(mask), dtype=torch.bool, device=device)
