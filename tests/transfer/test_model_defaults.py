"""Transfer defaults stored with a model: used for options the caller leaves out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kit import synthetic_motion, tiny_model
from momo.errors import TransferError
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.config import input_list, resolve_config
from momo.pipelines.transfer.model_defaults import TRANSFER_DEFAULTS, model_transfer_defaults


def _with_defaults(defaults: object):
    model = tiny_model(seed=0)
    model.config = dataclasses.replace(model.config, extra={TRANSFER_DEFAULTS: defaults})
    return model


def _resolve(model, *inputs, **options):
    return resolve_config(model, input_list(inputs[0], list(inputs[1:])), **options)


def test_a_model_without_defaults_gets_the_librarys():
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(20, seed=1), synthetic_motion(20, seed=2)
    config = _resolve(model, leader, follower)
    assert config.layers == (1, 2) and config.steps == tuple(range(1, 10))
    assert not config.reuse_inversion and config.model_defaults == {}
    assert model_transfer_defaults(model) == {}


def test_stored_defaults_apply_unless_the_caller_overrides():
    model = _with_defaults({"layers": [2], "steps": [3, 4, 5], "reuse_inversion": True})
    leader, follower = synthetic_motion(20, seed=1), synthetic_motion(20, seed=2)
    config = _resolve(model, leader, follower)
    assert config.layers == (2,) and config.steps == (3, 4, 5) and config.reuse_inversion
    assert config.model_defaults == {"layers": [2], "steps": [3, 4, 5], "reuse_inversion": True}
    overridden = _resolve(model, leader, follower, layers=[0, 1], reuse_inversion=False)
    assert overridden.layers == (0, 1) and not overridden.reuse_inversion
    assert overridden.steps == (3, 4, 5)
    assert overridden.model_defaults == {"steps": [3, 4, 5]}
    # reuse_inversion needs real motions: a prompt leaves the model's default out
    with_prompt = _resolve(model, "a person walks", follower, num_frames=20)
    assert not with_prompt.reuse_inversion and "reuse_inversion" not in with_prompt.model_defaults
    # and the transfer runs with them
    result = transfer(model, leader, [follower], seed=0, progress=False)
    assert result.config["layers"] == [2] and result.config["reuse_inversion"] is True


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ({"layer": [1]}, "unknown options"),
        ({"layers": "1:3"}, "must be integers"),
        ({"num_steps": 2.5}, "must be integer"),
        ({"reuse_inversion": 1}, "must be boolean"),
        ([1, 2], "JSON object"),
    ],
)
def test_malformed_defaults_are_refused(defaults, message):
    model = _with_defaults(defaults)
    with pytest.raises(TransferError, match=message):
        _resolve(model, synthetic_motion(20, seed=1), synthetic_motion(20, seed=2))


def test_leader_root_path_gives_outputs_the_real_leaders_root():
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(20, seed=1), synthetic_motion(24, seed=2)
    plain = transfer(model, leader, [follower], seed=0, progress=False)
    rooted = transfer(model, leader, [follower], seed=0, progress=False, leader_root_path=True)
    assert rooted.config["leader_root_path"] and not plain.config["leader_root_path"]
    out = rooted.outputs[0].features
    np.testing.assert_array_equal(out[:, :3], leader.features[:, :3])
    assert not np.allclose(plain.outputs[0].features[:, 1:3], leader.features[:, 1:3])
    # everything else is the plain transfer's
    np.testing.assert_array_equal(out[:, 3:], plain.outputs[0].features[:, 3:])
    # a model may switch it on by default
    on = _with_defaults({"leader_root_path": True})
    result = transfer(on, leader, [follower], seed=0, progress=False)
    np.testing.assert_array_equal(result.outputs[0].features[:, :3], leader.features[:, :3])


def test_inversion_corrections_change_only_real_rows_and_are_checked():
    model = tiny_model(seed=0)
    leader, follower = synthetic_motion(20, seed=1), synthetic_motion(20, seed=2)
    plain = transfer(model, leader, [follower], seed=0, progress=False)
    corrected = transfer(model, leader, [follower], seed=0, progress=False, inversion_corrections=2)
    assert corrected.config["inversion_corrections"] == 2
    assert not np.allclose(plain.outputs[0].features, corrected.outputs[0].features)
    # prompts are not inverted: the same transfer either way
    a = transfer(model, "a person walks", ["a person waves"], num_frames=20, seed=0, progress=False)
    b = transfer(model, "a person walks", ["a person waves"], num_frames=20, seed=0,
                 progress=False, inversion_corrections=2)  # fmt: skip
    np.testing.assert_array_equal(a.outputs[0].features, b.outputs[0].features)
    for bad in (-1, 11, 1.5, True):
        with pytest.raises(TransferError, match="inversion_corrections"):
            _resolve(model, leader, follower, inversion_corrections=bad)
    with pytest.raises(TransferError, match="one or the other"):
        _resolve(model, leader, follower, inversion_corrections=1, reuse_inversion=True)
    stored = _with_defaults({"inversion_corrections": 3})
    assert _resolve(stored, leader, follower).inversion_corrections == 3


def test_a_stored_guidance_scale_applies_to_outputs_and_generated_rows():
    model = _with_defaults({"guidance_scale": 2})
    leader, follower = synthetic_motion(20, seed=1), synthetic_motion(20, seed=2)
    config = _resolve(model, leader, follower)
    assert config.guidance_scale.outputs == (2.0,) and config.guidance_scale.leader == 1.0
    assert config.model_defaults == {"guidance_scale": 2.0}
    assert _resolve(model, leader, follower, guidance_scale=1).guidance_scale.outputs == (1.0,)
    with pytest.raises(TransferError, match="guidance_scale must be number"):
        model_transfer_defaults(_with_defaults({"guidance_scale": "2"}))
