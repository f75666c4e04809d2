"""The benchmark runner end to end on a tiny model, a tiny HumanML3D folder and a tiny evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import momo
import momo.data
from kit import tiny_model
from momo.errors import EvaluationError, OutputExistsError
from momo.evaluation import T2MEvaluator, run_benchmark
from momo.evaluation.summary import auxiliary_metrics

from .hml_kit import write_tiny_humanml3d
from .t2m_kit import write_tiny_evaluator

SHORT_IDS = ("000001", "000004", "000005")
#: 33 pairs of short motions: one full batch of 32 for R-precision, one pair dropped.
PAIRS = [[a, b] for a in SHORT_IDS for b in SHORT_IDS if a != b] * 6
PAIRS = PAIRS[:33]


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("kit")
    return {
        "model": tiny_model(num_timesteps=4, num_layers=2, dtype=torch.float32),
        "dataset": momo.data.HumanML3D(write_tiny_humanml3d(root / "hml")),
        "evaluator": T2MEvaluator.load(write_tiny_evaluator(root / "evaluator")),
    }


def test_full_run_writes_the_table_and_resumes(kit: dict, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = (kit["model"], kit["dataset"], PAIRS)
    options = dict(
        evaluator=kit["evaluator"], baselines=("leader", "nn_motion"), progress=False, num_steps=2
    )
    report = run_benchmark(*args, out_dir=out, **options)
    assert sorted(p.name for p in out.iterdir()) == [
        "pairs", "settings.json", "summary.json", "summary.md", "summary.png"
    ]  # fmt: skip
    assert len(list((out / "pairs").glob("*.json"))) == 33
    summary = report.summary
    assert list(summary) == ["momo", "leader", "nn_motion"]
    for row in summary.values():
        assert row["pairs"] == 33 and row["fid"] is not None
        assert len(row["r_precision"]) == 3 and len(row["r_precision_paper"]) == 3
        assert np.all(np.diff(row["r_precision"]) >= 0)
    # The leader as output matches its leader perfectly and follows nothing of the follower.
    assert summary["leader"]["leader_foot_contact"] == 1.0
    assert summary["leader"]["leader_root_distance"] == 0.0
    assert summary["leader"]["follower_position_similarity"] == 0.0
    # Every nn_motion frame is a follower frame.
    assert summary["nn_motion"]["follower_rotation_similarity"] == 1.0
    written = json.loads((out / "summary.json").read_text())
    assert written["summary"] == json.loads(json.dumps(summary))
    assert written["settings"]["baselines"] == ["leader", "nn_motion"]
    assert "| momo |" in (out / "summary.md").read_text()

    stamps = {p: p.stat().st_mtime_ns for p in (out / "pairs").iterdir()}
    again = run_benchmark(*args, out_dir=out, **options)
    assert again.summary == report.summary
    assert {p: p.stat().st_mtime_ns for p in (out / "pairs").iterdir()} == stamps
    with pytest.raises(EvaluationError, match="other settings"):
        run_benchmark(*args, out_dir=out, **{**options, "baselines": ("leader",)})
    with pytest.raises(OutputExistsError, match="resume"):
        run_benchmark(*args, out_dir=out, resume=False, **options)


def test_pair_metrics_equal_a_one_off_transfer(kit: dict) -> None:
    report = run_benchmark(
        kit["model"], kit["dataset"], [["000004", "000001"]], progress=False, seed=5
    )
    dataset = kit["dataset"]
    leader = momo.Motion(dataset.motion("000004"), text="a person sits slowly")
    follower = momo.Motion(dataset.motion("000001"), text="a person walks forward")
    result = momo.transfer(kit["model"], leader, [follower], seed=5, progress=False)
    expected = auxiliary_metrics(result.outputs[0].features, leader.features, follower.features)
    assert report.pairs[0]["methods"]["momo"]["metrics"] == pytest.approx(expected, abs=1e-12)
    joints = result.metrics()[0]
    assert expected["leader_foot_contact_joints"] == joints.leader_foot_contact
    assert expected["follower_rotation_similarity"] == joints.follower_rotation_similarity
    assert "fid" not in report.summary["momo"]  # no evaluator: auxiliary metrics only


def test_long_motions_are_cropped_and_counted(kit: dict) -> None:
    report = run_benchmark(
        kit["model"], kit["dataset"], [["000003", "000001"]], baselines=("follower",),
        progress=False, num_steps=2,
    )  # fmt: skip
    assert report.pairs[0]["cropped"] and report.pairs[0]["leader_frames"] == 196
    assert report.summary["momo"]["cropped_pairs"] == 1


def test_bad_input_fails_before_any_work(kit: dict, tmp_path: Path) -> None:
    out = tmp_path / "never"
    args = (kit["model"], kit["dataset"])
    with pytest.raises(EvaluationError, match="999999"):
        run_benchmark(*args, [["000001", "999999"]], out_dir=out, progress=False)
    with pytest.raises(EvaluationError, match="MoST"):
        run_benchmark(*args, [["000001", "000004"]], baselines=("most",), out_dir=out)
    with pytest.raises(EvaluationError, match="unknown transfer options"):
        run_benchmark(*args, [["000001", "000004"]], out_dir=out, layerz=[1])
    with pytest.raises(EvaluationError, match="mode"):
        run_benchmark(*args, [["000001", "000004"]], mode="both", out_dir=out)
    with pytest.raises(EvaluationError, match="leader_id"):
        run_benchmark(*args, [["000001"]], out_dir=out)
    assert not out.exists()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("user file")
    with pytest.raises(OutputExistsError, match="not empty"):
        run_benchmark(*args, [["000001", "000004"]], out_dir=tmp_path / "busy", progress=False)


def test_gen_mode_generates_both_from_captions(kit: dict) -> None:
    report = run_benchmark(
        kit["model"], kit["dataset"], [["000004", "000001"]], mode="gen",
        baselines=("leader", "inpainting"),
        progress=False, num_steps=2, seed=3,
    )  # fmt: skip
    record = report.pairs[0]
    # The generated leader has the real leader's length; the output is the leader's length.
    assert record["leader_frames"] == 88
    assert report.summary["leader"]["leader_root_distance"] == 0.0
    # Inpainting keeps the leader's root channels, hence its path.
    assert report.summary["inpainting"]["leader_root_distance"] < 1e-4
    assert report.settings["mode"] == "gen"


def test_mtb_pair_list(shared_data: Path) -> None:
    from momo.evaluation.pairs import load_pairs, subset

    path = shared_data / "benchmarks" / "mtb.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    pairs = load_pairs(path)
    assert len(pairs) == 842
    assert len({leader for leader, _ in pairs}) == 816
    assert len({follower for _, follower in pairs}) == 55
    chosen = subset(pairs, 512, seed=0)
    assert len(chosen) == 512 == len(set(chosen)) and chosen == sorted(chosen)
    assert subset(pairs, 512, seed=0) == chosen != subset(pairs, 512, seed=1)


def test_ground_truth_as_outputs_gives_fid_zero(kit: dict) -> None:
    # The leaders are exactly the ground-truth entries whose names contain a pair's id.
    pairs = [["000001", "000004"], ["000004", "000005"], ["000005", "000001"]]
    report = run_benchmark(
        kit["model"], kit["dataset"], pairs, evaluator=kit["evaluator"], baselines=("leader",),
        progress=False, num_steps=2,
    )  # fmt: skip
    fid = report.summary["leader"]["fid"]
    assert fid == pytest.approx(0.0, abs=1e-6), fid
    assert report.summary["momo"]["fid"] > 1e-3


def test_motions_are_cropped_to_a_shorter_model_limit(kit: dict) -> None:
    model = tiny_model(num_timesteps=4, num_layers=2, dtype=torch.float32, max_positions=101)
    report = run_benchmark(
        model, kit["dataset"], [["000002", "000004"]], progress=False, num_steps=2
    )
    assert report.pairs[0]["leader_frames"] == 100 and report.pairs[0]["cropped"]
