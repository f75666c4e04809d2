"""MoMo's auxiliary transfer metrics (the paper's evaluation), as pure functions on arrays.

Every function takes raw (un-normalised) HumanML3D features ``[T, 263]`` or joint positions
``[T, 22, 3]`` as NumPy arrays and needs no learned evaluator. Comparisons between two motions
of different lengths use their shared frames (the first ``min(T_a, T_b)``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Feature slices of the HumanML3D representation; kept local so this module stays importable
# on its own.
_RIC = slice(4, 67)
_ROT6D = slice(67, 193)
_FOOT_CONTACT = slice(259, 263)
# Ankles and toes (left ankle, left toe, right ankle, right toe), as in the feature's contacts.
_FOOT_JOINTS = (7, 10, 8, 11)
# HumanML3D's contact rule: squared displacement to the next frame below this (m^2 per frame).
CONTACT_THRESHOLD = 0.002


def contacts_from_joints(joints: np.ndarray, threshold: float = CONTACT_THRESHOLD) -> np.ndarray:
    """Foot contacts by HumanML3D's rule from joint positions.

    Args:
        joints: ``[T, 22, 3]`` metres, T >= 2.
        threshold: squared per-frame displacement below which a foot joint is in contact.

    Returns:
        bool ``[T - 1, 4]``: left ankle, left toe, right ankle, right toe.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (22, 3) or joints.shape[0] < 2:
        raise ValueError(f"joints must be [T>=2, 22, 3], got {list(joints.shape)}")
    feet = joints[:, list(_FOOT_JOINTS)]
    displacement = np.sum((feet[1:] - feet[:-1]) ** 2, axis=-1)
    return displacement < threshold


def contacts_from_features(features: np.ndarray) -> np.ndarray:
    """Foot contacts read from the feature's contact channels (threshold 0.5): bool ``[T, 4]``."""
    return np.asarray(features)[:, _FOOT_CONTACT] > 0.5


def foot_contact_agreement(contacts_a: np.ndarray, contacts_b: np.ndarray) -> float:
    """Fraction of equal contact labels over the shared frames of two ``[T, 4]`` label arrays."""
    frames = min(len(contacts_a), len(contacts_b))
    if frames == 0:
        raise ValueError("no shared frames to compare")
    return float(np.mean(np.asarray(contacts_a[:frames]) == np.asarray(contacts_b[:frames])))


def root_path_distance(joints_a: np.ndarray, joints_b: np.ndarray) -> float:
    """Mean XZ distance (metres) between the roots of two ``[T, 22, 3]`` motions over shared frames."""
    frames = min(len(joints_a), len(joints_b))
    if frames == 0:
        raise ValueError("no shared frames to compare")
    delta = np.asarray(joints_a)[:frames, 0, [0, 2]] - np.asarray(joints_b)[:frames, 0, [0, 2]]
    return float(np.mean(np.linalg.norm(delta, axis=-1)))


def follower_similarity(output: np.ndarray, leader: np.ndarray, follower: np.ndarray) -> float:
    """Fraction of output frames whose nearest frame, among leader and follower frames, is a follower frame.

    Args:
        output: per-frame descriptors ``[T_o, D]``.
        leader: ``[T_l, D]``.
        follower: ``[T_f, D]``.

    Returns:
        a score in [0, 1]; 1 means every output frame looks most like some follower frame.
        Ties go to the leader, so identical leader and follower score 0.
    """
    output, leader, follower = (np.asarray(a, dtype=np.float64) for a in (output, leader, follower))
    nearest_leader = _min_sq_distance(output, leader)
    nearest_follower = _min_sq_distance(output, follower)
    return float(np.mean(nearest_follower < nearest_leader))


def _min_sq_distance(queries: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """For each query row, the smallest squared Euclidean distance to any row of ``pool``."""
    sq = (
        np.sum(queries**2, axis=1)[:, None]
        - 2.0 * queries @ pool.T
        + np.sum(pool**2, axis=1)[None, :]
    )
    return np.maximum(sq, 0.0).min(axis=1)


@dataclass(frozen=True)
class TransferMetrics:
    """MoMo's auxiliary metrics of one output against its leader and follower."""

    leader_foot_contact: float
    follower_foot_contact: float
    leader_root_distance: float
    follower_root_distance: float
    follower_rotation_similarity: float
    follower_position_similarity: float

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON."""
        return asdict(self)


def transfer_metrics(
    output: np.ndarray,
    leader: np.ndarray,
    follower: np.ndarray,
    *,
    output_joints: np.ndarray | None = None,
    leader_joints: np.ndarray | None = None,
    follower_joints: np.ndarray | None = None,
) -> TransferMetrics:
    """All auxiliary metrics of one output, from raw features ``[T, 263]`` of the three motions.

    Joint positions are computed with `momo.features_to_joints` unless given. Contacts come from
    joint positions by HumanML3D's rule (generated motions' contact channels are predictions,
    not measurements). Similarities use the 6-D rotation channels and the root-relative
    positions (ric) respectively.
    """
    if output_joints is None or leader_joints is None or follower_joints is None:
        from momo.motion.kinematics import features_to_joints

        output_joints = features_to_joints(output) if output_joints is None else output_joints
        leader_joints = features_to_joints(leader) if leader_joints is None else leader_joints
        follower_joints = (
            features_to_joints(follower) if follower_joints is None else follower_joints
        )
    out_contacts = contacts_from_joints(output_joints)
    return TransferMetrics(
        leader_foot_contact=foot_contact_agreement(
            out_contacts, contacts_from_joints(leader_joints)
        ),
        follower_foot_contact=foot_contact_agreement(
            out_contacts, contacts_from_joints(follower_joints)
        ),
        leader_root_distance=root_path_distance(output_joints, leader_joints),
        follower_root_distance=root_path_distance(output_joints, follower_joints),
        follower_rotation_similarity=follower_similarity(
            output[:, _ROT6D], leader[:, _ROT6D], follower[:, _ROT6D]
        ),
        follower_position_similarity=follower_similarity(
            output[:, _RIC], leader[:, _RIC], follower[:, _RIC]
        ),
    )
