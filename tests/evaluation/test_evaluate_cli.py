"""`momo evaluate` end to end on a tiny saved model, a tiny HumanML3D folder and a tiny evaluator."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

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
