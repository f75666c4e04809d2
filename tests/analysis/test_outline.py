"""Outline labels: gait phase from the contact channels, root phase from the root's bobbing."""

from __future__ import annotations

import numpy as np
import pytest

from momo.analysis.outline import GAIT_PHASES, gait_phase, root_phase
from momo.errors import TransferError
from momo.motion.representation import FOOT_CONTACT, ROOT_HEIGHT


def test_gait_phase_reads_each_foot_from_either_of_its_two_contacts() -> None:
    # (left ankle, left toe, right ankle, right toe) -> expected phase name
    table = {
        (0, 0, 0, 0): "flight",
        (1, 0, 0, 0): "left support",
        (0, 1, 0, 0): "left support",
        (0, 0, 1, 0): "right support",
        (0, 0, 0, 1): "right support",
        (1, 1, 0, 1): "double support",
        (0, 1, 1, 0): "double support",
    }
    features = np.zeros((len(table), 263), np.float32)
    features[:, FOOT_CONTACT] = np.array(list(table), np.float32)
    phases = gait_phase(features)
    assert [GAIT_PHASES[p] for p in phases] == list(table.values())


def test_root_phase_repeats_with_the_bobbing_period() -> None:
    period = 16
    frames = np.arange(8 * period)
    features = np.zeros((frames.size, 263), np.float32)
    features[:, ROOT_HEIGHT] = (
        0.9 + 0.002 * frames + 0.03 * np.sin(2 * np.pi * (frames + 0.3) / period)
    )[:, None]
    phase = root_phase(features, bins=4)
    assert set(phase.tolist()) == {0, 1, 2, 3}
    inner = slice(period, -2 * period)  # the analytic signal is least exact at the ends
    assert (phase[inner] == np.roll(phase, -period)[inner]).mean() > 0.95
    # each sector lasts a quarter period (the samples sit off the sector edges)
    assert np.bincount(phase[inner]).min() >= 0.2 * phase[inner].size


def test_root_phase_of_a_still_root_is_one_sector_and_bad_input_is_refused() -> None:
    still = np.zeros((30, 263), np.float32)
    still[:, ROOT_HEIGHT] = 0.9
    assert (root_phase(still) == 0).all()
    with pytest.raises(TransferError, match="263"):
        gait_phase(np.zeros((5, 12)))
    with pytest.raises(TransferError, match="bins"):
        root_phase(still, bins=1)
