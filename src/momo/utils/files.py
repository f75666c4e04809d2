"""Safe output files: never overwrite without permission, always write atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from momo.errors import OutputExistsError


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Return ``path`` as a Path after checking it may be written.

    Raises:
        OutputExistsError: if the path exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{path} already exists; choose another output path or pass overwrite=True (--overwrite)"
        )
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    The temporary file keeps the final suffix so writers that dispatch on it (ffmpeg, numpy)
    behave as for the real name. On error the temporary file is removed and ``path`` is untouched.

    Raises:
        OutputExistsError: if the path exists and ``overwrite`` is False.
    """
    path = check_output_path(path, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600 (and some writers replace the file): give the output the
        # permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if not overwrite and path.exists():
            raise OutputExistsError(f"{path} appeared while it was being written; not replacing it")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
