"""End to end on a HumanML3D folder: `momo data build --humanml3d`, `momo train`, `momo transfer`;
and the shipped config of MoMo's published model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evaluation.hml_kit import write_tiny_humanml3d
from kit import tiny_384_run_config, train_with_cli
from momo.cli.main import main
from momo.data.cache import DataCache
from momo.training.config import RunConfig

REPO = Path(__file__).resolve().parents[2]

TINY_HML = tiny_384_run_config(
    steps=3, batch_size=4, min_frames=40, max_frames=196, crop="whole",
    checkpoint_every=3, eval_every=3,
)  # fmt: skip


def test_humanml3d_folder_to_model_to_transfer(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    root = write_tiny_humanml3d(tmp_path / "HumanML3D")
    (root / "train.txt").write_text("000001\n000002\nM000002\n000003\n")
    (root / "test.txt").write_text("000004\n000005\n")
    mean = np.random.default_rng(3).standard_normal(263).astype(np.float32)
    np.save(root / "Mean.npy", mean)
    cache = tmp_path / "hml.safetensors"
    build = ["data", "build", "--humanml3d", str(root), "--cache", str(cache), "--no-progress"]
    assert main(build) == 0
    assert "| humanml3d | 5 |" in capsys.readouterr().out
    data = DataCache.load(cache)
    np.testing.assert_array_equal(data.mean, mean)

    run = train_with_cli(TINY_HML, cache, tmp_path, "hml")
    assert "Reached step 3/3" in capsys.readouterr().out
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert any("val_loss" in record for record in log)
    model = run / "model"
    np.testing.assert_array_equal(np.load(model / "Mean.npy"), mean)
    config = tmp_path / "tiny.json"
    other = ["train", "--config", str(config), "--out", str(tmp_path / "runs" / "other")]
    assert main([*other, "--cache", str(cache), "--distilbert", str(tmp_path)]) == 2
    assert "not part of the 'minilm' text encoder" in capsys.readouterr().err

    out = tmp_path / "transfer"
    leader = str(root / "new_joint_vecs" / "000004.npy")
    transfer = ["transfer", "--model", str(model), "--leader", leader, "--out", str(out)]
    follower = ["--follower", "a person jumps", "--seed", "0", "--no-video"]
    assert main([*transfer, *follower, "--sampling-steps", "3"]) == 0
    result = np.load(out / "results.npy", allow_pickle=True).item()
    assert np.isfinite(result["motion"]).all()


def test_published_config_is_momo_shaped() -> None:
    config = RunConfig.from_file(REPO / "configs" / "momo_humanml3d.json")
    denoiser = config.model.denoiser
    assert (denoiser.arch, denoiser.emb_trans_dec) == ("trans_dec", "cls_tcond_cross_cond")
    assert (denoiser.num_layers, denoiser.latent_dim, denoiser.ff_size) == (12, 512, 1024)
    assert (denoiser.num_heads, denoiser.dropout, denoiser.cond_mask_prob) == (4, 0.1, 0.1)
    assert (denoiser.text_token_dim, denoiser.text_pooled_dim) == (768, 512)
    assert config.model.text_encoder == "distilbert+clip"
    assert (config.model.diffusion.num_timesteps, config.model.diffusion.noise_schedule) == (
        100,
        "cosine",
    )
    training = config.training
    assert (training.crop, training.min_frames, training.max_frames) == ("whole", 40, 196)
    small = RunConfig.from_file(REPO / "configs" / "humanml3d_small.json")
    assert small.training.crop == "whole" and small.model.text_encoder == "minilm"


def test_published_config_has_the_official_parameter_count(shared_fixtures: Path) -> None:
    from momo.models.mdm import MotionDenoiser

    reference = json.loads((shared_fixtures / "keys_momo_official.json").read_text())
    config = RunConfig.from_file(REPO / "configs" / "momo_humanml3d.json")
    denoiser = MotionDenoiser(config.model.denoiser)
    # The official count without the two positional tables, which are buffers here.
    expected = reference["num_elements_without_pe_buffers"]
    assert sum(p.numel() for p in denoiser.parameters()) == expected
