"""Fixtures of the fine-tuning and adapter tests: a tiny model with 384-d text, its caches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit import tiny_384_run_config
from momo.cli.main import main
from momo.data.synthetic import synthetic_cache

#: A tiny model that reads the bundled encoder's 384-d text (so `momo.load_model` loads it).
TINY_384 = tiny_384_run_config(
    steps=2, batch_size=2, min_frames=40, max_frames=48, checkpoint_every=2, num_threads=1
)


def cache_384(path: Path, seed: int) -> Path:
    """A synthetic cache whose fake 384-d embeddings stand in for the bundled encoder's."""
    cache = synthetic_cache(
        num_clips=6, min_frames=45, max_frames=60, token_dim=384, pooled_dim=384, seed=seed
    )
    cache.text_encoder = "minilm"
    return cache.save(path)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained 2 steps on one synthetic cache (exported to run/model)."""
    root = tmp_path_factory.mktemp("tiny_model")
    (root / "tiny.json").write_text(json.dumps(TINY_384))
    cache = cache_384(root / "a.safetensors", seed=0)
    run = ["train", "--config", str(root / "tiny.json"), "--out", str(root / "run")]
    assert main([*run, "--cache", str(cache), "--no-progress"]) == 0
    return root / "run" / "model"


@pytest.fixture()
def tiny_384() -> dict:
    """A copy of :data:`TINY_384`."""
    return json.loads(json.dumps(TINY_384))


@pytest.fixture()
def make_cache_384():  # noqa: ANN201
    """:func:`cache_384`, for tests."""
    return cache_384
