"""The FastAPI application: the page, uploads, jobs, the viewer's data and downloads.

Endpoints (JSON unless stated):

- ``GET /``: the page; ``GET /static/...``: its scripts (three.js is shipped in ``vendor/``);
- ``GET /api/info``: mode (``serve`` or ``view``), the model's size, the settings' defaults;
- ``POST /api/motions`` (multipart ``file``): store and parse a motion file -> its id and info;
- ``POST /api/jobs`` (`JobRequest`), ``GET /api/jobs``, ``GET /api/jobs/{id}``,
  ``POST /api/jobs/{id}/cancel``;
- ``GET /api/jobs/{id}/scene``: the viewer's motions, metrics and file list;
- ``GET /api/jobs/{id}/correspondences?follower=&layer=&timestep=&steps=``: the leader's frames
  matched to a follower's by attention (`momo.app.correspond`), computed by the worker
  (``momo view``: read from the folder's ``analysis.json``);
- ``GET /api/jobs/{id}/files/{name}``, ``/video/{row}.mp4``, ``/zip``: downloads.

Every error a user can cause answers 4xx with ``{"detail": "one line"}``. Files are served only
from a finished job's own folder (or the folder given to ``momo view``), by plain names.
"""

from __future__ import annotations

import tempfile
import zipfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from momo.app.jobs import DONE, JobManager
from momo.app.paths import child_of, is_id, safe_name
from momo.app.requests import JobRequest, validation_message
from momo.app.uploads import UploadStore
from momo.errors import MomoError

STATIC_DIR = Path(__file__).parent / "static"
#: Room for the multipart envelope around an upload's bytes.
_MULTIPART_MARGIN = 64 * 1024
#: The id under which ``momo view`` shows its folder.
VIEW_ID = "view"


@dataclass
class AppState:
    """What one server owns: its work folder, uploads, jobs (``serve``) or a folder (``view``)."""

    work_dir: Path
    uploads: UploadStore
    jobs: JobManager | None = None
    view_dir: Path | None = None
    model_label: str = ""

    @property
    def mode(self) -> str:
        return "view" if self.jobs is None else "serve"


def _error(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=" ".join(message.split()))


def _folders(state: AppState, job_id: str) -> tuple[Path, Path]:
    """(folder to read, folder for on-demand renders) of a finished job; 404/409 otherwise."""
    if state.jobs is None:
        if job_id != VIEW_ID or state.view_dir is None:
            raise _error(404, f"unknown job {job_id!r}")
        return state.view_dir, state.work_dir / "view"
    job = state.jobs.get(job_id) if is_id(job_id) else None
    if job is None:
        raise _error(404, f"unknown job {job_id!r}")
    if job.state != DONE:
        raise _error(409, f"job {job_id} is {job.state}; its files exist once it is done")
    return job.out_dir, job.out_dir.parent / "renders"


def _defaults(info: dict[str, Any]) -> dict[str, Any]:
    """The settings form's placeholders: `momo transfer`'s defaults for this model."""
    timesteps = int(info.get("num_timesteps", 100))
    margin = round(0.1 * timesteps)
    return {
        "layers": "1:-1",
        "steps": f"{margin}:{timesteps - margin}",
        "guidance": "auto (2.5 for prompts, 1 with a real motion)",
        "follower_copies": 1,
        "frames": "the leader's, else 120",
        "seed": "random",
        "sampling_steps": f"all {timesteps}",
        "reuse_inversion": False,
        "crop": False,
        "video": True,
        "fix_feet": False,
    }


