"""Identifiers and file names the server accepts, and confinement of paths to its folders.

Every path the server reads or writes is built from an id it generated (`new_id`) or a file
name that passes `safe_name`, joined onto a folder it owns, and checked with `child_of`.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

_ID = re.compile(r"[0-9a-f]{16}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def new_id() -> str:
    """A fresh random id (16 hex digits) for an upload or a job."""
    return secrets.token_hex(8)


def is_id(value: str) -> bool:
    """Whether ``value`` has the form of `new_id`'s ids."""
    return bool(_ID.fullmatch(value))


def safe_name(value: str) -> bool:
    """Whether ``value`` is a plain file name: letters, digits, ``_.-``, no leading dot."""
    return bool(_NAME.fullmatch(value)) and ".." not in value


def upload_name(filename: str | None) -> str:
    """A safe stored name for an uploaded file: its base name with other characters replaced,
    keeping the lower-cased suffix (which picks the reader)."""
    base = re.split(r"[\\/]", filename or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:64] or "motion"
    suffix = re.sub(r"[^a-z0-9]+", "", suffix.lower())[:8]
    return f"{stem}.{suffix}" if suffix else stem


def child_of(folder: Path, name: str) -> Path | None:
    """``folder / name`` if ``name`` is a safe file name that stays inside ``folder``, else None."""
    if not safe_name(name):
        return None
    root = folder.resolve()
    path = (root / name).resolve()
    return path if path.parent == root else None
