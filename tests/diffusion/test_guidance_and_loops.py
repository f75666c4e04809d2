"""Guidance in one batched forward; sampling and inversion loops on a tiny model."""

from __future__ import annotations

import math

import pytest
import torch

from kit import WordEncoder, tiny_denoiser
from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.ddpm import DDPMScheduler
from momo.diffusion.guidance import guided_x0, make_x0_predictor
from momo.diffusion.inversion import ddim_invert
from momo.diffusion.sampling import sample
from momo.diffusion.schedules import NoiseSchedule

TEXTS = ["a person walks forward", "someone jumps high twice", "wave both hands", "turn"]


class _Counting:
    def __init__(self, model):
        self.model = model
        self.batches = []

    def __call__(self, x_t, timesteps, text, frame_mask, drop_text):
        self.batches.append((x_t.shape[0], None if drop_text is None else drop_text.tolist()))
        return self.model(x_t, timesteps, text, frame_mask, drop_text)


def _setup(lengths=(12, 9, 5, 12)):
    model = tiny_denoiser().double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 12, 263, generator=g, dtype=torch.float64)
    mask = torch.arange(12)[None] < torch.tensor(lengths)[:, None]
    return model, text, x, mask


def test_batched_guidance_equals_two_passes():
    model, text, x, mask = _setup()
    t = torch.tensor([5, 5, 5, 5])
    scales = torch.tensor([2.5, 1.0, 0.0, 4.0], dtype=torch.float64)
    counting = _Counting(model)
    with torch.no_grad():
        guided = guided_x0(counting, x, t, text, mask, scales)
        cond = model(x, t, text, mask)
        uncond = model(x, t, text, mask, torch.ones(4, dtype=torch.bool))
    # one forward: 4 conditional rows first, then unconditional copies of rows 0, 2, 3
    assert counting.batches == [(7, [False, False, False, False, True, True, True])]
    expected = uncond + scales.view(-1, 1, 1) * (cond - uncond)
    assert torch.allclose(guided, expected, rtol=0, atol=1e-12)
    # scale 1: the conditional prediction itself (batch size changes only the rounding)
    assert torch.allclose(guided[1], cond[1], rtol=0, atol=1e-12)


def test_no_guidance_means_a_single_conditional_batch():
    model, text, x, mask = _setup()
    counting = _Counting(model)
    with torch.no_grad():
        guided_x0(counting, x, torch.full((4,), 3), text, mask, 1.0)
    assert counting.batches == [(4, None)]


def test_always_unconditional_rows_stay_unconditional():
    model, text, x, mask = _setup()
    t = torch.full((4,), 2)
    drop = torch.tensor([False, True, False, False])
    with torch.no_grad():
        guided = guided_x0(model, x, t, text, mask, 2.5, drop)
        uncond = model(x, t, text, mask, torch.ones(4, dtype=torch.bool))
    assert torch.allclose(guided[1], uncond[1], rtol=0, atol=1e-12)


def _gaussian_ideal_denoiser(schedule, mu, var):
    """E[x0 | x_t] for data x0 ~ N(mu, var I): the best possible x0 predictor (closed form)."""

    def predict(x_t, timestep):
        ab = schedule.alpha_bar(timestep)
        gain = math.sqrt(ab) * var / (ab * var + 1 - ab)
        return mu + gain * (x_t - math.sqrt(ab) * mu)

    return predict


