"""`momo generate` end to end on a tiny model saved in our format."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kit import tiny_bundle
from momo.cli.main import main
from momo.models.loading import save_pretrained


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    bundle = tiny_bundle(num_timesteps=5, text_token_dim=384, text_pooled_dim=384)
    config = dataclasses.replace(bundle.config, text_encoder="minilm")
    parts = {"denoiser": bundle.denoiser, "config": config, "normalizer": bundle.normalizer}
    return save_pretrained(parts, tmp_path_factory.mktemp("tiny_model"))


def test_generate_writes_motions_and_refuses_to_overwrite(model_dir, tmp_path, capsys):
    out = tmp_path / "gen"
    argv = ["generate", "--text", "a person walks", "--text", "a person walks", "--out", str(out),
            "--model", str(model_dir), "--frames", "12", "--seed", "4", "--steps", "3"]  # fmt: skip
    assert main(argv) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "00_a_person_walks.bvh", "00_a_person_walks.mp4", "00_a_person_walks.npy",
        "01_a_person_walks.bvh", "01_a_person_walks.mp4", "01_a_person_walks.npy",
        "generate.json",
    ]  # fmt: skip
    features = np.load(out / "00_a_person_walks.npy")
    assert features.shape == (12, 263) and np.isfinite(features).all()
    # the same prompt twice in one batch gives two different motions (different noise)
    assert not np.allclose(features, np.load(out / "01_a_person_walks.npy"))
    resolved = json.loads((out / "generate.json").read_text())
    assert resolved["seed"] == 4 and resolved["model_config"]["text_encoder"] == "minilm"
    assert main(argv + ["--no-video"]) == 2
    assert "already exists" in capsys.readouterr().err
    before = (out / "00_a_person_walks.npy").read_bytes()
    assert main(argv + ["--no-video", "--overwrite"]) == 0
    assert (out / "00_a_person_walks.npy").read_bytes() == before  # seeded: same result


def test_generate_reports_a_missing_model(tmp_path, capsys):
    argv = ["generate", "--text", "walk", "--out", str(tmp_path / "o"), "--model",
            str(tmp_path / "nothing.pt")]  # fmt: skip
    assert main(argv) == 2
    assert "not found" in capsys.readouterr().err


def test_generate_pins_feet_at_the_given_steps(model_dir, tmp_path, capsys):
    from momo.motion.fix_feet import fix_feet
    from momo.motion.motion import Motion

    base = ["generate", "--text", "a person walks", "--model", str(model_dir), "--frames", "12",
            "--seed", "4", "--no-video"]  # fmt: skip
    assert main([*base, "--out", str(tmp_path / "plain"), "--pin-feet-steps", "none"]) == 0
    assert main([*base, "--out", str(tmp_path / "pinned"), "--pin-feet-steps", "0:0"]) == 0
    plain = np.load(tmp_path / "plain" / "00_a_person_walks.npy")
    pinned = np.load(tmp_path / "pinned" / "00_a_person_walks.npy")
    expected = fix_feet(Motion(plain), contacts="floor").features
    assert not np.allclose(plain, expected)
    np.testing.assert_allclose(pinned, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    resolved = json.loads((tmp_path / "pinned" / "generate.json").read_text())
    assert resolved["pin_feet_steps"] == [0]
    assert json.loads((tmp_path / "plain" / "generate.json").read_text())["pin_feet_steps"] == []
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "bad"), "--pin-feet-steps", "0:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--pin-feet-steps" in err and "outside 0..4" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "bad").exists()
