"""Joint maps: from any source skeleton to the 22-joint SMPL layout of HumanML3D.

A `JointMap` says, for each SMPL joint (`momo.motion.representation.JOINT_NAMES`), where it is on
the source skeleton, as a *rule* (written as plain data, parsed once by `momo.io.map_rules`):

- ``"Hips"``: the position of the source joint ``Hips``;
- ``["Neck1", "Neck"]``: the first alternative the skeleton has;
- ``{"end": "Head"}``: the (first) End Site of ``Head``;
- ``{"lerp": ["Chest", "Neck", 0.5]}``: the point a fraction of the way from one rule to another;
- ``{"mean": ["A", "B", ...]}``: the average of several rules;
- ``{"offset": ["LeftAnkle", [x, y, z]]}``: a point fixed in a source joint's local frame, in
  source units (rotated and moved with that joint);
- ``{"attached": ["Hips", "Chest", 0.5]}``: a point fixed in the first joint's frame, the given
  fraction of the way to where the second joint (a descendant) sits in the rest pose. SMPL's
  pelvis carries hips and spine1 rigidly, and spine3 carries neck and collars rigidly; on
  skeletons with extra rotating joints in between (CMU's ``lowerback``, ``lowerneck``) this
  keeps them rigid, as HumanML3D's data are.

Source names match exactly, or else ignoring case, punctuation and a namespace prefix
(``mixamorig:LeftArm`` matches ``LeftArm``). SMPL joints a map leaves out are synthesised from the
others (`momo.io.synthesis.synthesise_missing`): spine joints on the pelvis-to-neck line at the canonical skeleton's
proportions, collars from spine3, neck and shoulder, feet ahead of the ankles, a head above the
neck. Pelvis, hips, knees, ankles, shoulders, elbows, wrists and the neck or the head are
required.

Known skeletons (`KNOWN_JOINT_MAPS`, data in ``skeleton_maps.toml`` beside this module), chosen
automatically by joint names (`detect_joint_map`): Bandai Namco Research Motion Dataset, CMU
(ASF-derived naming as in ``cmu-131``, and the common "cgspeed" BVH conversion), LAFAN1, Mixamo
(``mixamorig:`` prefix or none), rigs named by anatomy (100STYLE, MocapBank), DAZ / Poser /
MakeHuman and SMPL-named skeletons (``pelvis``/``left_hip``..., ``Pelvis``/``L_Hip``...,
``m_avg_`` prefixes). Anything else takes a user map: a dict or a JSON file holding either the
plain mapping or ``{"joints": {...}, "scale": 0.01, "base": "mixamo", "name": "my-rig"}``, where
``scale`` turns source units into metres and ``base`` starts from a known map and overrides some
of its entries. The unit, when not given, is inferred from the stature (`momo.io.units`).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from momo.errors import MotionFormatError
from momo.io.map_rules import NameIndex, Rule, normalise_name, parse_rule
from momo.io.skeleton import PosedSkeleton
from momo.io.synthesis import synthesise_missing
from momo.io.units import PLAUSIBLE_HEIGHT, UNIT_CANDIDATES, choose_scale, standing_height
from momo.motion.representation import (
    FPS,
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
)

__all__ = [
    "JOINT_INDEX",
    "KNOWN_JOINT_MAPS",
    "PLAUSIBLE_HEIGHT",
    "REQUIRED_JOINTS",
    "UNIT_CANDIDATES",
    "JointMap",
    "MappedJoints",
    "apply_joint_map",
    "body_joints_first",
    "choose_scale",
    "detect_joint_map",
    "import_skeleton",
    "load_joint_map",
    "normalise_name",
    "smpl_joint_name",
    "standing_height",
    "synthesise_missing",
]

JOINT_INDEX: Mapping[str, int] = MappingProxyType({n: i for i, n in enumerate(JOINT_NAMES)})

#: SMPL joints that cannot be synthesised; the neck or the head must be present too.
REQUIRED_JOINTS: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)


def smpl_joint_name(key: str | int) -> str:
    """The SMPL joint name for a map key: an index, a name or a close variant (``L_Hip``).

    Raises:
        MotionFormatError: if the key names no SMPL joint.
    """
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        index = int(key)
        if 0 <= index < NUM_JOINTS:
            return JOINT_NAMES[index]
    elif isinstance(key, str):
        norm = normalise_name(key)
        for prefix, side in (("l", "left"), ("r", "right")):
            if norm.startswith(prefix) and not norm.startswith(side):
                candidate = side + norm[1:]
                if candidate in _NORMALISED_SMPL:
                    return _NORMALISED_SMPL[candidate]
        if norm in _NORMALISED_SMPL:
            return _NORMALISED_SMPL[norm]
    raise MotionFormatError(
        f"joint map key {key!r} is not an SMPL joint; use one of {', '.join(JOINT_NAMES)} "
        "(or an index 0-21)"
    )


_NORMALISED_SMPL = {normalise_name(n): n for n in JOINT_NAMES}


@dataclass(frozen=True)
class JointMap:
    """Where each SMPL joint is on a source skeleton.

    Attributes:
        name: a short name ("bandai_namco", "user", ...), reported by `momo info`.
        joints: SMPL joint name -> rule; joints left out are synthesised where possible.
        scale: source units -> metres; None lets the importer infer the unit from the
            skeleton's size.
        signature: source joint names that identify the skeleton for automatic detection.
        description: one line for humans.
        rules: the parsed rules (`momo.io.map_rules`), made from ``joints``.
    """

    name: str
    joints: Mapping[str, Any]
    scale: float | None = None
    signature: tuple[str, ...] = ()
    description: str = ""

    rules: Mapping[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        clean: dict[str, Any] = {}
        rules: dict[str, Rule] = {}
        for key, rule in self.joints.items():
            smpl = smpl_joint_name(key)
            rules[smpl] = parse_rule(rule, f"joint map {self.name!r}, entry {key!r}")
            clean[smpl] = rule
        object.__setattr__(self, "joints", MappingProxyType(clean))
        object.__setattr__(self, "rules", MappingProxyType(rules))
        if self.scale is not None and not (np.isfinite(self.scale) and self.scale > 0):
            raise MotionFormatError(
                f"joint map {self.name!r}: scale must be a positive number (source units to "
                f"metres), got {self.scale}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, loadable with `load_joint_map`."""
        out: dict[str, Any] = {"name": self.name, "joints": dict(self.joints)}
        if self.scale is not None:
            out["scale"] = self.scale
        return out


