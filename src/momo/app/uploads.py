"""Uploaded motion files: stored under the server's folder, parsed at once by `momo.load_motion`.

A file is kept only if the library's readers accept it; its description (frames, seconds,
format, skeleton and joint map) goes back to the page straight away.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from momo.app.paths import new_id, upload_name
from momo.errors import MotionFormatError

#: Largest accepted upload (a 196-frame BVH is ~100 kB; a features .npy ~200 kB).
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A stored, readable motion file."""

    id: str
    path: Path
    filename: str
    info: dict[str, Any]


def _plain(value: Any) -> Any:
    """JSON-friendly copy of a motion's import description."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def motion_info(motion: Any, filename: str, max_frames: int | None) -> dict[str, Any]:
    """What the page shows about a loaded motion (no server paths)."""
    meta = {k: v for k, v in motion.meta.items() if k != "source"}
    info = {
        "name": filename,
        "frames": int(motion.num_frames),
        "seconds": round(float(motion.seconds), 2),
        "fps": int(motion.fps),
        "text": motion.text,
        "import": _plain(meta),
    }
    if max_frames is not None and motion.num_frames > max_frames:
        info["note"] = (
            f"{motion.num_frames} frames is more than the model's limit of {max_frames}; tick "
            "'crop' to keep the first frames"
        )
    return info


class UploadStore:
    """Uploaded motions of this server, each in its own folder under ``root``."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, filename: str | None, max_frames: int | None) -> Upload:
        """Store and parse one file.

        Raises:
            MotionFormatError: the file is too large, empty or not a motion the readers accept
                (the message names the uploaded file, never a server path).
        """
        name = upload_name(filename)
        shown = filename or name
        if len(data) > self.max_bytes:
            raise MotionFormatError(
                f"{shown}: {len(data) / 1e6:.1f} MB is more than the upload limit of "
                f"{self.max_bytes / 1e6:.0f} MB"
            )
        if not data:
            raise MotionFormatError(f"{shown}: the file is empty")
        upload_id = new_id()
        folder = self.root / upload_id
        folder.mkdir(parents=True)
        path = folder / name
        path.write_bytes(data)
        try:
            import momo

            motion = momo.load_motion(path, name=shown)
        except (MotionFormatError, ValueError, OSError) as error:
            shutil.rmtree(folder, ignore_errors=True)
            message = " ".join(str(error).split()).replace(str(path), shown)
            raise MotionFormatError(message) from None
        upload = Upload(upload_id, path, shown, motion_info(motion, shown, max_frames))
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def get(self, upload_id: str) -> Upload | None:
        """The upload with this id, or None."""
        with self._lock:
            return self._uploads.get(upload_id)
