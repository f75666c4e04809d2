"""HumanML3D features <-> joint positions.

`features_to_joints` is what every renderer and metric uses; it runs on NumPy arrays or torch
tensors of any leading batch shape and is differentiable in torch. `joints_to_features` brings
any 22-joint motion into the representation with HumanML3D's own procedure (MOMO_SPEC.md §2).
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import FEATURE_DIM, NUM_JOINTS, RIC

ArrayT = TypeVar("ArrayT")


def _is_tensor(x: object) -> bool:
    """True if ``x`` is a torch tensor (without importing torch when nobody else has)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _check_features_shape(shape: tuple[int, ...]) -> None:
    if len(shape) < 2 or shape[-1] != FEATURE_DIM:
        raise MotionFormatError(
            f"features must have shape [..., T, {FEATURE_DIM}], got {list(shape)}; pass HumanML3D "
            "features (use momo.joints_to_features to convert joint positions)"
        )


def features_to_joints(features: ArrayT) -> ArrayT:
    """Recover joint positions from HumanML3D features (HumanML3D's ``recover_from_ric``).

    The heading of frame i is a rotation about +Y by ``2 * a_i`` with ``a_0 = 0`` and
    ``a_i = sum(features[:i, 0])`` (feature 0 is a half-angle). The root's XZ starts at the
    origin and accumulates the previous row's XZ velocity rotated by the inverse heading; the
    root's Y is feature 3; joints 1..21 are the ric positions rotated by the inverse heading plus
    the root's XZ.

    Args:
        features: raw (un-normalised) features ``[..., T, 263]``, NumPy array or torch tensor.

    Returns:
        Joint positions ``[..., T, 22, 3]`` in metres, of the input's kind: NumPy in, NumPy out
        (floating dtype kept, float64 for integer input); torch in, torch out on the same device
        and dtype, differentiable with respect to ``features``.

    Raises:
        MotionFormatError: if the last dimension is not 263 or there is no time dimension.
    """
    if _is_tensor(features):
        _check_features_shape(tuple(features.shape))  # type: ignore[attr-defined]
        return _features_to_joints_torch(features)  # type: ignore[return-value]
    array = np.asarray(features)
    _check_features_shape(array.shape)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return _features_to_joints_numpy(array)  # type: ignore[return-value]


def _features_to_joints_numpy(f: np.ndarray) -> np.ndarray:
    rot_vel = f[..., 0]
    # a_i: cumulative half-angle of the heading, a_0 = 0.
    half_angle = np.concatenate(
        [np.zeros_like(rot_vel[..., :1]), np.cumsum(rot_vel[..., :-1], axis=-1)], axis=-1
    )
    cos, sin = np.cos(2.0 * half_angle), np.sin(2.0 * half_angle)  # [..., T]

    # Root XZ: frame i adds row i-1's velocity, rotated by the inverse heading of frame i.
    vx = np.concatenate([np.zeros_like(f[..., :1, 1]), f[..., :-1, 1]], axis=-1)
    vz = np.concatenate([np.zeros_like(f[..., :1, 2]), f[..., :-1, 2]], axis=-1)
    root_x = np.cumsum(cos * vx - sin * vz, axis=-1)
    root_z = np.cumsum(sin * vx + cos * vz, axis=-1)
    root = np.stack([root_x, f[..., 3], root_z], axis=-1)  # [..., T, 3]

    ric = f[..., RIC].reshape(*f.shape[:-1], NUM_JOINTS - 1, 3)
    c, s = cos[..., None], sin[..., None]
    x = c * ric[..., 0] - s * ric[..., 2] + root_x[..., None]
    z = s * ric[..., 0] + c * ric[..., 2] + root_z[..., None]
    others = np.stack([x, ric[..., 1], z], axis=-1)  # [..., T, 21, 3]
    return np.concatenate([root[..., None, :], others], axis=-2)


def _features_to_joints_torch(f: Any) -> Any:
    import torch

    rot_vel = f[..., 0]
    half_angle = torch.cat(
        [torch.zeros_like(rot_vel[..., :1]), torch.cumsum(rot_vel[..., :-1], dim=-1)], dim=-1
    )
    cos, sin = torch.cos(2.0 * half_angle), torch.sin(2.0 * half_angle)

    vx = torch.cat([torch.zeros_like(f[..., :1, 1]), f[..., :-1, 1]], dim=-1)
    vz = torch.cat([torch.zeros_like(f[..., :1, 2]), f[..., :-1, 2]], dim=-1)
    root_x = torch.cumsum(cos * vx - sin * vz, dim=-1)
    root_z = torch.cumsum(sin * vx + cos * vz, dim=-1)
    root = torch.stack([root_x, f[..., 3], root_z], dim=-1)

    ric = f[..., RIC].reshape(*f.shape[:-1], NUM_JOINTS - 1, 3)
    c, s = cos[..., None], sin[..., None]
    x = c * ric[..., 0] - s * ric[..., 2] + root_x[..., None]
    z = s * ric[..., 0] + c * ric[..., 2] + root_z[..., None]
    others = torch.stack([x, ric[..., 1], z], dim=-1)
    return torch.cat([root[..., None, :], others], dim=-2)
