"""measure_mechanism on tiny models built so that the answer is known, and the report files."""

from __future__ import annotations

import json

import pytest
import torch

from analysis.walkers import walker_features
from kit import tiny_bundle
from momo.analysis.batch_capture import capture_motions
from momo.analysis.capture import capture_features
from momo.analysis.mechanism import LabelledClip, MechanismConfig, measure_mechanism
from momo.analysis.mechanism_report import report_paths, save_report
from momo.errors import OutputExistsError, TransferError
from momo.motion.motion import Motion
from momo.motion.representation import FOOT_CONTACT

#: A feature channel (a 6-D rotation entry) that carries the clip's content in these tests.
CONTENT_CHANNEL = 100
CONTENTS = ("walk", "run")


def _phase_and_content_model():
    """A tiny model whose layer-0 queries see only the foot contacts (the gait phase) and whose
    layer-0 keys see only `CONTENT_CHANNEL` (the content), at timestep 0 where x_t is x0.

    Frame tokens entering layer 0 are ``W_in x + b`` (positional table zeroed); W_in reads the
    four contact channels into hidden units 0-3 and the content channel into unit 4, and the
    in-projection gives queries only units 0-3 and keys only unit 4.
    """
    model = tiny_bundle(seed=5, num_timesteps=6)
    denoiser = model.denoiser
    attention = denoiser.self_attention_modules()[0]
    d = attention.embed_dim
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        denoiser.sequence_pos_encoder.pe.zero_()
        embed = denoiser.input_process.poseEmbedding
        embed.weight.zero_()
        for unit, channel in enumerate(range(FOOT_CONTACT.start, FOOT_CONTACT.stop)):
            embed.weight[unit, channel] = 1.0
        embed.weight[4, CONTENT_CHANNEL] = 1.0
        weight = attention.in_proj_weight
        weight.zero_()
        weight[:d, :4] = torch.randn(d, 4, generator=generator, dtype=weight.dtype)
        weight[d : 2 * d, 4:5] = torch.randn(d, 1, generator=generator, dtype=weight.dtype)
    return model


def _clips(count: int = 4, frames: int = 40) -> list[LabelledClip]:
    clips = []
    for i in range(count):
        features = walker_features(frames + 4 * i, seed=i, offset=3 * i)
        features[:, CONTENT_CHANNEL] = 2.0 * (i % 2)
        motion = Motion(features, text=f"a person does {CONTENTS[i % 2]}", name=f"clip{i}")
        clips.append(LabelledClip(motion, CONTENTS[i % 2], "normal" if i < 2 else "tired"))
    return clips


@pytest.fixture(scope="module")
def measured():
    model = _phase_and_content_model()
    # as many clusters as there are phases (4) and contents (2): the answer is then exact
    config = MechanismConfig(
        layers=(0,), timesteps=(0,), num_steps=None, batch_size=16, motif_clusters=2
    )
    return model, measure_mechanism(model, _clips(), config)


def test_queries_that_see_only_the_phase_score_as_outline_and_keys_as_motif(measured) -> None:
    _, result = measured
    assert result.outline["query"]["gait_phase"][0, 0] == pytest.approx(1.0)
    assert abs(result.outline["key"]["gait_phase"][0, 0]) < 0.05
    assert result.pooled["key"]["content"][0, 0] == pytest.approx(1.0)
    assert abs(result.pooled["query"]["content"][0, 0]) < 0.1
    assert result.counts["clips"] == 4 and result.counts["clips_with_gait_phase"] == 4
    assert result.counts["pairs_time_warp"] == result.counts["pairs_mirror"] == 4


def test_report_names_queries_outline_like_and_keys_motif_like(measured, tmp_path) -> None:
    model, result = measured
    paths = save_report(result, tmp_path, num_timesteps=model.num_timesteps, title="tiny")
    assert paths == report_paths(tmp_path)
    data = json.loads(paths[0].read_text())
    assert data["summary"]["most_outline_like"] == "query"
    assert data["summary"]["most_motif_like"] == "key"
    assert data["summary"]["cells_claim_holds"] == [[0, 0]]
    assert set(data["correspondence"]) == {"time_warp", "time_shift", "mirror"}
    assert "| query | 1.000 |" in paths[1].read_text()
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(OutputExistsError):
        save_report(result, tmp_path, num_timesteps=model.num_timesteps)


def test_batched_capture_equals_one_motion_at_a_time() -> None:
    model = tiny_bundle(seed=2, num_timesteps=6)
    motions = [
        Motion(walker_features(frames, seed=frames), text=text)
        for frames, text in ((30, "a person walks"), (22, None), (35, "a person runs"))
    ]
    batched = capture_motions(model, motions, layers=(0, 1), timesteps=(0, 3), batch_size=2)
    for motion, features in zip(motions, batched):
        single = capture_features(model, motion, layers=(0, 1), timesteps=(0, 3))
        assert features.queries.shape == (2, 2, motion.num_frames, 32)
        for name in ("queries", "keys", "values"):
            torch.testing.assert_close(getattr(features, name), getattr(single, name))


def test_bad_settings_are_refused() -> None:
    model = tiny_bundle(seed=2, num_timesteps=6)
    with pytest.raises(TransferError, match="at least 2 clips"):
        measure_mechanism(model, _clips(1))
    with pytest.raises(TransferError, match="timesteps"):
        measure_mechanism(model, _clips(2), MechanismConfig(timesteps=(50,), num_steps=None))
    with pytest.raises(TransferError, match="max_frames"):
        MechanismConfig(max_frames=8)
    with pytest.raises(TransferError, match="no motions"):
        capture_motions(model, [])
