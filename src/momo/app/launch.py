"""Starting the web server from the command line (shared by `momo serve` and `momo view`)."""

from __future__ import annotations

import errno
import importlib.util
import logging
import socket
from collections.abc import Callable
from typing import Any

from momo.errors import MomoError

logger = logging.getLogger(__name__)

#: Where the server listens unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def require_app_extra(
    command: str, find_spec: Callable[[str], object | None] = importlib.util.find_spec
) -> None:
    """Raise a clear error when FastAPI, uvicorn or python-multipart is missing (``find_spec``
    says whether a module can be imported)."""
    missing = [
        package
        for package, module in (
            ("fastapi", "fastapi"),
            ("uvicorn", "uvicorn"),
            ("python-multipart", "python_multipart"),
        )
        if find_spec(module) is None
    ]
    if missing:
        raise MomoError(
            f"`momo {command}` needs {', '.join(missing)}; install the app extra: "
            'pip install "momo-motion[app]"'
        )


def check_port(host: str, port: int) -> None:
    """Refuse early (before loading a model) when ``host:port`` cannot be bound."""
    if not 0 < port < 65536:
        raise MomoError(f"--port must be between 1 and 65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise MomoError(
                    f"port {port} is in use on {host}; pick another with --port"
                ) from None
            raise MomoError(
                f"cannot listen on {host}:{port} ({error.strerror}); check --host"
            ) from None


def url_for(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def run_server(app: Any, host: str, port: int) -> None:
    """Serve ``app`` until Ctrl-C (uvicorn), warning when it is reachable from other machines."""
    import uvicorn

    if host not in LOCAL_HOSTS:
        print(
            f"warning: listening on {host}: anyone who can reach this machine can upload files, "
            "run transfers and download results"
        )
    print(f"momo: open {url_for(host, port)} (Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
