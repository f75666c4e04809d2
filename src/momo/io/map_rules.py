"""Joint-map rules: where an SMPL joint is on a source skeleton, parsed once into typed objects.

A rule is written as plain data (in ``skeleton_maps.toml``, a user's JSON map or a dict) and
parsed by `parse_rule`, which checks it and says what is wrong. Each parsed rule can tell
whether it resolves on a skeleton (`Rule.resolves`), its positions over time
(`Rule.evaluate`) and the form that resolved, with the file's own spelling of the names
(`Rule.resolved`), for the import's description.

Written forms:

- ``"Hips"`` (`JointRule`): the position of the source joint ``Hips``;
- ``["Neck1", "Neck"]`` (`Alternatives`): the first alternative the skeleton has;
- ``{"joint": "Hips"}`` (`JointRule`); ``{"end": "Head"}`` (`EndRule`): the first End Site of
  ``Head``;
- ``{"lerp": [rule_a, rule_b, t]}`` (`LerpRule`): the point a fraction ``t`` of the way from a to b;
- ``{"mean": [rule, ...]}`` (`MeanRule`): the average of several rules;
- ``{"offset": ["LeftAnkle", [x, y, z]]}`` (`OffsetRule`): a point fixed in a joint's local frame;
- ``{"attached": ["Hips", "Chest", t]}`` (`AttachedRule`): a point fixed in the first joint's
  frame, a fraction ``t`` of the way to where the second (a descendant) sits in the rest pose.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from momo.errors import MotionFormatError
from momo.io.skeleton import PosedSkeleton


def normalise_name(name: str) -> str:
    """Lower-case a joint name and drop any namespace prefix and punctuation.

    ``"mixamorig:LeftArm"`` -> ``"leftarm"``, ``"L_Hip"`` -> ``"lhip"``.
    """
    name = re.split(r"[:|]", name)[-1]
    return re.sub(r"[^a-z0-9]", "", name.lower())


class NameIndex:
    """Finds source joints by exact name, else by normalised name if that is unambiguous."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.exact = {n: i for i, n in enumerate(names)}
        self.normalised: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            self.normalised.setdefault(normalise_name(n), []).append(i)

    def find(self, name: str) -> int | None:
        """Index of the joint called ``name``, or None."""
        if name in self.exact:
            return self.exact[name]
        hits = self.normalised.get(normalise_name(name), [])
        return hits[0] if len(hits) == 1 else None

    def has(self, name: str) -> bool:
        """Whether the skeleton has a joint called ``name``."""
        return self.find(name) is not None

    def spelled(self, name: str) -> str:
        """``name`` as the file spells it (``name`` itself if absent)."""
        j = self.find(name)
        return self.names[j] if j is not None else name


class Rule(ABC):
    """A parsed joint-map rule."""

    @abstractmethod
    def resolves(self, index: NameIndex) -> bool:
        """Whether every joint the rule needs is on the skeleton."""

    @abstractmethod
    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        """Positions ``[T, 3]`` on a posed skeleton, or None if the rule does not resolve."""

    @abstractmethod
    def resolved(self, index: NameIndex) -> Any:
        """The written form, alternatives replaced by the one that resolved, names as in the file."""


@dataclass(frozen=True)
class JointRule(Rule):
    """A source joint's position (written ``"Hips"``, or ``{"joint": "Hips"}`` if ``wrapped``)."""

    name: str
    wrapped: bool = False

    def resolves(self, index: NameIndex) -> bool:
        return index.has(self.name)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        j = index.find(self.name)
        return None if j is None else skel.positions[:, j]

    def resolved(self, index: NameIndex) -> Any:
        name = index.spelled(self.name)
        return {"joint": name} if self.wrapped else name


@dataclass(frozen=True)
class EndRule(Rule):
    """The first End Site of a source joint."""

    name: str

    def resolves(self, index: NameIndex) -> bool:
        return index.has(self.name)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        j = index.find(self.name)
        if j is None or j not in skel.end_sites:
            return None
        return skel.local_point(j, skel.end_sites[j])

    def resolved(self, index: NameIndex) -> Any:
        return {"end": index.spelled(self.name)}


@dataclass(frozen=True)
class LerpRule(Rule):
    """The point a fraction ``t`` of the way from rule ``a`` to rule ``b``."""

    a: Rule
    b: Rule
    t: float

    def resolves(self, index: NameIndex) -> bool:
        return self.a.resolves(index) and self.b.resolves(index)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        a, b = self.a.evaluate(skel, index), self.b.evaluate(skel, index)
        if a is None or b is None:
            return None
        return (1.0 - float(self.t)) * a + float(self.t) * b

    def resolved(self, index: NameIndex) -> Any:
        return {"lerp": [self.a.resolved(index), self.b.resolved(index), self.t]}


@dataclass(frozen=True)
class MeanRule(Rule):
    """The average of several rules."""

    parts: tuple[Rule, ...]

    def resolves(self, index: NameIndex) -> bool:
        return all(p.resolves(index) for p in self.parts)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        values = [p.evaluate(skel, index) for p in self.parts]
        if any(v is None for v in values):
            return None
        return np.mean(values, axis=0)

    def resolved(self, index: NameIndex) -> Any:
        return {"mean": [p.resolved(index) for p in self.parts]}


