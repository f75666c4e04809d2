"""The evaluation classifier on a tiny synthetic set with separable content and style."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from momo.data.synthetic import synthetic_cache
from momo.errors import ModelLoadError, MomoError
from momo.evaluation.classifier import (
    ClassifierConfig,
    MotionClassifier,
    label_accuracy,
    label_vocabulary,
    load_or_train,
    train_classifier,
    train_from_cache,
)

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]

#: Small and fast: trains in a few seconds on one thread.
TINY = ClassifierConfig(
    hidden=16,
    embedding_dim=8,
    num_blocks=2,
    kernel_size=3,
    dropout=0.0,
    epochs=25,
    batch_size=16,
    learning_rate=1e-2,
    min_frames=30,
    max_frames=60,
    min_clips_per_label=5,
    seed=0,
)
CONTENTS = ("walk", "wave", "run")
STYLES = ("calm", "wild")


def _clip(content: int, style: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """Noise; content raises one third of channels 4..67, style sets the level of 67..193."""
    x = 0.5 * rng.normal(size=(frames, 263))
    x[:, 4 + 21 * content : 4 + 21 * (content + 1)] += 1.0
    x[:, 67:193] += 1.0 if style else -1.0
    return x.astype(np.float32)


def _dataset(n: int, seed: int) -> tuple[list[np.ndarray], list[str], list[str]]:
    rng = np.random.default_rng(seed)
    features, content, style = [], [], []
    for i in range(n):
        c, s = i % len(CONTENTS), (i // len(CONTENTS)) % len(STYLES)
        features.append(_clip(c, s, int(rng.integers(30, 80)), rng))
        content.append(CONTENTS[c])
        style.append(STYLES[s])
    return features, content, style


@pytest.fixture(scope="module")
def trained() -> MotionClassifier:
    torch.set_num_threads(1)
    features, content, style = _dataset(60, seed=0)
    mean = np.zeros(263, dtype=np.float32)
    std = np.ones(263, dtype=np.float32)
    return train_classifier(features, content, style, mean, std, TINY)


def test_classifier_learns_a_separable_set(trained: MotionClassifier) -> None:
    features, content, style = _dataset(30, seed=1)  # unseen clips
    prediction = trained.predict(features)
    content_accuracy, n = label_accuracy(prediction.content, content, trained.content_labels)
    style_accuracy, _ = label_accuracy(prediction.style, style, trained.style_labels)
    assert n == 30
    assert content_accuracy >= 0.9
    assert style_accuracy >= 0.9
    assert prediction.embeddings.shape == (30, TINY.embedding_dim)
    assert trained.content_labels == sorted(CONTENTS)
    assert trained.info["history"][-1]["content_train_accuracy"] >= 0.9


def test_prediction_does_not_depend_on_batch_companions(trained: MotionClassifier) -> None:
    features, _, _ = _dataset(4, seed=2)
    short, long = features[0][:31], features[1][:79]
    alone = trained.embed([short])
    batched = trained.embed([long, short, features[2]])
    assert np.allclose(alone[0], batched[1], atol=1e-5)


def test_training_is_seeded_and_leaves_the_global_generator_alone() -> None:
    features, content, style = _dataset(12, seed=3)
    config = replace(TINY, epochs=1, min_clips_per_label=2, dropout=0.2)
    mean, std = np.zeros(263), np.ones(263)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = train_classifier(features, content, style, mean, std, config)
    after = torch.rand(1)
    b = train_classifier(features, content, style, mean, std, config)
    c = train_classifier(features, content, style, mean, std, replace(config, seed=1))
    assert torch.equal(before, after)
    for key, value in a.net.state_dict().items():
        assert torch.equal(value, b.net.state_dict()[key])
    assert not torch.equal(a.net.embed.weight, c.net.embed.weight)


def test_rare_labels_get_no_class_and_no_accuracy() -> None:
    assert label_vocabulary(["a", "b", "a", "c", "a", "b"], 2) == ["a", "b"]
    accuracy, n = label_accuracy(["a", "b", "a"], ["a", "a", "zzz"], ["a", "b"])
    assert (accuracy, n) == (0.5, 2)
    accuracy, n = label_accuracy(["a"], ["zzz"], ["a", "b"])
    assert np.isnan(accuracy) and n == 0
    features, content, style = _dataset(12, seed=4)
    content[0] = "cartwheel"  # a single clip: ignored by the content head
    model = train_classifier(
        features,
        content,
        style,
        np.zeros(263),
        np.ones(263),
        replace(TINY, epochs=1, min_clips_per_label=2),
    )
    assert "cartwheel" not in model.content_labels


def test_save_load_round_trip_and_load_or_train(tmp_path, trained: MotionClassifier) -> None:
    features, _, _ = _dataset(5, seed=5)
    trained.save(tmp_path / "clf")
    loaded = MotionClassifier.load(tmp_path / "clf")
    assert loaded.config == trained.config
    assert loaded.content_labels == trained.content_labels
    assert np.allclose(loaded.embed(features), trained.embed(features))
    with pytest.raises(FileExistsError):
        trained.save(tmp_path / "clf")
    with pytest.raises(FileNotFoundError, match="no classifier"):
        MotionClassifier.load(tmp_path / "missing")
    with pytest.raises(MomoError, match="inside the momo-motion checkout"):
        trained.save(REPO_ROOT / "classifier-out")


def _labelled_cache():
    cache = synthetic_cache(num_clips=24, num_captions=3, min_frames=40, max_frames=60)
    clips = [
        replace(clip, label=replace(clip.label, style="calm" if i % 2 else "wild"))
        for i, clip in enumerate(cache.clips)
    ]
    return replace(cache, clips=clips)


def test_train_from_cache_uses_the_train_split_only(tmp_path) -> None:
    cache = _labelled_cache()
    config = replace(TINY, epochs=1, min_frames=40, max_frames=60, min_clips_per_label=3)
    model = load_or_train(cache, config, directory=tmp_path / "c")
    assert model.info["train_clips"] == len(cache.rows("train")) < len(cache.clips)
    assert model.info["data_fingerprint"] == cache.fingerprint()
    assert model.content_labels == ["content-0", "content-1", "content-2"]
    again = load_or_train(cache, config, directory=tmp_path / "c")  # loads, does not retrain
    assert again.info["train_seconds"] == model.info["train_seconds"]
    with pytest.raises(ModelLoadError, match="other data or settings"):
        load_or_train(cache, replace(config, seed=5), directory=tmp_path / "c")
    plain = train_from_cache(cache, config)
    assert plain.info["split"] == "train"


def test_bad_input_is_refused(trained: MotionClassifier) -> None:
    with pytest.raises(MomoError, match="must be raw features"):
        trained.predict([np.zeros((10, 12))])
    with pytest.raises(MomoError, match="kernel_size"):
        ClassifierConfig(kernel_size=4)
    with pytest.raises(MomoError, match=">= 2 labels"):
        features, content, style = _dataset(6, seed=6)
        train_classifier(features, content, ["one"] * 6, np.zeros(263), np.ones(263), TINY)
