"""Baselines: nearest neighbours in motion space and in the attention latent space."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kit import synthetic_motion, tiny_model
from momo.errors import EvaluationError
from momo.evaluation.baselines import nn_latent, nn_motion, nn_softmax

MEAN = np.zeros(263)
STD = np.ones(263)


def test_nn_motion_with_leader_as_follower_returns_the_leader() -> None:
    leader = synthetic_motion(30, seed=1).features
    np.testing.assert_array_equal(nn_motion(leader, leader, MEAN, STD), leader)


def test_nn_motion_picks_the_nearest_pose() -> None:
    follower = np.zeros((3, 263), np.float32)
    follower[:, 3:] = np.array([0.0, 1.0, 5.0])[:, None]
    leader = np.zeros((2, 263), np.float32)
    leader[:, 3:] = np.array([4.0, 0.4])[:, None]
    leader[:, :3] = 100.0  # root velocities do not count
    np.testing.assert_array_equal(nn_motion(leader, follower, MEAN, STD), follower[[2, 0]])


def test_nn_softmax_blends_and_tends_to_nn_motion() -> None:
    leader, follower = synthetic_motion(12, seed=2).features, synthetic_motion(15, seed=3).features
    sharp = nn_softmax(leader, follower, MEAN, STD, temperature=1e-6)
    np.testing.assert_allclose(sharp, nn_motion(leader, follower, MEAN, STD), atol=1e-6)
    soft = nn_softmax(leader, follower, MEAN, STD, temperature=1e6)
    np.testing.assert_allclose(soft, np.broadcast_to(follower.mean(0), soft.shape), atol=1e-4)
    with pytest.raises(EvaluationError, match="temperature"):
        nn_softmax(leader, follower, MEAN, STD, temperature=0.0)


def test_nn_latent_returns_follower_frames() -> None:
    model = tiny_model(num_timesteps=4, num_layers=2, dtype=torch.float32)
    leader, follower = synthetic_motion(24, seed=4).features, synthetic_motion(30, seed=5).features
    output = nn_latent(model, leader, follower)
    assert output.shape == leader.shape
    matches = (output[:, None, :] == follower[None, :, :]).all(-1)
    assert matches.any(axis=1).all()