@dataclass(frozen=True)
class OffsetRule(Rule):
    """A point fixed in a source joint's local frame, in source units."""

    joint: str
    vector: tuple[float, float, float]

    def resolves(self, index: NameIndex) -> bool:
        return index.has(self.joint)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        j = index.find(self.joint)
        return None if j is None else skel.local_point(j, np.asarray(self.vector, float))

    def resolved(self, index: NameIndex) -> Any:
        return {"offset": [index.spelled(self.joint), list(self.vector)]}


@dataclass(frozen=True)
class AttachedRule(Rule):
    """A point fixed in ``frame``'s local frame, a fraction ``t`` of the way to where its
    descendant ``target`` sits in the rest pose."""

    frame: str
    target: str
    t: float

    def resolves(self, index: NameIndex) -> bool:
        return index.has(self.frame) and index.has(self.target)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        j, k = index.find(self.frame), index.find(self.target)
        if j is None or k is None:
            return None
        vector = skel.rest_vector(j, k)
        return None if vector is None else skel.local_point(j, float(self.t) * vector)

    def resolved(self, index: NameIndex) -> Any:
        return {"attached": [index.spelled(self.frame), index.spelled(self.target), self.t]}


@dataclass(frozen=True)
class Alternatives(Rule):
    """The first of several rules that the skeleton has (``raw`` is the written list)."""

    options: tuple[Rule, ...]
    raw: tuple[Any, ...] = ()

    def resolves(self, index: NameIndex) -> bool:
        return any(o.resolves(index) for o in self.options)

    def evaluate(self, skel: PosedSkeleton, index: NameIndex) -> np.ndarray | None:
        for option in self.options:
            value = option.evaluate(skel, index)
            if value is not None:
                return value
        return None

    def resolved(self, index: NameIndex) -> Any:
        for option in self.options:
            if option.resolves(index):
                return option.resolved(index)
        return list(self.raw)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_rule(rule: Any, where: str) -> Rule:
    """Check and parse a written rule (see the module docstring).

    Args:
        rule: the written rule.
        where: where it came from, for messages (map and entry).

    Raises:
        MotionFormatError: if the rule is malformed (the message says how to write it).
    """
    if isinstance(rule, str):
        if not rule.strip():
            raise MotionFormatError(f"{where}: empty joint name in the joint map")
        return JointRule(rule)
    if isinstance(rule, Mapping):
        return _parse_dict(rule, where)
    if isinstance(rule, Sequence) and not isinstance(rule, (str, bytes)):
        if not rule:
            raise MotionFormatError(f"{where}: empty list of alternatives")
        return Alternatives(tuple(parse_rule(r, where) for r in rule), tuple(rule))
    raise MotionFormatError(
        f"{where}: a rule must be a joint name, a list of alternatives or a rule dict, got "
        f"{type(rule).__name__}"
    )


def _parse_dict(rule: Mapping[str, Any], where: str) -> Rule:
    if len(rule) != 1:
        raise MotionFormatError(
            f"{where}: a rule dict must have exactly one key (joint, end, lerp, mean, "
            f"offset or attached), got {sorted(rule)}"
        )
    ((kind, args),) = rule.items()
    if kind in ("joint", "end"):
        if not isinstance(args, str):
            raise MotionFormatError(f"{where}: {{{kind!r}: ...}} takes a joint name")
        return JointRule(args, wrapped=True) if kind == "joint" else EndRule(args)
    if kind == "lerp":
        if not (isinstance(args, Sequence) and len(args) == 3):
            raise MotionFormatError(f"{where}: 'lerp' takes [rule_a, rule_b, fraction]")
        a, b = parse_rule(args[0], where), parse_rule(args[1], where)
        if not _is_number(args[2]):
            raise MotionFormatError(f"{where}: the 'lerp' fraction must be a number")
        return LerpRule(a, b, args[2])
    if kind == "mean":
        if not (isinstance(args, Sequence) and not isinstance(args, str) and len(args) >= 1):
            raise MotionFormatError(f"{where}: 'mean' takes a list of rules")
        return MeanRule(tuple(parse_rule(a, where) for a in args))
    if kind == "offset":
        ok = (
            isinstance(args, Sequence)
            and len(args) == 2
            and isinstance(args[0], str)
            and isinstance(args[1], Sequence)
            and len(args[1]) == 3
            and all(_is_number(v) for v in args[1])
        )
        if not ok:
            raise MotionFormatError(f"{where}: 'offset' takes [joint_name, [x, y, z]]")
        return OffsetRule(args[0], tuple(args[1]))
    if kind == "attached":
        ok = (
            isinstance(args, Sequence)
            and len(args) == 3
            and isinstance(args[0], str)
            and isinstance(args[1], str)
            and _is_number(args[2])
        )
        if not ok:
            raise MotionFormatError(
                f"{where}: 'attached' takes [frame_joint, descendant_joint, fraction]"
            )
        return AttachedRule(args[0], args[1], args[2])
    raise MotionFormatError(
        f"{where}: unknown rule {kind!r}; use joint, end, lerp, mean, offset or attached"
    )
