"""Reading a HumanML3D folder: captions with POS tokens and segments, the length filter, ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import momo.data
from momo.errors import EvaluationError

from .hml_kit import write_tiny_humanml3d


@pytest.fixture
def dataset(tmp_path: Path) -> momo.data.HumanML3D:
    return momo.data.HumanML3D(write_tiny_humanml3d(tmp_path / "hml"))


def test_captions_tokens_and_segments(dataset: momo.data.HumanML3D) -> None:
    captions = dataset.captions("000002")
    assert [c.text for c in captions] == [
        "a person jumps up and down",
        "a person jumps",
        "a person waves",
    ]
    assert captions[0].tokens[:3] == ("a/DET", "person/NOUN", "jump/VERB")
    assert captions[0].whole and not captions[1].whole
    assert (captions[1].start, captions[1].end) == (1.0, 4.0)
    assert dataset.captions("M000002")[0].whole  # NaN times mean the whole motion


def test_evaluation_entries_follow_the_reference_filter(dataset: momo.data.HumanML3D) -> None:
    names = {e.name: e for e in dataset.evaluation_set("test")}
    # 000003 (230 frames) is too long; the 1 s segment of 000002 (20 frames) too short.
    assert "000003" not in names and "C_000002" not in names
    segment = names["B_000002"]
    assert (segment.start, segment.stop) == (20, 80)
    assert segment.captions[0].text == "a person jumps"
    assert len(names["000001"].captions) == 2 and len(names["000002"].captions) == 1
    lengths = [e.num_frames for e in dataset.evaluation_set("test")]
    assert lengths == sorted(lengths)
    np.testing.assert_array_equal(dataset.entry_features(segment), dataset.motion("000002")[20:80])


def test_resolve_exact_and_contains(dataset: momo.data.HumanML3D) -> None:
    exact = dataset.resolve("000002")
    assert exact.name == "000002" and exact.num_frames == 150
    assert [c.text for c in exact.captions] == ["a person jumps up and down"]
    # The reference's lookup: the first length-sorted entry whose name contains the id is the
    # 60-frame segment, not the motion itself.
    contains = dataset.resolve("000002", match="contains")
    assert contains.name == "B_000002" and contains.num_frames == 60
    assert dataset.resolve("000003").num_frames == 230  # exact ignores the length filter
    with pytest.raises(EvaluationError, match="containing"):
        dataset.resolve("000003", match="contains")


def test_missing_parts_are_named(tmp_path: Path, dataset: momo.data.HumanML3D) -> None:
    with pytest.raises(EvaluationError, match="not found"):
        momo.data.HumanML3D(tmp_path / "none")
    (tmp_path / "partial").mkdir()
    with pytest.raises(EvaluationError, match="new_joint_vecs"):
        momo.data.HumanML3D(tmp_path / "partial")
    with pytest.raises(EvaluationError, match="val.txt"):
        dataset.split("val")
    with pytest.raises(EvaluationError, match="'999999' not found"):
        dataset.resolve("999999")
    assert dataset.split("train") == ["000001"]
    assert dataset.mean.shape == (263,) and dataset.std.shape == (263,)
    bad = dataset.root / "texts" / "000004.txt"
    bad.write_text("no separators here\n")
    with pytest.raises(EvaluationError, match="000004.txt:1"):
        dataset.captions("000004")


def test_malformed_arrays_are_named(dataset: momo.data.HumanML3D) -> None:
    (dataset.root / "Mean.npy").write_bytes(b"not an array")
    with pytest.raises(EvaluationError, match="Mean.npy"):
        _ = dataset.mean
    (dataset.root / "new_joint_vecs" / "000001.npy").write_bytes(b"garbage")
    with pytest.raises(EvaluationError, match="000001.npy"):
        dataset.motion("000001")
    np.save(dataset.root / "new_joint_vecs" / "000004.npy", np.zeros((10, 22, 3)))
    with pytest.raises(EvaluationError, match=r"\[T, 263\]"):
        dataset.num_frames("000004")
