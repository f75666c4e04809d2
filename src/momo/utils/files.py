"""Safe output files: never overwrite without permission, always write atomically.

- `atomic_output`: one file appears complete or not at all.
- `momo.utils.output_dirs.staged_directory` (built on these): a folder of outputs.
- `check_writable_location`: find an unwritable output before any slow work.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from momo.errors import OutputExistsError, OutputWriteError

logger = logging.getLogger(__name__)

#: Marks the temporary files and folders written beside an output (``.NAME.tmp...``).
TEMP_MARK = ".tmp"

_IMPOSSIBLE_NAME_ERRNOS = (errno.ENAMETOOLONG, errno.EINVAL)


#: Operating-system errors of writing that the user can fix, and what to do.
_WRITE_ADVICE: dict[int, str] = {
    errno.ENOSPC: "free some space and run again",
    errno.EDQUOT: "free some space and run again",
    errno.EFBIG: "write to a file system that takes larger files",
    errno.EROFS: "choose a writable output location",
    errno.EACCES: "choose a location you may write to",
    errno.EPERM: "choose a location you may write to",
}


@contextlib.contextmanager
def write_errors(path: Path) -> Iterator[None]:
    """Turn a full disk, a read-only file system or a refused permission into OutputWriteError."""
    try:
        yield
    except OSError as error:
        advice = _WRITE_ADVICE.get(error.errno or -1)
        if isinstance(error, OutputWriteError) or advice is None:
            raise
        raise OutputWriteError(
            f"cannot write {path}: {error.strerror or error}; {advice}"
        ) from error


def path_exists(path: str | os.PathLike[str]) -> bool:
    """True when something (a file, a folder, or a symlink, dangling or not) is at ``path``.

    A name the file system cannot hold (over 255 bytes, or containing NUL) cannot exist: False,
    where `Path.exists` raises ``OSError: File name too long``.
    """
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except ValueError:  # an embedded NUL byte
        return False
    except OSError as error:
        if error.errno in _IMPOSSIBLE_NAME_ERRNOS:
            return False
        raise
    return True


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Return ``path`` as a Path after checking it may be written.

    A dangling symlink counts as existing (writing would replace the link).

    Raises:
        OutputExistsError: if the path exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path_exists(path) and not overwrite:
        what = "a dangling symlink" if path.is_symlink() and not path.exists() else "exists"
        raise OutputExistsError(
            f"{path} {'is ' + what if what != 'exists' else 'already exists'}; choose another "
            "output path or pass overwrite=True (--overwrite)"
        )
    return path


def check_writable_location(path: str | os.PathLike[str]) -> Path:
    """Check that an output at ``path`` (file or folder) can be created, before slow work.

    Creates and removes a temporary folder in the nearest existing ancestor of ``path``'s
    parent (where atomic writes put their temporary files).

    Raises:
        OutputWriteError: the location is read-only, full, not a folder or not permitted, or
            a name on the path is too long.
    """
    path = Path(path)
    parent = path.absolute().parent
    missing = [path.name]
    while not path_exists(parent):
        missing.append(parent.name)
        parent = parent.parent
    name_max = os.pathconf(parent, "PC_NAME_MAX") if parent.is_dir() else 255
    for name in missing:
        if len(os.fsencode(name)) > name_max:
            raise OutputWriteError(
                f"cannot write {str(path)[:80]}...: the name {name[:40]!r}... is longer than "
                f"{name_max} bytes; choose a shorter name"
            )
    if not parent.is_dir():
        raise OutputWriteError(f"cannot write {path}: {parent} is not a folder")
    try:
        probe = tempfile.mkdtemp(prefix=f".{path.name[:40]}{TEMP_MARK}", dir=parent)
    except OSError as error:
        raise OutputWriteError(
            f"cannot write {path}: {error.strerror or error} in {parent}; choose a writable "
            "output location"
        ) from error
    os.rmdir(probe)
    return path


def _permissions_of_new_file(path: Path) -> None:
    """mkstemp creates 0600: give the output the permissions a plain open() would."""
    os.chmod(path, 0o666 & ~umask())


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    The temporary file keeps the final suffix so writers that dispatch on it (ffmpeg, numpy)
    behave as for the real name. On error the temporary file is removed and ``path`` is untouched.

    Raises:
        OutputExistsError: if the path exists and ``overwrite`` is False.
        OutputWriteError: the disk is full or read-only, or writing is not permitted.
    """
    path = check_output_path(path, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem[:100]}{TEMP_MARK}", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with write_errors(path):
            yield tmp
            _permissions_of_new_file(tmp)
            if not overwrite and path_exists(path):
                raise OutputExistsError(
                    f"{path} appeared while it was being written; not replacing it"
                )
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale_temporaries(directory: str | os.PathLike[str], stem: str = "*") -> list[Path]:
    """Delete temporary files `atomic_output` left in ``directory`` when a process was killed.

    Only call this where no other process writes at the same time (e.g. a run folder on
    resume). Returns the paths removed.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    removed = []
    for path in directory.glob(f".{stem}{TEMP_MARK}*"):
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    if removed:
        logger.info("removed %d stale temporary files from %s", len(removed), directory)
    return removed


def umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
