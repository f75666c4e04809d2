"""Float64 parity of the transfer with the reference's numbers (../shared/fixtures/momo_parity_1)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from momo.models.attention import SDPAProcessor, use_processors
from momo.motion.kinematics import features_to_joints
from momo.pipelines.transfer import TransferLayout, TransferSchedule, mixing_processors, transfer

from .fixture_model import fixture_model, fixture_motions, load_fixture, ours


def _relative(ours_: torch.Tensor | np.ndarray, ref: torch.Tensor | np.ndarray) -> float:
    a, b = torch.as_tensor(ours_, dtype=torch.float64), torch.as_tensor(ref, dtype=torch.float64)
    return float((a - b).abs().max() / b.abs().max())


@pytest.fixture(scope="module")
def data(shared_fixtures):
    return load_fixture(shared_fixtures)


@pytest.fixture(scope="module")
def model(data):
    return fixture_model(data)


def test_layout_and_default_schedule_match_the_reference(data, shared_fixtures):
    layout = TransferLayout(num_followers=1)
    idx = data["transfer_idx"]
    assert layout.leader_row == idx["leader"]
    assert layout.follower_rows(0) == idx["follower"]
    assert layout.output_rows == idx["out"]
    c = data["config"]
    schedule = TransferSchedule.resolve(c["num_layers"], c["diffusion_steps"])
    assert list(schedule.layers) == data["transfer_layers"]
    assert list(schedule.steps) == data["transfer_steps"]
    official = json.loads((shared_fixtures / "keys_momo_official.json").read_text())
    schedule = TransferSchedule.resolve(official["config"]["layers"], 100)
    assert list(schedule.layers) == official["default_transfer_layers"]
    assert list(schedule.steps) == official["default_transfer_steps"]
    assert official["default_transfer_idx_one_follower"] == {
        "leader": 0,
        "follower": [1],
        "out": [2],
    }


def test_transfer_mode_single_forward(data, model):
    """One forward in transfer mode: leader/follower rows plain, the out row mixed."""
    denoiser = model.denoiser
    x_t = ours(data["fwd_x_t"])
    batch = x_t.shape[0]
    from momo.models.text_encoders import TextEmbedding

    text = TextEmbedding(
        data["fwd_text_embed"].transpose(0, 1).double(),
        ~data["fwd_text_pad_mask"],
        data["fwd_clip_embed"][0].double(),
    )
    mask = data["transfer_mask"][:, 0, 0]
    timesteps = torch.full((batch,), data["fwd_t"], dtype=torch.long)
    layout = TransferLayout(num_followers=1)
    mixing = mixing_processors(denoiser.self_attention_modules(), data["transfer_layers"], layout)
    with torch.no_grad(), use_processors(mixing):
        out = denoiser(x_t, timesteps, text, mask)
    assert _relative(out, ours(data["fwd_out_transfer"])) < 1e-9
    # the leader and follower rows are plain; the out row really differs from plain
    plain = ours(data["fwd_out_plain"])
    assert _relative(out[:2], plain[:2]) < 1e-9
    assert _relative(out[2], plain[2]) > 1e-3
    assert all(isinstance(m.processor, SDPAProcessor) for m in denoiser.self_attention_modules())


@pytest.mark.parametrize("reference_rounding", [False, True])
def test_real_motion_transfer(data, model, reference_rounding):
    """The whole real-motion transfer through `momo.transfer`, every row, before and after the
    root-rotation assignment, and the joint positions."""
    leader, follower = fixture_motions(data)
    lengths = data["transfer_lengths"].tolist()
    before = transfer(
        model,
        leader,
        [follower],
        progress=False,
        assign_root_rotation=False,
        reference_rounding=reference_rounding,
    )
    after = transfer(
        model, leader, [follower], progress=False, reference_rounding=reference_rounding
    )
    assert before.layout.num_rows == len(lengths) == 3
    exact = "transfer_before_root_rot" if reference_rounding else "coef64_transfer_before_root_rot"
    checks = [
        (before, ours(data["transfer_before_root_rot"])),
        (after, ours(data["transfer_after_root_rot"])),
    ]
    for result, ref in checks:
        assert [len(m) for m in result.rows] == lengths
        for row, (motion, n) in enumerate(zip(result.rows, lengths)):
            # the motion as returned (raw float32 features), normalised again
            normalised = model.normalizer.normalize(motion.features.astype(np.float64))
            assert _relative(normalised, ref[row, :n]) < 1e-5, row
            # the batch in the model's dtype, padded frames included
            assert _relative(result.samples[row], ref[row]) < 1e-5, row
    # with the matching coefficient convention the agreement is at float64 round-off
    assert _relative(before.samples, ours(data[exact])) < 1e-9
    if reference_rounding:
        assert _relative(after.samples, ours(data["transfer_after_root_rot"])) < 1e-9
    # the assignment changed only channel 0 of the out row
    assert not torch.equal(before.samples[2, :, 0], after.samples[2, :, 0])
    assert torch.equal(after.samples[2, :, 0], after.samples[0, :, 0])
    xyz = data["transfer_xyz_after_root_rot"].permute(0, 3, 1, 2).numpy()  # [B, T, 22, 3]
    for row, (motion, n) in enumerate(zip(after.rows, lengths)):
        joints = features_to_joints(motion.features.astype(np.float64))
        assert np.abs(joints - xyz[row, :n]).max() < 1e-4, row
