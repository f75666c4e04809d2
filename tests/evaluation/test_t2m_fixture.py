"""Parity with the reference evaluator fixture (t2m_eval_1): preparation, embeddings, metrics.

Tolerances (fixture README): float64 embeddings agree to about 1e-12 and metrics to 1e-10 with a
faithful implementation (1e-9 used here); the negative-sample variant stores distances in
float32, so its matching score agrees to about 1e-6. float32 embeddings differ from the
reference's by float32 round-off through a few hundred accumulations of the conv and GRU
(measured 1.4e-6 at most), checked to 1e-5; R-precision counts must be identical (the fixture's
smallest rank margin is 1e-3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from momo.evaluation import (
    T2MEvaluator,
    diversity,
    frechet_distance,
    matching_score,
    negative_sample_scores,
    r_precision,
)
from momo.evaluation.embedding_metrics import pair_indices
from momo.evaluation.t2m_text import prepare_texts

DTYPES = {"f32": torch.float32, "f64": torch.float64}
EMB_ATOL = {"f32": 1e-5, "f64": 1e-12}
METRIC_ATOL = {"f32": 1e-5, "f64": 1e-9}


@pytest.fixture(scope="module")
def root(shared_fixtures: Path) -> Path:
    path = shared_fixtures / "t2m_eval_1"
    if not (path / "fixture.pt").is_file():
        pytest.skip(f"evaluator fixture not found at {path}")
    return path


@pytest.fixture(scope="module")
def fixture(root: Path) -> dict[str, Any]:
    return torch.load(root / "fixture.pt", weights_only=True)


@pytest.fixture(scope="module", params=["f32", "f64"])
def run(request: pytest.FixtureRequest, root: Path, fixture: dict[str, Any]) -> dict[str, Any]:
    """Our embeddings of the fixture's inputs in one precision."""
    precision = request.param
    evaluator = T2MEvaluator.load(root, dtype=DTYPES[precision])
    transfer = fixture["transfer"]
    return {
        "precision": precision,
        "evaluator": evaluator,
        "text": evaluator.encode_texts(fixture["tokens"], batch_size=16),
        "motion": evaluator.encode_motions(fixture["motions_raw"], batch_size=13),
        "gen_motion": evaluator.encode_motions(
            [transfer["gen_motions_raw"][i] for i in transfer["items"]]
        ),
        "gen_text_22": evaluator.encode_texts(
            [fixture["tokens"][i] for i in transfer["items"]], padded_length=True
        ),
    }


def test_text_preparation(root: Path, fixture: dict[str, Any]) -> None:
    evaluator = T2MEvaluator.load(root)
    prepared = prepare_texts(fixture["tokens"], evaluator.words)
    np.testing.assert_array_equal(prepared.word_rows, fixture["word_rows"].numpy())
    np.testing.assert_array_equal(prepared.pos_index, fixture["pos_idx"].numpy())
    np.testing.assert_array_equal(prepared.lengths, fixture["sent_lens"].numpy())


def test_motion_preparation(root: Path, fixture: dict[str, Any]) -> None:
    evaluator = T2MEvaluator.load(root, dtype=torch.float64)
    prepared, lengths = evaluator.prepare_motions(fixture["motions_raw"])
    np.testing.assert_array_equal(lengths.numpy(), fixture["m_lens"].numpy())
    # Sums of 196 x 263 values of magnitude ~1: float64 round-off of the sum is ~1e-11.
    np.testing.assert_allclose(
        prepared.sum(dim=(1, 2)).numpy(), fixture["prepared_motion_sum_f64"].numpy(), atol=1e-9
    )
    np.testing.assert_allclose(
        prepared.abs().sum(dim=(1, 2)).numpy(),
        fixture["prepared_motion_abs_sum_f64"].numpy(),
        atol=1e-9,
    )


def test_embeddings(run: dict[str, Any], fixture: dict[str, Any]) -> None:
    precision = run["precision"]
    atol = EMB_ATOL[precision]
    assert run["text"].dtype == DTYPES[precision]
    for ours, key in ((run["text"], "text_emb_"), (run["motion"], "motion_emb_")):
        torch.testing.assert_close(ours, fixture[key + precision], rtol=0, atol=atol)
    transfer = fixture["transfer"][precision]
    torch.testing.assert_close(
        run["gen_motion"], transfer["cap_len_22"]["gen_motion_emb"], rtol=0, atol=atol
    )
    torch.testing.assert_close(
        run["gen_text_22"], transfer["cap_len_22"]["gen_text_emb"], rtol=0, atol=atol
    )


def test_metrics(run: dict[str, Any], fixture: dict[str, Any]) -> None:
    precision = run["precision"]
    expected = fixture[f"metrics_{precision}"]
    text, motion = run["text"], run["motion"]
    atol = METRIC_ATOL[precision]
    np.testing.assert_array_equal(r_precision(text, motion), expected["R_precision"])
    assert matching_score(text, motion) == pytest.approx(expected["matching_score"], abs=atol)
    split = expected["fid_split"]
    fid = frechet_distance(motion[:split], motion[split:])
    assert fid == pytest.approx(expected["fid_halves"], abs=atol)
    times, seed = fixture["config"]["diversity_times"], fixture["config"]["diversity_np_seed"]
    first, second = pair_indices(len(motion), times, seed)
    assert first.tolist() == expected["diversity_first_indices"]
    assert second.tolist() == expected["diversity_second_indices"]
    assert diversity(motion, times, seed) == pytest.approx(expected["diversity"], abs=atol)
    rows = expected["diversity_ref_order_rows_items"]
    assert diversity(motion[rows], times, seed) == pytest.approx(
        expected["diversity_ref_order"], abs=atol
    )


@pytest.mark.parametrize("caption_length", ["cap_len_22", "cap_len_true"])
def test_negative_sample_variant(
    run: dict[str, Any], fixture: dict[str, Any], caption_length: str
) -> None:
    transfer = fixture["transfer"]
    expected = transfer[run["precision"]][caption_length]
    items = transfer["items"]
    gen_text = run["gen_text_22"] if caption_length == "cap_len_22" else run["text"][items]
    precision, score = negative_sample_scores(
        gen_text, run["gen_motion"], run["text"][items], run["motion"][items]
    )
    np.testing.assert_array_equal(precision, expected["R_precision"])
    assert score == pytest.approx(expected["matching_score"], abs=1e-6)
