"""Motion quality measures, as pure functions on arrays.

- Distribution measures on learned motion descriptors ``[N, D]`` (e.g. a motion classifier's
  penultimate layer, see `momo.evaluation.classifier`): Fréchet distance (FID) and diversity
  (MDM's definition: mean distance between randomly paired motions).
- Physical plausibility on joint positions ``[T, 22, 3]`` (metres, Y up, floor at Y = 0, 20 fps,
  as `momo.features_to_joints` returns them): foot skating ratio, jitter, root height.

None of these needs a learned text-motion evaluator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from momo.constants import FPS

logger = logging.getLogger(__name__)

#: Toe joints of the HumanML3D skeleton (L_foot, R_foot): the joints that rest on the floor.
TOE_JOINTS = (10, 11)
#: A toe is in contact when it is below this height (metres) in two consecutive frames.
CONTACT_HEIGHT = 0.05
#: A toe in contact skates when its horizontal speed exceeds this (metres per second;
#: 0.5 m/s = 2.5 cm per frame at 20 fps).
SKATING_SPEED = 0.5
#: Pairs MDM draws for its diversity measure.
DIVERSITY_PAIRS = 300


# ---------------------------------------------------------------------------------------------
# Distribution measures


def _check_descriptors(x: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(f"{what} must be [N >= 2, D] descriptors, got {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contains NaN or Inf")
    return array


def gaussian_statistics(descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and covariance ``[D, D]`` (unbiased, rows are samples) of ``[N, D]``."""
    x = _check_descriptors(descriptors, "descriptors")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def frechet_distance(
    mu_a: np.ndarray,
    sigma_a: np.ndarray,
    mu_b: np.ndarray,
    sigma_b: np.ndarray,
    eps: float = 1e-6,
) -> float:
    """Fréchet distance between the Gaussians N(mu_a, sigma_a) and N(mu_b, sigma_b).

    ``|mu_a - mu_b|^2 + tr(sigma_a + sigma_b - 2 (sigma_a sigma_b)^(1/2))``, with the matrix
    square root from `scipy.linalg.sqrtm`. When the product is singular (its square root is not
    finite), ``eps`` is added to both diagonals, as the usual FID implementations do; a tiny
    imaginary part from rounding is dropped.

    Args:
        mu_a / mu_b: means ``[D]``.
        sigma_a / sigma_b: covariances ``[D, D]``.
        eps: diagonal offset used only for a singular product.

    Returns:
        the distance (>= 0 up to rounding).
    """
    from scipy import linalg

    mu_a, mu_b = np.atleast_1d(mu_a).astype(np.float64), np.atleast_1d(mu_b).astype(np.float64)
    sigma_a = np.atleast_2d(sigma_a).astype(np.float64)
    sigma_b = np.atleast_2d(sigma_b).astype(np.float64)
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape:
        raise ValueError(
            f"mismatched statistics: means {mu_a.shape} vs {mu_b.shape}, "
            f"covariances {sigma_a.shape} vs {sigma_b.shape}"
        )
    if sigma_a.shape != (mu_a.shape[0], mu_a.shape[0]):
        raise ValueError(f"covariance {sigma_a.shape} does not match mean {mu_a.shape}")
    diff = mu_a - mu_b
    covmean = linalg.sqrtm(sigma_a @ sigma_b)
    if not np.isfinite(covmean).all():
        logger.warning("singular covariance product in the Fréchet distance; adding %g", eps)
        offset = np.eye(sigma_a.shape[0]) * eps
        covmean = linalg.sqrtm((sigma_a + offset) @ (sigma_b + offset))
    if np.iscomplexobj(covmean):
        imaginary = np.max(np.abs(covmean.imag))
        if imaginary > 1e-3 * max(1.0, float(np.max(np.abs(covmean.real)))):
            raise ValueError(f"the Fréchet distance's matrix root has imaginary part {imaginary}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))


def fid(descriptors_a: np.ndarray, descriptors_b: np.ndarray) -> float:
    """Fréchet distance between two descriptor sets ``[N_a, D]`` and ``[N_b, D]`` (FID).

    Each set is summarised by its mean and covariance (`gaussian_statistics`). FID is biased
    upwards for small sets; compare values computed with the same set sizes.
    """
    a = _check_descriptors(descriptors_a, "descriptors_a")
    b = _check_descriptors(descriptors_b, "descriptors_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"descriptor widths differ: {a.shape[1]} vs {b.shape[1]}")
    return frechet_distance(*gaussian_statistics(a), *gaussian_statistics(b))


def diversity(
    descriptors: np.ndarray,
    num_pairs: int = DIVERSITY_PAIRS,
    *,
    seed: int = 0,
) -> float:
    """MDM's diversity: the mean Euclidean distance between randomly paired descriptors.

    Two index lists of ``num_pairs`` are drawn independently, each without replacement (so a
    pair may hold the same motion twice, as in MDM); the result is the mean distance between
    the paired rows. With fewer than ``num_pairs`` motions, ``num_pairs`` becomes N.

    Args:
        descriptors: ``[N, D]``.
        num_pairs: pairs to draw (MDM: 300).
        seed: seed of the draw.
    """
    x = _check_descriptors(descriptors, "descriptors")
    if num_pairs < 1:
        raise ValueError(f"num_pairs must be >= 1, got {num_pairs}")
    pairs = min(int(num_pairs), x.shape[0])
    rng = np.random.default_rng(seed)
    first = rng.choice(x.shape[0], pairs, replace=False)
    second = rng.choice(x.shape[0], pairs, replace=False)
    return float(np.linalg.norm(x[first] - x[second], axis=1).mean())


# ---------------------------------------------------------------------------------------------
# Physical plausibility


def _check_joints(joints: np.ndarray, min_frames: int) -> np.ndarray:
    array = np.asarray(joints, dtype=np.float64)
    if array.ndim != 3 or array.shape[2] != 3 or array.shape[1] < 12:
        raise ValueError(f"joints must be [T, J >= 12, 3] positions, got {list(array.shape)}")
    if array.shape[0] < min_frames:
        raise ValueError(f"need at least {min_frames} frames, got {array.shape[0]}")
    return array


def skating_frames(
    joints: np.ndarray,
    *,
    foot_joints: Sequence[int] = TOE_JOINTS,
    contact_height: float = CONTACT_HEIGHT,
    speed_threshold: float = SKATING_SPEED,
    fps: float = FPS,
) -> np.ndarray:
    """Which frame transitions skate: a foot in contact slides horizontally.

    A foot joint is in contact over the transition t -> t+1 when its height (Y) is below
    ``contact_height`` at both frames; it skates when, in contact, its XZ speed exceeds
    ``speed_threshold``. A transition skates when any foot joint skates.

    Args:
        joints: ``[T, 22, 3]`` metres, floor at Y = 0, T >= 2.
        foot_joints: joints checked (default the toes, 10 and 11).
        contact_height: metres.
        speed_threshold: metres per second.
        fps: frames per second of ``joints``.

    Returns:
        bool ``[T - 1]``.
    """
    x = _check_joints(joints, 2)
    feet = x[:, list(foot_joints)]
    speed = np.linalg.norm(feet[1:, :, [0, 2]] - feet[:-1, :, [0, 2]], axis=-1) * fps
    height = feet[:, :, 1]
    contact = (height[1:] < contact_height) & (height[:-1] < contact_height)
    return np.any(contact & (speed > speed_threshold), axis=1)


def foot_skating_ratio(
    joints: np.ndarray,
    *,
    foot_joints: Sequence[int] = TOE_JOINTS,
    contact_height: float = CONTACT_HEIGHT,
    speed_threshold: float = SKATING_SPEED,
    fps: float = FPS,
) -> float:
    """Fraction of frame transitions in which a foot in contact skates (see `skating_frames`).

    Args:
        joints: ``[T, 22, 3]`` metres, floor at Y = 0, T >= 2.
        foot_joints / contact_height / speed_threshold / fps: as in `skating_frames`.

    Returns:
        a ratio in [0, 1]: 1 when a planted foot slides in every frame, 0 when no planted foot
        ever slides.
    """
    skating = skating_frames(
        joints,
        foot_joints=foot_joints,
        contact_height=contact_height,
        speed_threshold=speed_threshold,
        fps=fps,
    )
    return float(np.mean(skating))


def jitter(joints: np.ndarray, fps: float = FPS) -> float:
    """Mean joint acceleration magnitude (m/s^2) over joints and frames.

    The acceleration is the second finite difference ``(p[t+1] - 2 p[t] + p[t-1]) * fps^2``;
    motion at constant velocity has zero jitter.

    Args:
        joints: ``[T, J, 3]`` metres, T >= 3.
        fps: frames per second.
    """
    x = _check_joints(joints, 3)
    acceleration = (x[2:] - 2.0 * x[1:-1] + x[:-2]) * fps**2
    return float(np.linalg.norm(acceleration, axis=-1).mean())


@dataclass(frozen=True)
class MotionSetQuality:
    """Physical plausibility of a set of motions.

    Attributes:
        num_motions: motions measured.
        foot_skating_ratio: mean over motions of `foot_skating_ratio`.
        jitter: mean over motions of `jitter` (m/s^2).
        root_height_mean: mean root (pelvis) height over every frame of every motion (m).
        root_height_std: standard deviation of the root height over those frames (m).
    """

    num_motions: int
    foot_skating_ratio: float
    jitter: float
    root_height_mean: float
    root_height_std: float

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return asdict(self)


def motion_set_quality(joints: Sequence[np.ndarray]) -> MotionSetQuality:
    """Skating, jitter and root height of motions ``[T_i, 22, 3]`` (each T_i >= 3)."""
    motions = [_check_joints(j, 3) for j in joints]
    if not motions:
        raise ValueError("no motions to measure")
    heights = np.concatenate([m[:, 0, 1] for m in motions])
    return MotionSetQuality(
        num_motions=len(motions),
        foot_skating_ratio=float(np.mean([foot_skating_ratio(m) for m in motions])),
        jitter=float(np.mean([jitter(m) for m in motions])),
        root_height_mean=float(heights.mean()),
        root_height_std=float(heights.std()),
    )
