"""``leader_body``: outputs keep the leader's body part (MDM-style inpainting inside MoMo)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kit import feature_scale, synthetic_motion, tiny_model, travelling
from momo.errors import TransferError
from momo.motion.body_parts import LOWER_BODY_JOINTS, body_part_mask
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.leader_body import travel_speed, travels_differently
from momo.pipelines.transfer.model_defaults import TRANSFER_DEFAULTS
from momo.pipelines.transfer.pairs import transfer_pairs


def _lower_channels_by_hand() -> list[int]:
    """The lower body's channels, listed from the feature layout one group at a time."""
    channels = [0, 1, 2, 3]
    legs = [j for j in LOWER_BODY_JOINTS if j > 0]
    channels += [4 + 3 * (j - 1) + k for j in legs for k in range(3)]
    channels += [67 + 6 * (j - 1) + k for j in legs for k in range(6)]
    channels += [193 + 3 * j + k for j in LOWER_BODY_JOINTS for k in range(3)]
    return channels + [259, 260, 261, 262]


def test_body_part_masks() -> None:
    assert np.flatnonzero(body_part_mask("lower")).tolist() == _lower_channels_by_hand()
    assert np.flatnonzero(body_part_mask("root")).tolist() == [0, 1, 2, 3, 259, 260, 261, 262]
    upper = [3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
    by_hand = [4 + 3 * (j - 1) + k for j in upper for k in range(3)]
    by_hand += [67 + 6 * (j - 1) + k for j in upper for k in range(6)]
    by_hand += [193 + 3 * j + k for j in upper for k in range(3)]
    assert np.flatnonzero(body_part_mask("upper")).tolist() == sorted(by_hand)
    # the upper body and the lower body's joints cover every joint channel once
    assert not (body_part_mask("upper") & body_part_mask("lower")).any()
    assert (body_part_mask("upper") | body_part_mask("lower")).all()


@pytest.mark.parametrize("reuse_inversion", [False, True])
def test_outputs_keep_a_real_leaders_lower_body(reuse_inversion: bool) -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    kept = body_part_mask("lower")
    plain = transfer(model, leader, [follower], seed=0, progress=False)
    result = transfer(
        model,
        leader,
        [follower],
        seed=0,
        progress=False,
        leader_body="lower",
        reuse_inversion=reuse_inversion,
    )
    out, given = result.outputs[0].features, leader.features
    # The last DDIM step returns x0, so the kept channels are the leader's given features up to
    # the normaliser's float64 round trip.
    assert np.abs(out[:, kept] - given[:, kept]).max() <= 1e-9 * feature_scale(given)
    assert np.abs(plain.outputs[0].features[:, kept] - given[:, kept]).max() > 1e-3
    # the reconstruction's root rotation does not replace the given one (assign_root_rotation
    # is on by default), and the other channels are still the model's
    assert np.abs(out[:, ~kept] - plain.outputs[0].features[:, ~kept]).max() > 1e-6
    assert result.config["leader_body"] == "lower"
    assert result.config["leader_body_steps"] == list(range(model.num_timesteps))


def test_a_generated_leaders_body_part_comes_from_its_own_row() -> None:
    model = tiny_model(seed=0)
    result = transfer(
        model, "a person walks", ["a person waves"], num_frames=20, seed=3, progress=False,
        leader_body="root", assign_root_rotation=False,
    )  # fmt: skip
    kept = body_part_mask("root")
    out, lead = result.outputs[0].features, result.leader.features
    assert np.abs(out[:, kept] - lead[:, kept]).max() <= 1e-9 * feature_scale(lead)


def test_kept_only_at_the_noisiest_steps_the_part_is_not_pinned() -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(
        model, leader, [follower], seed=0, progress=False, leader_body="lower",
        leader_body_steps=[7, 8, 9], assign_root_rotation=False,
    )  # fmt: skip
    kept = body_part_mask("lower")
    assert result.config["leader_body_steps"] == [7, 8, 9]
    assert np.abs(result.outputs[0].features[:, kept] - leader.features[:, kept]).max() > 1e-6


def test_pair_batches_keep_each_pairs_own_leader() -> None:
    model = tiny_model(seed=0)
    leaders = [synthetic_motion(24, seed=1), synthetic_motion(20, seed=4)]
    follower = synthetic_motion(22, seed=2)
    pairs = [(leaders[0], follower), (leaders[1], follower)]
    batched = transfer_pairs(model, pairs, leader_body="lower")
    for (leader, _), got in zip(pairs, batched):
        alone = transfer(model, leader, [follower], seed=0, progress=False, leader_body="lower")
        expected = alone.outputs[0].features
        assert np.abs(got.outputs[0].features - expected).max() <= 1e-8 * feature_scale(expected)


def test_a_models_stored_leader_body_applies() -> None:
    model = tiny_model(seed=0)
    defaults = {"leader_body": "lower", "leader_body_steps": [5, 6, 7, 8, 9]}
    model.config = dataclasses.replace(model.config, extra={TRANSFER_DEFAULTS: defaults})
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(model, leader, [follower], seed=0, progress=False)
    assert result.config["leader_body"] == "lower"
    assert result.config["leader_body_steps"] == [5, 6, 7, 8, 9]
    assert result.config["model_defaults"] == defaults
    off = transfer(model, leader, [follower], seed=0, progress=False, leader_body="none")
    assert off.config["leader_body"] == "none" and off.config["leader_body_steps"] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"leader_body": "arms"}, "leader_body must be one of none, root, lower, auto"),
        ({"leader_body": "lower", "leader_body_steps": [10]}, "timesteps in 0..9"),
        ({"leader_body": "lower", "leader_body_steps": []}, "timesteps in 0..9"),
        ({"leader_body": "lower", "leader_body_steps": "1:3"}, "must be a list of timesteps"),
        ({"leader_body": "lower", "leader_body_steps": [1.5]}, "timesteps in 0..9"),
    ],
)
def test_bad_leader_body_options_are_refused(options: dict, message: str) -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    with pytest.raises(TransferError, match=message):
        transfer(model, leader, [follower], seed=0, progress=False, **options)


