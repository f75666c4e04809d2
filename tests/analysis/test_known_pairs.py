"""Known leader/follower frame mappings and the matching scores, on synthetic motions."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.walkers import walker_features
from momo.analysis.known_pairs import (
    NO_MATCH,
    match_accuracy,
    mirrored_pair,
    nearest_neighbour_matches,
    pose_error,
    time_shifted_pair,
    time_warped_pair,
    warp_times,
)
from momo.analysis.outline import gait_phase
from momo.errors import TransferError
from momo.motion.motion import Motion


@pytest.fixture(scope="module")
def walker() -> Motion:
    return Motion(walker_features(60, seed=3), text="a person walks to the left", name="walker")


def _phase_codes(num_frames: int) -> np.ndarray:
    """Unit vectors on a half circle: ``codes[i] . codes[j]`` is largest at ``j == i``."""
    angle = np.linspace(0.0, np.pi, num_frames)
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def test_identity_time_warp_is_matched_everywhere(walker: Motion) -> None:
    pair = time_warped_pair(walker, strength=0.0, stretch=1.0)
    assert pair.follower.num_frames == walker.num_frames
    np.testing.assert_array_equal(pair.true_match, np.arange(walker.num_frames))
    # the follower is the leader round-tripped through joint positions (features -> joints ->
    # features re-fits the skeleton, which moves joints by a few millimetres)
    assert pose_error(walker.features, pair.follower.features, pair.true_match) < 0.01
    codes = _phase_codes(walker.num_frames)
    best = (codes @ codes.T).argmax(axis=1)  # leader queries . follower keys
    assert match_accuracy(best, pair.true_match) == 1.0


def test_a_swapped_follower_scores_low() -> None:
    frames = 60
    codes = _phase_codes(frames)
    reversed_keys = codes[::-1]
    best = (codes @ reversed_keys.T).argmax(axis=1)
    assert match_accuracy(best, np.arange(frames)) <= 5 / frames


def test_time_warp_mapping_points_at_the_same_pose(walker: Motion) -> None:
    pair = time_warped_pair(walker, strength=0.5, stretch=1.25)
    assert pair.follower.num_frames == round(1.25 * walker.num_frames)
    assert (np.diff(pair.true_match) >= 0).all()
    last = pair.follower.num_frames - 1

    def error(offset: int) -> float:
        matches = np.clip(pair.true_match + offset, 0, last)
        return pose_error(walker.features, pair.follower.features, matches)

    # The true mapping fits best; it is not exact (the warp lands between frames, and the
    # features' facing direction is smoothed over time, which a speed change alters).
    errors = {offset: error(offset) for offset in (-4, -2, -1, 0, 1, 2, 4)}
    assert min(errors, key=errors.__getitem__) == 0
    assert errors[0] < 0.05
    assert errors[4] > 2 * errors[0] and errors[-4] > 2 * errors[0]


def test_warp_times_are_monotone_and_span_the_leader() -> None:
    times = warp_times(50, 70, 0.6)
    assert times[0] == 0.0 and times[-1] == pytest.approx(49.0)
    assert (np.diff(times) > 0).all()
    np.testing.assert_allclose(warp_times(50, 50, 0.0), np.arange(50.0), atol=1e-12)
    with pytest.raises(TransferError, match="strength"):
        warp_times(50, 50, 1.0)


def test_time_shifted_windows_line_up(walker: Motion) -> None:
    pair = time_shifted_pair(walker, length=40, shift=10)
    assert pair.leader.num_frames == pair.follower.num_frames == 40
    assert (pair.true_match[:10] == NO_MATCH).all()
    np.testing.assert_array_equal(pair.true_match[10:], np.arange(30))
    matches = np.where(pair.true_match == NO_MATCH, 0, pair.true_match)
    assert pose_error(pair.leader.features, pair.follower.features, matches, pair.true_match) == 0
    with pytest.raises(TransferError, match="matches"):
        pose_error(pair.leader.features, pair.follower.features, matches[10:])
    valid = pair.true_match != NO_MATCH
    np.testing.assert_array_equal(
        pair.leader.features[valid], pair.follower.features[pair.true_match[valid]]
    )
    with pytest.raises(TransferError, match="windows"):
        time_shifted_pair(walker, length=55, shift=10)


def test_mirror_swaps_feet_and_sides_of_the_caption(walker: Motion) -> None:
    pair = mirrored_pair(walker)
    swap = np.array([0, 2, 1, 3])  # flight, right, left, double
    np.testing.assert_array_equal(
        gait_phase(pair.follower.features), swap[gait_phase(walker.features)]
    )
    assert pair.follower.text == "a person walks to the right"
    np.testing.assert_array_equal(pair.true_match, np.arange(walker.num_frames))


def test_nearest_neighbour_recovers_a_permutation_of_distinct_frames() -> None:
    rng = np.random.default_rng(4)
    leader = rng.normal(size=(30, 263))
    order = rng.permutation(30)
    follower = leader[order] + 1e-3 * rng.normal(size=(30, 263))
    truth = np.argsort(order)  # leader frame i sits at follower frame truth[i]
    np.testing.assert_array_equal(nearest_neighbour_matches(leader, follower), truth)


def test_match_accuracy_counts_only_frames_with_a_true_match() -> None:
    truth = np.array([NO_MATCH, 0, 1, 2, 3])
    assert match_accuracy(np.array([9, 1, 3, 2, 9]), truth, tolerance=2) == 0.75
    assert match_accuracy(np.array([9, 1, 3, 2, 9]), truth, tolerance=0) == 0.25
    assert match_accuracy(np.zeros(2, int), np.full(2, NO_MATCH)) is None
