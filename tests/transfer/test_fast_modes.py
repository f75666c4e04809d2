"""`reuse_inversion` and `num_steps`: what they compute, checked against explicit constructions."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from kit import synthetic_motion, tiny_model
from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.sampling import sample
from momo.errors import TransferError
from momo.models.attention import SDPAProcessor, use_processors
from momo.motion.motion import Motion
from momo.pipelines.scheduling import ddim_scheduler
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.layout import TransferLayout
from momo.pipelines.transfer.mixed_attention import mixing_processors
from momo.pipelines.transfer.replay import MixedAttentionStore, ReplayProcessor, storage_dtype


@pytest.fixture(scope="module")
def model():
    return tiny_model(seed=3)


@pytest.fixture(scope="module")
def leader():
    return synthetic_motion(30, seed=11, text="a person walks forward")


@pytest.fixture(scope="module")
def followers():
    return [
        synthetic_motion(26, seed=12, text="a person jumps on one leg"),
        synthetic_motion(34, seed=13, text="an old person waves"),
    ]


def _oracle(model, leader, followers, layers, steps):
    """Outputs of MoMo's batched loop whose leader/follower rows are pinned, at every step, to
    their inversion's latents: what reuse_inversion must compute. Built from the plain pieces
    (MixedAttentionProcessor over the whole batch), not from momo.pipelines.transfer.replay."""
    motions = [leader, *followers]
    frames = max(m.num_frames for m in motions)
    x0, mask = model.motions_to_model(motions)
    assert x0.shape[1] == frames
    texts = [m.text for m in motions]
    text = model.encode_text(texts)
    none = torch.zeros(len(motions), dtype=torch.bool)
    trajectory: dict[int, torch.Tensor] = {}
    invert_predict = make_x0_predictor(model.denoiser, text, mask, 1.0, none)

    def recording(x_t, t):
        trajectory[t] = x_t.clone()
        return invert_predict(x_t, t)

    x_T = ddim_invert(recording, x0, ddim_scheduler(model))

    layout = TransferLayout(len(followers))
    follower_index = list(range(1, len(motions)))
    rows = layout.arrange(0, follower_index, lambda j: 1 + j)  # source motion of each row
    out_rows = layout.output_rows
    batch_text = model.encode_text([texts[r] for r in rows])
    leader_mask = layout.arrange(0, follower_index, lambda j: 0)  # outputs: the leader's length
    predict = make_x0_predictor(
        model.denoiser,
        batch_text,
        mask[torch.tensor(leader_mask)],
        1.0,
        torch.zeros(len(rows), dtype=torch.bool),
    )
    mixing = mixing_processors(model.denoiser.self_attention_modules(), layers, layout)
    pinned = [r for r in range(layout.num_rows) if r not in out_rows]

    def predict_x0(x_t, t):
        x_t = x_t.clone()
        x_t[pinned] = trajectory[t][[rows[r] for r in pinned]]
        if t in steps:
            with use_processors(mixing):
                return predict(x_t, t)
        return predict(x_t, t)

    start = x_T[[rows[r] if r not in out_rows else 0 for r in range(layout.num_rows)]]
    final = sample(predict_x0, start, ddim_scheduler(model))
    return final[out_rows], x0


def test_reuse_inversion_equals_the_batched_loop_pinned_to_the_inversion(model, leader, followers):
    layers, steps = (1, 2), (2, 3, 4, 5, 6, 7)
    result = transfer(
        model,
        leader,
        followers,
        layers=layers,
        steps=steps,
        reuse_inversion=True,
        assign_root_rotation=False,
        progress=False,
    )
    expected, clean = _oracle(model, leader, followers, layers, steps)
    got = result.samples[result.layout.output_rows]
    # float64 model: records are kept in float64, so the two agree to rounding
    torch.testing.assert_close(got[:, :30], expected[:, :30], rtol=0, atol=1e-10)
    # the leader and followers reported are the real motions themselves
    np.testing.assert_allclose(result.leader.features, leader.features, atol=1e-5)
    for got_f, want in zip(result.followers, followers):
        np.testing.assert_allclose(got_f.features, want.features, atol=1e-5)
    assert result.config["reuse_inversion"] is True
    assert [o.num_frames for o in result.outputs] == [30, 30]


def test_reuse_inversion_assigns_the_real_leaders_root_rotation(model, leader, followers):
    result = transfer(model, leader, followers[:1], reuse_inversion=True, progress=False)
    np.testing.assert_allclose(
        result.outputs[0].features[:, 0], leader.features[:, 0], rtol=0, atol=1e-5
    )


def test_reuse_inversion_differs_from_the_reference_only_by_the_inversion_drift(model, leader):
    """With the follower equal to the leader, the reference's output is its re-denoised leader
    (which drifts from the real leader by the inversion's reconstruction error); the fast
    output, whose attention comes from the inversion itself, differs from it by the same order."""
    exact = transfer(model, leader, [leader], progress=False)
    fast = transfer(model, leader, [leader], reuse_inversion=True, progress=False)
    a = exact.outputs[0].features
    b = fast.outputs[0].features
    assert a.shape == b.shape
    assert np.isfinite(b).all()
    assert not np.array_equal(a, b)  # a different computation ...
    drift = np.abs(exact.leader.features - leader.features).max()
    assert np.abs(a - b).max() < 10 * drift + 1e-6  # ... within the inversion's drift


def test_reuse_inversion_with_guided_outputs_runs_their_unconditional_copies_plain(
    model, leader, followers
):
    result = transfer(
        model, leader, followers[:1], reuse_inversion=True, guidance_scale=2.0, progress=False
    )
    assert np.isfinite(result.outputs[0].features).all()
    plain = transfer(
        model, leader, followers[:1], reuse_inversion=True, guidance_scale=1.0, progress=False
    )
    assert not np.allclose(result.outputs[0].features, plain.outputs[0].features)


def test_reuse_inversion_copies_of_a_real_follower_equal_one_copy(model, leader, followers):
    one = transfer(model, leader, followers[:1], reuse_inversion=True, progress=False)
    three = transfer(
        model, leader, followers[:1], reuse_inversion=True, follower_copies=3, progress=False
    )
    np.testing.assert_allclose(three.outputs[0].features, one.outputs[0].features, atol=1e-10)


def test_reuse_inversion_refuses_prompts(model, leader):
    with pytest.raises(TransferError, match="real leader and real followers"):
        transfer(model, leader, ["a person jumps"], reuse_inversion=True, progress=False)
    with pytest.raises(TransferError, match="real leader and real followers"):
        transfer(model, "a person walks", [leader], reuse_inversion=True, progress=False)


def test_recorded_attention_is_int8_for_float32_models():
    assert storage_dtype(torch.float32) == torch.int8
    assert storage_dtype(torch.float64) == torch.float64


def test_replay_without_a_record_says_what_is_wrong():
    store = MixedAttentionStore(torch.float32, timestep=4)
    processor = ReplayProcessor(store, layer=1)
    attn = tiny_model(seed=0).denoiser.self_attention_modules()[1]
    with pytest.raises(RuntimeError, match="layer 1 at timestep 4"):
        processor(attn, torch.zeros(1, 5, attn.embed_dim, dtype=torch.float64))


def test_processors_are_restored_after_reuse_inversion(model, leader, followers):
    transfer(model, leader, followers[:1], reuse_inversion=True, progress=False)
    for module in model.denoiser.self_attention_modules():
        assert isinstance(module.processor, SDPAProcessor)


# num_steps --------------------------------------------------------------------------------------


def test_all_steps_equal_the_default(model, leader, followers):
    default = transfer(model, leader, followers[:1], progress=False)
    explicit = transfer(model, leader, followers[:1], num_steps=10, progress=False)
    np.testing.assert_array_equal(default.outputs[0].features, explicit.outputs[0].features)
    assert explicit.config["num_steps"] == 10


def test_respaced_transfer_mixes_at_the_sampled_steps(model, leader, followers):
    result = transfer(model, leader, followers[:1], num_steps=4, progress=False)
    assert result.config["sampled_timesteps"] == [0, 3, 6, 9]
    assert result.config["mixing_timesteps"] == [3, 6, 9]  # default steps 1..9 of T = 10
    none = transfer(model, leader, followers[:1], num_steps=4, layers=[], progress=False)
    assert not np.allclose(result.outputs[0].features, none.outputs[0].features)


def test_respaced_text_transfer_is_seeded(model):
    a = transfer(model, "a person walks", ["a person waves"], num_steps=5, seed=1, progress=False)
    b = transfer(model, "a person walks", ["a person waves"], num_steps=5, seed=1, progress=False)
    np.testing.assert_array_equal(a.outputs[0].features, b.outputs[0].features)


@pytest.mark.parametrize("value", [0, 11, 2.5, True, "5"])
def test_bad_num_steps(model, leader, followers, value):
    with pytest.raises(TransferError, match="num_steps must be an integer in 1..10"):
        transfer(model, leader, followers[:1], num_steps=value, progress=False)


def test_no_mixing_step_among_the_sampled_ones_is_an_error(model, leader, followers):
    with pytest.raises(TransferError, match="none of the 4 sampled timesteps"):
        transfer(model, leader, followers[:1], num_steps=4, steps=[4, 5], progress=False)


def test_int8_records_are_within_half_a_step_of_each_tokens_largest_entry():
    value = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(0)) * torch.logspace(
        -3, 2, 7
    ).view(1, 7, 1)
    store = MixedAttentionStore(torch.int8, timestep=3)
    store.put(1, value)
    got = store.get(1, torch.float32)
    step = value.abs().amax(dim=-1, keepdim=True) / 127
    assert bool(((got - value).abs() <= 0.5 * step * (1 + 1e-5)).all())
    assert store.nbytes == 2 * 7 * 16 + 2 * 7 * 4  # int8 values + one float32 scale per token
    assert store.record_bytes(2, 7, 16) == store.nbytes
    zeros = MixedAttentionStore(torch.int8, timestep=0)
    zeros.put(0, torch.zeros(1, 2, 4))
    assert torch.equal(zeros.get(0, torch.float32), torch.zeros(1, 2, 4))


def test_float32_reuse_inversion_stays_close_to_float64(leader, followers):
    exact = transfer(
        tiny_model(seed=3), leader, followers[:1], reuse_inversion=True, progress=False
    )
    low = transfer(
        tiny_model(seed=3, dtype=torch.float32),
        leader,
        followers[:1],
        reuse_inversion=True,
        progress=False,
    )
    a, b = exact.outputs[0].features, low.outputs[0].features
    assert np.abs(a - b).max() < 0.005 * np.abs(a).max()  # measured 8e-4: int8 records


def test_motions_outside_the_training_data_are_warned_about(model, leader, caplog):
    mean, std = model.normalizer.mean, model.normalizer.std
    odd = Motion((mean + 50 * std)[None].repeat(30, 0), text="a person walks", name="odd")
    with caplog.at_level(logging.WARNING, logger="momo.pipelines.transfer.config"):
        transfer(model, leader, [odd], progress=False)
    messages = [r.getMessage() for r in caplog.records]
    assert any("follower (odd) lies far outside" in m and "root height 50.0" in m for m in messages)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="momo.pipelines.transfer.config"):
        transfer(model, leader, [leader], progress=False)
    assert not any("far" in r.getMessage() for r in caplog.records)


def test_a_large_attention_record_is_announced_with_its_exact_size(
    model, leader, followers, caplog, monkeypatch
):
    from momo.pipelines.transfer import denoising

    monkeypatch.setattr(denoising, "RECORD_WARNING_BYTES", 0)
    with caplog.at_level(logging.INFO, logger="momo.pipelines.transfer.denoising"):
        transfer(model, leader, followers, reuse_inversion=True, progress=False)
    # 2 followers x 9 mixing steps (1..9) x 2 layers x (34 frames + CLS) x 32 wide x 8 bytes
    expected = 2 * 9 * 2 * 35 * 32 * 8
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"({expected} bytes) of recorded attention for 2 follower(s)" in m for m in messages)
    assert f"reuse_inversion: {expected} bytes of recorded attention" in messages