def _builtin_maps() -> Mapping[str, JointMap]:
    """The known skeletons of ``skeleton_maps.toml`` (package data), in detection order."""
    text = resources.files("momo.io").joinpath("skeleton_maps.toml").read_text(encoding="utf-8")
    maps = [
        JointMap(
            name=entry["name"],
            description=entry["description"],
            scale=entry.get("scale"),
            signature=tuple(entry["signature"]),
            joints=entry["joints"],
        )
        for entry in tomllib.loads(text)["map"]
    ]
    return MappingProxyType({m.name: m for m in maps})


KNOWN_JOINT_MAPS: Mapping[str, JointMap] = _builtin_maps()
"""Built-in maps (``skeleton_maps.toml``), in detection order (more specific first)."""


def _how_to_pass_map() -> str:
    return (
        "pass a joint map: --joint-map MAP on the command line, joint_map= in Python (a JSON "
        'file or object mapping SMPL joint names to source joint names, e.g. {"pelvis": "Hips", '
        '"left_hip": "LeftUpLeg", ...}; see momo.io.joint_maps) or the name of a known map: '
        f"{', '.join(KNOWN_JOINT_MAPS)}"
    )


# Joints of hands and faces: listed last in messages, after the body joints a map needs.
_DETAIL_JOINT = re.compile(
    r"eye|lid|lip|brow|cheek|jaw|nose|nostril|tongue|teeth|tooth|mouth|ear|chin|forehead|"
    r"squint|thumb|index|middle|ring|pinky|finger|carpal|metacarpal|hand\w*\d",
    re.IGNORECASE,
)
#: Most joint names an unknown-skeleton message lists.
SHOWN_JOINTS = 60


def body_joints_first(names: Sequence[str], parents: Sequence[int] | None = None) -> list[str]:
    """Joint names ordered for a message: body joints before hand and face joints, and (with
    ``parents``) shallower joints before deeper ones, file order otherwise."""
    depth = [0] * len(names)
    if parents is not None and len(parents) == len(names):
        for j, p in enumerate(parents):
            depth[j] = depth[p] + 1 if 0 <= p < j else 0
    order = sorted(
        range(len(names)),
        key=lambda j: (_DETAIL_JOINT.search(normalise_name(names[j])) is not None, depth[j], j),
    )
    return [names[j] for j in order]


