"""The model's own benchmark: the runner over a cache's held-out split, in a classifier's space."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import momo
from kit import tiny_model
from momo.data.synthetic import synthetic_cache
from momo.errors import EvaluationError
from momo.evaluation.classifier import ClassifierConfig, label_accuracy, train_from_cache
from momo.evaluation.descriptor import ClassifierEvaluator
from momo.evaluation.heldout import HeldOutSet, heldout_pairs, write_pair_list
from momo.evaluation.heldout_benchmark import run_heldout_benchmark
from momo.evaluation.quality import fid
from momo.evaluation.summary import auxiliary_metrics

#: Trains in about a second on one thread; its accuracy does not matter here.
TINY = ClassifierConfig(
    hidden=8, embedding_dim=6, num_blocks=2, kernel_size=3, dropout=0.0, epochs=2,
    batch_size=16, min_frames=20, max_frames=40, min_clips_per_label=2, seed=0,
)  # fmt: skip
CROP = 24


def _styled_cache():
    """A synthetic cache with 4 contents x 2 styles (every third clip held out)."""
    cache = synthetic_cache(num_clips=48, num_captions=4, min_frames=30, max_frames=48, seed=1,
                            test_every=3)  # fmt: skip
    clips = []
    for i, clip in enumerate(cache.clips):
        style = ("calm", "wild")[(i // 4) % 2]
        clips.append(replace(clip, label=replace(clip.label, style=style)))
    cache.clips = clips
    return cache


@pytest.fixture(scope="module")
def kit() -> dict:
    torch.set_num_threads(1)
    cache = _styled_cache()
    return {
        "cache": cache,
        "classifier": train_from_cache(cache, TINY),
        "model": tiny_model(num_timesteps=4, num_layers=2, dtype=torch.float32),
    }


def test_heldout_set_reads_the_test_split_cropped(kit: dict) -> None:
    cache = kit["cache"]
    source = HeldOutSet(cache, max_frames=CROP)
    test_rows = cache.rows("test")
    assert source.ids() == [cache.clips[r].label.name for r in test_rows]
    name = source.ids()[0]
    entry = source.resolve(name)
    assert entry.num_frames == CROP
    np.testing.assert_array_equal(
        source.entry_features(entry), cache.clip_features(test_rows[0])[:CROP]
    )
    assert entry.captions[0].text == cache.captions[cache.clips[test_rows[0]].captions[0]]
    assert source.resolve(name[-3:], match="contains").name == name  # "synthetic_002" by "002"
    train_name = cache.clips[cache.rows("train")[0]].label.name
    with pytest.raises(EvaluationError, match="no test clip"):
        source.resolve(train_name)  # not held out


def test_pairs_are_seeded_and_half_style_half_action(kit: dict, tmp_path: Path) -> None:
    source = HeldOutSet(kit["cache"])
    pairs = heldout_pairs(source, 8, followers_per_leader=4, seed=3)
    assert pairs == heldout_pairs(source, 8, followers_per_leader=4, seed=3)
    assert heldout_pairs(source, 12, followers_per_leader=4, seed=3)[:8] == pairs
    assert heldout_pairs(source, 8, followers_per_leader=4, seed=4) != pairs
    kinds = [source.pair_kind(*pair) for pair in pairs]
    assert kinds == ["style", "style", "action", "action"] * 2
    for leader, follower in pairs:
        a, b = source.label(leader), source.label(follower)
        assert (a.content == b.content) == (source.pair_kind(leader, follower) == "style")
        assert a.style != b.style or a.content != b.content
    path = write_pair_list(tmp_path / "pairs.json", pairs)
    assert json.loads(path.read_text()) == [list(p) for p in pairs]
    with pytest.raises(EvaluationError, match="at least one pair"):
        heldout_pairs(source, 0)


def test_runner_over_heldout_pairs(kit: dict, tmp_path: Path) -> None:
    cache, classifier, model = kit["cache"], kit["classifier"], kit["model"]
    source = HeldOutSet(cache, max_frames=CROP)
    pairs = heldout_pairs(source, 4, followers_per_leader=4, seed=0)
    report = run_heldout_benchmark(
        model, cache, classifier, pairs=pairs, crop=CROP, baselines=("leader", "follower"),
        out_dir=tmp_path / "run", progress=False, num_steps=2,
    )  # fmt: skip

    # MoMo's per-pair metrics are those of a one-off transfer of the same pair.
    leader_entry, follower_entry = (source.resolve(x) for x in pairs[1])
    leader = source.entry_features(leader_entry)
    follower = source.entry_features(follower_entry)
    result = momo.transfer(
        model,
        momo.Motion(leader, text=leader_entry.captions[0].text),
        [momo.Motion(follower, text=follower_entry.captions[0].text)],
        seed=0, progress=False, num_steps=2,
    )  # fmt: skip
    expected = auxiliary_metrics(result.outputs[0].features, leader, follower)
    assert report.pairs[1]["methods"]["momo"]["metrics"] == pytest.approx(expected, abs=1e-5)

    # output = leader: content accuracy is the classifier's own accuracy on the leaders.
    leaders = [source.entry_features(source.resolve(a)) for a, _ in pairs]
    predicted = classifier.predict(leaders).content
    truth = [source.label(a).content for a, _ in pairs]
    accuracy, _ = label_accuracy(predicted, truth, classifier.content_labels)
    assert report.summary["leader"]["content_accuracy_leader"] == accuracy
    assert report.summary["follower"]["style_accuracy_follower"] is not None
    for row in report.summary.values():  # no text in this space: not applicable, not 0
        assert row["r_precision_top3"] is None and row["matching_score"] is None
        assert row["fid"] is not None and row["diversity"] is not None
    assert [r["kind"] for r in report.pairs] == ["style", "style", "action", "action"]
    assert list(report.by_kind) == ["style", "action"]
    assert report.by_kind["style"]["momo"]["pairs"] == 2

    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert written["settings"]["data"]["max_frames"] == CROP
    assert set(written["by_kind"]) == {"style", "action"}
    table = (tmp_path / "run" / "summary.md").read_text()
    assert "content acc (leader)" in table and "style pairs (2)" in table
    leader_row = next(line for line in table.splitlines() if line.startswith("| leader |"))
    assert leader_row.split(" | ")[2:5] == ["-", "-", "-"]  # R-precision, matching


def test_descriptor_fid_of_real_clips_against_themselves_is_zero(kit: dict) -> None:
    evaluator = ClassifierEvaluator(kit["classifier"])
    reference = evaluator.reference(HeldOutSet(kit["cache"], max_frames=CROP))
    assert len(reference) == len(kit["cache"].rows("test"))
    assert fid(reference, reference) == pytest.approx(0.0, abs=1e-6)


def test_bad_input_gives_clear_errors(kit: dict, tmp_path: Path) -> None:
    cache, classifier, model = kit["cache"], kit["classifier"], kit["model"]
    known = HeldOutSet(cache).ids()[0]
    with pytest.raises(EvaluationError, match="no-such-clip"):
        run_heldout_benchmark(
            model, cache, classifier, pairs=[[known, "no-such-clip"]], progress=False
        )
    with pytest.raises(EvaluationError, match="classifier"):
        run_heldout_benchmark(model, cache, None, pairs=[[known, known]], progress=False)
    with pytest.raises(EvaluationError, match="crop"):
        run_heldout_benchmark(model, cache, classifier, crop=0, progress=False)
    with pytest.raises(EvaluationError, match="at least 1 frame"):
        HeldOutSet(cache, max_frames=0)
    with pytest.raises(EvaluationError, match="no 'val' clip"):
        HeldOutSet(cache, split="val")
    with pytest.raises(EvaluationError, match="matching"):
        HeldOutSet(cache).resolve(known, match="fuzzy")
    with pytest.raises(EvaluationError, match="clips have a known content"):
        heldout_pairs(HeldOutSet(cache), 4, content_labels=["nothing"])
