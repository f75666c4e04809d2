"""HumanML3D features <-> joint positions.

`features_to_joints` is what every renderer and metric uses; it runs on NumPy arrays or torch
tensors of any leading batch shape and is differentiable in torch. `joints_to_features` brings
any 22-joint motion into the representation with HumanML3D's own procedure (its
``motion_representation`` script).
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import FEATURE_DIM, FOOT_JOINTS, NUM_JOINTS, RIC

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


FOOT_CONTACT_THRESHOLD = 0.002
"""A foot joint is in contact when its squared displacement to the next frame is below this
(metres squared per frame, HumanML3D's value at 20 fps)."""


def joints_to_features(joints: ArrayT, *, target_bone_lengths: np.ndarray | None = None) -> ArrayT:
    """Turn joint positions into HumanML3D features with HumanML3D's own procedure.

    Steps (HumanML3D's ``process_file``, with every quirk of it): `momo.motion.retarget.canonicalize`
    (retarget onto the canonical skeleton scaling the root by the leg-length ratio, floor, frame
    0's root to the XZ origin, frame 0 facing +Z); foot contacts where the squared displacement
    to the next frame is below `FOOT_CONTACT_THRESHOLD`; IK with the quirky, Gaussian-smoothed
    facing and frame 0's root rotation fixed to the identity (`momo.motion.ik`); then per row i
    (frames 0..T-2): angular velocity ``arcsin(y)`` of ``r[i+1] * inverse(r[i])``, root XZ
    velocity rotated by ``r[i+1]``, root height, ric (joints minus root XZ, rotated by
    ``r[i]``), 6-D local rotations, joint velocities rotated by ``r[i]``, contacts.

    The result does not depend on where the motion is, which way it faces at first, or (up to
    the source's proportions) on the skeleton's size.

    Args:
        joints: ``[T, 22, 3]`` positions in metres, T >= 2, 20 fps, Y up, SMPL joint order
            (`momo.motion.representation.JOINT_NAMES`), any proportions, facing and position.
            NumPy array (or anything NumPy can convert) or torch tensor.
        target_bone_lengths: ``[22]`` bone lengths of the skeleton to retarget onto; default
            `momo.motion.representation.CANONICAL_BONE_LENGTHS`, the skeleton HumanML3D-trained
            models expect. Other values are for experiments (e.g. a left/right symmetric one).

    Returns:
        Features ``[T-1, 263]`` (the last frame has no velocity and is dropped). NumPy in, NumPy
        out: float64 for float64 input, else float32. Torch in, torch out on the input's device
        and floating dtype; computed in NumPy, so not differentiable.

    Raises:
        MotionFormatError: if the shape is not ``[T, 22, 3]`` with T >= 2, any value is NaN or
            Inf, or the skeleton is degenerate (no leg length, no left-right extent at frame 0).
    """
    from scipy.spatial.transform import Rotation

    from momo.motion.ik import inverse_kinematics
    from momo.motion.retarget import canonicalize
    from momo.motion.rotations import apply_per_frame, matrix_to_6d

    torch_like = joints if _is_tensor(joints) else None
    array, float64_input = _validated_joints(joints)

    positions = canonicalize(array, target_bone_lengths)  # [T, 22, 3]
    num_frames = positions.shape[0]

    step = positions[1:] - positions[:-1]  # [T-1, 22, 3]
    contacts = ((step[:, FOOT_JOINTS] ** 2).sum(-1) < FOOT_CONTACT_THRESHOLD).astype(np.float64)

    quats = inverse_kinematics(positions, smooth_forward=True)  # [T, 22, 4]
    root = Rotation.from_quat(quats[:, 0])
    turn = (root[1:] * root[:-1].inv()).as_quat()[:, 1]  # y of the raw quaternion product
    angular_velocity = np.arcsin(np.clip(turn, -1.0, 1.0))
    linear_velocity = root[1:].apply(step[:, 0])[:, [0, 2]]
    root_height = positions[:-1, 0, 1]

    relative = positions - positions[:, :1] * np.array([1.0, 0.0, 1.0])
    ric = apply_per_frame(root, relative)[:-1, 1:]  # [T-1, 21, 3]
    local = Rotation.from_quat(quats[:-1, 1:].reshape(-1, 4)).as_matrix()
    rot6d = matrix_to_6d(local).reshape(num_frames - 1, NUM_JOINTS - 1, 6)
    local_velocity = apply_per_frame(root[:-1], step)  # [T-1, 22, 3]

    rows = num_frames - 1
    features = np.concatenate(
        [
            angular_velocity[:, None],
            linear_velocity,
            root_height[:, None],
            ric.reshape(rows, -1),
            rot6d.reshape(rows, -1),
            local_velocity.reshape(rows, -1),
            contacts,
        ],
        axis=-1,
    )
    if torch_like is not None:
        import torch

        dtype = torch_like.dtype if torch_like.is_floating_point() else torch.float32
        return torch.as_tensor(features, dtype=dtype, device=torch_like.device)  # type: ignore[return-value]
    return features.astype(np.float64 if float64_input else np.float32)  # type: ignore[return-value]


def _validated_joints(joints: Any) -> tuple[np.ndarray, bool]:
    """``joints`` as a float64 ``[T, 22, 3]`` array, and whether it came as float64."""
    if _is_tensor(joints):
        joints = joints.detach().cpu().numpy()
    try:
        array = np.asarray(joints)
        float64_input = array.dtype == np.float64
        array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise MotionFormatError(
            f"joint positions must be a numeric [T, {NUM_JOINTS}, 3] array: {error}"
        ) from error
    if array.ndim != 3 or array.shape[1:] != (NUM_JOINTS, 3):
        raise MotionFormatError(
            f"joint positions must have shape [T, {NUM_JOINTS}, 3] (frames, SMPL joints, xyz), got "
            f"{list(array.shape)}; map other skeletons to the {NUM_JOINTS}-joint layout first "
            "(momo.load_motion does this for known skeletons, or pass joint_map=...)"
        )
    if array.shape[0] < 2:
        raise MotionFormatError(
            f"joint positions need at least 2 frames (features are velocities between frames), "
            f"got {array.shape[0]}"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        frames = np.unique(np.nonzero(bad)[0])
        shown = ", ".join(str(f) for f in frames[:10]) + (", ..." if len(frames) > 10 else "")
        raise MotionFormatError(
            f"joint positions contain NaN or Inf in {len(frames)} frame(s) ({shown}); fill or "
            "cut those frames before converting"
        )
    return array, float64_input