def detect_joint_map(
    names: Sequence[str], source: str = "the skeleton", parents: Sequence[int] | None = None
) -> JointMap:
    """Choose a known joint map by the source skeleton's joint names.

    The first known map (in `KNOWN_JOINT_MAPS` order) whose signature names are all present and
    whose required joints all resolve is chosen.

    Args:
        names: the source joint names.
        source: the file's name, for the message.
        parents: the joints' parents, if known: the message then lists shallow (body) joints
            before deep ones (fingers, face).

    Raises:
        MotionFormatError: if no known map fits; the message lists the joints seen and says how
            to pass a map.
    """
    index = NameIndex(names)
    for jmap in KNOWN_JOINT_MAPS.values():
        if not all(index.has(n) for n in jmap.signature):
            continue
        if _missing_required(jmap, index):
            continue
        return jmap
    ordered = body_joints_first(names, parents)
    shown = ", ".join(ordered[:SHOWN_JOINTS])
    if len(ordered) > SHOWN_JOINTS:
        shown += f", ... ({len(ordered) - SHOWN_JOINTS} more hand and face joints)"
    raise MotionFormatError(
        f"{source}: unknown skeleton of {len(names)} joints; body joints first: {shown}. To "
        f"import it, {_how_to_pass_map()}"
    )


def _missing_required(jmap: JointMap, index: NameIndex) -> list[str]:
    missing = [
        n for n in REQUIRED_JOINTS if n not in jmap.rules or not jmap.rules[n].resolves(index)
    ]
    has_neck = "neck" in jmap.rules and jmap.rules["neck"].resolves(index)
    has_head = "head" in jmap.rules and jmap.rules["head"].resolves(index)
    if not (has_neck or has_head):
        missing.append("neck or head")
    return missing


def load_joint_map(spec: JointMap | Mapping[str, Any] | str | os.PathLike[str]) -> JointMap:
    """Build a `JointMap` from what a user passes.

    Args:
        spec: a `JointMap`; the name of a known map ("mixamo", ...); a path to a JSON file; or a
            dict, either the plain ``{smpl_joint: rule}`` mapping or
            ``{"joints": {...}, "scale": float, "base": known map name, "name": str}``.

    Raises:
        FileNotFoundError: if a path is given that does not exist.
        MotionFormatError: if the map is malformed (the message says which entry and why).
    """
    if isinstance(spec, JointMap):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        if isinstance(spec, str) and text in KNOWN_JOINT_MAPS:
            return KNOWN_JOINT_MAPS[text]
        path = Path(text)
        if not path.exists():
            if isinstance(spec, str) and not text.lower().endswith(".json"):
                raise MotionFormatError(
                    f"joint map {text!r} is neither a known map ({', '.join(KNOWN_JOINT_MAPS)}) "
                    "nor an existing JSON file"
                )
            raise FileNotFoundError(f"joint map file not found: {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise MotionFormatError(
                f"{path}: not a valid JSON joint map ({err}); write a JSON object mapping SMPL "
                "joint names to source joint names"
            ) from None
        if not isinstance(data, Mapping):
            raise MotionFormatError(f"{path}: a joint map must be a JSON object")
        return _map_from_dict(data, default_name=path.stem)
    if isinstance(spec, Mapping):
        return _map_from_dict(spec, default_name="user")
    raise MotionFormatError(
        f"joint_map must be a dict, a JSON file path or a known map name, got {type(spec).__name__}"
    )


def _map_from_dict(data: Mapping[str, Any], default_name: str) -> JointMap:
    if "joints" in data:
        unknown = set(data) - {"joints", "scale", "base", "name", "description"}
        if unknown:
            raise MotionFormatError(
                f"joint map has unknown keys {sorted(unknown)}; use joints, scale, base, name"
            )
        joints = data["joints"]
        if not isinstance(joints, Mapping):
            raise MotionFormatError("joint map 'joints' must be an object {smpl_joint: rule}")
        base_name = data.get("base")
        scale = data.get("scale")
        if scale is not None and not isinstance(scale, (int, float)):
            raise MotionFormatError(f"joint map 'scale' must be a number, got {scale!r}")
        merged: dict[str, Any] = {}
        if base_name is not None:
            if base_name not in KNOWN_JOINT_MAPS:
                raise MotionFormatError(
                    f"joint map base {base_name!r} is not a known map; use one of "
                    f"{', '.join(KNOWN_JOINT_MAPS)}"
                )
            base = KNOWN_JOINT_MAPS[base_name]
            merged.update(base.joints)
            if scale is None:
                scale = base.scale
        merged.update({smpl_joint_name(k): v for k, v in joints.items()})
        return JointMap(
            name=str(data.get("name", default_name)),
            joints=merged,
            scale=None if scale is None else float(scale),
            description=str(data.get("description", "user-supplied joint map")),
        )
    return JointMap(name=default_name, joints=dict(data), description="user-supplied joint map")


@dataclass(frozen=True)
class MappedJoints:
    """The 22 SMPL joints of a source skeleton, before unit scaling.

    Attributes:
        joints: float64 ``[T, 22, 3]`` in source units.
        sources: SMPL joint name -> how it was obtained (the rule, or "synthesised: ...").
        synthesised: SMPL joints the map did not provide.
    """

    joints: np.ndarray
    sources: dict[str, str] = field(default_factory=dict)
    synthesised: tuple[str, ...] = ()


