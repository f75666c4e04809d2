"""Type checks of dataclass fields read from files (JSON configs, ``args.json``).

JSON gives strings where numbers are meant, floats where integers are, NaN where a finite
value is; a frozen config checks its fields with `field_type_problems` before anything uses
them, so a wrong type is a clear error rather than a crash or a silently truncated value.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal, Union


def _problem(value: Any, hint: Any) -> str | None:
    """Why ``value`` does not fit the type ``hint`` (None when it does)."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return None
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = [_problem(value, option) for option in options if option is not type(None)]
        return None if any(p is None for p in problems) else problems[0]
    if origin is Literal:
        choices = typing.get_args(hint)
        return None if value in choices else f"must be one of {list(choices)}"
    if origin is tuple:
        if not isinstance(value, (tuple, list)):
            return "must be a list"
        args = typing.get_args(hint)
        items = args[:1] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        if len(items) != len(value):
            return f"must hold {len(items)} items"
        for item, item_hint in zip(value, items):
            problem = _problem(item, item_hint)
            if problem:
                return f"has an item that {problem.replace('must be', 'is not', 1)}"
        return None
    if origin is not None:  # dict[...] and other generics: their own code checks them
        return None
    if hint is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "must be an integer"
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        return None if math.isfinite(value) else "must be a finite number"
    if hint is str:
        return None if isinstance(value, str) else "must be a string"
    return None


def field_type_problems(instance: Any) -> list[str]:
    """``"name must be ..., got ..."`` for every field of a dataclass instance of the wrong type."""
    hints = typing.get_type_hints(type(instance))
    problems = []
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        problem = _problem(value, hints.get(field.name, Any))
        if problem:
            problems.append(f"{field.name} {problem}, got {value!r}"[:200])
    return problems
