"""Pairs sharing a follower or a leader run as one batch; each pair's results equal running it
alone."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

import momo
import momo.data
import momo.pipelines.transfer.pairs
from kit import tiny_model
from momo.errors import EvaluationError, TransferError
from momo.evaluation import InversionCache, run_benchmark
from momo.evaluation.runner import model_digest
from momo.evaluation.shards import shard, transfer_groups

from .hml_kit import write_tiny_humanml3d

#: Leaders of different lengths from their followers, so shared batches are padded.
PAIRS = [["000004", "000001"], ["000001", "000005"], ["000004", "000005"], ["000004", "000001"]]
#: MTB's structure: followers shared by several leaders (groups [0, 1, 2] and [3, 4]).
FOLLOWER_PAIRS = [
    ["000004", "000001"],
    ["000002", "000001"],
    ["000005", "000001"],
    ["000001", "000005"],
    ["000004", "000005"],
]


def test_groups_share_followers_or_leaders_in_order_and_shards_cover_them() -> None:
    pairs = [("a", "x"), ("b", "x"), ("a", "y"), ("a", "z"), ("c", "x")]
    groups = transfer_groups(pairs, [0, 1, 2, 3, 4], sharing="leader", max_group=2)
    assert groups == [[0, 2], [1], [3], [4]]
    # x serves 3 pairs, a leads 3: a pair joins its leader only when that is shared by more.
    rows = transfer_groups(pairs, [0, 1, 2, 3, 4], sharing="rows", max_group=2)
    assert rows == [[0, 1], [2, 3], [4]]
    assert transfer_groups(pairs, [1, 2, 3], sharing="rows") == [[1], [2, 3]]
    assert transfer_groups(pairs, [1, 3], sharing="none") == [[1], [3]]
    shards = [shard(groups, rank, 3) for rank in range(3)]
    assert shards == [[[0, 2], [4]], [[1]], [[3]]]
    with pytest.raises(EvaluationError, match="rank 3"):
        shard(groups, 3, 3)
    with pytest.raises(EvaluationError, match="sharing"):
        transfer_groups(pairs, [0], sharing="follower")


@pytest.mark.parametrize(
    ("pairs", "batches"),
    [(PAIRS, [3, 1]), (FOLLOWER_PAIRS, [3, 2])],
    ids=["shared-leader", "shared-follower"],
)
def test_shared_batch_equals_each_pair_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pairs: list, batches: list
) -> None:
    model = tiny_model(num_timesteps=4, num_layers=2)  # float64: rounding far below tolerance
    dataset = momo.data.HumanML3D(write_tiny_humanml3d(tmp_path / "hml"))
    calls = []
    transfer_pairs = momo.pipelines.transfer.pairs.transfer_pairs

    @functools.wraps(transfer_pairs)
    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[1]))
        return transfer_pairs(*args, **kwargs)

    monkeypatch.setattr(momo.pipelines.transfer.pairs, "transfer_pairs", counting)
    options = dict(baselines=("nn_motion",), progress=False, num_steps=3)
    batched = run_benchmark(model, dataset, pairs, out_dir=tmp_path / "batched", **options)
    assert calls == batches
    for index, pair in enumerate(pairs):
        # Alone, with another seed: inversion mode draws no noise.
        alone = run_benchmark(
            model, dataset, [pair], out_dir=tmp_path / f"alone{index}", seed=index, **options
        )
        got = np.load(tmp_path / "batched" / "pairs" / f"{index:04d}.npz")["momo"]
        want = np.load(tmp_path / f"alone{index}" / "pairs" / "0000.npz")["momo"]
        assert got.shape == want.shape
        # Outputs are stored as float32: equal to its rounding (float64 rounding is ~1e-13,
        # see tests/transfer/test_pair_batches.py).
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        got_metrics = batched.pairs[index]["methods"]["momo"]["metrics"]
        assert got_metrics == pytest.approx(alone.pairs[0]["methods"]["momo"]["metrics"], abs=1e-9)
        assert batched.pairs[index]["leader"] == pair[0]
        assert batched.pairs[index]["follower"] == pair[1]


def test_replayed_pairs_share_rows_too(tmp_path: Path) -> None:
    model = tiny_model(num_timesteps=4, num_layers=2)  # float64: records kept in float64
    dataset = momo.data.HumanML3D(write_tiny_humanml3d(tmp_path / "hml"))
    options = dict(progress=False, num_steps=3, reuse_inversion=True)
    batched = run_benchmark(model, dataset, FOLLOWER_PAIRS, **options)
    for index, pair in enumerate(FOLLOWER_PAIRS):
        alone = run_benchmark(model, dataset, [pair], **options)
        assert batched.pairs[index]["methods"]["momo"]["metrics"] == pytest.approx(
            alone.pairs[0]["methods"]["momo"]["metrics"], abs=1e-9
        )


def test_a_second_run_takes_every_inversion_from_the_disk_cache(tmp_path: Path) -> None:
    model = tiny_model(num_timesteps=4, num_layers=2)
    dataset = momo.data.HumanML3D(write_tiny_humanml3d(tmp_path / "hml"))
    digest = model_digest(model)
    options = dict(progress=False, num_steps=3)
    first_cache = InversionCache(tmp_path / "inversions", digest)
    first = run_benchmark(model, dataset, PAIRS, inversion_cache=first_cache, **options)
    # Group 1 inverts 000004, 000001 (one row for two pairs) and 000005; group 2 reuses two.
    assert (first_cache.misses, first_cache.hits) == (3, 2)
    assert len(list((tmp_path / "inversions").glob("*.npy"))) == 3
    second_cache = InversionCache(tmp_path / "inversions", digest)
    second = run_benchmark(model, dataset, PAIRS, inversion_cache=second_cache, **options)
    assert (second_cache.misses, second_cache.hits) == (0, 5)
    for a, b in zip(first.pairs, second.pairs):
        assert a["methods"]["momo"]["metrics"] == pytest.approx(
            b["methods"]["momo"]["metrics"], abs=1e-9
        )
    # Other settings are other entries: fewer steps invert anew.
    third_cache = InversionCache(tmp_path / "inversions", digest)
    run_benchmark(
        model, dataset, PAIRS[:1], inversion_cache=third_cache, progress=False, num_steps=2
    )
    assert third_cache.hits == 0 and third_cache.misses == 2
    with pytest.raises(EvaluationError, match="another model"):
        run_benchmark(
            tiny_model(1, num_timesteps=4, num_layers=2),
            dataset,
            PAIRS,
            inversion_cache=first_cache,
        )


def test_stored_inversions_give_the_transfer_of_fresh_ones(tmp_path: Path) -> None:
    model = tiny_model(num_timesteps=4, num_layers=2)
    rng = np.random.default_rng(0)
    leader = momo.Motion(rng.standard_normal((30, 263)), text="a person walks")
    followers = [
        momo.Motion(rng.standard_normal((n, 263)), text="a person jumps") for n in (24, 40)
    ]
    cache = InversionCache(None, model_digest(model))
    # The followers are inverted alone (and padded in one case), then reused in a new batch.
    for follower in followers:
        momo.transfer(model, leader, [follower], progress=False, inversions=cache)
    assert cache.misses == 3 and cache.hits == 1
    fresh = momo.transfer(model, leader, followers, progress=False)
    stored = momo.transfer(model, leader, followers, progress=False, inversions=cache)
    assert cache.hits == 4
    for a, b in zip(fresh.outputs, stored.outputs):
        np.testing.assert_allclose(a.features, b.features, rtol=1e-9, atol=1e-9)
    with pytest.raises(TransferError, match="reuse_inversion"):
        momo.transfer(
            model, leader, followers, progress=False, reuse_inversion=True, inversions=cache
        )
