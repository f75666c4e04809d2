"""Output folders that appear whole: written beside their target and swapped in at the end.

A folder of outputs (a transfer's results, generated motions, an analysis) is written into a
staging folder next to it; `staged_directory` then swaps it in (atomically where Linux's
``renameat2(RENAME_EXCHANGE)`` is available), so the folder holds either the earlier run or the
new one, never a mix, and an interrupted write leaves it as it was.
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
from momo.utils.files import TEMP_MARK, path_exists, umask, write_errors

logger = logging.getLogger(__name__)

#: Age after which a staging folder beside an output is taken to be left by a killed process.
STALE_AFTER_S = 3600.0


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
        with write_errors(target):
            yield staging
            os.chmod(staging, 0o777 & ~umask())
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
