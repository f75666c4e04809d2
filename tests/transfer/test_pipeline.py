"""`momo.transfer`: equivalences with simpler computations, every mode, and the errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import momo
from kit import WordEncoder, synthetic_motion, tiny_model
from momo.errors import TransferError
from momo.models.attention import SDPAProcessor
from momo.pipelines.generate import generate
from momo.pipelines.invert import invert
from momo.pipelines.transfer import transfer

FEATS = 263


@pytest.fixture(scope="module")
def model():
    return tiny_model(seed=0)


@pytest.fixture(scope="module")
def leader():
    return synthetic_motion(30, seed=1, text="a person walks forward")


@pytest.fixture(scope="module")
def follower():
    return synthetic_motion(26, seed=2, text="a person jumps on one leg")


def _rows(result, row_kind: str, j: int = 0) -> torch.Tensor:
    """Normalised float64 rows of the final batch, cut to the row's length."""
    layout = result.layout
    row = {"leader": layout.leader_row, "output": layout.output_rows[j]}.get(row_kind)
    if row is None:
        row = layout.follower_rows(j)[0]
    length = len(result.rows[row])
    return result.samples[row, :length]


def _noise(rows: int, frames: int, seed: int = 5) -> torch.Tensor:
    return torch.randn(rows, frames, FEATS, generator=torch.Generator().manual_seed(seed))


# Equivalences -----------------------------------------------------------------------------------


def test_leader_equal_to_follower_real(model, leader):
    result = transfer(model, leader, [leader], progress=False)
    torch.testing.assert_close(_rows(result, "output"), _rows(result, "leader"), rtol=0, atol=1e-10)
    # and the transfer did mix (the follower row is the leader, so nothing changes)
    assert result.config["layers"] == [1, 2]


def test_leader_equal_to_follower_text(model):
    noise = _noise(1, 40).repeat(2, 1, 1)  # the follower starts from the leader's noise
    result = transfer(model, "a person waves", ["a person waves"], num_frames=40, noise=noise,
                      progress=False)  # fmt: skip
    assert result.config["guidance_scale"]["outputs"] == [2.5]
    torch.testing.assert_close(_rows(result, "output"), _rows(result, "leader"), rtol=0, atol=1e-10)


def test_no_transfer_layers_is_plain_generation_of_the_follower_text_from_the_leaders_noise(model):
    noise = _noise(2, 36)
    for kwargs in ({"layers": []}, {"steps": []}):
        result = transfer(model, "a person runs", ["a person crawls"], num_frames=36, noise=noise,
                          assign_root_rotation=False, progress=False, **kwargs)  # fmt: skip
        plain = generate(model, ["a person crawls"], num_frames=36, guidance_scale=2.5,
                         sampler="ddim", noise=noise[:1], progress=False)  # fmt: skip
        output = result.outputs[0].features
        np.testing.assert_allclose(output, plain[0].features, rtol=0, atol=1e-5)
    # with the default schedule the output is something else
    mixed = transfer(model, "a person runs", ["a person crawls"], num_frames=36, noise=noise,
                     assign_root_rotation=False, progress=False)  # fmt: skip
    assert np.abs(mixed.outputs[0].features - plain[0].features).max() > 1e-2


def test_no_transfer_layers_with_a_real_leader(model, leader):
    result = transfer(model, leader, ["a person crawls"], layers=[], assign_root_rotation=False,
                      progress=False)  # fmt: skip
    latent = invert(model, [leader], progress=False)
    plain = generate(model, ["a person crawls"], num_frames=len(leader), guidance_scale=1.0,
                     sampler="ddim", noise=latent, progress=False)  # fmt: skip
    np.testing.assert_allclose(result.outputs[0].features, plain[0].features, rtol=0, atol=1e-5)


def test_several_followers_in_one_batch_equal_one_transfer_each(model, leader, follower):
    long_follower = synthetic_motion(34, seed=3, text="a man dances")
    followers = [follower, "a person crawls", long_follower]
    noise = _noise(4, 34)  # rows: leader (real), follower 0 (real), text follower, follower 2
    batched = transfer(model, leader, followers, noise=noise, progress=False)
    assert batched.layout.num_rows == 7
    for j, f in enumerate(followers):
        frames = max(len(leader), len(f) if isinstance(f, momo.Motion) else len(leader))
        single = transfer(model, leader, [f], noise=noise[[0, 1 + j], :frames], progress=False)
        torch.testing.assert_close(
            _rows(single, "output"), _rows(batched, "output", j), rtol=0, atol=1e-10
        )
        torch.testing.assert_close(
            _rows(single, "follower"), _rows(batched, "follower", j), rtol=0, atol=1e-10
        )


def test_several_text_followers_with_guidance_equal_one_transfer_each(model):
    followers = ["a person jumps", "a person kicks"]
    noise = _noise(3, 32)
    batched = transfer(model, "a person walks", followers, num_frames=32, noise=noise,
                       progress=False)  # fmt: skip
    for j, f in enumerate(followers):
        single = transfer(model, "a person walks", [f], num_frames=32, noise=noise[[0, 1 + j]],
                          progress=False)  # fmt: skip
        torch.testing.assert_close(
            _rows(single, "output"), _rows(batched, "output", j), rtol=0, atol=1e-10
        )


