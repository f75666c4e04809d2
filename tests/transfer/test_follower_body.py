"""``follower_body``: outputs take the follower's upper body at chosen steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kit import feature_scale, synthetic_motion, tiny_model, travelling
from momo.errors import TransferError
from momo.motion.body_parts import body_part_mask
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.model_defaults import TRANSFER_DEFAULTS
from momo.pipelines.transfer.pairs import transfer_pairs

UPPER = body_part_mask("upper")
LOWER = body_part_mask("lower")


@pytest.mark.parametrize("reuse_inversion", [False, True])
def test_every_step_composes_the_leaders_legs_with_the_followers_upper_body(
    reuse_inversion: bool,
) -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(
        model, leader, [follower], seed=0, progress=False, leader_body="lower",
        follower_body="upper", reuse_inversion=reuse_inversion,
    )  # fmt: skip
    out = result.outputs[0].features
    # The last DDIM step returns x0: both parts are the given motions' up to the normaliser's
    # float64 round trip, and together they are every channel.
    assert np.abs(out[:, UPPER] - follower.features[:, UPPER]).max() <= 1e-9 * feature_scale(out)
    assert np.abs(out[:, LOWER] - leader.features[:, LOWER]).max() <= 1e-9 * feature_scale(out)
    assert result.config["follower_body"] == "upper"
    assert result.config["follower_body_steps"] == list(range(model.num_timesteps))


def test_steps_left_out_let_the_model_change_the_part() -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(
        model, leader, [follower], seed=0, progress=False, leader_body="lower",
        follower_body="upper", follower_body_steps=[5, 6, 7, 8, 9],
    )  # fmt: skip
    out = result.outputs[0].features
    assert np.abs(out[:, UPPER] - follower.features[:, UPPER]).max() > 1e-4
    assert np.abs(out[:, LOWER] - leader.features[:, LOWER]).max() <= 1e-9 * feature_scale(out)
    kept_only = (
        transfer(model, leader, [follower], seed=0, progress=False, leader_body="lower")
        .outputs[0]
        .features
    )
    assert np.abs(out[:, UPPER] - kept_only[:, UPPER]).max() > 1e-4  # the steps did something


def test_without_a_kept_leader_part_every_output_takes_the_followers_part() -> None:
    model = tiny_model(seed=0)
    leader = synthetic_motion(24, seed=1)
    followers = [synthetic_motion(24, seed=2), synthetic_motion(24, seed=5)]
    result = transfer(model, leader, followers, seed=0, progress=False, follower_body="upper")
    for output, follower in zip(result.outputs, followers):
        got = output.features
        assert np.abs(got[:, UPPER] - follower.features[:, UPPER]).max() <= 1e-9 * feature_scale(
            got
        )


def test_generated_and_real_followers_in_one_batch() -> None:
    model = tiny_model(seed=0)
    leader, real = synthetic_motion(20, seed=1), synthetic_motion(20, seed=2)
    result = transfer(
        model, leader, [real, "a person waves"], seed=3, progress=False, follower_body="upper"
    )
    first, second = (o.features for o in result.outputs)
    assert np.abs(first[:, UPPER] - real.features[:, UPPER]).max() <= 1e-9 * feature_scale(first)
    generated = result.followers[1].features  # that follower's own row, as denoised
    assert np.abs(second[:, UPPER] - generated[:, UPPER]).max() <= 1e-9 * feature_scale(second)


def test_a_follower_shorter_than_the_leader_leaves_the_later_frames_to_the_model() -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(30, seed=1), synthetic_motion(20, seed=2)
    result = transfer(
        model, leader, [follower], seed=0, progress=False, leader_body="lower",
        follower_body="upper",
    )  # fmt: skip
    out = result.outputs[0].features
    assert out.shape[0] == 30
    head = out[:20, UPPER] - follower.features[:, UPPER]
    assert np.abs(head).max() <= 1e-9 * feature_scale(out)
    # the padding (the mean pose, 0 once normalised) is not imposed on the frames after it
    mean = model.normalizer.mean[UPPER]
    assert np.abs(out[20:, UPPER] - mean).max() > 1e-3


def test_auto_takes_the_part_only_where_it_keeps_the_leaders_legs() -> None:
    model = tiny_model(seed=0)
    leader = travelling(synthetic_motion(24, seed=1), 0.06)
    standing = travelling(synthetic_motion(24, seed=2), 0.0)
    walking = travelling(synthetic_motion(24, seed=2), 0.05)
    options = {"leader_body": "auto", "follower_body": "upper", "seed": 0, "progress": False}
    moved = transfer(model, leader, [standing], **options).outputs[0].features
    assert np.abs(moved[:, UPPER] - standing.features[:, UPPER]).max() <= 1e-9 * feature_scale(
        moved
    )
    alike = transfer(model, leader, [walking], **options).outputs[0].features
    plain = transfer(model, leader, [walking], **{**options, "follower_body": "none"})
    expected = plain.outputs[0].features
    assert np.abs(alike - expected).max() <= 1e-9 * feature_scale(expected)
    assert np.abs(alike[:, UPPER] - walking.features[:, UPPER]).max() > 1e-3


@pytest.mark.parametrize("reuse_inversion", [False, True])
def test_pair_batches_equal_single_transfers(reuse_inversion: bool) -> None:
    model = tiny_model(seed=0)
    leaders = [synthetic_motion(24, seed=1), synthetic_motion(20, seed=4)]
    followers = [synthetic_motion(22, seed=2), synthetic_motion(24, seed=6)]
    pairs = list(zip(leaders, followers))
    options = {
        "leader_body": "lower", "follower_body": "upper", "follower_body_steps": [6, 7],
        "reuse_inversion": reuse_inversion,
    }  # fmt: skip
    batched = transfer_pairs(model, pairs, **options)
    for (leader, follower), got in zip(pairs, batched):
        alone = transfer(model, leader, [follower], seed=0, progress=False, **options)
        expected = alone.outputs[0].features
        assert np.abs(got.outputs[0].features - expected).max() <= 1e-8 * feature_scale(expected)


def test_a_models_stored_follower_body_applies() -> None:
    model = tiny_model(seed=0)
    defaults = {"follower_body": "upper", "follower_body_steps": [4, 5, 6]}
    model.config = dataclasses.replace(model.config, extra={TRANSFER_DEFAULTS: defaults})
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    result = transfer(model, leader, [follower], seed=0, progress=False)
    assert result.config["follower_body"] == "upper"
    assert result.config["follower_body_steps"] == [4, 5, 6]
    assert result.config["model_defaults"] == defaults
    off = transfer(model, leader, [follower], seed=0, progress=False, follower_body="none")
    assert off.config["follower_body"] == "none" and off.config["follower_body_steps"] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"follower_body": "lower"}, "follower_body must be one of none, upper"),
        ({"follower_body": "upper", "follower_body_steps": [10]}, "timesteps in 0..9"),
        ({"follower_body": "upper", "follower_body_steps": "1:3"}, "must be a list of timest"),
    ],
)
def test_bad_follower_body_options_are_refused(options: dict, message: str) -> None:
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(24, seed=1), synthetic_motion(24, seed=2)
    with pytest.raises(TransferError, match=message):
        transfer(model, leader, [follower], seed=0, progress=False, **options)