def apply_joint_map(skel: PosedSkeleton, jmap: JointMap, source: str = "") -> MappedJoints:
    """Evaluate a joint map on a posed skeleton and synthesise the joints it lacks.

    Args:
        skel: the source skeleton's global poses.
        jmap: the map.
        source: a name for error messages.

    Returns:
        `MappedJoints` with ``[T, 22, 3]`` positions in source units.

    Raises:
        MotionFormatError: if a required joint does not resolve (the message lists the source
            joints and says how to pass a map), or two mapped joints coincide.
    """
    index = NameIndex(skel.names)
    where = f"{source}: " if source else ""
    missing = _missing_required(jmap, index)
    if missing:
        names = ", ".join(skel.names)
        raise MotionFormatError(
            f"{where}joint map {jmap.name!r} does not find {', '.join(missing)} on this "
            f"skeleton (joints: {names}); {_how_to_pass_map()}"
        )
    joints = np.full((skel.num_frames, NUM_JOINTS, 3), np.nan)
    known = np.zeros(NUM_JOINTS, dtype=bool)
    sources: dict[str, str] = {}
    for name, rule in jmap.rules.items():
        value = rule.evaluate(skel, index)
        if value is None:
            continue
        j = JOINT_INDEX[name]
        joints[:, j] = value
        known[j] = True
        sources[name] = json.dumps(rule.resolved(index))
    synthesised = synthesise_missing(joints, known)
    for j in synthesised:
        sources[JOINT_NAMES[j]] = "synthesised"
    _check_bones(joints, jmap, source)
    return MappedJoints(
        joints=joints,
        sources=sources,
        synthesised=tuple(JOINT_NAMES[j] for j in synthesised),
    )


def import_skeleton(
    skel: PosedSkeleton,
    jmap: JointMap,
    scale: float | None,
    *,
    format_name: str,
    source: str,
    details: Mapping[str, Any],
) -> tuple[np.ndarray, dict[str, Any]]:
    """The 22 SMPL joints of a posed source skeleton in metres, and a description of the import.

    Applies `apply_joint_map`, then `choose_scale`, and checks that the result is finite.

    Args:
        skel: the source skeleton's global poses, already resampled to 20 fps.
        jmap: the joint map.
        scale: source units -> metres, or None to choose it (see `choose_scale`).
        format_name: the file format, e.g. ``"bvh"``.
        source: the file's name, for the description and error messages.
        details: format-specific entries of the description (source frame rate, ...).

    Returns:
        ``(joints, info)``: float32 ``[T, 22, 3]`` and a dict with ``format``, ``source``, the
        joint map entries (``joint_map``, ``joint_map_description``, ``joint_sources``,
        ``synthesised_joints``), ``details``, then ``frames``, ``fps``, ``scale``,
        ``scale_source`` and ``height_m``.

    Raises:
        MotionFormatError: if the map does not fit, the skeleton has no size, or the import
            produced NaN or Inf.
    """
    mapped = apply_joint_map(skel, jmap, source)
    factor, how = choose_scale(mapped.joints, jmap, scale)
    joints = (mapped.joints * factor).astype(np.float32)
    if not np.isfinite(joints).all():
        raise MotionFormatError(f"{source}: the import produced NaN or Inf; check the file")
    info = {
        "format": format_name,
        "source": source,
        "joint_map": jmap.name,
        "joint_map_description": jmap.description,
        "joint_sources": mapped.sources,
        "synthesised_joints": list(mapped.synthesised),
        **details,
        "frames": int(joints.shape[0]),
        "fps": FPS,
        "scale": factor,
        "scale_source": how,
        "height_m": standing_height(joints),
    }
    return joints, info


def _check_bones(joints: np.ndarray, jmap: JointMap, source: str) -> None:
    """Raise if a bone has (near) zero length: the map put two joints at the same place."""
    lengths = np.linalg.norm(joints[:, 1:] - joints[:, list(PARENTS[1:])], axis=-1)
    median = np.median(lengths, axis=0)
    scale = float(np.median(median[median > 0])) if np.any(median > 0) else 0.0
    for k, m in enumerate(median):
        j = k + 1
        if not (m > 1e-3 * scale):
            where = f"{source}: " if source else ""
            raise MotionFormatError(
                f"{where}joint map {jmap.name!r} puts {JOINT_NAMES[j]} and "
                f"{JOINT_NAMES[PARENTS[j]]} at the same place; map one of them to another "
                f"source joint (or leave it out to synthesise it). {_how_to_pass_map()}"
            )