def test_same_seed_same_result(model, leader):
    a = transfer(model, leader, ["a person jumps", "a man dances"], seed=7, progress=False)
    b = transfer(model, leader, ["a person jumps", "a man dances"], seed=7, progress=False)
    c = transfer(model, leader, ["a person jumps", "a man dances"], seed=8, progress=False)
    for x, y in zip(a.rows, b.rows):
        np.testing.assert_array_equal(x.features, y.features)
    assert np.abs(a.outputs[0].features - c.outputs[0].features).max() > 1e-3
    assert a.config["seed"] == 7
    drawn = transfer(model, leader, ["a person jumps"], progress=False)
    again = transfer(model, leader, ["a person jumps"], seed=drawn.config["seed"], progress=False)
    np.testing.assert_array_equal(drawn.outputs[0].features, again.outputs[0].features)


# Modes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "leader_is_real", "follower_is_real", "guidance"),
    [("real/real", True, True, (1.0, 1.0, 1.0)), ("text/text", False, False, (2.5, 2.5, 2.5)),
     ("real leader, text follower", True, False, (1.0, 2.5, 1.0)),
     ("text leader, real follower", False, True, (2.5, 1.0, 1.0))],
)  # fmt: skip
def test_modes(model, leader, follower, kind, leader_is_real, follower_is_real, guidance):
    lead = leader if leader_is_real else "a person walks in a circle"
    foll = follower if follower_is_real else "a person hops"
    result = transfer(model, lead, [foll], seed=1, num_frames=30, progress=False)
    assert len(result.outputs) == 1
    output = result.outputs[0]
    assert len(output) == len(result.leader)  # the output takes the leader's length
    assert len(result.leader) == 30
    assert output.text == (foll.text if follower_is_real else foll)  # and the follower's text
    assert result.leader.text == (leader.text if leader_is_real else lead)
    g = result.config["guidance_scale"]
    assert (g["leader"], g["followers"][0], g["outputs"][0]) == guidance, kind
    assert np.isfinite(output.features).all()
    assert result.leader_input is (leader if leader_is_real else None)
    assert result.follower_inputs == [follower if follower_is_real else None]
    # the followers are denoised rows of the same batch
    assert len(result.followers[0]) == (len(follower) if follower_is_real else 30)


def test_default_lengths_and_explicit_guidance(model, leader):
    text = transfer(model, "a person walks", ["a person hops"], seed=0, progress=False)
    assert len(text.leader) == len(text.outputs[0]) == len(text.followers[0]) == 120
    real = transfer(model, leader, ["a person hops"], seed=0, progress=False)
    assert len(real.followers[0]) == len(leader)  # text rows default to the real leader's length
    guided = transfer(model, leader, ["a person hops"], seed=0, guidance_scale=3.0, progress=False)
    g = guided.config["guidance_scale"]
    assert (g["leader"], g["followers"], g["outputs"]) == (1.0, [3.0], [3.0])
    assert np.abs(guided.outputs[0].features - real.outputs[0].features).max() > 1e-3


def test_root_rotation_assignment(model, leader, follower):
    on = transfer(model, leader, [follower], progress=False)
    off = transfer(model, leader, [follower], progress=False, assign_root_rotation=False)
    np.testing.assert_array_equal(on.outputs[0].features[:, 0], on.leader.features[:, 0])
    assert not np.allclose(off.outputs[0].features[:, 0], off.leader.features[:, 0])
    np.testing.assert_array_equal(on.outputs[0].features[:, 1:], off.outputs[0].features[:, 1:])
    assert on.config["assign_root_rotation"] and not off.config["assign_root_rotation"]


def test_text_follower_copies_are_distinct_samples(model):
    result = transfer(model, "a person walks", ["a person jumps"], follower_copies=3, seed=2,
                      num_frames=30, progress=False)  # fmt: skip
    copies = result.follower_copies[0]
    assert len(copies) == 3 and result.followers[0] is copies[0]
    assert all(c.text == "a person jumps" for c in copies)
    assert np.abs(copies[0].features - copies[1].features).max() > 1e-2
    assert result.layout.num_rows == 1 + 3 + 1
    single = transfer(model, "a person walks", ["a person jumps"], seed=2, num_frames=30,
                      progress=False)  # fmt: skip
    assert np.abs(single.outputs[0].features - result.outputs[0].features).max() > 1e-3


def test_real_follower_copies_equal_one_copy(model, leader, follower, caplog):
    with caplog.at_level(logging.WARNING, logger="momo.pipelines.transfer.config"):
        three = transfer(model, leader, [follower], follower_copies=3, progress=False)
    assert "heading" in caplog.text
    one = transfer(model, leader, [follower], progress=False)
    # Nothing is turned (a turn would not change the features): the record says only how many.
    assert three.config["follower_copies"] == 3
    assert "follower_copy_rotations_degrees" not in three.config
    copies = three.follower_copies[0]
    assert all(np.array_equal(c.features, copies[0].features) for c in copies[1:])
    torch.testing.assert_close(_rows(three, "output"), _rows(one, "output"), rtol=0, atol=1e-9)


