"""The T2M evaluator: loading, input preparation and equivalences on a tiny evaluator."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import momo
from momo.errors import EvaluationError, ModelLoadError
from momo.evaluation import T2MEvaluator
from momo.evaluation.evaluator import MAX_MOTION_FRAMES
from momo.evaluation.safe_pickle import load_plain_pickle

from .t2m_kit import tokens, write_tiny_evaluator


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_evaluator(tmp_path_factory.mktemp("evaluator"))


def _motions(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((int(n), 263)).astype(np.float32) for n in rng.integers(8, 60, count)
    ]


def test_sizes_are_read_off_the_weights(tiny_root: Path) -> None:
    evaluator = T2MEvaluator.load(tiny_root)
    assert evaluator.embedding_dim == 6
    emb = evaluator.encode_texts([tokens("a person walk forward")])
    assert emb.shape == (1, 6) and emb.dtype == torch.float32


def test_outputs_in_input_order_and_batch_independent(tiny_root: Path) -> None:
    evaluator = T2MEvaluator.load(tiny_root, dtype=torch.float64)
    motions = _motions(9)
    whole = evaluator.encode_motions(motions)
    one_by_one = torch.cat([evaluator.encode_motions([m]) for m in motions])
    reversed_ = evaluator.encode_motions(motions[::-1], batch_size=4).flip(0)
    torch.testing.assert_close(one_by_one, whole, rtol=0, atol=1e-12)
    torch.testing.assert_close(reversed_, whole, rtol=0, atol=1e-12)
    as_inputs = [momo.Motion(motions[0]), torch.as_tensor(motions[1]), motions[2]]
    torch.testing.assert_close(evaluator.encode_motions(as_inputs), whole[:3], rtol=0, atol=1e-12)
    captions = [tokens(c) for c in ("a person walk", "jump up and down then run fast", "wave hand")]
    texts = evaluator.encode_texts(captions)
    single = torch.cat([evaluator.encode_texts([c]) for c in captions])
    torch.testing.assert_close(single, texts, rtol=0, atol=1e-12)


def test_text_encoder_matches_an_unpacked_gru(tiny_root: Path) -> None:
    """Packing must equal running the GRU over exactly the caption's framed tokens."""
    evaluator = T2MEvaluator.load(tiny_root, dtype=torch.float64)
    caption = tokens("a person jump")  # framed: sos a person jump eos -> 5 tokens
    encoder, words = evaluator.text_encoder, evaluator.words
    framed = ["sos/OTHER", *caption, "eos/OTHER"]
    rows = [words.lookup(t) for t in framed]
    vectors = torch.as_tensor(words.vectors[[r for r, _ in rows]], dtype=torch.float64)[None]
    pos = torch.eye(15, dtype=torch.float64)[[p for _, p in rows]][None]
    with torch.no_grad():
        _, last = encoder.gru(encoder.input_emb(vectors + encoder.pos_emb(pos)), encoder.hidden)
        expected = encoder.output_net(torch.cat([last[0], last[1]], dim=-1))
    torch.testing.assert_close(evaluator.encode_texts([caption]), expected, rtol=0, atol=1e-12)
    padded = evaluator.encode_texts([caption], padded_length=True)
    assert (padded - expected).abs().max() > 1e-3  # the quirk reads the unk padding too


def test_motion_is_cut_to_a_multiple_of_four_and_zero_padded(tiny_root: Path) -> None:
    evaluator = T2MEvaluator.load(tiny_root, dtype=torch.float64)
    motion = _motions(1, seed=3)[0][:43]
    prepared, lengths = evaluator.prepare_motions([motion])
    assert lengths.tolist() == [40] and prepared.shape == (1, MAX_MOTION_FRAMES, 263)
    mean, std = evaluator._mean.numpy(), evaluator._std.numpy()
    np.testing.assert_allclose(prepared[0, :40].numpy(), (motion[:40] - mean) / std, atol=1e-12)
    assert (prepared[0, 40:] == 0).all()
    torch.testing.assert_close(
        evaluator.encode_motions([motion]),
        evaluator.encode_motions([motion[:40]]),
        rtol=0,
        atol=1e-12,
    )
    long = np.concatenate([motion] * 6)  # 258 frames: only the first 196 are read
    torch.testing.assert_close(
        evaluator.encode_motions([long]), evaluator.encode_motions([long[:196]]), rtol=0, atol=1e-12
    )


def test_bad_inputs_raise_clear_errors(tiny_root: Path) -> None:
    evaluator = T2MEvaluator.load(tiny_root)
    with pytest.raises(EvaluationError, match="not one string"):
        evaluator.encode_texts(["a/DET person/NOUN"])
    with pytest.raises(EvaluationError, match="word/POS"):
        evaluator.encode_texts([["walk"]])
    with pytest.raises(EvaluationError, match="at least 4"):
        evaluator.encode_motions([np.zeros((3, 263), np.float32)])
    with pytest.raises(EvaluationError, match=r"\[T, 263\]"):
        evaluator.encode_motions([np.zeros((30, 22, 3), np.float32)])
    with pytest.raises(EvaluationError, match="NaN"):
        evaluator.encode_motions([np.full((30, 263), np.nan, np.float32)])


def test_missing_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        T2MEvaluator.load(tmp_path / "nowhere")
    root = write_tiny_evaluator(tmp_path / "evaluator")
    (root / "glove" / "our_vab_idx.pkl").unlink()
    with pytest.raises(ModelLoadError, match="our_vab_idx.pkl"):
        T2MEvaluator.load(root)


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_pickles_with_code_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pkl"
    for protocol in (0, 2, 4, 5):
        path.write_bytes(pickle.dumps(["walk", _Payload(marker)], protocol=protocol))
        with pytest.raises(ModelLoadError, match="only plain lists/dicts"):
            load_plain_pickle(path)
    assert not marker.exists()
    path.write_bytes(pickle.dumps({"walk": 1.5}))  # a float is not a string or integer
    with pytest.raises(ModelLoadError):
        load_plain_pickle(path)
    path.write_bytes(pickle.dumps({"walk": True}, protocol=0))  # INT opcode, but a bool
    with pytest.raises(ModelLoadError, match="bool"):
        load_plain_pickle(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(ModelLoadError):
        load_plain_pickle(path)
    for protocol in (0, 2, 5):
        path.write_bytes(pickle.dumps({"walk": 3, "run": 10**30}, protocol=protocol))
        assert load_plain_pickle(path) == {"walk": 3, "run": 10**30}
