"""`momo evaluate` end to end on a tiny saved model, a tiny HumanML3D folder and a tiny evaluator."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from kit import tiny_bundle
from momo.cli.main import main
from momo.models.loading import save_pretrained

from .hml_kit import write_tiny_humanml3d
from .t2m_kit import write_tiny_evaluator


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("evaluate_cli")
    bundle = tiny_bundle(num_timesteps=4, text_token_dim=384, text_pooled_dim=384)
    config = dataclasses.replace(bundle.config, text_encoder="minilm")
    parts = {"denoiser": bundle.denoiser, "config": config, "normalizer": bundle.normalizer}
    pairs = root / "pairs.json"
    pairs.write_text(json.dumps([["000001", "000004"], ["000004", "000005"]]))
    return {
        "model": save_pretrained(parts, root / "model"),
        "hml": write_tiny_humanml3d(root / "hml"),
        "evaluator": write_tiny_evaluator(root / "evaluator"),
        "pairs": pairs,
    }


def _argv(folders: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "evaluate", "--humanml3d", str(folders["hml"]), "--model", str(folders["model"]),
        "--evaluator", str(folders["evaluator"]), "--pairs", str(folders["pairs"]),
        "--out", str(out), "--sampling-steps", "2", *extra,
    ]  # fmt: skip


def test_evaluate_writes_the_summary(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(_argv(folders, out, "--baselines", "leader,nn_softmax", "--layers", "1:-1")) == 0
    printed = capsys.readouterr().out
    assert "| momo |" in printed and "| nn_softmax |" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["transfer_options"] == {"layers": [1], "num_steps": 2}
    assert summary["summary"]["leader"]["pairs"] == 2
    assert (out / "summary.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--baselines", "most"), "unknown baselines"),
        (("--pairs", "missing.json"), "not found"),
        (("--humanml3d", "/nonexistent/hml"), "HumanML3D folder"),
        (("--evaluator", "/nonexistent/evaluator"), "evaluator folder"),
    ],
)
def test_evaluate_errors_are_one_line(
    folders: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    fragment: str,
) -> None:
    assert main([*_argv(folders, tmp_path / "out"), *extra]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("momo evaluate: error: ")
    assert fragment in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_inversion_cache_that_is_a_file_is_one_line(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(folders, tmp_path / "out", "--inversion-cache", str(folders["pairs"]))
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "inversion cache" in lines[0] and "not a folder" in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_sweep_writes_one_run_per_configuration_and_a_table(
    folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps({"sampling_steps": [1, 2], "layers": ["1:-1"]}))
    assert main(_argv(folders, tmp_path / "plain")) == 0  # --sampling-steps 2, all layers
    assert main(_argv(folders, tmp_path / "sweep", "--sweep", str(sweep))) == 0
    printed = capsys.readouterr().out
    assert "| sampling_steps=1 layers=1:-1 |" in printed
    rows = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [r["configuration"] for r in rows] == [
        {"sampling_steps": 1, "layers": "1:-1"},
        {"sampling_steps": 2, "layers": "1:-1"},
    ]
    for row in rows:
        run = json.loads((tmp_path / "sweep" / row["folder"] / "summary.json").read_text())
        assert (
            run["settings"]["transfer_options"]["num_steps"]
            == row["configuration"]["sampling_steps"]
        )
        assert row["summary"] == run["summary"]["momo"]
    # The tiny model has two layers, so layers 1:-1 is the default: the plain run's numbers.
    plain = json.loads((tmp_path / "plain" / "summary.json").read_text())["summary"]["momo"]
    for key, value in plain.items():
        if isinstance(value, float):
            assert rows[1]["summary"][key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
        else:
            assert rows[1]["summary"][key] == value, key
    assert len(list((tmp_path / "sweep" / "inversions").glob("*.npy"))) == 6  # 3 motions x 2


def _sweep_axis(
    folders: dict[str, Path], tmp_path: Path, option: str, values: list
) -> list[tuple[object, dict, dict, np.ndarray]]:
    """Sweep one option; per value: the run's transfer options, MoMo's summary and first
    pair's output."""
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps({option: values}))
    assert main(_argv(folders, tmp_path / "sweep", "--sweep", str(sweep))) == 0
    rows = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    runs = []
    for row in rows:
        run = tmp_path / "sweep" / row["folder"]
        settings = json.loads((run / "summary.json").read_text())["settings"]
        output = np.load(run / "pairs" / "0000.npz")["momo"]
        runs.append(
            (row["configuration"][option], settings["transfer_options"], row["summary"], output)
        )
    return runs


def test_the_output_prompt_axis_conditions_the_outputs(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    from momo.cli.evaluate import OUTPUT_PROMPTS
    from momo.pipelines.transfer.config import OUTPUT_TEXTS

    assert OUTPUT_PROMPTS == OUTPUT_TEXTS
    runs = _sweep_axis(folders, tmp_path, "output_prompt", ["follower", "none"])
    for value, options, _, _ in runs:
        assert options["output_text"] == value
    assert np.abs(runs[0][3] - runs[1][3]).max() > 1e-4  # the prompt reaches the outputs


def test_the_leader_body_axis_keeps_the_leaders_lower_body(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    runs = _sweep_axis(folders, tmp_path, "leader_body", ["none", "lower"])
    for value, options, _, _ in runs:
        assert options["leader_body"] == value
    plain, kept = runs[0][2], runs[1][2]
    # the kept root and legs: the leader's path and foot contacts exactly
    assert plain["leader_root_distance"] > 1e-2 and kept["leader_root_distance"] <= 1e-4
    assert plain["leader_foot_contact"] < 1 and kept["leader_foot_contact"] == 1


def test_the_follower_body_axis_reaches_the_outputs(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    runs = _sweep_axis(folders, tmp_path, "follower_body", ["none", "upper"])
    for value, options, _, _ in runs:
        assert options["follower_body"] == value
    assert np.abs(runs[0][3] - runs[1][3]).max() > 1e-4


@pytest.mark.parametrize(
    ("grid", "fragment"),
    [
        ({"layerz": ["1:-1"]}, "unknown sweep option"),
        ({"sampling_steps": ["ten"]}, "expected int"),
        ({"layers": []}, "non-empty list"),
        ({"layers": ["99:100"]}, "layers"),
        ({"output_prompt": ["both"]}, "output_prompt"),
        ({"leader_body": ["arms"]}, "leader_body"),
        ({"follower_body": ["lower"]}, "follower_body"),
    ],
)
def test_bad_sweeps_fail_before_any_run(
    folders: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    grid: dict,
    fragment: str,
) -> None:
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps(grid))
    assert main(_argv(folders, tmp_path / "out", "--sweep", str(sweep))) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert not (tmp_path / "out").exists()
