"""Quality measures on constructed cases whose answers are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln

from momo.evaluation.quality import (
    CONTACT_HEIGHT,
    SKATING_SPEED,
    diversity,
    fid,
    foot_skating_ratio,
    frechet_distance,
    gaussian_statistics,
    jitter,
    motion_set_quality,
    skating_frames,
)

FPS = 20


def _random_covariance(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


# ---------------------------------------------------------------------------------------------
# FID


def test_frechet_distance_of_identical_gaussians_is_zero() -> None:
    rng = np.random.default_rng(0)
    sigma = _random_covariance(rng, 6)
    mu = rng.normal(size=6)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_diagonal_gaussians_matches_closed_form() -> None:
    # For diagonal covariances the trace term is sum_i (sqrt(a_i) - sqrt(b_i))^2.
    a = np.array([1.0, 4.0, 0.25, 9.0])
    b = np.array([4.0, 1.0, 1.0, 9.0])
    mu_a = np.array([0.0, 1.0, -2.0, 0.5])
    mu_b = np.array([3.0, 1.0, 2.0, 0.5])
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert expected == pytest.approx(9 + 16 + 1 + 1 + 0.25)
    got = frechet_distance(mu_a, np.diag(a), mu_b, np.diag(b))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_of_scaled_full_covariance() -> None:
    # sigma_b = 4 sigma_a: tr(sigma_a + 4 sigma_a - 2 * 2 sigma_a) = tr(sigma_a).
    rng = np.random.default_rng(1)
    sigma = _random_covariance(rng, 5)
    got = frechet_distance(np.zeros(5), sigma, np.zeros(5), 4 * sigma)
    assert got == pytest.approx(np.trace(sigma), rel=1e-8)


def test_fid_of_samples_from_identical_gaussians_is_near_zero() -> None:
    rng = np.random.default_rng(2)
    sigma = _random_covariance(rng, 4)
    chol = np.linalg.cholesky(sigma)
    a = rng.normal(size=(20000, 4)) @ chol.T + 1.0
    b = rng.normal(size=(20000, 4)) @ chol.T + 1.0
    assert fid(a, a) == pytest.approx(0.0, abs=1e-6)
    assert 0.0 <= fid(a, b) < 0.01


def test_fid_of_samples_from_shifted_gaussians_equals_squared_shift() -> None:
    rng = np.random.default_rng(3)
    sigma = _random_covariance(rng, 4)
    chol = np.linalg.cholesky(sigma)
    shift = np.array([1.0, -2.0, 0.0, 0.5])
    a = rng.normal(size=(20000, 4)) @ chol.T
    # The same samples shifted: equal covariances, means apart by exactly `shift`.
    assert fid(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-6)
    # Independent samples: the estimate's error is ~2 |shift| |mean error| ~ 0.06 here.
    b = rng.normal(size=(20000, 4)) @ chol.T + shift
    assert fid(a, b) == pytest.approx(float(shift @ shift), abs=0.25)


def test_fid_matches_frechet_distance_of_sample_statistics() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) * 2
    mu_a, sigma_a = gaussian_statistics(a)
    assert np.allclose(sigma_a, np.cov(a.T))
    assert fid(a, b) == pytest.approx(frechet_distance(mu_a, sigma_a, *gaussian_statistics(b)))


def test_fid_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="widths differ"):
        fid(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="N >= 2"):
        fid(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        fid(np.full((5, 3), np.nan), np.zeros((5, 3)))


# ---------------------------------------------------------------------------------------------
# Diversity


def test_diversity_of_identical_motions_is_zero_and_scales_linearly() -> None:
    assert diversity(np.ones((50, 8))) == 0.0
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 8))
    assert diversity(3.0 * x, seed=1) == pytest.approx(3.0 * diversity(x, seed=1))


def test_diversity_of_standard_gaussian_matches_expected_distance() -> None:
    # x - y ~ N(0, 2 I_d): E|x - y| = sqrt(2) * E[chi_d] = 2 * Gamma((d+1)/2) / Gamma(d/2).
    d = 16
    expected = 2.0 * math.exp(gammaln((d + 1) / 2) - gammaln(d / 2))
    x = np.random.default_rng(6).normal(size=(20000, d))
    assert diversity(x, num_pairs=5000, seed=0) == pytest.approx(expected, rel=0.02)


def test_diversity_is_seeded_and_caps_pairs_at_set_size() -> None:
    x = np.random.default_rng(7).normal(size=(30, 4))
    assert diversity(x, seed=3) == diversity(x, seed=3)
    # 30 motions: 300 pairs become 30, i.e. two permutations of the set.
    rng = np.random.default_rng(3)
    first, second = rng.choice(30, 30, replace=False), rng.choice(30, 30, replace=False)
    expected = np.linalg.norm(x[first] - x[second], axis=1).mean()
    assert diversity(x, seed=3) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# Foot skating, jitter, root height


def _standing(frames: int) -> np.ndarray:
    """A still body: every joint 1 m up except the toes, which rest on the floor."""
    joints = np.zeros((frames, 22, 3))
    joints[:, :, 1] = 1.0
    joints[:, 10] = [0.1, 0.0, 0.1]
    joints[:, 11] = [-0.1, 0.0, 0.1]
    return joints


def test_skating_ratio_of_a_static_planted_foot_is_zero() -> None:
    assert foot_skating_ratio(_standing(40)) == 0.0


def test_skating_ratio_of_a_sliding_planted_foot_is_one() -> None:
    joints = _standing(40)
    joints[:, 10, 2] += np.arange(40) * (1.0 / FPS)  # 1 m/s along Z, on the floor
    assert foot_skating_ratio(joints) == 1.0
    assert skating_frames(joints).shape == (39,)


def test_skating_needs_contact_and_speed_above_thresholds() -> None:
    slow = _standing(40)
    slow[:, 11, 0] += np.arange(40) * (0.8 * SKATING_SPEED / FPS)
    assert foot_skating_ratio(slow) == 0.0
    lifted = _standing(40)
    lifted[:, 10, 1] = 2 * CONTACT_HEIGHT
    lifted[:, 10, 0] += np.arange(40) * (2.0 / FPS)  # swinging foot in the air
    assert foot_skating_ratio(lifted) == 0.0


def test_skating_ratio_counts_the_sliding_fraction() -> None:
    # The left toe slides during the first 10 transitions only, then stays planted.
    joints = _standing(41)
    steps = np.minimum(np.arange(41), 10) * (1.0 / FPS)
    joints[:, 10, 0] += steps
    assert foot_skating_ratio(joints) == pytest.approx(10 / 40)


def test_jitter_of_constant_velocity_is_zero_and_of_constant_acceleration_is_its_magnitude() -> (
    None
):
    t = np.arange(30) / FPS
    joints = _standing(30)
    joints += np.array([0.3, 0.0, -1.2])[None, None] * t[:, None, None]
    assert jitter(joints) == pytest.approx(0.0, abs=1e-9)
    acceleration = np.array([3.0, 4.0, 0.0])  # |a| = 5 m/s^2
    joints = joints + 0.5 * acceleration[None, None] * (t**2)[:, None, None]
    assert jitter(joints) == pytest.approx(5.0, rel=1e-9)


def test_motion_set_quality_pools_root_heights() -> None:
    a, b = _standing(10), _standing(30)
    a[:, 0, 1] = 0.8
    b[:, 0, 1] = 1.0
    quality = motion_set_quality([a, b])
    heights = np.r_[np.full(10, 0.8), np.full(30, 1.0)]
    assert quality.num_motions == 2
    assert quality.root_height_mean == pytest.approx(heights.mean())
    assert quality.root_height_std == pytest.approx(heights.std())
    assert quality.foot_skating_ratio == 0.0
    assert quality.jitter == pytest.approx(0.0, abs=1e-9)
    assert set(quality.as_dict()) == {
        "num_motions",
        "foot_skating_ratio",
        "jitter",
        "root_height_mean",
        "root_height_std",
    }


def test_plausibility_measures_reject_bad_shapes() -> None:
    with pytest.raises(ValueError, match="joints must be"):
        foot_skating_ratio(np.zeros((10, 22)))
    with pytest.raises(ValueError, match="at least 3 frames"):
        jitter(np.zeros((2, 22, 3)))
    with pytest.raises(ValueError, match="no motions"):
        motion_set_quality([])