def _input_spec(state: AppState, item: Any, role: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the worker needs, what the page shows) for one leader/follower request."""
    text = (item.text or "").strip() or None
    if item.upload is None:
        return {"text": text}, {"role": role, "text": text}
    upload = state.uploads.get(item.upload) if is_id(item.upload) else None
    if upload is None:
        raise _error(400, f"{role}: unknown upload {item.upload!r}; upload the file again")
    spec = {"path": str(upload.path), "text": text, "name": upload.filename}
    return spec, {"role": role, "file": upload.filename, "text": text}


def _check_spans(state: AppState, settings: dict[str, Any]) -> None:
    """Refuse malformed layer/step spans before the job is queued."""
    from momo.pipelines.transfer.schedule import parse_span

    info = state.jobs.model_info if state.jobs else {}
    for key, size in (("layers", info.get("num_layers")), ("steps", info.get("num_timesteps"))):
        if settings.get(key) is not None and size:
            try:
                parse_span(settings[key], int(size), key)
            except MomoError as error:
                raise _error(400, str(error)) from None


def _check_skeleton(settings: dict[str, Any], leader: dict[str, Any], follower: dict) -> None:
    """Refuse a ``skeleton`` of leader/follower when that input is not an uploaded BVH file."""
    role = settings.get("skeleton")
    if role not in ("leader", "follower"):
        return
    item = leader if role == "leader" else follower
    name = item.get("name")
    if not (name and str(name).lower().endswith(".bvh")):
        raise _error(
            400,
            f"settings.skeleton: the {role} is not a BVH file ({name or 'a prompt'}); "
            "pick smpl, or upload a .bvh",
        )


def _zip_folder(folder: Path, target: Path) -> Path:
    """Write every plain file directly in ``folder`` into the zip ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".partial", delete=False) as file:
        partial = Path(file.name)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                if path.is_file() and safe_name(path.name):
                    archive.write(path, arcname=f"{folder.name}/{path.name}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _render_video(folder: Path, cache: Path, row: str) -> Path:
    """``row``'s stick-figure .mp4, rendered once into the server's ``cache`` folder."""
    source = child_of(folder, f"{row}.npy")
    if source is None or not source.is_file():
        raise _error(404, f"no motion {row!r} in this result")
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{row}.mp4"
    if not target.is_file():
        import momo

        momo.save_motion(momo.load_motion(source, name=row), target)
    return target


def create_app(state: AppState) -> FastAPI:
    """The web app over ``state``; closing it (lifespan end) stops the job worker."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        yield
        if state.jobs is not None:
            await run_in_threadpool(state.jobs.close)

    app = FastAPI(title="momo", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.momo = state
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def _limit_uploads(request: Request, call_next: Any) -> Any:
        """Refuse an upload by its declared size before its body is read."""
        if request.method == "POST" and request.url.path == "/api/motions":
            declared = request.headers.get("content-length")
            limit = state.uploads.max_bytes + _MULTIPART_MARGIN
            if declared is None or not declared.isdigit():
                return JSONResponse({"detail": "send the file with a Content-Length"}, 411)
            if int(declared) > limit:
                megabytes = state.uploads.max_bytes / 1e6
                detail = f"the file is larger than the upload limit of {megabytes:.0f} MB"
                return JSONResponse({"detail": detail}, status_code=413)
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(list(error.errors()))}, status_code=422)

    @app.exception_handler(MomoError)
    async def _momo_error(request: Request, error: MomoError) -> JSONResponse:
        return JSONResponse({"detail": " ".join(str(error).split())}, status_code=400)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        model = state.jobs.model_info if state.jobs else {}
        return {
            "mode": state.mode,
            "folder": state.view_dir.name if state.view_dir else None,
            "model": {"source": state.model_label, **model},
            "defaults": _defaults(model),
            "max_upload_bytes": state.uploads.max_bytes,
        }

    @app.post("/api/motions")
    async def upload(file: UploadFile) -> dict[str, Any]:
        if state.jobs is None:
            raise _error(405, "this server only shows a folder (momo view); use momo serve")
        limit = state.uploads.max_bytes
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise _error(
                413, f"{file.filename}: larger than the upload limit of {limit / 1e6:.0f} MB"
            )
        max_frames = state.jobs.model_info.get("max_frames")
        stored = await run_in_threadpool(state.uploads.add, data, file.filename, max_frames)
        return {"id": stored.id, "info": stored.info}

    @app.post("/api/jobs")
    def submit(request: JobRequest) -> dict[str, Any]:
        if state.jobs is None:
            raise _error(405, "this server only shows a folder (momo view); use momo serve")
        settings = request.settings.model_dump()
        _check_spans(state, settings)
        leader, leader_summary = _input_spec(state, request.leader, "leader")
        pairs = [_input_spec(state, f, f"follower {j}") for j, f in enumerate(request.followers)]
        _check_skeleton(settings, leader, pairs[0][0])
        spec = {
            "leader": leader,
            "followers": [p[0] for p in pairs],
            "settings": settings,
            "summary": {"leader": leader_summary, "followers": [p[1] for p in pairs]},
        }
        return state.jobs.submit(spec).public()

    @app.get("/api/jobs")
    def jobs() -> list[dict[str, Any]]:
        if state.jobs is None:
            return [{"id": VIEW_ID, "state": DONE, "progress": {"fraction": 1.0}, "inputs": {}}]
        return state.jobs.list()

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        if state.jobs is None and job_id == VIEW_ID:
            return jobs()[0]
        found = state.jobs.snapshot(job_id) if state.jobs and is_id(job_id) else None
        if found is None:
            raise _error(404, f"unknown job {job_id!r}")
        return found

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict[str, Any]:
        found = state.jobs.cancel(job_id) if state.jobs and is_id(job_id) else None
        if found is None:
            raise _error(404, f"unknown job {job_id!r}")
        return found

    @app.get("/api/jobs/{job_id}/scene")
    def scene(job_id: str) -> dict[str, Any]:
        from momo.app.scene import build_scene

        folder, _ = _folders(state, job_id)
        return build_scene(folder)

    @app.get("/api/jobs/{job_id}/correspondences")
    def correspondences(
        job_id: str,
        follower: int = 0,
        layer: int | None = None,
        timestep: int | None = None,
        steps: int | None = None,
    ) -> dict[str, Any]:
        from momo.app.correspond import check_request, follower_file, read_analysis

        folder, _ = _folders(state, job_id)
        if state.jobs is None:
            return read_analysis(folder, follower, layer, timestep)
        check_request(layer, timestep, steps, state.jobs.model_info)
        follower_file(folder, follower)
        spec = {
            "folder": str(folder),
            "follower": follower,
            "layer": layer,
            "timestep": timestep,
            "steps": steps,
        }
        return state.jobs.ask_correspondences(spec)

    @app.get("/api/jobs/{job_id}/files/{name}")
    def download(job_id: str, name: str) -> FileResponse:
        folder, _ = _folders(state, job_id)
        path = child_of(folder, name)
        if path is None or not path.is_file():
            raise _error(404, f"no file {name!r} in this result")
        return FileResponse(path, filename=path.name)

    @app.get("/api/jobs/{job_id}/video/{row}.mp4")
    def video(job_id: str, row: str) -> FileResponse:
        folder, cache = _folders(state, job_id)
        if not safe_name(row):
            raise _error(404, f"no motion {row!r} in this result")
        path = _render_video(folder, cache, row)
        return FileResponse(path, filename=path.name, media_type="video/mp4")

    @app.get("/api/jobs/{job_id}/zip")
    def download_zip(job_id: str) -> FileResponse:
        folder, cache = _folders(state, job_id)
        name = f"momo-{job_id}.zip"
        path = _zip_folder(folder, cache / name)
        return FileResponse(path, filename=name, media_type="application/zip")

    return app
