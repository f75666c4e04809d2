"""The training cache of a HumanML3D folder: clips, caption spans, split, Mean/Std, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.hml_kit import write_tiny_humanml3d
from kit import WordEncoder
from momo.cli.main import main
from momo.data.dataset import TrainingSet
from momo.data.humanml3d import Caption
from momo.data.humanml3d_build import build_humanml3d_cache, motion_clips
from momo.errors import MomoError


def hml_folder(root: Path) -> Path:
    """The evaluation tests' tiny folder with a train/test split and non-trivial Mean/Std."""
    write_tiny_humanml3d(root)
    (root / "train.txt").write_text("000001\n000002\nM000002\n000003\n")
    (root / "test.txt").write_text("000004\n000005\n")
    rng = np.random.default_rng(1)
    np.save(root / "Mean.npy", rng.standard_normal(263).astype(np.float32))
    np.save(root / "Std.npy", rng.uniform(0.1, 2.0, 263).astype(np.float32))
    return root


def build(root: Path):  # noqa: ANN201
    return build_humanml3d_cache(root, WordEncoder(token_dim=8, pooled_dim=6), progress=False)


def test_clips_spans_split_and_statistics(tmp_path: Path) -> None:
    root = hml_folder(tmp_path / "hml")
    cache = build(root)
    by_name = {clip.label.name: (row, clip) for row, clip in enumerate(cache.clips)}
    # 000003 has 230 frames (> 199): skipped with all its captions, as HumanML3D's loader does.
    # The "waves" line of 000002 spans 0.0-1.0 s = 20 frames (< 40): no clip of its own.
    assert set(by_name) == {"000001", "000002:20-80", "000002", "M000002", "000004", "000005"}
    assert {name: clip.split for name, (_, clip) in by_name.items()} == {
        "000001": "train", "000002:20-80": "train", "000002": "train", "M000002": "train",
        "000004": "test", "000005": "test",
    }  # fmt: skip
    motion = np.load(root / "new_joint_vecs" / "000002.npy")
    row, span = by_name["000002:20-80"]
    # "a person jumps#...#1.0#4.0": frames int(1.0 * 20) to int(4.0 * 20).
    np.testing.assert_array_equal(cache.clip_features(row), motion[20:80])
    assert [cache.captions[i] for i in span.captions] == ["a person jumps"]
    row, whole = by_name["000002"]
    np.testing.assert_array_equal(cache.clip_features(row), motion)
    assert [cache.captions[i] for i in whole.captions] == ["a person jumps up and down"]
    row, first = by_name["000001"]
    assert [cache.captions[i] for i in first.captions] == [
        "a person walks forward",
        "someone walks",
    ]
    assert by_name["M000002"][1].label.mirrored and not whole.label.mirrored
    np.testing.assert_array_equal(cache.mean, np.load(root / "Mean.npy"))
    np.testing.assert_array_equal(cache.std, np.load(root / "Std.npy"))
    assert cache.text_encoder == "words" and cache.text_pooled.shape == (len(cache.captions), 6)


def test_span_rules() -> None:
    lines = [
        Caption("whole", (), 0.0, 0.0),
        Caption("early", (), 0.5, 3.0),  # frames 10-60
        Caption("same span", (), 0.5, 3.0),
        Caption("past the end", (), 5.0, 20.0),  # frames 100-400, cut to 100-180
        Caption("too short", (), 2.0, 3.5),  # 30 frames
    ]
    clips = motion_clips("000007", 180, lines)
    assert [(c.name, c.captions) for c in clips] == [
        ("000007:10-60", ("early", "same span")),
        ("000007:100-180", ("past the end",)),
        ("000007", ("whole",)),
    ]
    assert motion_clips("000007", 200, lines) == [] and motion_clips("000007", 39, lines) == []
    # Without a whole-motion line the motion itself is no clip, only its spans.
    assert [c.name for c in motion_clips("000007", 180, lines[1:2])] == ["000007:10-60"]


def test_whole_windows_keep_each_clip_length(tmp_path: Path) -> None:
    cache = build(hml_folder(tmp_path / "hml"))
    data = TrainingSet(cache, min_frames=40, max_frames=196, crop="whole")
    batch = data.sample_batch(16, np.random.default_rng(0))
    lengths = batch.frame_mask.sum(1).tolist()
    expected = [cache.clips[row].frames for row in batch.clip_rows.tolist()]
    assert lengths == expected
    with pytest.raises(MomoError, match="crop"):
        TrainingSet(cache, crop="middle")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "Std.npy").unlink(), "Std.npy not found"),
        (lambda root: (root / "test.txt").unlink(), "test.txt not found"),
        (lambda root: (root / "train.txt").write_text("000001\n000004\n"), "both train.txt"),
        (lambda root: (root / "train.txt").write_text("000009\n000003\n"), "no motion of"),
        (lambda root: np.save(root / "Std.npy", np.zeros(263, np.float32)), "<= 0"),
        (lambda root: [p.unlink() for p in (root / "texts").glob("*")], "no motion of"),
    ],
)
def test_partial_folders_are_clear_errors(tmp_path: Path, damage, message: str) -> None:  # noqa: ANN001
    root = hml_folder(tmp_path / "hml")
    damage(root)
    with pytest.raises(MomoError, match=message):
        build(root)


def test_missing_parts_and_listed_files(tmp_path: Path) -> None:
    with pytest.raises(MomoError, match="not found"):
        build(tmp_path / "nothing")
    root = hml_folder(tmp_path / "hml")
    (root / "texts" / "000004.txt").unlink()
    (root / "train.txt").write_text("000001\n000002\nM000002\n000003\n000404\n")
    cache = build(root)
    assert {clip.label.name for clip in cache.clips if clip.split == "test"} == {"000005"}
    notes = " ".join(cache.info["notes"])
    assert "1 ids of train.txt/test.txt: listed but no motion file" in notes
    assert "1 ids of train.txt/test.txt: no caption file" in notes
    (tmp_path / "flat").mkdir()
    with pytest.raises(MomoError, match="lacks new_joint_vecs/"):
        build(tmp_path / "flat")


def test_cli_rejects_options_of_other_builds(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    root = hml_folder(tmp_path / "hml")
    cache = str(tmp_path / "c.safetensors")
    cases = [
        (["--humanml3d", str(root), "--from", str(root)], "--from do not apply to --humanml3d"),
        (["--humanml3d", str(root), "--test-fraction", "0.2"], "--test-fraction do not apply"),
        (["--from", str(root), "--clip", str(root)], "--clip apply to --humanml3d DIR only"),
        (["--humanml3d", str(root), "--clip", str(root)], "not part of the 'minilm' text encoder"),
        (["--humanml3d", str(tmp_path / "missing")], "missing not found"),
        (
            ["--humanml3d", str(root), "--text-encoder", "clip", "--clip", str(tmp_path)],
            "no config.json there",
        ),
    ]
    for options, fragment in cases:
        assert main(["data", "build", *options, "--cache", cache, "--no-progress"]) == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1 and fragment in lines[0], lines
    assert not Path(cache).exists()
