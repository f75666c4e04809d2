"""`momo evaluate --data`: a tiny saved model's own benchmark on a tiny synthetic cache."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from kit import tiny_bundle
from momo.cli.main import main
from momo.data.synthetic import synthetic_cache
from momo.evaluation.classifier import ClassifierConfig, train_from_cache
from momo.evaluation.heldout import HeldOutSet, write_pair_list
from momo.models.loading import save_pretrained

#: Trains in about a second; its accuracy does not matter here.
TINY = ClassifierConfig(
    hidden=8, embedding_dim=6, num_blocks=2, kernel_size=3, dropout=0.0, epochs=2,
    batch_size=16, min_frames=20, max_frames=40, min_clips_per_label=2, seed=0,
)  # fmt: skip


def styled_cache(num_clips: int = 48):
    """Synthetic clips of 2 contents x 2 styles, every third clip held out."""
    cache = synthetic_cache(num_clips=num_clips, num_captions=2, min_frames=30, max_frames=48,
                            test_every=3, seed=2)  # fmt: skip
    cache.clips = [
        dataclasses.replace(
            c, label=dataclasses.replace(c.label, style=("calm", "wild")[i // 4 % 2])
        )
        for i, c in enumerate(cache.clips)
    ]
    return cache


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("evaluate_heldout_cli")
    bundle = tiny_bundle(num_timesteps=4, text_token_dim=384, text_pooled_dim=384)
    config = dataclasses.replace(bundle.config, text_encoder="minilm")
    parts = {"denoiser": bundle.denoiser, "config": config, "normalizer": bundle.normalizer}
    cache = styled_cache()
    return {
        "model": save_pretrained(parts, root / "model"),
        "cache": cache.save(root / "cache.safetensors"),
        "classifier": train_from_cache(cache, TINY).save(root / "classifier"),
        "ids": HeldOutSet(cache).ids(),
    }


def _argv(folders: dict, out: Path, *extra: str) -> list[str]:
    return [
        "evaluate", "--data", str(folders["cache"]), "--model", str(folders["model"]),
        "--classifier", str(folders["classifier"]), "--out", str(out), "--sampling-steps", "2",
        "--crop", "24", *extra,
    ]  # fmt: skip


def test_evaluate_data_runs_all_baselines_and_resumes(
    folders: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = _argv(
        folders, out, "--num-pairs", "2", "--followers-per-leader", "2", "--baselines", "all"
    )
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| momo |" in printed and "| inpainting |" in printed and "style pairs (1)" in printed
    written = json.loads((out / "summary.json").read_text())
    assert written["settings"]["evaluator"].startswith("classifier")
    assert written["settings"]["data"]["max_frames"] == 24
    assert set(written["by_kind"]) == {"style", "action"}
    assert written["summary"]["momo"]["r_precision_top3"] is None
    assert (out / "summary.png").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in (out / "pairs").iterdir()}
    assert main(argv) == 0  # resumed: no pair is run again
    assert {p: p.stat().st_mtime_ns for p in (out / "pairs").iterdir()} == stamps


def test_evaluate_data_bad_input_is_one_line(
    folders: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = write_pair_list(tmp_path / "pairs.json", [[folders["ids"][0], "no-such-clip"]])
    assert main(_argv(folders, tmp_path / "a", "--pairs", str(pairs))) == 2
    assert "no-such-clip" in capsys.readouterr().err
    assert main(_argv(folders, tmp_path / "b", "--humanml3d", str(tmp_path))) == 2
    assert "not both" in capsys.readouterr().err
    assert main(_argv(folders, tmp_path / "c", "--evaluator", str(tmp_path))) == 2
    assert "--evaluator" in capsys.readouterr().err
    assert main(_argv(folders, tmp_path / "d", "--crop", "0")) == 2
    assert "crop" in capsys.readouterr().err
    other = tmp_path / "other"
    train_from_cache(styled_cache(num_clips=45), TINY).save(other)
    assert main(_argv(folders, tmp_path / "f", "--classifier", str(other))) == 2
    assert "trained on data" in capsys.readouterr().err
    missing = tmp_path / "missing.safetensors"
    assert main(_argv(folders, tmp_path / "e")[:1] + ["--data", str(missing), "--out", "x"]) == 2
    assert "missing.safetensors" in capsys.readouterr().err
