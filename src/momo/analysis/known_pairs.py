"""Leader/follower pairs whose frame correspondence is known, and how well a matching finds it.

Each pair derives the follower from the leader, so the follower frame that truly corresponds
to every leader frame is known:

- `time_warped_pair`: the leader replayed at a smoothly varying speed (joint positions
  resampled along a monotone warp, then converted back to features);
- `time_shifted_pair`: two windows of the same take, the follower starting ``shift`` frames
  later (leader frame i is follower frame ``i - shift``);
- `mirrored_pair`: the left/right mirror of the leader (same timing, contacts swapped).

`match_accuracy` is the share of leader frames matched within ``tolerance`` frames of the
truth; `pose_error` the mean joint error when each leader frame is replaced by its matched
follower frame's pose (root-relative joint positions in the root's facing frame, the ``ric``
channels, plus the root height); `nearest_neighbour_matches` is the baseline matching in
feature space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from momo.errors import TransferError
from momo.motion.motion import Motion
from momo.motion.representation import RIC, ROOT_HEIGHT

#: Kinds of known pairs, in report order.
PAIR_KINDS: tuple[str, ...] = ("time_warp", "time_shift", "mirror")

#: No true match (e.g. a leader frame outside the follower's window).
NO_MATCH = -1


@dataclass(frozen=True, eq=False)
class KnownPair:
    """A leader, a follower derived from it, and the true follower frame of each leader frame.

    Attributes:
        kind: one of `PAIR_KINDS`.
        leader, follower: the two motions.
        true_match: ``[T_leader]`` int64 follower frame of each leader frame, `NO_MATCH` where
            the follower has no counterpart.
    """

    kind: str
    leader: Motion
    follower: Motion
    true_match: np.ndarray


def warp_times(num_frames: int, follower_frames: int, strength: float) -> np.ndarray:
    """Leader time (in frames) shown at each follower frame: a monotone warp of ``[0, T-1]``.

    ``s(u) = (T - 1) (u - strength sin(2 pi u) / (2 pi))`` for ``u`` evenly spaced in [0, 1];
    ``strength`` in [0, 1) sets how much the speed varies (0: uniform; the speed ranges over
    ``1 +- strength`` times the mean).
    """
    if not 0.0 <= strength < 1.0:
        raise TransferError(f"warp strength must be in [0, 1), got {strength}")
    if num_frames < 2 or follower_frames < 2:
        raise TransferError("a time warp needs at least 2 frames on each side")
    u = np.linspace(0.0, 1.0, follower_frames)
    return (num_frames - 1) * (u - strength * np.sin(2 * np.pi * u) / (2 * np.pi))


def _nearest_follower_frames(leader_frames: int, times: np.ndarray) -> np.ndarray:
    """For each leader frame i, the follower frame whose leader time is closest to i."""
    return (
        np.abs(times[None, :] - np.arange(leader_frames)[:, None]).argmin(axis=1).astype(np.int64)
    )


def time_warped_pair(motion: Motion, *, strength: float = 0.3, stretch: float = 1.0) -> KnownPair:
    """The leader and its replay at varying speed (``stretch`` times as many frames).

    The joint positions (`Motion.joints`) are linearly interpolated at the warped times and
    converted back to features with `momo.joints_to_features`, so velocities and contacts
    match the new speed. Identity (``strength=0, stretch=1``) round-trips the leader through
    joint positions.
    """
    from momo.motion.kinematics import joints_to_features

    joints = np.asarray(motion.joints(), dtype=np.float64)  # [T, 22, 3]; frame i = feature i
    if joints.shape[0] < 2:
        raise TransferError("a time warp needs a motion of at least 2 frames")
    # joints_to_features turns J joint frames into J - 1 feature frames (the last one only
    # gives the velocities of the one before), so the leader gets one more joint frame,
    # continued at its last velocity; follower feature frame j then shows leader time times[j].
    joints = np.concatenate([joints, 2 * joints[-1:] - joints[-2:-1]])
    frames = joints.shape[0]
    follower_frames = max(2, int(round(motion.num_frames * float(stretch))))
    times = warp_times(frames, follower_frames + 1, strength)
    low = np.clip(np.floor(times).astype(np.int64), 0, frames - 1)
    high = np.clip(low + 1, 0, frames - 1)
    weight = (times - low)[:, None, None]
    warped = (1.0 - weight) * joints[low] + weight * joints[high]
    features = np.asarray(joints_to_features(warped.astype(np.float32)), dtype=np.float32)
    follower = Motion(features, text=motion.text, name=f"{motion.name or 'motion'} (time warp)")
    true_match = _nearest_follower_frames(motion.num_frames, times[: follower.num_frames])
    return KnownPair("time_warp", motion, follower, true_match)


def time_shifted_pair(motion: Motion, *, length: int, shift: int) -> KnownPair:
    """Two windows of one take: leader frames ``[0, length)``, follower ``[shift, shift+length)``."""
    if length < 2 or shift < 0 or shift + length > motion.num_frames:
        raise TransferError(
            f"cannot cut two {length}-frame windows {shift} frames apart from a "
            f"{motion.num_frames}-frame motion; choose a shorter length or shift"
        )
    name = motion.name or "motion"
    leader = Motion(motion.features[:length], text=motion.text, name=name)
    follower = Motion(
        motion.features[shift : shift + length], text=motion.text, name=f"{name} (+{shift})"
    )
    true_match = np.arange(length, dtype=np.int64) - shift
    true_match[true_match < 0] = NO_MATCH
    return KnownPair("time_shift", leader, follower, true_match)


def _swap_sides(text: str | None) -> str | None:
    if text is None:
        return None
    table = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}
    return re.sub(r"\b(left|right|Left|Right)\b", lambda m: table[m.group(0)], text)


def mirrored_pair(motion: Motion) -> KnownPair:
    """The leader and its left/right mirror (`momo.motion.mirror.mirror_features`)."""
    from momo.motion.mirror import mirror_features

    follower = Motion(
        np.asarray(mirror_features(motion.features), dtype=np.float32),
        text=_swap_sides(motion.text),
        name=f"{motion.name or 'motion'} (mirror)",
    )
    return KnownPair("mirror", motion, follower, np.arange(motion.num_frames, dtype=np.int64))


def match_accuracy(matches: Any, true_match: Any, tolerance: int = 2) -> float | None:
    """Share of leader frames (with a true match) matched within ``tolerance`` frames of it.

    Args:
        matches: ``[T_l]`` chosen follower frame per leader frame.
        true_match: ``[T_l]`` true follower frame, `NO_MATCH` to leave a frame out.
        tolerance: allowed distance in frames.

    Returns:
        The share in [0, 1], or None when no leader frame has a true match.
    """
    matches, truth = np.asarray(matches), np.asarray(true_match)
    if matches.shape != truth.shape or matches.ndim != 1:
        raise TransferError(
            f"matches {list(matches.shape)} and true matches {list(truth.shape)} must be equal 1-D"
        )
    valid = truth != NO_MATCH
    if not valid.any():
        return None
    return float((np.abs(matches[valid] - truth[valid]) <= tolerance).mean())


def nearest_neighbour_matches(leader: Any, follower: Any) -> np.ndarray:
    """Follower frame nearest (Euclidean) to each leader frame: ``[T_l, D], [T_f, D] -> [T_l]``."""
    from scipy.spatial.distance import cdist

    a, b = np.asarray(leader, dtype=np.float64), np.asarray(follower, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise TransferError(f"cannot compare frames of shapes {list(a.shape)}, {list(b.shape)}")
    return cdist(a, b).argmin(axis=1).astype(np.int64)


def local_pose(features: Any) -> np.ndarray:
    """``[T, 263]`` raw features -> ``[T, 22, 3]`` root-relative joints in the facing frame.

    Joint 0 is the root at its height; joints 1..21 are the ``ric`` channels.
    """
    f = np.asarray(features, dtype=np.float64)
    pose = np.zeros((f.shape[0], 22, 3))
    pose[:, 0, 1] = f[:, ROOT_HEIGHT][:, 0]
    pose[:, 1:] = f[:, RIC].reshape(f.shape[0], 21, 3)
    return pose


def pose_error(
    leader_features: Any, follower_features: Any, matches: Any, true_match: Any | None = None
) -> float:
    """Mean joint error (metres) of each leader frame replaced by its matched follower pose.

    Args:
        leader_features, follower_features: raw features ``[T_l, 263]``, ``[T_f, 263]``.
        matches: ``[T_l]`` follower frame per leader frame.
        true_match: optional; leader frames whose true match is `NO_MATCH` are left out.
    """
    leader = local_pose(leader_features)
    follower = local_pose(follower_features)
    matches = np.asarray(matches, dtype=np.int64)
    keep = np.ones(leader.shape[0], dtype=bool)
    if true_match is not None:
        keep = np.asarray(true_match) != NO_MATCH
    if matches.shape != (leader.shape[0],) or keep.shape != matches.shape:
        raise TransferError(
            f"need one match per leader frame ({leader.shape[0]}), got matches "
            f"{list(matches.shape)}"
        )
    if matches.size and (matches.min() < 0 or matches.max() >= follower.shape[0]):
        raise TransferError(f"matches must be follower frames 0..{follower.shape[0] - 1}")
    distances = np.linalg.norm(leader[keep] - follower[matches[keep]], axis=-1)
    return float(distances.mean())
