"""`transfer_pairs`: pairs over shared leader and follower rows equal each pair run alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kit import synthetic_motion, tiny_model
from momo.errors import TransferError
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.layout import PairLayout, TransferLayout
from momo.pipelines.transfer.pairs import transfer_pairs

#: Outputs of a pipeline run in float32 and float64 differ by float32 rounding times the
#: pipeline's amplification of rounding; the batched and the one-pair float64 runs differ by
#: float64 rounding (other padding and matrix-product grouping) times the same amplification.
#: The tolerance is that amplification, measured, times float64's epsilon, with a margin of 100
#: for differently ordered sums.
MARGIN = 100.0


def _rounding_tolerance(model64, model32, leader, follower, **options) -> float:  # noqa: ANN001
    """Largest float64 rounding difference the pipeline can show for one pair.

    ``reuse_inversion`` is measured without the record (float32 models keep it as int8, which
    is quantisation, not rounding); its replay runs the same DDIM steps."""
    options = {k: v for k, v in options.items() if k != "reuse_inversion"}
    out64 = transfer(model64, leader, [follower], progress=False, **options).outputs[0].features
    out32 = transfer(model32, leader, [follower], progress=False, **options).outputs[0].features
    amplification = float(np.abs(out64 - out32).max()) / np.finfo(np.float32).eps
    return MARGIN * amplification * np.finfo(np.float64).eps


def test_pair_layout_rows_and_mixing_indices() -> None:
    layout = PairLayout(2, 2, ((0, 0), (1, 0), (1, 1)), follower_copies=2)
    assert layout.num_rows == 2 + 4 + 3
    assert layout.pair_rows(1) == [1, 2, 3, 7]
    assert layout.pair_rows(2) == [1, 4, 5, 8]
    idx = layout.mixing_indices(11, "cpu")  # 2 guidance copies after the layout
    assert idx.outputs.tolist() == [6, 7, 8] and not idx.outputs_last
    assert idx.plain[idx.leaders_in_plain].tolist() == [0, 1, 1]
    assert idx.plain[idx.followers_in_plain].tolist() == [[2, 3], [2, 3], [4, 5]]
    # The one-leader special case has TransferLayout's rows.
    classic = TransferLayout(2, 2).mixing_indices(7, "cpu")
    single = PairLayout(1, 2, ((0, 0), (0, 1)), follower_copies=2).mixing_indices(7, "cpu")
    for name in ("plain", "followers_in_plain", "follower_rows", "outputs"):
        assert torch.equal(getattr(classic, name), getattr(single, name))
    with pytest.raises(ValueError, match="every leader"):
        PairLayout(2, 1, ((0, 0),))


@pytest.mark.parametrize(
    "options",
    [
        {"num_steps": 4},
        {"num_steps": 3, "guidance_scale": 2.5, "follower_copies": 2},
        {"num_steps": 4, "reuse_inversion": True, "guidance_scale": 1.5},
        {"num_steps": 4, "leader_root_path": True, "inversion_corrections": 1},
    ],
    ids=["exact", "guided-copies", "reuse-inversion", "root-path-corrections"],
)
def test_pairs_batched_equal_each_pair_alone(options: dict) -> None:
    model = tiny_model(seed=5, num_timesteps=6, num_layers=2)  # float64
    leaders = [synthetic_motion(n, seed=20 + n, text=f"leader {n}") for n in (30, 22, 36)]
    followers = [synthetic_motion(n, seed=40 + n, text=f"follower {n}") for n in (26, 34)]
    # Followers shared by several leaders, a leader shared by two followers, a repeated pair.
    pairs = [
        (leaders[0], followers[0]),
        (leaders[1], followers[0]),
        (leaders[2], followers[0]),
        (leaders[2], followers[1]),
        (leaders[0], followers[0]),
    ]
    batched = transfer_pairs(model, pairs, seeds=[7, 8, 9, 10, 11], **options)
    model32 = tiny_model(seed=5, num_timesteps=6, num_layers=2, dtype=torch.float32)
    tolerance = _rounding_tolerance(model, model32, *pairs[3], **options)
    assert 0 < tolerance < 1e-9, tolerance  # the pipeline does not blow rounding up
    for p, ((leader, follower), got) in enumerate(zip(pairs, batched)):
        want = transfer(model, leader, [follower], progress=False, seed=7 + p, **options)
        assert got.config == want.config  # same record, seed included
        np.testing.assert_allclose(
            got.outputs[0].features, want.outputs[0].features, rtol=0, atol=tolerance
        )
        np.testing.assert_allclose(
            got.leader.features, want.leader.features, rtol=0, atol=tolerance
        )
        refs = [m.features for m in got.metric_references()[0]]
        assert all(np.array_equal(r, m.features) for r, m in zip(refs, (leader, follower)))
    # The repeated pair is one output row each, from identical inputs.
    np.testing.assert_allclose(
        batched[0].outputs[0].features, batched[4].outputs[0].features, rtol=0, atol=tolerance
    )


def test_pairs_refuse_prompts_noise_and_stored_replays() -> None:
    model = tiny_model(num_timesteps=4, num_layers=2)
    motion = synthetic_motion(20)
    with pytest.raises(TransferError, match="real motions only"):
        transfer_pairs(model, [(motion, "a person jumps")])  # type: ignore[list-item]
    with pytest.raises(TransferError, match="reuse_inversion"):
        transfer_pairs(model, [(motion, motion)], reuse_inversion=True, inversions=object())
    with pytest.raises(TransferError, match="no noise"):
        transfer_pairs(model, [(motion, motion)], noise=torch.zeros(2, 20, 263))
    with pytest.raises(TransferError, match="2 seeds"):
        transfer_pairs(model, [(motion, motion)], seeds=[1, 2])


def test_output_text_conditions_the_outputs() -> None:
    model = tiny_model(seed=2, num_timesteps=6, num_layers=2)  # float64
    leader = synthetic_motion(30, seed=1, text="a person walks")
    follower = synthetic_motion(26, seed=2, text="a person jumps")
    options = dict(layers=[], num_steps=4, progress=False)  # no mixing: plain denoising
    # Without mixing, an output prompted by the leader's text denoises the leader's latent as
    # the leader row does: it reconstructs the leader row.
    led = transfer(model, leader, [follower], output_text="leader", **options)
    np.testing.assert_allclose(led.outputs[0].features, led.leader.features, rtol=0, atol=1e-9)
    assert led.outputs[0].text == "a person walks" and led.config["output_text"] == "leader"
    default = transfer(model, leader, [follower], **options)
    unconditional = transfer(model, leader, [follower], output_text="none", **options)
    assert default.outputs[0].text == "a person jumps" and unconditional.outputs[0].text is None
    for other in (default, unconditional):
        assert np.abs(other.outputs[0].features - led.outputs[0].features).max() > 1e-3
    pairs = transfer_pairs(model, [(leader, follower)], output_text="none", num_steps=4, layers=[])
    np.testing.assert_allclose(
        pairs[0].outputs[0].features, unconditional.outputs[0].features, rtol=0, atol=1e-9
    )
    with pytest.raises(TransferError, match="output_text"):
        transfer(model, leader, [follower], output_text="both", **options)
