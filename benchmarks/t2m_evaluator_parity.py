"""Parity of `momo.evaluation.T2MEvaluator` and its metrics with a reference evaluator fixture.

    python benchmarks/t2m_evaluator_parity.py ../shared/fixtures/t2m_eval_1

The fixture folder holds an evaluator in the official layout and ``fixture.pt`` with inputs and
the reference's embeddings and metrics (float32 and float64 runs). Prints the largest absolute
and relative embedding errors and the metric differences, per precision.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from momo.evaluation import (
    T2MEvaluator,
    diversity,
    frechet_distance,
    matching_score,
    negative_sample_scores,
    r_precision,
)


def _errors(ours: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    diff = (ours.double() - reference.double()).abs()
    return float(diff.max()), float((diff / reference.double().abs()).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixture", type=Path, help="fixture folder (holds fixture.pt)")
    root = parser.parse_args().fixture
    fixture = torch.load(root / "fixture.pt", weights_only=True)
    transfer = fixture["transfer"]
    items = transfer["items"]
    config = fixture["config"]
    for precision, dtype in (("f32", torch.float32), ("f64", torch.float64)):
        evaluator = T2MEvaluator.load(root, dtype=dtype)
        text = evaluator.encode_texts(fixture["tokens"])
        motion = evaluator.encode_motions(fixture["motions_raw"])
        gen_motion = evaluator.encode_motions([transfer["gen_motions_raw"][i] for i in items])
        gen_text = evaluator.encode_texts([fixture["tokens"][i] for i in items], padded_length=True)
        print(f"== {precision}")
        for name, ours, reference in (
            ("text embeddings", text, fixture[f"text_emb_{precision}"]),
            ("motion embeddings", motion, fixture[f"motion_emb_{precision}"]),
            (
                "transfer motion emb",
                gen_motion,
                transfer[precision]["cap_len_22"]["gen_motion_emb"],
            ),
            ("transfer text emb (22)", gen_text, transfer[precision]["cap_len_22"]["gen_text_emb"]),
        ):
            abs_err, rel_err = _errors(ours, reference)
            print(f"{name:24s} max abs {abs_err:.3e}  max rel {rel_err:.3e}")
        expected = fixture[f"metrics_{precision}"]
        split = expected["fid_split"]
        times, seed = config["diversity_times"], config["diversity_np_seed"]
        rows = (
            ("R-precision", r_precision(text, motion), np.array(expected["R_precision"])),
            ("matching score", matching_score(text, motion), expected["matching_score"]),
            ("FID", frechet_distance(motion[:split], motion[split:]), expected["fid_halves"]),
            ("diversity", diversity(motion, times, seed), expected["diversity"]),
        )
        for name, ours, reference in rows:
            print(f"{name:24s} |diff| {np.max(np.abs(np.asarray(ours) - reference)):.3e}")
        for caption, gen in (("cap_len_22", gen_text), ("cap_len_true", text[items])):
            expected = transfer[precision][caption]
            precision_k, score = negative_sample_scores(gen, gen_motion, text[items], motion[items])
            r_diff = np.max(np.abs(precision_k - np.array(expected["R_precision"])))
            s_diff = abs(score - expected["matching_score"])
            print(
                f"negative samples {caption:12s} R |diff| {r_diff:.3e}  matching |diff| {s_diff:.3e}"
            )


if __name__ == "__main__":
    main()
