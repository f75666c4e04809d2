"""`torchrun --nproc-per-node 2 -m momo evaluate` (gloo on CPU) writes what one process writes.

The two ranks are started as torchrun starts them (``python -m momo`` with ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set), without torchrun's own start-up time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kit import tiny_bundle
from momo.cli.main import main
from momo.models.loading import save_pretrained

from .hml_kit import write_tiny_humanml3d
from .t2m_kit import write_tiny_evaluator

#: Three leaders (one with two followers): three transfer groups over two ranks.
PAIRS = [["000001", "000004"], ["000004", "000005"], ["000005", "000001"], ["000004", "000001"]]


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}/").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _flat(item, f"{prefix}{i}/").items()
        }
    return {prefix: value}


def test_two_gloo_ranks_write_the_single_process_summary(tmp_path: Path) -> None:
    bundle = tiny_bundle(num_timesteps=4, text_token_dim=384, text_pooled_dim=384)
    config = dataclasses.replace(bundle.config, text_encoder="minilm")
    parts = {"denoiser": bundle.denoiser, "config": config, "normalizer": bundle.normalizer}
    (tmp_path / "pairs.json").write_text(json.dumps(PAIRS))
    argv = [
        "evaluate", "--humanml3d", str(write_tiny_humanml3d(tmp_path / "hml")),
        "--model", str(save_pretrained(parts, tmp_path / "model")),
        "--evaluator", str(write_tiny_evaluator(tmp_path / "evaluator")),
        "--pairs", str(tmp_path / "pairs.json"), "--sampling-steps", "2",
        "--baselines", "leader",
    ]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "one")]) == 0

    # What torchrun gives each rank: its rank, the world size and the rendezvous address.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2"}
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    env["PYTHONPATH"] = os.pathsep.join([*sys.path, env.get("PYTHONPATH", "")])
    cache = ["--inversion-cache", str(tmp_path / "inversions")]  # shared by both ranks
    command = [sys.executable, "-m", "momo", *argv, *cache, "--out", str(tmp_path / "two")]
    ranks = [
        subprocess.Popen(
            command,
            env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for r in range(2)
    ]
    outputs = [rank.communicate(timeout=120) for rank in ranks]
    for rank, (_, err) in zip(ranks, outputs):
        assert rank.returncode == 0, err[-3000:]
    assert "| momo |" in outputs[0][0] and "| momo |" not in outputs[1][0]  # rank 0 prints

    assert len(list((tmp_path / "inversions").glob("*.npy"))) == 3  # 000001, 000004, 000005
    one, two = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("one", "two"))
    assert two["settings"] == one["settings"]
    got, want = _flat(two["summary"]), _flat(one["summary"])
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
        else:
            assert got[key] == value, key
    assert sorted(p.name for p in (tmp_path / "two" / "pairs").glob("*.json")) == [
        f"{i:04d}.json" for i in range(len(PAIRS))
    ]
