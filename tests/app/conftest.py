"""Fixtures for the web app: a tiny checkpoint, motion files, and a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_helpers import wait_for, walking_joints

from kit import save_minilm_checkpoint

#: Diffusion steps of the tiny model: enough that a full-length job runs long enough to cancel;
#: other jobs ask for a few sampling steps.
TIMESTEPS = 1000


@pytest.fixture(scope="session")
def app_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-layer, 32-wide model for the bundled MiniLM encoder."""
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    save_minilm_checkpoint(path, TIMESTEPS, max_positions=1024)
    return path


@pytest.fixture(scope="session")
def walk_npy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s walk as joint positions [40, 22, 3]."""
    path = tmp_path_factory.mktemp("motions") / "walk.npy"
    np.save(path, walking_joints(40))
    return path


@pytest.fixture(scope="session")
def served(app_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """(TestClient, AppState) of one server for the whole session (the worker loads once)."""
    pytest.importorskip("fastapi", reason="the web app needs the 'app' extra (fastapi)")
    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
    from fastapi.testclient import TestClient

    from momo.app.jobs import JobManager, ModelSpec
    from momo.app.server import AppState, create_app
    from momo.app.uploads import UploadStore

    work = tmp_path_factory.mktemp("serve")
    jobs = JobManager(ModelSpec(str(app_checkpoint)), work / "jobs")
    jobs.start()
    state = AppState(work, UploadStore(work / "uploads", max_bytes=2_000_000), jobs, None, "tiny")
    with TestClient(create_app(state)) as client:
        yield client, state


@pytest.fixture(scope="session")
def finished(served, walk_npy: Path) -> dict:
    """A finished job: the walk leads, a prompt and the walk itself follow (5 DDIM steps)."""
    client, _ = served
    upload = client.post(
        "/api/motions", files={"file": ("walk.npy", walk_npy.read_bytes())}
    ).json()["id"]
    request = {
        "leader": {"upload": upload, "text": "a person walks"},
        "followers": [{"text": "a person jumps"}, {"upload": upload}],
        "settings": {"sampling_steps": 5, "seed": 7, "video": False},
    }
    response = client.post("/api/jobs", json=request)
    assert response.status_code == 200, response.text
    job = wait_for(client, response.json()["id"], ("done", "failed", "cancelled"))
    assert job["state"] == "done", job
    return job
