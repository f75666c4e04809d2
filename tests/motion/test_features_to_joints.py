"""features -> joints: parity with HumanML3D's new_joints, batching, torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from momo.errors import MotionFormatError
from momo.motion.kinematics import features_to_joints


def test_reproduces_new_joints_on_the_sample(humanml3d_sample: dict) -> None:
    joints = features_to_joints(humanml3d_sample["features"].astype(np.float64))
    assert joints.shape == (170, 22, 3)
    err = np.abs(joints - humanml3d_sample["joints"]).max()
    assert err < 1e-5, f"max error {err:.3g} m"


def test_float32_in_float32_out_within_tolerance(humanml3d_sample: dict) -> None:
    joints = features_to_joints(humanml3d_sample["features"])
    assert joints.dtype == np.float32
    assert np.abs(joints - humanml3d_sample["joints"]).max() < 1e-5


def test_torch_matches_numpy_and_is_differentiable(humanml3d_sample: dict) -> None:
    feats = humanml3d_sample["features"].astype(np.float64)
    tensor = torch.tensor(feats, requires_grad=True)
    joints = features_to_joints(tensor)
    assert isinstance(joints, torch.Tensor) and joints.dtype == torch.float64
    np.testing.assert_allclose(joints.detach().numpy(), features_to_joints(feats), atol=1e-12)
    # The last joint of the last frame moves with the first row's angular velocity.
    joints[-1, 21, 0].backward()
    assert tensor.grad is not None and tensor.grad[0, 0] != 0
    # ...but nothing moves with the last row's velocities (rows drive later frames only).
    assert tensor.grad[-1, 0] == 0 and tensor.grad[-1, 1] == 0


def test_torch_float32_keeps_dtype() -> None:
    feats = torch.randn(2, 5, 263, dtype=torch.float32)
    out = features_to_joints(feats)
    assert out.dtype == torch.float32 and out.device == feats.device
    assert out.shape == (2, 5, 22, 3)


def test_batched_equals_per_item() -> None:
    rng = np.random.default_rng(0)
    feats = rng.normal(scale=0.1, size=(2, 3, 12, 263))
    out = features_to_joints(feats)
    assert out.shape == (2, 3, 12, 22, 3)
    for a in range(2):
        for b in range(3):
            np.testing.assert_allclose(out[a, b], features_to_joints(feats[a, b]), atol=1e-12)


def test_root_follows_the_first_frame_convention() -> None:
    feats = np.zeros((4, 263))
    feats[:, 1:3] = [0.0, 0.1]  # forward 0.1 m per frame along the heading (+Z)
    feats[:, 3] = 0.9
    out = features_to_joints(feats)
    np.testing.assert_allclose(
        out[:, 0], [[0, 0.9, 0.0], [0, 0.9, 0.1], [0, 0.9, 0.2], [0, 0.9, 0.3]]
    )
    # A quarter turn (half-angle pi/4) in row 0 turns frame 1 onwards: +Z heading becomes -X.
    feats[0, 0] = np.pi / 4
    out = features_to_joints(feats)
    np.testing.assert_allclose(out[2, 0] - out[1, 0], [-0.1, 0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("shape", [(263,), (10, 262), (10, 22, 3)])
def test_wrong_shape_raises(shape: tuple[int, ...]) -> None:
    with pytest.raises(MotionFormatError, match="263"):
        features_to_joints(np.zeros(shape))
