"""The web app's output settings: the BVH downloads' skeleton and "fix feet"."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from app_helpers import wait_for, walking_joints

import momo
from momo.io.api import features_keeping_frames
from momo.io.bvh import read_bvh


@pytest.fixture(scope="module")
def walk_bvh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit's walk written as a BVH file (SMPL-named joints)."""
    path = tmp_path_factory.mktemp("bvh") / "walk.bvh"
    momo.save_motion(momo.Motion(features_keeping_frames(walking_joints(40))), path)
    return path


def _upload(client, path: Path) -> str:  # noqa: ANN001
    response = client.post("/api/motions", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _run(client, leader: str, settings: dict) -> str:  # noqa: ANN001
    request = {
        "leader": {"upload": leader},
        "followers": [{"text": "a person jumps"}],
        "settings": {"sampling_steps": 3, "seed": 5, "video": False, **settings},
    }
    response = client.post("/api/jobs", json=request)
    assert response.status_code == 200, response.text
    job = wait_for(client, response.json()["id"], ("done", "failed", "cancelled"))
    assert job["state"] == "done", job
    return job["id"]


def _file(client, job_id: str, name: str) -> bytes:  # noqa: ANN001
    response = client.get(f"/api/jobs/{job_id}/files/{name}")
    assert response.status_code == 200, response.text
    return response.content


def test_bvh_skeleton_setting(served, walk_bvh, walk_npy, tmp_path):
    client, _ = served
    leader_bvh = read_bvh(walk_bvh)
    bvh_id, npy_id = _upload(client, walk_bvh), _upload(client, walk_npy)
    on_leader = _run(client, bvh_id, {"skeleton": "leader"})
    (tmp_path / "out.bvh").write_bytes(_file(client, on_leader, "output_0.bvh"))
    written = read_bvh(tmp_path / "out.bvh")
    assert written.names == leader_bvh.names
    assert written.num_frames == leader_bvh.num_frames
    config = json.loads(_file(client, on_leader, "config.json"))
    assert config["app"]["settings"]["skeleton"] == "leader"

    smpl = _run(client, npy_id, {"skeleton": "smpl"})
    (tmp_path / "smpl.bvh").write_bytes(_file(client, smpl, "output_0.bvh"))
    assert read_bvh(tmp_path / "smpl.bvh").names[0] == "pelvis"

    for role, leader in (("leader", npy_id), ("follower", bvh_id)):
        response = client.post(
            "/api/jobs",
            json={
                "leader": {"upload": leader},
                "followers": [{"text": "a person jumps"}],
                "settings": {"skeleton": role},
            },
        )
        assert response.status_code == 400, response.text
        assert f"the {role} is not a BVH file" in response.json()["detail"]
    response = client.post(
        "/api/jobs",
        json={"leader": {"text": "a"}, "followers": [{"text": "b"}], "settings": {"skeleton": "x"}},
    )
    assert response.status_code == 422 and "settings.skeleton" in response.json()["detail"]


def test_fix_feet_setting(served, walk_npy):
    client, _ = served
    leader = _upload(client, walk_npy)
    plain = _run(client, leader, {})
    fixed = _run(client, leader, {"fix_feet": True})
    for name in ("output_0.npy", "leader.npy"):
        before = np.load(io.BytesIO(_file(client, plain, name)))
        after = np.load(io.BytesIO(_file(client, fixed, name)))
        expected = momo.fix_feet(momo.Motion(before)).features
        np.testing.assert_allclose(after, expected, atol=1e-5)
    config = json.loads(_file(client, fixed, "config.json"))
    assert set(config["fix_feet"]["output_0"]) == {"skating_before", "skating_after"}
    assert "fix_feet" not in json.loads(_file(client, plain, "config.json"))
