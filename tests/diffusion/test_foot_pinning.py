"""Feet pinned inside `momo.generate`'s sampling loop (`pin_feet_steps`) on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import momo
from kit import feature_scale, tiny_bundle
from momo.errors import TransferError
from momo.motion.fix_feet import fix_feet
from momo.pipelines.foot_pinning import pinned_x0
from momo.pipelines.generate import GENERATE_DEFAULTS

PROMPTS = ["a person walks forward", "a person jumps"]
FRAMES = [18, 11]


@pytest.fixture
def model():
    return tiny_bundle(num_timesteps=8)


def _generate(model, **kwargs):
    return momo.generate(model, PROMPTS, num_frames=FRAMES, seed=4, progress=False, **kwargs)


def _close(a: np.ndarray, b: np.ndarray) -> None:
    # float32 normalise / denormalise round trips around the pin: a few float32 ulps of the
    # features' scale, amplified at most modestly by the pin's inverse kinematics.
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * feature_scale(b))


def test_pinning_at_the_last_step_equals_fix_feet_on_the_plain_output(model):
    plain = _generate(model, pin_feet_steps=())
    pinned = _generate(model, pin_feet_steps=[0])
    for got, raw in zip(pinned, plain):
        expected = fix_feet(raw, contacts="floor").features
        assert not np.allclose(expected, raw.features)  # the pin does move these feet
        _close(got.features, expected)


def test_earlier_steps_change_the_sample_and_unchosen_steps_leave_it_alone(model):
    plain = _generate(model, pin_feet_steps=())
    default = _generate(model)  # the tiny model stores no default: no pinning
    early = _generate(model, pin_feet_steps=[5, 6])
    for a, b, c in zip(plain, default, early):
        np.testing.assert_array_equal(a.features, b.features)
        assert not np.allclose(a.features, c.features)
    assert [m.meta["pin_feet_steps"] for m in (plain[0], default[0], early[0])] == [[], [], [5, 6]]


def test_pinned_x0_keeps_each_rows_padding(model):
    rng = np.random.default_rng(0)
    x0 = torch.as_tensor(rng.normal(size=(2, 18, 263)), dtype=torch.float32)
    out = pinned_x0(model, x0, FRAMES)
    torch.testing.assert_close(out[1, 11:], x0[1, 11:], rtol=0, atol=0)
    raw = model.model_to_features(x0, FRAMES)[1]
    expected = fix_feet(momo.Motion(raw), contacts="floor").features
    _close(model.model_to_features(out, FRAMES)[1], expected)


def test_the_models_stored_default_applies_unless_the_caller_overrides(model):
    model.config.extra[GENERATE_DEFAULTS] = {"pin_feet_steps": [0, 1]}
    stored = _generate(model)
    explicit = _generate(model, pin_feet_steps=[1, 0])
    never = _generate(model, pin_feet_steps=())
    del model.config.extra[GENERATE_DEFAULTS]
    plain = _generate(model)
    for a, b, c, d in zip(stored, explicit, never, plain):
        np.testing.assert_array_equal(a.features, b.features)
        np.testing.assert_array_equal(c.features, d.features)
        assert not np.allclose(a.features, c.features)
    assert stored[0].meta["pin_feet_steps"] == [0, 1]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([8], r"outside the model's timesteps 0\.\.7"),
        ([-1], "outside"),
        (["0"], "must be integers"),
        ([True], "must be integers"),
        ("0:3", "list of timesteps"),
    ],
)
def test_bad_pin_steps_are_refused(model, steps, message):
    with pytest.raises(TransferError, match=message):
        _generate(model, pin_feet_steps=steps)


@pytest.mark.parametrize(
    ("stored", "message"),
    [({"pin_feet_steps": "all"}, "must be integers"), ({"pin_feet": [0]}, "unknown options")],
)
def test_a_malformed_stored_default_is_refused(model, stored, message):
    model.config.extra[GENERATE_DEFAULTS] = stored
    with pytest.raises(TransferError, match=message):
        _generate(model)
