"""Evaluation: Guo et al.'s T2M evaluator, metrics over its embeddings, MoMo's auxiliary metrics.

Importing this package stays light; the names below are resolved on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "T2MEvaluator": "momo.evaluation.evaluator",
    "frechet_distance": "momo.evaluation.embedding_metrics",
    "r_precision": "momo.evaluation.embedding_metrics",
    "matching_score": "momo.evaluation.embedding_metrics",
    "diversity": "momo.evaluation.embedding_metrics",
    "multimodality": "momo.evaluation.embedding_metrics",
    "negative_sample_scores": "momo.evaluation.embedding_metrics",
    "run_benchmark": "momo.evaluation.runner",
    "BenchmarkReport": "momo.evaluation.runner",
    "InversionCache": "momo.evaluation.inversion_cache",
}

__all__ = [
    "BenchmarkReport",
    "InversionCache",
    "T2MEvaluator",
    "diversity",
    "frechet_distance",
    "matching_score",
    "multimodality",
    "negative_sample_scores",
    "r_precision",
    "run_benchmark",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'momo.evaluation' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from momo.evaluation.embedding_metrics import (
        diversity,
        frechet_distance,
        matching_score,
        multimodality,
        negative_sample_scores,
        r_precision,
    )
    from momo.evaluation.evaluator import T2MEvaluator
    from momo.evaluation.inversion_cache import InversionCache
    from momo.evaluation.runner import BenchmarkReport, run_benchmark