@pytest.mark.parametrize("num_timesteps", [100, 1000])
def test_invert_then_sample_reconstructs_with_an_ideal_denoiser(num_timesteps):
    """MDM's inversion convention (data at level 0, latent = predicted noise) reconstructs up
    to an O(1/T) discretisation error when the denoiser is exact."""
    schedule = NoiseSchedule.from_name("cosine", num_timesteps)
    mu = torch.linspace(-1, 1, 263, dtype=torch.float64)
    predict = _gaussian_ideal_denoiser(schedule, mu, 0.5)
    g = torch.Generator().manual_seed(0)
    x = mu + math.sqrt(0.5) * torch.randn(2, 30, 263, generator=g, dtype=torch.float64)
    scheduler = DDIMScheduler(schedule)
    latents = ddim_invert(predict, x, scheduler)
    back = sample(predict, latents, scheduler)
    err = ((back - x).abs().max() / x.abs().max()).item()
    assert err < 3.0 / num_timesteps
    assert latents.std().item() == pytest.approx(1.0, abs=0.05)  # latents look like noise


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread (and do not fight other processes for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_invert_then_sample_reconstructs_on_a_tiny_trained_denoiser(one_thread):
    """A tiny denoiser fitted for a few seconds to low-rank data reconstructs its inputs."""
    torch.manual_seed(0)
    schedule = NoiseSchedule.from_name("cosine", 100)
    basis = torch.randn(4, 263) / 2

    def data(n):
        return torch.randn(n, 8, 4) @ basis

    model = tiny_denoiser(dropout=0.0, num_layers=1).train()
    untrained = tiny_denoiser(dropout=0.0, num_layers=1).eval()
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(300):
        x0 = data(48)
        t = torch.randint(0, 100, (48,))
        x_t = schedule.q_sample(x0, t, torch.randn_like(x0))
        loss = (model(x_t, t, None) - x0).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x = data(2)
    scheduler = DDIMScheduler(schedule)

    def error(net):
        predict = make_x0_predictor(net, None)
        back = sample(predict, ddim_invert(predict, x, scheduler), scheduler)
        return ((back - x).norm() / x.norm()).item()

    trained_error, untrained_error = error(model), error(untrained)
    assert trained_error < 0.25  # relative RMS; about 0.13 here, 1.1 untrained
    assert trained_error < untrained_error / 4


def test_sampling_loops_call_back_every_step_and_are_seeded():
    model, text, x, mask = _setup()
    schedule = NoiseSchedule.from_name("cosine", 8)
    predict = make_x0_predictor(model, text, mask, 2.5)
    seen = []
    out = sample(
        predict,
        x,
        DDPMScheduler(schedule),
        generator=torch.Generator().manual_seed(3),
        callback=lambda i, t, x_, x0: seen.append((i, t)),
    )
    assert seen == [(i, 7 - i) for i in range(8)]
    again = sample(predict, x, DDPMScheduler(schedule), generator=torch.Generator().manual_seed(3))
    other = sample(predict, x, DDPMScheduler(schedule), generator=torch.Generator().manual_seed(4))
    assert torch.equal(out, again) and not torch.allclose(out, other)
    respaced = DDIMScheduler(schedule, schedule.respaced_timesteps(3))
    seen.clear()
    sample(predict, x, respaced, callback=lambda i, t, x_, x0: seen.append(t))
    assert seen == [7, 4, 0]


@pytest.mark.parametrize("eta", [0.0, 0.7])
def test_ddim_sampling_float64_end_to_end(eta):
    model, text, x, mask = _setup()
    scheduler = DDIMScheduler(NoiseSchedule.from_name("cosine", 6), eta=eta)
    out = sample(
        make_x0_predictor(model, text, mask, 2.5),
        x,
        scheduler,
        generator=torch.Generator().manual_seed(0),
    )
    assert out.dtype == torch.float64 and torch.isfinite(out).all()


def test_corrected_inversion_reconstructs_closer():
    """Fixed-point corrections make each inversion step one that DDIM sampling undoes: the
    reconstruction error shrinks well below plain inversion's, and each corrected latent is
    mapped by one sampling step back onto the previous one."""
    schedule = NoiseSchedule.from_name("cosine", 10)
    mu = torch.linspace(-1, 1, 263, dtype=torch.float64)
    predict = _gaussian_ideal_denoiser(schedule, mu, 0.5)
    g = torch.Generator().manual_seed(1)
    x = mu + math.sqrt(0.5) * torch.randn(2, 30, 263, generator=g, dtype=torch.float64)
    scheduler = DDIMScheduler(schedule)

    def error(corrections: int) -> float:
        back = sample(
            predict, ddim_invert(predict, x, scheduler, corrections=corrections), scheduler
        )
        return ((back - x).abs().max() / x.abs().max()).item()

    plain, corrected = error(0), error(8)
    assert corrected < plain / 3
    # one corrected step, checked against the sampler's own step
    trajectory = []
    ddim_invert(
        predict, x, scheduler, corrections=8, callback=lambda i, t, s, p: trajectory.append(s)
    )
    t1 = scheduler.timesteps[1]
    back_one = scheduler.step(predict(trajectory[0], t1), t1, trajectory[0])
    plain_one = []
    ddim_invert(predict, x, scheduler, callback=lambda i, t, s, p: plain_one.append(s))
    plain_back = scheduler.step(predict(plain_one[0], t1), t1, plain_one[0])
    assert (back_one - x).abs().max() < (plain_back - x).abs().max() / 4
