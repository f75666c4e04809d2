"""`momo view`'s server: one result folder, read-only, no model."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest


@pytest.fixture
def viewed(served, finished, tmp_path: Path):
    """(TestClient, the folder shown) for a copy of a finished job's folder."""
    from fastapi.testclient import TestClient

    from momo.app.server import AppState, create_app
    from momo.app.uploads import UploadStore

    _, serve_state = served
    folder = tmp_path / "result"
    shutil.copytree(serve_state.jobs.get(finished["id"]).out_dir, folder)
    work = tmp_path / "work"
    state = AppState(work, UploadStore(work / "uploads"), None, folder, "")
    with TestClient(create_app(state)) as client:
        yield client, folder


def _listing(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_view_shows_the_folder_and_never_writes_into_it(viewed):
    client, folder = viewed
    before = _listing(folder)
    info = client.get("/api/info").json()
    assert (info["mode"], info["folder"]) == ("view", "result")  # its name, not its path
    assert [j["id"] for j in client.get("/api/jobs").json()] == ["view"]
    scene = client.get("/api/jobs/view/scene").json()
    assert [m["label"] for m in scene["motions"]][0] == "leader"
    assert client.get("/api/jobs/view/files/metrics.json").json()["outputs"]
    assert client.get("/api/jobs/view/video/output_0.mp4").content[4:8] == b"ftyp"
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/jobs/view/zip").content))
    assert sorted(Path(n).name for n in archive.namelist()) == sorted(before)
    assert _listing(folder) == before


def test_view_refuses_uploads_jobs_and_other_ids(viewed):
    client, _ = viewed
    upload = client.post("/api/motions", files={"file": ("a.npy", b"x")})
    assert upload.status_code == 405 and "momo view" in upload.json()["detail"]
    job = client.post("/api/jobs", json={"leader": {"text": "a"}, "followers": [{"text": "b"}]})
    assert job.status_code == 405
    assert client.get("/api/jobs/0123456789abcdef/scene").status_code == 404
    assert client.get("/api/jobs/view/files/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_page_and_three_js_are_served_locally(viewed):
    client, _ = viewed
    page = client.get("/")
    assert page.status_code == 200 and "importmap" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the web
    bundle = client.get("/static/vendor/three-viewer.min.js")
    assert bundle.status_code == 200 and bundle.text.startswith("/* three.js")
    for script in ("app.js", "viewer.js", "style.css", "vendor/LICENSE-three.txt"):
        assert client.get(f"/static/{script}").status_code == 200
    assert client.get("/static/..%2F..%2Fserver.py").status_code == 404
