"""Read ``.pkl`` files that hold only plain lists and dicts of strings and integers.

The GloVe vocabulary files of Guo et al.'s evaluator (``our_vab_words.pkl``, ``our_vab_idx.pkl``)
are pickles. Unpickling runs code named in the file, so a pickle from elsewhere must never be
loaded with `pickle.load`. This reader runs nothing: it first walks the opcodes with
`pickletools.genops` (which only parses) and refuses any opcode outside the small set that
builds lists, dicts, strings and integers; then it unpickles with an unpickler whose
``find_class`` refuses every global; then it checks the types of the result.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from pathlib import Path
from typing import Any

from momo.errors import ModelLoadError

#: Opcodes that build only lists, dicts, str and int (plus framing and memo bookkeeping).
_ALLOWED_OPCODES = frozenset(
    {
        "PROTO", "FRAME", "STOP", "MARK",
        "EMPTY_LIST", "LIST", "APPEND", "APPENDS",
        "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
        "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
        "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4",
        "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
    }
)  # fmt: skip
#: Largest pickle read (the official vocabulary files are well under 1 MiB).
MAX_PICKLE_BYTES = 256 * 1024 * 1024


class _NoGlobalsUnpickler(pickle.Unpickler):
    """An unpickler that refuses to look up any class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")


def _check_plain(value: Any, depth: int = 0) -> None:
    """Raise TypeError unless ``value`` is str/int or a list/dict of them (nested at most twice)."""
    if type(value) in (str, int):
        return
    if depth < 2 and type(value) is list:
        for item in value:
            _check_plain(item, depth + 1)
        return
    if depth < 2 and type(value) is dict:
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(f"dict key of type {type(key).__name__}")
            _check_plain(item, depth + 1)
        return
    raise TypeError(f"value of type {type(value).__name__}")


def load_plain_pickle(path: str | Path) -> list[Any] | dict[Any, Any]:
    """Load a pickle holding a list or dict of str/int, without running any pickled code.

    Args:
        path: the ``.pkl`` file.

    Returns:
        the list or dict.

    Raises:
        ModelLoadError: if the file is missing, too large, not a pickle, or holds anything other
            than plain lists/dicts of strings and integers (nothing in it is run).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path} not found; the evaluator folder must contain it")
    if path.stat().st_size > MAX_PICKLE_BYTES:
        raise ModelLoadError(f"{path} is larger than {MAX_PICKLE_BYTES} bytes; not a vocabulary")
    data = path.read_bytes()
    try:
        for opcode, _, _ in pickletools.genops(data):
            if opcode.name not in _ALLOWED_OPCODES:
                raise ModelLoadError(
                    f"{path} holds pickle opcode {opcode.name}; only plain lists/dicts of "
                    "strings and integers are read (nothing in the file was run). "
                    "Use the vocabulary files that came with the evaluator"
                )
        value = _NoGlobalsUnpickler(io.BytesIO(data)).load()
        _check_plain(value)
    except ModelLoadError:
        raise
    except (pickle.UnpicklingError, ValueError, EOFError, TypeError, IndexError) as exc:
        raise ModelLoadError(
            f"{path} is not a plain pickle of strings and integers ({exc}); "
            "use the vocabulary files that came with the evaluator"
        ) from None
    if type(value) not in (list, dict):
        raise ModelLoadError(f"{path} holds a {type(value).__name__}, expected a list or dict")
    return value
