"""Baselines of the paper's table, as functions of a leader and a follower (raw features).

- ``leader`` / ``follower``: the output is the leader (or the follower) itself.
- `nn_motion`: every leader frame is replaced by its nearest follower frame, by Euclidean
  distance of the normalised features without the root's velocities (channels 3..262, so the
  match is about pose, height, joint velocities and contacts, not where the root moves).
- `nn_softmax`: the same distances, but each output frame is the softmax-weighted blend of all
  follower frames (weights ``softmax(-d^2 / temperature)``), a soft nearest neighbour.
- `nn_latent`: the follower frame with the highest leader-query x follower-key score in one
  self-attention layer at one timestep of the model (hard attention, as in the paper's
  analysis), read while DDIM-inverting both motions.

- ``inpainting``: MDM inpainting, the leader's root and lower body kept and the rest generated
  with the follower's caption (`momo.evaluation.inpainting`).

Outputs have the leader's length. MoST is not implemented (it needs its own trained network).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from momo.errors import EvaluationError

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel

#: Channels compared by the motion-space baselines (root angular/linear velocity left out).
_POSE = slice(3, 263)


def _descriptors(features: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ((np.asarray(features, np.float64) - mean) / std)[:, _POSE]


def _squared_distances(
    leader: np.ndarray, follower: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    a, b = _descriptors(leader, mean, std), _descriptors(follower, mean, std)
    squared = np.sum(a**2, 1)[:, None] - 2.0 * a @ b.T + np.sum(b**2, 1)[None, :]
    return np.maximum(squared, 0.0)


def nn_motion(
    leader: np.ndarray, follower: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """Nearest follower frame for each leader frame: ``[T_leader, 263]`` float32.

    Args:
        leader, follower: raw features ``[T, 263]``.
        mean, std: the dataset's normalisation ``[263]``.
    """
    frames = _squared_distances(leader, follower, mean, std).argmin(axis=1)
    return np.asarray(follower, np.float32)[frames]


def nn_softmax(
    leader: np.ndarray,
    follower: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    temperature: float = 1.0,
) -> np.ndarray:
    """Softmax-weighted blend of follower frames per leader frame: ``[T_leader, 263]`` float32.

    ``temperature`` is in squared normalised units; as it goes to 0 this becomes `nn_motion`.
    """
    if not temperature > 0:
        raise EvaluationError(f"temperature must be positive, got {temperature}")
    logits = -_squared_distances(leader, follower, mean, std) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=1, keepdims=True)
    return (weights @ np.asarray(follower, np.float64)).astype(np.float32)


def nn_latent(
    model: MotionDiffusionModel,
    leader: np.ndarray,
    follower: np.ndarray,
    *,
    layer: int | None = None,
    timestep: int | None = None,
) -> np.ndarray:
    """The follower frame of highest ``q_leader . k_follower`` for each leader frame.

    Args:
        model: the diffusion model whose attention is read.
        leader, follower: raw features ``[T, 263]``.
        layer: 0-based self-attention layer (default: the middle one).
        timestep: model timestep (default: the middle one).
    """
    from momo.analysis.capture import capture_features
    from momo.analysis.correspondence import correspondences
    from momo.motion.motion import Motion

    num_layers = len(model.denoiser.self_attention_modules())
    layer = num_layers // 2 if layer is None else layer
    timestep = model.num_timesteps // 2 if timestep is None else timestep
    captured = [
        capture_features(model, Motion(m), layers=[layer], timesteps=[timestep])
        for m in (leader, follower)
    ]
    match = correspondences(captured[0].query(layer, timestep), captured[1].key(layer, timestep))
    return np.asarray(follower, np.float32)[match.follower_frames]


#: Baselines the runner knows, besides MoMo itself.
BASELINES = ("leader", "follower", "nn_motion", "nn_softmax", "nn_latent", "inpainting")
