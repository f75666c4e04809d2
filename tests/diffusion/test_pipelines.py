"""momo.invert and momo.generate on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import momo
from kit import tiny_bundle
from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.errors import TransferError
from momo.motion.motion import Motion


@pytest.fixture
def model():
    return tiny_bundle(num_timesteps=8)


def test_generate_returns_motions_and_encodes_once(model):
    motions = momo.generate(
        model, ["a person walks", "jump"], num_frames=[20, 11], seed=3, progress=False
    )
    assert [m.num_frames for m in motions] == [20, 11]
    assert [m.text for m in motions] == ["a person walks", "jump"]
    assert all(isinstance(m, Motion) and m.features.dtype == np.float32 for m in motions)
    assert model.text_encoder.calls == 1  # prompts encoded once, reused at every step


def test_generate_is_seeded_and_guidance_matters(model):
    kwargs = dict(num_frames=16, progress=False)
    a = momo.generate(model, ["walk"], seed=1, **kwargs)[0].features
    b = momo.generate(model, ["walk"], seed=1, **kwargs)[0].features
    c = momo.generate(model, ["walk"], seed=2, **kwargs)[0].features
    d = momo.generate(model, ["walk"], seed=1, guidance_scale=1.0, **kwargs)[0].features
    e = momo.generate(model, ["walk"], seed=1, sampler="ddim", num_steps=4, **kwargs)[0].features
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, d) and not np.allclose(a, e)


def test_generate_validates_arguments(model):
    with pytest.raises(TransferError, match="num_frames"):
        momo.generate(model, ["walk"], num_frames=500, progress=False)
    with pytest.raises(TransferError, match="list of prompts"):
        momo.generate(model, "walk", progress=False)
    with pytest.raises(TransferError, match="frame counts"):
        momo.generate(model, ["a", "b"], num_frames=[10], progress=False)
    with pytest.raises(TransferError, match="sampler"):
        momo.generate(model, ["a"], sampler="euler", progress=False)


def test_invert_matches_the_loop_on_padded_normalised_motions(model):
    rng = np.random.default_rng(0)
    motions = [
        Motion(rng.normal(size=(14, 263)).astype(np.float32), text="walk forward"),
        Motion(rng.normal(size=(9, 263)).astype(np.float32), text=None),
    ]
    latents = momo.invert(model, motions, progress=False)
    assert latents.shape == (2, 14, 263) and latents.dtype == torch.float64
    x, mask = model.motions_to_model(motions)
    # padded frames hold raw zeros normalised: -Mean/Std
    expected_pad = torch.as_tensor(-model.normalizer.mean / model.normalizer.std, dtype=x.dtype)
    assert torch.allclose(x[1, 9:], expected_pad.expand(5, 263))
    assert mask.sum(1).tolist() == [14, 9]
    text = model.text_encoder.encode(["walk forward", ""]).to(dtype=torch.float64)
    drop = torch.tensor([False, True])
    predict = make_x0_predictor(model.denoiser, text, mask, 1.0, drop)
    expected = ddim_invert(predict, x, DDIMScheduler(model.schedule))
    assert torch.allclose(latents, expected, rtol=0, atol=1e-12)
    with pytest.raises(TransferError):
        momo.invert(model, [], progress=False)


def test_generate_records_its_seed_and_a_recorded_seed_reproduces(model):
    kwargs = dict(num_frames=12, progress=False, num_steps=4)
    given = momo.generate(model, ["walk"], seed=5, **kwargs)[0]
    assert given.meta["seed"] == 5
    fresh = momo.generate(model, ["walk"], **kwargs)[0]
    again = momo.generate(model, ["walk"], seed=fresh.meta["seed"], **kwargs)[0]
    np.testing.assert_array_equal(fresh.features, again.features)


def test_generate_takes_the_frame_limit_from_the_model(model):
    model.config.extra["max_frames"] = 30
    assert model.max_frames == 30
    with pytest.raises(TransferError, match="within 1..30"):
        momo.generate(model, ["walk"], num_frames=31, progress=False)
