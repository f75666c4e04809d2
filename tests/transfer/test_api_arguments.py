"""momo.generate / momo.transfer refuse seeds and guidance scales that cannot work, as the CLI does."""

from __future__ import annotations

import numpy as np
import pytest

import momo
from kit import tiny_model
from momo.errors import TransferError
from momo.pipelines.seeds import MAX_SEED, resolve_seed

BAD_SEEDS = [2**63, 2**64, -1, 1.5, True, "7"]


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_bad_seeds_are_refused(seed: object) -> None:
    with pytest.raises(TransferError, match="seed"):
        resolve_seed(seed)


def test_good_seeds_pass_through() -> None:
    assert resolve_seed(0) == 0
    assert resolve_seed(MAX_SEED) == MAX_SEED
    assert resolve_seed(np.int64(5)) == 5
    assert 0 <= resolve_seed(None) <= MAX_SEED


@pytest.mark.parametrize("seed", [2**63, -1])
def test_generate_and_transfer_check_the_seed_before_any_work(seed: int) -> None:
    model = tiny_model()
    with pytest.raises(TransferError, match="seed"):
        momo.generate(model, ["a person walks"], num_frames=8, seed=seed, progress=False)
    with pytest.raises(TransferError, match="seed"):
        momo.transfer(model, "a person walks", ["a person runs"], seed=seed, progress=False)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -1.0])
def test_generate_refuses_guidance_that_is_not_finite_and_non_negative(scale: float) -> None:
    with pytest.raises(TransferError, match="guidance_scale"):
        momo.generate(tiny_model(), ["a person walks"], num_frames=8, guidance_scale=scale)
    with pytest.raises(TransferError, match="guidance_scale"):
        momo.transfer(tiny_model(), "a person walks", ["a person runs"], guidance_scale=scale)
