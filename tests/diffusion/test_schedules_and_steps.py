"""Schedules and single steps, against closed forms and against each other."""

from __future__ import annotations

import math

import pytest
import torch

from momo.diffusion.ddim import DDIMScheduler
from momo.diffusion.ddpm import DDPMScheduler
from momo.diffusion.schedules import NoiseSchedule
from momo.errors import ModelLoadError


def test_cosine_schedule_closed_form():
    schedule = NoiseSchedule.from_name("cosine", 100)
    f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    # without the 0.999 clip, alpha_bar_t telescopes to f((t+1)/T) / f(0)
    expected = torch.tensor([f((t + 1) / 100) / f(0) for t in range(99)], dtype=torch.float64)
    assert torch.allclose(schedule.alphas_cumprod[:99], expected, rtol=1e-12, atol=0)
    assert schedule.betas[-1] == pytest.approx(0.999)
    assert schedule.alphas_cumprod.dtype == torch.float64


def test_linear_schedule():
    schedule = NoiseSchedule.from_name("linear", 1000)
    assert schedule.betas[0].item() == pytest.approx(1e-4, rel=1e-9)
    assert schedule.betas[-1].item() == pytest.approx(0.02, rel=1e-9)
    short = NoiseSchedule.from_name("linear", 100)
    assert short.betas[-1].item() == pytest.approx(0.2, rel=1e-9)
    with pytest.raises(ModelLoadError):
        NoiseSchedule.from_name("sigmoid", 10)


def test_q_sample_moments():
    schedule = NoiseSchedule.from_name("cosine", 10)
    x0 = torch.full((20000, 1), 2.0, dtype=torch.float64)
    t = torch.full((20000,), 4)
    noise = torch.randn(20000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x_t = schedule.q_sample(x0, t, noise)
    ab = schedule.alphas_cumprod[4].item()
    assert x_t.mean().item() == pytest.approx(2 * math.sqrt(ab), abs=0.02)
    assert x_t.var().item() == pytest.approx(1 - ab, rel=0.03)


def test_respaced_timesteps():
    schedule = NoiseSchedule.from_name("cosine", 100)
    steps = schedule.respaced_timesteps(10)
    assert steps == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]
    assert schedule.respaced_timesteps(100) == list(range(100))
    scheduler = DDIMScheduler(schedule, steps)
    assert scheduler.previous_timestep(33) == 22 and scheduler.previous_timestep(0) == -1
    assert scheduler.next_timestep(99) == 100
    with pytest.raises(ValueError, match="not in"):
        scheduler.previous_timestep(5)


@pytest.mark.parametrize("timesteps", [(), (0, 3, 7, 9)])
def test_ddim_invert_step_is_undone_by_step_with_same_x0(timesteps):
    scheduler = DDIMScheduler(NoiseSchedule.from_name("cosine", 10), timesteps)
    g = torch.Generator().manual_seed(0)
    x_t = torch.randn(3, 5, 7, generator=g, dtype=torch.float64)
    x0 = torch.randn(3, 5, 7, generator=g, dtype=torch.float64)
    for t in scheduler.timesteps[:-1]:
        up = scheduler.invert_step(x0, t, x_t)
        down = scheduler.step(x0, scheduler.next_timestep(t), up)
        assert torch.allclose(down, x_t, rtol=0, atol=1e-12)


def test_ddim_eta_one_equals_ddpm_posterior():
    schedule = NoiseSchedule.from_name("cosine", 10)
    ddim = DDIMScheduler(schedule, eta=1.0)
    ddpm = DDPMScheduler(schedule)
    g = torch.Generator().manual_seed(1)
    x_t, x0, z = (torch.randn(2, 4, 6, generator=g, dtype=torch.float64) for _ in range(3))
    for t in range(10):
        a = ddim.step(x0, t, x_t, noise=z)
        b = ddpm.step(x0, t, x_t, noise=z)
        assert torch.allclose(a, b, rtol=0, atol=1e-12), t


@pytest.mark.parametrize(
    "make",
    [
        lambda s: DDIMScheduler(s),
        lambda s: DDIMScheduler(s, eta=0.5),
        lambda s: DDPMScheduler(s),
        lambda s: DDIMScheduler(s, (1, 4, 8)),
        lambda s: DDPMScheduler(s, (1, 4, 8)),
    ],
)
def test_steps_preserve_the_forward_marginals(make):
    """Given the true x0, a step maps q(x_t | x0) onto q(x_prev | x0) (mean and variance)."""
    schedule = NoiseSchedule.from_name("cosine", 10)
    scheduler = make(schedule)
    g = torch.Generator().manual_seed(2)
    n = 40000
    x0 = torch.full((n, 1, 1), 1.5, dtype=torch.float64)
    t = scheduler.timesteps[-2]
    prev = scheduler.previous_timestep(t)
    noise = torch.randn(n, 1, 1, generator=g, dtype=torch.float64)
    x_t = schedule.q_sample(x0, torch.full((n,), t), noise)
    x_prev = scheduler.step(x0, t, x_t, generator=g)
    ab = schedule.alpha_bar(prev)
    assert x_prev.mean().item() == pytest.approx(1.5 * math.sqrt(ab), abs=0.015)
    assert x_prev.var().item() == pytest.approx(1 - ab, rel=0.03)


def test_reference_rounding_changes_coefficients_slightly():
    schedule = NoiseSchedule.from_name("cosine", 10)
    x_t = torch.randn(2, 3, 4, dtype=torch.float64)
    x0 = torch.randn(2, 3, 4, dtype=torch.float64)
    exact = DDIMScheduler(schedule).invert_step(x0, 2, x_t)
    rounded = DDIMScheduler(schedule, reference_rounding=True).invert_step(x0, 2, x_t)
    diff = (exact - rounded).abs().max().item()
    assert 0 < diff < 1e-6
