"""`momo train` and `momo data card` end to end on a tiny synthetic cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from momo.cli.main import main
from momo.data.synthetic import synthetic_cache

TINY = {
    "model": {
        "denoiser": {
            "num_layers": 1,
            "latent_dim": 16,
            "ff_size": 32,
            "num_heads": 2,
            "text_token_dim": 16,
            "text_pooled_dim": 16,
        },
        "text_encoder": "minilm",
    },
    "training": {
        "steps": 4,
        "batch_size": 2,
        "min_frames": 40,
        "max_frames": 48,
        "log_every": 2,
        "checkpoint_every": 2,
        "sample_every": 0,
        "warmup_steps": 1,
    },
}


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    cache = synthetic_cache(num_clips=6, min_frames=45, max_frames=60).save(
        tmp_path / "cache.safetensors"
    )
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY))
    return cache, config


def test_train_resume_and_export(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    cache, config = files
    out = tmp_path / "run"
    base = ["train", "--out", str(out), "--cache", str(cache), "--no-progress"]
    assert main([*base, "--config", str(config), "--steps", "2"]) == 0
    assert "Reached step 2/2" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["training"]["steps"] == 2
    # A time limit stops the run with a checkpoint and says how to go on.
    assert main([*base, "--resume", "--steps", "4", "--time-limit", "0"]) == 0
    assert "Continue with: momo train" in capsys.readouterr().out
    # A second new run into the same directory is refused; resuming extends it.
    assert main([*base, "--config", str(config)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*base, "--resume", "--steps", "4"]) == 0
    printed = capsys.readouterr().out
    assert "Reached step 4/4" in printed and "exported" in printed
    assert (out / "model" / "model.safetensors").is_file()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [2, 4]
    assert main([*base, "--export-only"]) == 0
    assert main([*base, "--resume", "--seed", "3"]) == 2


def test_train_needs_a_config_and_a_cache(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    cache, config = files
    assert main(["train", "--out", str(tmp_path / "r"), "--cache", str(cache)]) == 2
    assert "needs --config" in capsys.readouterr().err
    missing = tmp_path / "missing.safetensors"
    assert (
        main(
            [
                "train",
                "--out",
                str(tmp_path / "r"),
                "--cache",
                str(missing),
                "--config",
                str(config),
            ]
        )
        == 2
    )
    assert "momo data build" in capsys.readouterr().err


def test_data_card(files: tuple[Path, Path], capsys) -> None:  # noqa: ANN001
    cache, _ = files
    assert main(["data", "card", "--cache", str(cache)]) == 0
    assert "| synthetic |" in capsys.readouterr().out
    assert main(["data", "card", "--cache", str(cache), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert sum(card["total"]["clips"].values()) == 6


def test_resume_of_a_finished_run(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    cache, config = files
    out = tmp_path / "run"
    base = ["train", "--out", str(out), "--cache", str(cache), "--no-progress"]
    assert main([*base, "--config", str(config), "--steps", "2"]) == 0
    capsys.readouterr()
    assert main([*base, "--resume", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already at step 2, past --steps 1" in err
    assert main([*base, "--resume"]) == 0
    assert "already reached step 2/2; nothing to train" in capsys.readouterr().out


def test_ctrl_c_in_training_is_one_line(
    files: tuple[Path, Path], tmp_path: Path, capsys, monkeypatch
) -> None:  # noqa: ANN001
    from momo.training.loop import Trainer

    def interrupted(self, **kwargs):  # noqa: ANN001, ANN003
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "train", interrupted)
    cache, config = files
    out = tmp_path / "run"
    argv = ["train", "--out", str(out), "--cache", str(cache), "--config", str(config)]
    assert main(argv) == 130
    err = capsys.readouterr().err.splitlines()
    assert err == [f"momo train: interrupted: no checkpoint yet; continue with: momo train "
                   f"--out {out} --resume"]  # fmt: skip


def test_wrongly_typed_config_file_is_one_line(files, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    cache, _ = files
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**TINY, "training": {**TINY["training"], "steps": 2.5}}))
    argv = ["train", "--out", str(tmp_path / "r"), "--cache", str(cache), "--config", str(bad)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "steps must be an integer, got 2.5" in err
