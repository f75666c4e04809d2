"""Float64 parity with the reference implementation's numbers (../shared/fixtures)."""

from __future__ import annotations

import pytest
import torch

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.schedules import NoiseSchedule
from momo.models.attention import Attention, use_processors

from .parity_helpers import (
    fixture_denoiser,
    forward_embedding,
    frame_mask,
    load_fixture,
    ours,
    prompt_embedding,
    relative_error,
)


@pytest.fixture(scope="module")
def data(shared_fixtures):
    return load_fixture(shared_fixtures)


@pytest.fixture(scope="module")
def denoiser(data):
    return fixture_denoiser(data)


def _forward(data, denoiser, drop_text=None):
    batch = data["fwd_x_t"].shape[0]
    with torch.no_grad():
        return denoiser(
            ours(data["fwd_x_t"]),
            torch.full((batch,), data["fwd_t"], dtype=torch.long),
            forward_embedding(data),
            frame_mask(data["transfer_mask"]),
            drop_text,
        )


def test_schedule_matches_reference(data):
    schedule = NoiseSchedule.from_name("cosine", data["config"]["diffusion_steps"])
    assert torch.equal(schedule.alphas_cumprod, data["schedule"]["alphas_cumprod"])
    assert torch.allclose(schedule.betas, data["schedule"]["betas"], rtol=1e-12, atol=0)


def test_plain_forward(data, denoiser):
    out = _forward(data, denoiser)
    assert relative_error(out, ours(data["fwd_out_plain"])) < 1e-9


def test_unconditional_forward(data, denoiser):
    drop = torch.ones(data["fwd_x_t"].shape[0], dtype=torch.bool)
    out = _forward(data, denoiser, drop)
    assert relative_error(out, ours(data["fwd_out_uncond"])) < 1e-9
    # and it is really different from the conditional one
    assert relative_error(out, ours(data["fwd_out_plain"])) > 1e-3


class _LeaderFollowerMixing:
    """Minimal mixing processor (design check): output rows take queries from the leader row
    and keys/values from their follower row under the follower's key mask."""

    def __init__(self, leader: int, pairs: list[tuple[int, int]]) -> None:
        self.leader = leader
        self.pairs = pairs

    def __call__(self, attn: Attention, hidden_states, *, key_mask=None, context=None):
        q, k, v = attn.project_qkv(hidden_states)
        out = attn.attend(q, k, v, key_mask)
        for out_row, follower in self.pairs:
            f = [follower]
            mixed = attn.attend(q[[self.leader]], k[f], v[f], key_mask[f])
            out[out_row] = mixed[0]
        return attn.project_out(out)


def _mixing(data, denoiser):
    idx = data["transfer_idx"]
    processor = _LeaderFollowerMixing(idx["leader"], list(zip(idx["out"], idx["follower"])))
    modules = denoiser.self_attention_modules()
    return {modules[i]: processor for i in data["transfer_layers"]}


def test_transfer_forward_reproduced_by_a_mixing_processor(data, denoiser):
    with use_processors(_mixing(data, denoiser)):
        out = _forward(data, denoiser)
    assert relative_error(out, ours(data["fwd_out_transfer"])) < 1e-9
    # processors are restored after the block
    assert relative_error(_forward(data, denoiser), ours(data["fwd_out_plain"])) < 1e-9


@pytest.mark.parametrize("reference_rounding", [True, False])
def test_inversion(data, denoiser, reference_rounding):
    schedule = NoiseSchedule.from_name("cosine", data["config"]["diffusion_steps"])
    scheduler = DDIMScheduler(schedule, reference_rounding=reference_rounding)
    text = prompt_embedding(data, data["inversion_texts"])
    predict = make_x0_predictor(denoiser, text, frame_mask(data["inversion_mask"]), 1.0)
    first = {}

    def keep_first(i, t, x, x0):
        if i == 0:
            first["x"], first["x0"] = x, x0

    latents = ddim_invert(predict, ours(data["inversion_input"]), scheduler, callback=keep_first)
    assert relative_error(first["x0"], ours(data["inversion_pred_xstart_first_step"])) < 1e-9
    if reference_rounding:
        assert relative_error(first["x"], ours(data["inversion_first_step"])) < 1e-9
        assert relative_error(latents, ours(data["inverted_noise"])) < 1e-9
    else:
        assert relative_error(first["x"], ours(data["inversion_first_step"])) < 1e-5
        assert relative_error(latents, ours(data["coef64_inverted_noise"])) < 1e-9
        assert relative_error(latents, ours(data["inverted_noise"])) < 1e-5


@pytest.mark.parametrize("reference_rounding", [True, False])
def test_real_motion_transfer_loop_with_mixing_processor(data, denoiser, reference_rounding):
    """The whole reference transfer: DDIM from the inverted latents, mixing in the transfer
    layers at the transfer steps; checks that the processor design carries the method."""
    schedule = NoiseSchedule.from_name("cosine", data["config"]["diffusion_steps"])
    scheduler = DDIMScheduler(schedule, reference_rounding=reference_rounding)
    idx = data["transfer_idx"]
    key = "inverted_noise" if reference_rounding else "coef64_inverted_noise"
    inverted = ours(data[key])
    x = torch.cat([inverted, inverted[[idx["leader"]]]])  # out row starts from the leader noise
    text = prompt_embedding(data, data["transfer_texts"])
    mask = frame_mask(data["transfer_mask"])
    predict = make_x0_predictor(denoiser, text, mask, data["transfer_scale"])
    mixing = _mixing(data, denoiser)
    with torch.no_grad():
        for t in scheduler.sampling_timesteps:
            if t in data["transfer_steps"]:
                with use_processors(mixing):
                    x0 = predict(x, t)
            else:
                x0 = predict(x, t)
            x = scheduler.step(x0, t, x)
    ref_key = (
        "transfer_before_root_rot" if reference_rounding else "coef64_transfer_before_root_rot"
    )
    assert relative_error(x, ours(data[ref_key])) < 1e-9
