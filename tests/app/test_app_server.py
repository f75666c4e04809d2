"""The web app's HTTP API end to end with a tiny model: uploads, jobs, progress, downloads."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from app_helpers import wait_for

import momo

FINAL = ("done", "failed", "cancelled")


def _upload(client, name: str, data: bytes):
    return client.post("/api/motions", files={"file": (name, data)})


def test_upload_describes_the_motion_at_once(served, walk_npy):
    client, _ = served
    response = _upload(client, "walk.npy", walk_npy.read_bytes())
    assert response.status_code == 200, response.text
    info = response.json()["info"]
    # 40 frames of joint positions stay 40 feature frames at 20 fps.
    assert (info["frames"], info["seconds"], info["fps"]) == (40, 2.0, 20)
    assert info["name"] == "walk.npy"
    assert "joint positions" in info["import"]["format"]
    assert "source" not in info["import"]  # no server path goes back to the page


@pytest.mark.parametrize(
    ("name", "data", "status", "fragment"),
    [
        ("broken.bvh", b"HIERARCHY\nROOT Hips\n{\n", 400, "broken.bvh"),
        ("notes.xyz", b"hello", 400, "cannot read .xyz"),
        ("empty.npy", b"", 400, "empty"),
        ("big.bvh", b"x" * 2_000_001, 413, "upload limit"),
        ("huge.bvh", b"x" * 3_000_000, 413, "upload limit"),  # refused by its declared size
        ("garbage.npy", b"\x93NUMPY garbage", 400, "garbage.npy"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(served, name, data, status, fragment):
    client, state = served
    before = sorted(p.name for p in state.uploads.root.iterdir())
    response = _upload(client, name, data)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert fragment in detail
    assert "\n" not in detail and "Traceback" not in detail
    assert str(state.work_dir) not in detail
    assert sorted(p.name for p in state.uploads.root.iterdir()) == before  # nothing kept


def test_upload_names_cannot_leave_the_upload_folder(served, walk_npy):
    client, state = served
    response = _upload(client, "../../../escape.npy", walk_npy.read_bytes())
    assert response.status_code == 200, response.text
    stored = state.uploads.get(response.json()["id"])
    assert stored.path.parent.parent == state.uploads.root
    assert stored.path.name == "escape.npy"
    assert not (state.work_dir.parent / "escape.npy").exists()


@pytest.mark.parametrize(
    ("request_body", "status", "fragment"),
    [
        ({"leader": {"text": "a walk"}, "followers": []}, 422, "followers"),
        ({"leader": {}, "followers": [{"text": "x"}]}, 422, "uploaded motion or a prompt"),
        ({"leader": {"upload": "0123456789abcdef"}, "followers": [{"text": "x"}]}, 400, "upload"),
        (
            {"leader": {"text": "a"}, "followers": [{"text": "b"}], "settings": {"layers": "2:9"}},
            400,
            "layers",
        ),
        (
            {"leader": {"text": "a"}, "followers": [{"text": "b"}], "settings": {"seed": -1}},
            422,
            "settings.seed",
        ),
        ({"leader": {"text": "a"}, "followers": [{"text": "b"}], "shell": "rm"}, 422, "shell"),
    ],
)
def test_bad_job_requests_are_refused_before_queueing(served, request_body, status, fragment):
    client, state = served
    before = len(state.jobs.list())
    response = client.post("/api/jobs", json=request_body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]
    assert len(state.jobs.list()) == before


def test_finished_job_lists_and_serves_its_files(served, finished):
    client, _ = served
    job_id = finished["id"]
    assert finished["progress"]["fraction"] == 1.0
    scene = client.get(f"/api/jobs/{job_id}/scene").json()
    labels = [m["label"] for m in scene["motions"]]
    assert labels == ["leader", "follower_0", "follower_1", "output_0", "output_1"]
    names = {f["name"] for f in scene["files"]}
    for label in labels:
        assert {f"{label}.npy", f"{label}.bvh"} <= names
    assert {"config.json", "metrics.json", "results.npy"} <= names
    assert [r["output"] for r in scene["metrics"]["outputs"]] == ["output_0", "output_1"]

    # The viewer's joints are the downloaded motion's, to the millimetre it rounds to.
    data = client.get(f"/api/jobs/{job_id}/files/output_1.npy").content
    features = np.load(io.BytesIO(data))
    joints = momo.Motion(features).joints()
    shown = np.asarray(scene["motions"][4]["joints"])
    assert shown.shape == joints.shape == (40, 22, 3)
    np.testing.assert_allclose(shown, joints, atol=5e-4 + 1e-6)
    contacts = scene["motions"][4]["contacts"]
    assert set(contacts) == {"7", "10", "8", "11"}
    assert contacts["7"] == [int(c > 0.5) for c in features[:, 259]]


def test_zip_holds_every_file(served, finished):
    client, _ = served
    job_id = finished["id"]
    files = client.get(f"/api/jobs/{job_id}/scene").json()["files"]
    response = client.get(f"/api/jobs/{job_id}/zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(Path(n).name for n in archive.namelist())
        leader = archive.read(next(n for n in archive.namelist() if n.endswith("/leader.bvh")))
    assert names == sorted(f["name"] for f in files)
    direct = client.get(f"/api/jobs/{job_id}/files/leader.bvh").content
    assert leader == direct


def test_bvh_download_reads_with_an_outside_parser(served, finished):
    bvh = pytest.importorskip("bvh", reason="the outside BVH parser comes with the dev extra")
    client, _ = served
    text = client.get(f"/api/jobs/{finished['id']}/files/output_0.bvh").text
    parsed = bvh.Bvh(text)
    assert parsed.nframes == 40
    assert len(parsed.get_joints_names()) == 22


def test_video_of_one_motion(served, finished):
    client, state = served
    response = client.get(f"/api/jobs/{finished['id']}/video/follower_0.mp4")
    assert response.status_code == 200, response.text
    assert response.content[4:8] == b"ftyp"  # an MP4 container
    out_dir = state.jobs.get(finished["id"]).out_dir
    assert not (out_dir / "follower_0.mp4").exists()  # rendered beside, not into, the result


@pytest.mark.parametrize(
    "path",
    [
        "files/..%2F..%2F..%2Fetc%2Fpasswd",
        "files/..%2Fout%2Fleader.npy",
        "files/.hidden",
        "files/%2Fetc%2Fpasswd",
        "video/..%2Fleader.mp4",
        "video/nothere.mp4",
    ],
)
def test_traversal_and_unknown_names_are_refused(served, finished, path):
    client, _ = served
    response = client.get(f"/api/jobs/{finished['id']}/{path}")
    assert response.status_code == 404, response.text
    assert "root:" not in response.text


def test_unknown_jobs_are_404(served):
    client, _ = served
    for path in ("/api/jobs/0123456789abcdef", "/api/jobs/..%2F..%2Fetc/scene", "/api/jobs/x/zip"):
        assert client.get(path).status_code == 404
    assert client.post("/api/jobs/0123456789abcdef/cancel").status_code == 404


def test_failed_job_reports_the_reason(served, walk_npy):
    """A prompt leader has no inversion to reuse: the worker's error reaches the page."""
    client, _ = served
    upload = _upload(client, "walk.npy", walk_npy.read_bytes()).json()["id"]
    request = {
        "leader": {"text": "a person walks"},
        "followers": [{"upload": upload}],
        "settings": {"sampling_steps": 3, "reuse_inversion": True, "video": False},
    }
    job = wait_for(client, client.post("/api/jobs", json=request).json()["id"], FINAL)
    assert job["state"] == "failed"
    assert "reuse_inversion" in job["error"] and "internal error" not in job["error"]
    assert client.get(f"/api/jobs/{job['id']}/scene").status_code == 409