def test_heading_turn_leaves_humanml3d_features_unchanged(shared_data):
    """Why rotated real copies are duplicates: features do not see a turn about +Y."""
    from scipy.spatial.transform import Rotation

    from momo.motion.kinematics import joints_to_features

    joints = np.load(shared_data / "humanml3d-sample" / "new_joints_012314.npy")[:60]
    turned = joints @ Rotation.from_euler("y", 120, degrees=True).as_matrix().T.astype(np.float32)
    a, b = joints_to_features(joints), joints_to_features(turned)
    assert np.abs(a - b).max() < 1e-3
    assert np.abs(turned - joints).max() > 0.1


def test_given_noise_shapes(model):
    per_follower = _noise(2, 30)
    a = transfer(model, "a person walks", ["a person jumps"], noise=per_follower, num_frames=30,
                 follower_copies=2, seed=1, progress=False)  # fmt: skip
    per_copy = torch.cat([per_follower, _noise(1, 30, seed=9)])
    b = transfer(model, "a person walks", ["a person jumps"], noise=per_copy, num_frames=30,
                 follower_copies=2, seed=1, progress=False)  # fmt: skip
    # the first copy follows the given noise in both; the second differs
    torch.testing.assert_close(_rows(a, "follower"), _rows(b, "follower"), rtol=0, atol=0)
    assert not torch.equal(a.samples[2], b.samples[2])
    assert a.config["noise"] == "given"
    with pytest.raises(TransferError, match=r"\[2, 30, 263\] or \[3, 30, 263\]"):
        transfer(model, "a person walks", ["a person jumps"], noise=_noise(2, 29), num_frames=30,
                 follower_copies=2, progress=False)  # fmt: skip


def test_noise_of_real_rows_is_ignored(model, leader, follower):
    a = transfer(model, leader, [follower], noise=_noise(2, 30, seed=1), progress=False)
    b = transfer(model, leader, [follower], noise=_noise(2, 30, seed=2), progress=False)
    np.testing.assert_array_equal(a.outputs[0].features, b.outputs[0].features)


def test_processors_are_restored_and_prompts_encoded_once(model, leader):
    encoder = model.text_encoder
    assert isinstance(encoder, WordEncoder)
    before = encoder.calls
    transfer(model, leader, ["a person jumps", "a person jumps", "a person kicks"], progress=False)
    calls = encoder.batches[before:]
    # the batch's distinct prompts once, and the inverted motion's caption once
    assert sorted(calls) == [
        ["a person jumps", "a person kicks", "a person walks forward"],
        ["a person walks forward"],
    ]
    assert all(isinstance(m.processor, SDPAProcessor) for m in
               model.denoiser.self_attention_modules())  # fmt: skip


def test_progress_bars(model, leader, capsys):
    transfer(model, leader, ["a person jumps"], progress=True)
    err = capsys.readouterr().err
    assert "inverting" in err and "sampling" in err
    transfer(model, leader, ["a person jumps"], progress=False)
    assert capsys.readouterr().err == ""


def test_public_name_is_callable(model, leader):
    import momo.pipelines.transfer.layout  # noqa: F401 - binds the package to the name momo.transfer

    result = momo.transfer(model, leader, ["a person jumps"], progress=False, seed=0)
    assert isinstance(result, momo.TransferResult)


# Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("followers", "kwargs", "fragment"),
    [([], {}, "no followers"), ("a person jumps", {}, "wrap a single follower"),
     (["jump"], {"layers": [3]}, r"layers \[3\] out of range: this model has 3 layers"),
     (["jump"], {"steps": [10]}, r"steps \[10\] out of range"),
     (["jump"], {"follower_copies": 0}, "follower_copies must be >= 1"),
     (["jump"], {"guidance_scale": -1.0}, "guidance_scale"),
     (["jump"], {"num_frames": 197}, "exceeds the model's limit of 196"),
     (["jump"], {"num_frames": 5}, "at least 20 frames"),
     ([""], {}, "prompt is empty"),
     ([np.zeros((30, 263))], {}, "must be a momo.Motion or a prompt")],
)  # fmt: skip
def test_errors(model, followers, kwargs, fragment):
    with pytest.raises(TransferError, match=fragment):
        transfer(model, "a person walks", followers, progress=False, **kwargs)


def test_too_long_and_too_short_real_motions(model, leader):
    long = synthetic_motion(197, seed=4)
    with pytest.raises(TransferError, match=r"197 frames .* at most 196 .* Crop it first"):
        transfer(model, long, ["a person jumps"], progress=False)
    with pytest.raises(TransferError, match="follower 2 has 197 frames"):
        transfer(model, leader, ["a person jumps", long], progress=False)
    short = synthetic_motion(12, seed=4)
    with pytest.raises(TransferError, match="leader has 12 frames"):
        transfer(model, short, ["a person jumps"], progress=False)
    # exactly the limits work
    ok = transfer(model, synthetic_motion(20, seed=4), ["a person jumps"], progress=False, seed=0)
    assert len(ok.outputs[0]) == 20
