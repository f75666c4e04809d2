"""End to end on a user's folder: `momo data build --from`, `momo train`, `momo transfer`.

The folder is made in the test from real captures (Bandai Namco dataset 1 and CMU subject 131),
each cut to a few seconds so the whole run stays small.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np

from kit import tiny_384_run_config, train_with_cli
from momo.cli.main import main
from momo.data.cache import DataCache

TINY_OWN = tiny_384_run_config(
    steps=3, batch_size=4, min_frames=40, max_frames=60, checkpoint_every=3
)


def cut_bvh(text: str, keep_seconds: float) -> str:
    """The BVH ``text`` with only its first ``keep_seconds`` of frames."""
    header, motion = text.split("MOTION", 1)
    lines = [line for line in motion.strip().splitlines() if line.strip()]
    frame_time = float(lines[1].split(":")[1])
    frames = lines[2:][: max(1, round(keep_seconds / frame_time))]
    body = "\n".join([f"Frames: {len(frames)}", lines[1], *frames])
    return f"{header}MOTION\n{body}\n"


def make_folder(data: Path, folder: Path, count: int = 24) -> Path:
    """``count`` Bandai Namco clips in content sub-folders with sidecars, CMU clips through a
    JSON mapping file, and one broken file; returns the mapping file."""
    with tarfile.open(data / "bandai-namco" / "dataset-1.tar.xz") as archive:
        taken = 0
        for member in archive:
            if not member.name.endswith(".bvh"):
                continue
            _, content, style, _ = Path(member.name).stem.split("_")
            sub = folder / content
            sub.mkdir(parents=True, exist_ok=True)
            text = archive.extractfile(member).read().decode()  # type: ignore[union-attr]
            path = sub / Path(member.name).name
            path.write_text(cut_bvh(text, 3.0))
            words = content.replace("-", " ")
            path.with_suffix(".txt").write_text(
                f"a person does a {words} in a {style} way\nsomeone does a {words} on the left\n"
            )
            taken += 1
            if taken == count:
                break
    for bvh in sorted((data / "cmu-131").glob("*.bvh")):
        (folder / bvh.name).write_text(cut_bvh(bvh.read_text(), 3.0))
    (folder / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{")
    mapping = folder / "captions.json"
    mapping.write_text(
        json.dumps(
            {
                "131_01": ["a person walks in a dance style", "someone steps to the right"],
                "131_02.bvh": "a person hops",
                "131_03": "a person hops on one foot",
                "broken": "a broken file",
            }
        )
    )
    return mapping


def test_folder_to_model_to_transfer(shared_data: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    folder = tmp_path / "clips"
    mapping = make_folder(shared_data, folder)
    cache = tmp_path / "own.safetensors"
    build = ["data", "build", "--from", str(folder), "--captions", str(mapping)]
    assert main([*build, "--cache", str(cache), "--workers", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    data = DataCache.load(cache)
    originals = [c for c in data.clips if not c.label.mirrored]
    # Some captures are shorter than the shortest window (2 s) and are skipped like bad files.
    assert f"Skipped {28 - len(originals)} of 28 files:" in printed
    assert "broken.bvh: " in printed and len(originals) >= 20
    assert {c.split for c in originals} == {"train", "test"}
    mirrored_captions = {
        data.captions[i] for c in data.clips if c.label.mirrored for i in c.captions
    }
    assert "someone steps to the left" in mirrored_captions

    run = train_with_cli(TINY_OWN, cache, tmp_path, "own")
    assert "Reached step 3/3" in capsys.readouterr().out
    model = run / "model"
    assert (model / "model.safetensors").is_file()
    np.testing.assert_allclose(np.load(model / "Mean.npy"), data.mean, rtol=1e-6)

    out = tmp_path / "transfer"
    leader = str(folder / "131_02.bvh")
    transfer = ["transfer", "--model", str(model), "--leader", leader, "--out", str(out)]
    follower = ["--follower", "a person hops on one foot", "--seed", "0", "--no-video"]
    assert main([*transfer, *follower, "--sampling-steps", "3", "--frames", "40"]) == 0
    assert (out / "results.npy").is_file()
    result = np.load(out / "results.npy", allow_pickle=True).item()
    assert np.isfinite(result["motion"]).all()
