"""Building the training cache from a user's folder of captioned motions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from momo.cli.main import main
from momo.data.folder import FOLDER_SOURCE, FolderConfig, build_folder_cache, scan_folder
from momo.data.sidecars import caption_lines, read_caption_mapping
from momo.errors import MomoError

ASSETS = Path(__file__).resolve().parents[2] / "src" / "momo" / "assets" / "default"


def _features(frames: int, seed: int) -> np.ndarray:
    """Plausible raw features: the bundled Mean pose with a little seeded noise."""
    mean = np.load(ASSETS / "Mean.npy").astype(np.float32)
    noise = np.random.default_rng(seed).normal(scale=0.01, size=(frames, mean.shape[0]))
    return (mean + noise).astype(np.float32)


def test_caption_lines_and_mapping_files(tmp_path: Path) -> None:
    assert caption_lines("a person waves#a/DET person/NOUN#0.0#0.0\n\n  jumps  up \n") == [
        "a person waves",
        "jumps up",
    ]
    csv = tmp_path / "captions.csv"
    csv.write_text('file,caption\nsub/a.bvh,"walks, then stops"\nsub/a.bvh,strolls\nb,hops\n')
    assert read_caption_mapping(csv) == {"sub/a": ["walks, then stops", "strolls"], "b": ["hops"]}
    js = tmp_path / "captions.json"
    js.write_text(json.dumps({"a.npy": "waves", "b": ["hops", "jumps"]}))
    assert read_caption_mapping(js) == {"a": ["waves"], "b": ["hops", "jumps"]}
    bad = tmp_path / "bad.csv"
    bad.write_text("name_of_file,words\nx,y\n")
    with pytest.raises(MomoError, match="caption column"):
        read_caption_mapping(bad)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(MomoError, match="JSON object"):
        read_caption_mapping(tmp_path / "list.json")


def test_scan_finds_motions_sidecars_and_mapping(tmp_path: Path) -> None:
    (tmp_path / "walks").mkdir()
    np.save(tmp_path / "walks" / "w1.npy", _features(60, 0))
    (tmp_path / "walks" / "w1.txt").write_text("a person walks to the left\n")
    np.save(tmp_path / "top.npy", _features(60, 1))
    (tmp_path / "README.txt").write_text("notes about my clips")
    (tmp_path / ".hidden").mkdir()
    np.save(tmp_path / ".hidden" / "x.npy", _features(60, 2))
    scan = scan_folder(tmp_path, {"top": ["a person jumps"], "gone": ["x"]})
    assert [c.label.name for c in scan.clips] == ["top.npy", "walks/w1.npy"]
    assert [c.captions for c in scan.clips] == [
        ("a person jumps",),
        ("a person walks to the left",),
    ]
    assert [c.label.content for c in scan.clips] == ["clip", "walks"]
    assert all(c.label.source == FOLDER_SOURCE for c in scan.clips)
    notes = " ".join(scan.notes)
    assert "README.txt" in notes and "gone" in notes


def test_build_mirrors_captions_and_skips_bad_files(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    for i in range(10):
        np.save(folder / f"c{i}.npy", _features(50 + i, i))
        (folder / f"c{i}.txt").write_text(
            f"a person turns left {i}\nsomeone waves the right hand\n"
        )
    np.save(folder / "short.npy", _features(20, 99))
    (folder / "short.txt").write_text("too short\n")
    np.save(folder / "uncaptioned.npy", _features(60, 98))
    (folder / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{")
    (folder / "broken.txt").write_text("a broken file\n")
    cache = build_folder_cache(FolderConfig(folder, test_fraction=0.2), progress=False)

    dropped = {d["name"]: d["reason"] for d in cache.info["dropped"]}
    assert set(dropped) == {"short.npy", "uncaptioned.npy", "broken.bvh"}
    assert "no caption" in dropped["uncaptioned.npy"]
    assert cache.info["files_found"] == 13 and cache.info["files_skipped"] == 3
    originals = [c for c in cache.clips if not c.label.mirrored]
    mirrors = [c for c in cache.clips if c.label.mirrored]
    assert len(originals) == len(mirrors) == 10
    for original, mirror in zip(originals, mirrors):
        assert mirror.split == original.split
        texts = {cache.captions[i] for i in original.captions}
        mirrored = {cache.captions[i] for i in mirror.captions}
        i = original.label.name[1]
        assert texts == {f"a person turns left {i}", "someone waves the right hand"}
        assert mirrored == {f"a person turns right {i}", "someone waves the left hand"}
    assert sum(c.split == "test" for c in originals) == 2
    train = np.concatenate([cache.clip_features(i) for i in cache.rows("train")])
    np.testing.assert_allclose(cache.mean, train.mean(0), atol=1e-4)


def test_build_without_usable_files_is_one_clear_error(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "in").mkdir()
    np.save(tmp_path / "in" / "a.npy", _features(60, 0))
    out = tmp_path / "cache.safetensors"
    args = ["data", "build", "--from", str(tmp_path / "in"), "--cache", str(out), "--no-progress"]
    assert main([*args, "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "no caption" in err and "Traceback" not in err
    assert main([*args, "--sources", "deepmimic"]) == 2
    assert "leave them out with --from" in capsys.readouterr().err
    assert main(["data", "build", "--from", str(tmp_path / "none"), "--cache", str(out)]) == 2
    assert not out.exists()
