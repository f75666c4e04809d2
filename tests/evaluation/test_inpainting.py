"""The MDM inpainting baseline keeps the leader's channels and generates the rest."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kit import synthetic_motion, tiny_model
from momo.errors import EvaluationError
from momo.evaluation.inpainting import inpaint, lower_body_mask


def test_lower_body_mask_channels() -> None:
    mask = lower_body_mask()
    assert mask.shape == (263,) and mask.sum() == 4 + 8 * 3 + 8 * 6 + 9 * 3 + 4
    assert mask[:4].all() and mask[259:].all()
    ric = lambda joint: slice(4 + (joint - 1) * 3, 4 + joint * 3)  # noqa: E731
    assert mask[ric(7)].all() and not mask[ric(20)].any()  # left ankle kept, left wrist not
    assert mask[193:196].all() and not mask[193 + 15 * 3 : 193 + 16 * 3].any()  # pelvis vs head


def test_inpainting_keeps_the_leader_channels() -> None:
    model = tiny_model(num_timesteps=4, num_layers=2, dtype=torch.float64)
    leader = synthetic_motion(30, seed=1).features
    output = inpaint(model, leader, "a person waves", num_steps=3, seed=2)
    kept = lower_body_mask()
    assert output.shape == leader.shape
    np.testing.assert_allclose(output[:, kept], leader[:, kept], atol=1e-5)
    assert np.abs(output[:, ~kept] - leader[:, ~kept]).max() > 0.1
    everything = inpaint(model, leader, "a person waves", keep=np.ones(263, bool), num_steps=2)
    np.testing.assert_allclose(everything, leader, atol=1e-5)
    with pytest.raises(EvaluationError, match="263"):
        inpaint(model, leader, "a person waves", keep=np.ones(22, bool))
