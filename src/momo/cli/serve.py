"""`momo serve`: a local web app to run transfers and watch them in 3D.

    momo serve [--model default|CKPT] [--normalization DIR] [--device cpu|cuda]
               [--host 127.0.0.1] [--port 7860] [--work-dir DIR] [--max-upload-mb 20]

Needs the ``app`` extra (``pip install "momo-motion[app]"``). Loads the model once in a worker
process, then serves the page (`momo.app`); uploads and results stay in ``--work-dir`` (default:
a new temporary folder, kept after exit so results are not lost).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from momo.cli.common import add_model_options


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--host`` and ``--port`` (shared with `momo view`)."""
    from momo.app.launch import DEFAULT_HOST, DEFAULT_PORT

    parser.add_argument(
        "--host", default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="local web app: upload motions, run transfers, watch them in 3D",
        description="Start a local web app (needs the 'app' extra) to run transfers from a "
        "browser and watch leader, followers and outputs in 3D.",
    )
    add_model_options(parser)
    add_server_options(parser)
    parser.add_argument(
        "--work-dir", metavar="DIR",
        help="folder for uploads and results (default: a new temporary folder)",
    )  # fmt: skip
    parser.add_argument(
        "--max-upload-mb", type=float, default=20.0, metavar="MB",
        help="largest motion file accepted (default %(default)s)",
    )  # fmt: skip
    parser.set_defaults(func=run)
    return parser


def _work_dir(value: str | None) -> Path:
    """The server's folder: new in the temp folder, or the given one if it is empty or new."""
    from momo.errors import MomoError

    if value is None:
        return Path(tempfile.mkdtemp(prefix="momo-serve-"))
    path = Path(value)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise MomoError(f"--work-dir {path} must be a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(args: argparse.Namespace) -> int:
    """Load the model, then serve until Ctrl-C; returns the exit status."""
    from momo.app.launch import check_port, require_app_extra, run_server
    from momo.errors import MomoError

    require_app_extra("serve")
    if not args.max_upload_mb > 0:
        raise MomoError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    check_port(args.host, args.port)
    work_dir = _work_dir(args.work_dir)

    from momo.app.jobs import JobManager, ModelSpec
    from momo.app.server import AppState, create_app
    from momo.app.uploads import UploadStore

    print(f"momo: loading the model ({args.model}) ...", flush=True)
    jobs = JobManager(
        ModelSpec(str(args.model), args.normalization, args.device), work_dir / "jobs"
    )
    jobs.start()
    uploads = UploadStore(work_dir / "uploads", max_bytes=int(args.max_upload_mb * 1e6))
    state = AppState(work_dir, uploads, jobs, None, str(args.model))
    try:
        run_server(create_app(state), args.host, args.port)
    finally:
        jobs.close()
    print(f"momo: uploads and results stay in {work_dir}")
    return 0
