"""Settings a model ships with in its ``config.json`` (``extra.<key>``), read and type-checked.

A pipeline names the options a model may set and the JSON type each takes; `stored_defaults`
returns the model's values (tuples for integer lists) or raises a one-line error when the stored
object is malformed. A model without the key (every official checkpoint) gets ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from momo.errors import TransferError

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel


def stored_defaults(
    model: MotionDiffusionModel, key: str, kinds: Mapping[str, str]
) -> dict[str, Any]:
    """The options stored under ``config.extra[key]`` (empty when there are none), checked.

    Args:
        model: a loaded model.
        key: the ``extra`` entry, e.g. ``"transfer_defaults"``.
        kinds: option name -> "boolean", "number", "string", "integer" or "integers".

    Raises:
        TransferError: an unknown option or a value of the wrong type (the model's
            ``config.json`` is malformed).
    """
    extra = getattr(model.config, "extra", None) or {}
    stored = extra.get(key) or {}
    if not isinstance(stored, dict):
        raise TransferError(f"the model's {key} must be a JSON object")
    unknown = sorted(set(stored) - set(kinds))
    if unknown:
        raise TransferError(
            f"the model's {key} has unknown options {unknown}; known: {sorted(kinds)}"
        )
    return {name: _checked(key, name, kinds[name], value) for name, value in stored.items()}


def _checked(key: str, name: str, kind: str, value: Any) -> Any:
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        kind == "integers"
        and isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    raise TransferError(f"the model's {key}.{name} must be {kind}, got {value!r}")
