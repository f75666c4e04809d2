"""`momo view`: open a `momo transfer` output folder in the web app's 3D viewer.

    momo view OUT_DIR [--host 127.0.0.1] [--port 7860]

Needs the ``app`` extra. Reads the folder's ``<row>.npy`` motions and ``metrics.json`` and
never writes into it: videos rendered on request and the zip go to a temporary folder that is
deleted on exit.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from momo.cli.serve import add_server_options


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``momo view``."""
    parser = subparsers.add_parser(
        "view",
        help="watch a transfer's output folder in the web app's 3D viewer",
        description="Serve the 3D viewer (needs the 'app' extra) for a folder written by "
        "`momo transfer`: leader, followers and outputs, metrics, downloads.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="a folder written by momo transfer")
    add_server_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve the viewer for ``args.out_dir`` until Ctrl-C; returns the exit status."""
    from momo.app.launch import check_port, require_app_extra, run_server
    from momo.errors import MomoError

    require_app_extra("view")
    folder = Path(args.out_dir)
    if not folder.exists():
        raise FileNotFoundError(f"{folder} does not exist; give a folder written by momo transfer")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder; give one written by momo transfer")

    from momo.app.scene import row_files

    if not row_files(folder):
        raise MomoError(
            f"{folder} holds no leader.npy, follower_<j>.npy or output_<j>.npy; give a folder "
            "written by momo transfer"
        )
    check_port(args.host, args.port)

    from momo.app.server import AppState, create_app
    from momo.app.uploads import UploadStore

    work_dir = Path(tempfile.mkdtemp(prefix="momo-view-"))
    state = AppState(work_dir, UploadStore(work_dir / "uploads"), None, folder.resolve(), "")
    try:
        run_server(create_app(state), args.host, args.port)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0