def test_the_travel_rule() -> None:
    walk = travelling(synthetic_motion(20, seed=1), 0.06)
    assert travel_speed(walk.features) == pytest.approx(0.06 * 20)
    assert travels_differently(1.3, 0.02) and travels_differently(0.02, 1.3)
    assert not travels_differently(1.25, 1.0)  # two walks
    assert travels_differently(0.22, 0.03)  # a slow walk against a standing wave
    assert not travels_differently(0.11, 0.0)  # too slow to count


def test_auto_keeps_the_lower_body_only_when_leader_and_follower_travel_differently() -> None:
    model = tiny_model(seed=0)
    leader = travelling(synthetic_motion(24, seed=1), 0.06)
    standing = travelling(synthetic_motion(24, seed=2), 0.0)
    walking = travelling(synthetic_motion(24, seed=2), 0.05)
    kept = body_part_mask("lower")
    moved = transfer(model, leader, [standing], seed=0, progress=False, leader_body="auto")
    out = moved.outputs[0].features
    assert np.abs(out[:, kept] - leader.features[:, kept]).max() <= 1e-9 * feature_scale(out)
    both = transfer(model, leader, [walking], seed=0, progress=False, leader_body="auto")
    free = transfer(model, leader, [walking], seed=0, progress=False, leader_body="none")
    got, expected = both.outputs[0].features, free.outputs[0].features
    assert np.abs(got[:, kept] - leader.features[:, kept]).max() > 1e-3
    # nothing kept: the same outputs (the root rotation aside: see the next test)
    assert np.abs(got[:, 1:] - expected[:, 1:]).max() <= 1e-9 * feature_scale(expected)


def test_with_leader_body_the_root_rotation_is_a_real_leaders_as_given() -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(
        model, leader, [follower], seed=0, progress=False, leader_body="lower",
        leader_body_steps=[7, 8, 9],
    )  # fmt: skip
    out, given = result.outputs[0].features, leader.features
    assert np.abs(out[:, 0] - given[:, 0]).max() <= 1e-9 * feature_scale(given)
    plain = transfer(model, leader, [follower], seed=0, progress=False)  # the reconstruction's
    reconstruction = plain.leader.features  # the inverted, then denoised row
    assert np.abs(plain.outputs[0].features[:, 0] - reconstruction[:, 0]).max() <= 1e-9 * (
        feature_scale(reconstruction)
    )
    assert np.abs(plain.outputs[0].features[:, 0] - given[:, 0]).max() > 1e-4
