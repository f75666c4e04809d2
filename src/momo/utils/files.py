"""Safe output files: never overwrite without permission, always write atomically.

- `atomic_output`: one file appears complete or not at all.
- `staged_directory`: a folder of outputs is written beside its target and swapped in at the
  end, so the folder holds either the earlier run or the new one, never a mix.
- `check_writable_location`: find an unwritable output before any slow work.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from momo.errors import OutputExistsError, OutputWriteError

logger = logging.getLogger(__name__)

#: Marks the temporary files and folders written beside an output (``.NAME.tmp...``).
TEMP_MARK = ".tmp"

#: Age after which a staging folder beside an output is taken to be left by a killed process.
STALE_AFTER_S = 3600.0

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
def _write_errors(path: Path) -> Iterator[None]:
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
    os.chmod(path, 0o666 & ~_umask())


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
        with _write_errors(path):
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


# Output folders ------------------------------------------------------------------------------


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _carry(source: Path, staging: Path) -> bool:
    """Give ``staging`` the file ``source`` (a hard link, else a copy); False for folders."""
    if source.is_dir() and not source.is_symlink():
        return False
    destination = staging / source.name
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, destination, follow_symlinks=False)
    return True


def _swap_in(staging: Path, target: Path, keep: Callable[[str], bool]) -> None:
    """Replace folder ``target`` by ``staging``, carrying over the entries ``keep`` names."""
    later = []
    for entry in sorted(target.iterdir()):
        skip = not keep(entry.name) or path_exists(staging / entry.name)
        if not skip and not _carry(entry, staging):
            later.append(entry.name)
    old = Path(tempfile.mkdtemp(prefix=f".{target.name[:40]}{TEMP_MARK}-old", dir=target.parent))
    if _exchange(staging, target):
        os.rmdir(old)
        old = staging  # after the swap the staging name holds the earlier run
    else:
        os.rmdir(old)
        os.rename(target, old)
        os.rename(staging, target)
    for name in later:  # kept sub-folders move across (no copy of their contents)
        os.rename(old / name, target / name)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(
    target: str | os.PathLike[str],
    *,
    keep: Callable[[str], bool] = lambda name: True,
    overwrite: bool = False,
) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; when the block succeeds it becomes ``target``.

    The files written in the block appear together: an interrupted or failed block leaves
    ``target`` as it was (the staging folder is removed). An existing ``target`` is replaced
    by the new folder, into which the entries for which ``keep(name)`` is true are carried
    over first (files as hard links); the other entries (an earlier run's outputs) go. A
    symlink to a folder is followed; a dangling symlink is an existing output.

    Args:
        target: the output folder.
        keep: which existing entries the new folder keeps (default all: nothing is lost).
        overwrite: whether an existing non-folder (a dangling symlink) may be replaced.

    Raises:
        OutputExistsError: ``target`` is a file, or a dangling symlink without ``overwrite``.
        OutputWriteError: the folder cannot be created beside ``target``, the disk is full or
            read-only, or writing is not permitted.
    """
    target = Path(target)
    if target.is_symlink() and target.is_dir():
        target = target.resolve()
    if path_exists(target) and not target.is_dir() and not (overwrite and target.is_symlink()):
        raise OutputExistsError(f"{target} exists and is not a folder; choose another output")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name[:40]}{TEMP_MARK}", dir=target.parent)
        )
    except OSError as error:
        raise OutputWriteError(
            f"cannot write {target}: {error.strerror or error}; choose a writable output location"
        ) from error
    try:
        with _write_errors(target):
            yield staging
            os.chmod(staging, 0o777 & ~_umask())
            if target.is_dir():
                _swap_in(staging, target, keep)
            else:
                if target.is_symlink():
                    target.unlink()
                os.rename(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _remove_stale_staging(target: Path) -> None:
    """Remove staging folders of ``target`` that a killed process left (older than an hour)."""
    now = time.time()
    for path in target.parent.glob(f".{glob.escape(target.name[:40])}{TEMP_MARK}*"):
        if path.is_dir() and not path.is_symlink() and now - path.stat().st_mtime > STALE_AFTER_S:
            shutil.rmtree(path, ignore_errors=True)
            logger.info("removed %s, left by an interrupted write", path)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
