"""Left/right mirroring in joint space and in HumanML3D feature space.

The mirror is the reflection ``x -> -x`` (the character's left is +X) together with swapping
the left and right joints (`momo.motion.representation.MIRROR_JOINTS`). In feature space it
swaps the left and right channels and negates the components that flip under the reflection:
the angular velocity, the X of every position and velocity, and for each 6-D rotation (columns
c0, c1 of R) the entries of ``M R M`` with ``M = diag(-1, 1, 1)``, i.e. signs
``(+, -, -, -, +, +)``; contacts swap feet.

`mirror_features` is the cheap, exact-by-construction mirror of a feature array. HumanML3D made
its mirrored data the other way, ``joints_to_features(mirror_joints(joints))``. The two agree to
rounding when the source and target skeletons are left/right symmetric (every step of the
procedure commutes with the reflection), but HumanML3D's canonical skeleton is slightly
asymmetric (e.g. left shin 0.432 m, right shin 0.426 m) and its leg-length ratio is measured on
the right leg only, so on real data they differ a little (on the HumanML3D sample: mean absolute
difference 3e-3, at most 0.12). Use the joint route when parity with HumanML3D's mirrored data
matters.
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import (
    FEATURE_DIM,
    FOOT_CONTACT,
    FOOT_JOINTS,
    LOCAL_VEL,
    MIRROR_JOINTS,
    NUM_JOINTS,
    RIC,
    ROOT_LIN_VEL,
    ROOT_ROT_VEL,
    ROT6D,
)

ArrayT = TypeVar("ArrayT")

_JOINT_INDEX = np.array(MIRROR_JOINTS)
_JOINT_SIGN = np.array([-1.0, 1.0, 1.0])


def _feature_mirror() -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(FEATURE_DIM)
    sign = np.ones(FEATURE_DIM)
    sign[ROOT_ROT_VEL] = -1.0
    sign[ROOT_LIN_VEL.start] = -1.0  # x of the XZ velocity

    def per_joint(channels: slice, joints: np.ndarray, size: int, signs: np.ndarray) -> None:
        block = np.arange(channels.start, channels.stop).reshape(-1, size)
        index[channels] = block[joints].reshape(-1)
        sign[channels] = np.tile(signs, len(joints))

    others = _JOINT_INDEX[1:] - 1  # ric and rotations cover joints 1..21
    per_joint(RIC, others, 3, _JOINT_SIGN)
    per_joint(ROT6D, others, 6, np.array([1.0, -1.0, -1.0, -1.0, 1.0, 1.0]))
    per_joint(LOCAL_VEL, _JOINT_INDEX, 3, _JOINT_SIGN)
    mirrored_feet = [FOOT_JOINTS.index(MIRROR_JOINTS[joint]) for joint in FOOT_JOINTS]
    index[FOOT_CONTACT] = FOOT_CONTACT.start + np.array(mirrored_feet)
    index.flags.writeable = False
    sign.flags.writeable = False
    return index, sign


FEATURE_MIRROR_INDEX, FEATURE_MIRROR_SIGN = _feature_mirror()
"""``mirrored[..., k] = features[..., FEATURE_MIRROR_INDEX[k]] * FEATURE_MIRROR_SIGN[k]``
(int64 and float64 ``[263]``, read-only)."""


def _is_tensor(x: object) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _permute_and_sign(x: Any, index: np.ndarray, sign: np.ndarray, axis: int) -> Any:
    if _is_tensor(x):
        import torch

        picked = torch.index_select(x, axis, torch.tensor(index, device=x.device))
        return picked * torch.tensor(sign, device=x.device, dtype=x.dtype)
    array = np.asarray(x)
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    return np.take(array, index, axis=axis) * sign.astype(dtype)


def mirror_joints(joints: ArrayT) -> ArrayT:
    """Mirror joint positions left/right: negate X and swap left and right joints.

    Args:
        joints: ``[..., 22, 3]`` positions, NumPy array or torch tensor.

    Returns:
        The mirrored positions, same shape and kind (torch: same device and dtype,
        differentiable). Applying it twice gives the input back.

    Raises:
        MotionFormatError: if the last two dimensions are not ``[22, 3]``.
    """
    shape = tuple(getattr(joints, "shape", np.shape(joints)))
    if len(shape) < 2 or shape[-2:] != (NUM_JOINTS, 3):
        raise MotionFormatError(
            f"joints to mirror must have shape [..., {NUM_JOINTS}, 3], got {list(shape)}"
        )
    if _is_tensor(joints):
        import torch

        picked = torch.index_select(
            joints, len(shape) - 2, torch.tensor(_JOINT_INDEX, device=joints.device)
        )
        return picked * torch.tensor(_JOINT_SIGN, device=joints.device, dtype=joints.dtype)  # type: ignore[return-value]
    array = np.asarray(joints)
    dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64
    return array[..., _JOINT_INDEX, :] * _JOINT_SIGN.astype(dtype)  # type: ignore[return-value]


def mirror_features(features: ArrayT) -> ArrayT:
    """Mirror HumanML3D features left/right (see the module docstring for the channel rules).

    Args:
        features: ``[..., 263]`` raw (un-normalised) features, NumPy array or torch tensor.

    Returns:
        The mirrored features, same shape and kind (torch: same device and dtype,
        differentiable). Applying it twice gives the input back.

    Raises:
        MotionFormatError: if the last dimension is not 263.
    """
    shape = tuple(getattr(features, "shape", np.shape(features)))
    if not shape or shape[-1] != FEATURE_DIM:
        raise MotionFormatError(
            f"features to mirror must have shape [..., {FEATURE_DIM}], got {list(shape)}"
        )
    return _permute_and_sign(  # type: ignore[return-value]
        features, FEATURE_MIRROR_INDEX, FEATURE_MIRROR_SIGN, axis=len(shape) - 1
    )
