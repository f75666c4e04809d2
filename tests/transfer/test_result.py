"""`TransferResult`: metrics and the files of `save`."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import momo
from kit import synthetic_motion, tiny_model
from momo.errors import OutputExistsError
from momo.evaluation.metrics import transfer_metrics
from momo.evaluation.table import metrics_table
from momo.pipelines.transfer import transfer
from momo.pipelines.transfer.result import result_files


@pytest.fixture(scope="module")
def result():
    model = tiny_model(seed=0)
    leader = synthetic_motion(24, seed=1, text="a person walks forward")
    follower = synthetic_motion(21, seed=2, text="a person jumps on one leg")
    return transfer(model, leader, [follower, "a man dances"], follower_copies=2, seed=4,
                    progress=False)  # fmt: skip


def test_metrics_against_the_inputs_and_generated_rows(result):
    metrics = result.metrics()
    assert len(metrics) == 2
    expected_real = transfer_metrics(
        result.outputs[0].features, result.leader_input.features,
        result.follower_inputs[0].features,
    )  # fmt: skip
    assert metrics[0] == expected_real
    # a generated follower is measured as denoised (its first copy)
    expected_text = transfer_metrics(
        result.outputs[1].features, result.leader_input.features, result.followers[1].features
    )
    assert metrics[1] == expected_text
    records = result.metrics_records()
    assert records[0]["follower_reference"] == "input"
    assert records[1]["follower_reference"] == "generated"
    table = metrics_table(records)
    lines = table.splitlines()
    assert lines[0].startswith("output") and "contact~leader" in lines[0]
    assert (
        lines[2].startswith("output_0") and f"{expected_real.leader_foot_contact:.3f}" in lines[2]
    )
    assert "a man dances" in lines[3]


def test_save_writes_every_file(result, tmp_path):
    out = tmp_path / "out"
    written = result.save(out, render=False)
    names = sorted(p.name for p in written)
    assert result.has_reconstruction  # a real leader, inverted and denoised
    assert names == sorted(result_files(result.layout, render=False, reconstruction=True))
    assert sorted(os.listdir(out)) == names
    labels = [row.label for row in result.layout.rows]
    assert labels == ["leader", "follower_0", "follower_0_copy1", "follower_1",
                      "follower_1_copy1", "output_0", "output_1"]  # fmt: skip

    data = np.load(out / "results.npy", allow_pickle=True).item()
    rows = result.rows
    frames = max(len(m) for m in rows)
    assert data["motion"].shape == (len(rows), 22, 3, frames)
    assert data["motion"].dtype == np.float32
    assert data["lengths"].tolist() == [len(m) for m in rows]
    assert data["text"] == [m.text or "" for m in rows]
    assert data["num_samples"] == len(rows) and data["num_repetitions"] == 1
    for i, motion in enumerate(rows):
        xyz = data["motion"][i, :, :, : len(motion)].transpose(2, 0, 1)
        np.testing.assert_allclose(xyz, motion.joints(), atol=1e-6)
        # momo's own reader takes the file back
        loaded = momo.load_motion(out / "results.npy", sample=i)
        assert abs(len(loaded) - len(motion)) <= 1

    lines = (out / "results.txt").read_text().splitlines()
    assert lines == [m.text or "" for m in rows]
    for label, motion in zip(labels[1:], rows[1:]):
        np.testing.assert_array_equal(np.load(out / f"{label}.npy"), motion.features)
        assert (out / f"{label}.bvh").read_text().startswith("HIERARCHY")
    # leader.npy is the user's leader; the batch row is labelled as the reconstruction
    np.testing.assert_array_equal(np.load(out / "leader.npy"), result.leader_input.features)
    np.testing.assert_array_equal(
        np.load(out / "leader_reconstruction.npy"), result.leader.features
    )
    assert not np.array_equal(result.leader_input.features, result.leader.features)
    assert (out / "leader_reconstruction.bvh").read_text().startswith("HIERARCHY")

    config = json.loads((out / "config.json").read_text())
    for key in ("layers", "steps", "guidance_scale", "seed", "follower_copies", "num_frames",
                "assign_root_rotation", "noise", "sampler", "model", "rows", "row_lengths",
                "reference_rounding", "leader", "followers"):  # fmt: skip
        assert key in config, key
    assert config["seed"] == 4 and config["follower_copies"] == 2
    assert config["rows"] == labels

    metrics = json.loads((out / "metrics.json").read_text())["outputs"]
    assert [m["output"] for m in metrics] == ["output_0", "output_1"]
    for record, values in zip(metrics, result.metrics()):
        for key, value in values.as_dict().items():
            assert record[key] == pytest.approx(value)


def test_save_never_overwrites_without_permission(result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "config.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="config.json"):
        result.save(out, render=False)
    # nothing was written before the refusal
    assert sorted(os.listdir(out)) == ["config.json", "notes.txt"]
    assert (out / "config.json").read_text() == "{}"
    result.save(out, render=False, overwrite=True)
    assert json.loads((out / "config.json").read_text())["seed"] == 4
    assert (out / "notes.txt").read_text() == "mine"
    assert not [n for n in os.listdir(out) if n.startswith(".")]  # no temporary files left
    with pytest.raises(OutputExistsError):
        result.save(out / "config.json", render=False)


def test_generated_or_reused_leaders_write_no_reconstruction(tmp_path):
    model = tiny_model(seed=1)
    generated = transfer(model, "a person walks", ["a person jumps"], num_frames=20,
                         progress=False, seed=0)  # fmt: skip
    assert not generated.has_reconstruction
    names = {p.name for p in generated.save(tmp_path / "a", render=False)}
    assert names == set(result_files(generated.layout, render=False))
    assert "leader_reconstruction.npy" not in names
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "leader.npy"), generated.leader.features)
    reused = transfer(model, synthetic_motion(20, seed=1), [synthetic_motion(20, seed=2)],
                      reuse_inversion=True, progress=False, seed=0)  # fmt: skip
    assert not reused.has_reconstruction
    names = {p.name for p in reused.save(tmp_path / "b", render=False)}
    assert "leader_reconstruction.npy" not in names
    np.testing.assert_array_equal(
        np.load(tmp_path / "b" / "leader.npy"), reused.leader_input.features
    )


def test_save_renders_the_two_videos(tmp_path):
    model = tiny_model(seed=1)
    small = transfer(model, synthetic_motion(20, seed=1), ["a person jumps"], progress=False,
                     seed=0)  # fmt: skip
    written = small.save(tmp_path, render=True)
    names = {p.name for p in written}
    assert {"transfer.mp4", "followers.mp4"} <= names
    for name in ("transfer.mp4", "followers.mp4"):
        assert (tmp_path / name).stat().st_size > 1000