def test_cancel_queued_and_running_jobs_then_run_again(served, walk_npy):
    """Runs last in this module: cancelling the running job ends the worker, and the next job
    starts a new one."""
    client, state = served
    upload = _upload(client, "walk.npy", walk_npy.read_bytes()).json()["id"]
    slow = {"leader": {"upload": upload}, "followers": [{"text": "a person jumps"}]}
    slow["settings"] = {"video": False}  # all 1000 steps: long enough to cancel
    running = client.post("/api/jobs", json=slow).json()["id"]
    queued = client.post("/api/jobs", json=slow).json()["id"]
    assert client.get(f"/api/jobs/{queued}").json()["state"] == "queued"
    assert client.post(f"/api/jobs/{queued}/cancel").json()["state"] == "cancelled"

    # Step progress arrives while it runs.
    seen = []
    for _ in range(600):
        progress = client.get(f"/api/jobs/{running}").json()["progress"]
        if progress["phase"] == "inverting" and progress["step"] > 0:
            seen.append(progress)
        if len(seen) >= 2 and seen[-1]["step"] > seen[0]["step"]:
            break
        time.sleep(0.05)
    assert len(seen) >= 2 and seen[-1]["fraction"] > seen[0]["fraction"] > 0, seen
    assert seen[-1]["total"] == 1000

    client.post(f"/api/jobs/{running}/cancel")
    job = wait_for(client, running, FINAL, timeout=30)
    assert job["state"] == "cancelled"
    assert not state.jobs.get(running).out_dir.exists()
    assert client.get(f"/api/jobs/{queued}").json()["state"] == "cancelled"

    quick = {**slow, "settings": {"sampling_steps": 3, "video": False}}
    job = wait_for(client, client.post("/api/jobs", json=quick).json()["id"], FINAL)
    assert job["state"] == "done", job
