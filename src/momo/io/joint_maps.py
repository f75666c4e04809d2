"""Joint maps: from any source skeleton to the 22-joint SMPL layout of HumanML3D.

A `JointMap` says, for each SMPL joint (`momo.motion.representation.JOINT_NAMES`), where it is on
the source skeleton, as a *rule*:

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
others (`synthesise_missing`): spine joints on the pelvis-to-neck line at the canonical skeleton's
proportions, collars from spine3, neck and shoulder, feet ahead of the ankles, a head above the
neck. Pelvis, hips, knees, ankles, shoulders, elbows, wrists and the neck or the head are
required.

Known skeletons (`KNOWN_JOINT_MAPS`), chosen automatically by joint names (`detect_joint_map`):
Bandai Namco Research Motion Dataset, CMU (ASF-derived naming as in ``cmu-131``, and the common
"cgspeed" BVH conversion), Mixamo (``mixamorig:`` prefix or none) and SMPL-named skeletons
(``pelvis``/``left_hip``..., ``Pelvis``/``L_Hip``..., ``m_avg_`` prefixes). Anything else takes a
user map: a dict or a JSON file holding either the plain mapping or
``{"joints": {...}, "scale": 0.01, "base": "mixamo", "name": "my-rig"}``, where ``scale`` turns
source units into metres and ``base`` starts from a known map and overrides some of its entries.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from momo.errors import MotionFormatError
from momo.io.skeleton import PosedSkeleton
from momo.motion.representation import (
    CANONICAL_BONE_LENGTHS,
    FPS,
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
)

logger = logging.getLogger(__name__)

Rule = str | Sequence[Any] | Mapping[str, Any]
"""A joint-map rule (see the module docstring)."""

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

_SPINE = (0, 3, 6, 9, 12)  # pelvis, spine1, spine2, spine3, neck
_CUMULATIVE_SPINE = np.cumsum([0.0] + [float(CANONICAL_BONE_LENGTHS[j]) for j in _SPINE[1:]])
_CANONICAL_LEG = float(np.mean(CANONICAL_BONE_LENGTHS[[4, 5]] + CANONICAL_BONE_LENGTHS[[7, 8]]))
# Collar = spine3 + a (neck - spine3) + b (shoulder - spine3): least-squares fit over the 170
# frames of HumanML3D's sample motion 012314 (both sides, residual about 1.3 cm).
_COLLAR_NECK_WEIGHT = 0.34
_COLLAR_SHOULDER_WEIGHT = 0.36
# Ankle -> foot (toe) points forward and this many degrees down on HumanML3D's skeleton (median
# over the same sample).
_FOOT_DROP_DEGREES = 19.5

# Units are guessed from the stature estimate (`standing_height`): the candidate unit that brings
# it closest to a typical adult's wins; a map's own unit is kept if it gives a plausible stature.
_LEG_FRACTION_OF_STATURE = 0.491
_TYPICAL_STATURE = 1.70
PLAUSIBLE_HEIGHT: tuple[float, float] = (1.2, 2.4)
UNIT_CANDIDATES: Mapping[str, float] = MappingProxyType(
    {
        "metres": 1.0,
        "centimetres": 0.01,
        "millimetres": 0.001,
        "inches": 0.0254,
        "CMU ASF units (inches / 0.45)": 0.0254 / 0.45,
    }
)


def normalise_name(name: str) -> str:
    """Lower-case a joint name and drop any namespace prefix and punctuation.

    ``"mixamorig:LeftArm"`` -> ``"leftarm"``, ``"L_Hip"`` -> ``"lhip"``.
    """
    name = re.split(r"[:|]", name)[-1]
    return re.sub(r"[^a-z0-9]", "", name.lower())


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


def _check_rule(rule: Any, where: str) -> None:
    """Raise MotionFormatError if ``rule`` is not a well-formed rule."""
    if isinstance(rule, str):
        if not rule.strip():
            raise MotionFormatError(f"{where}: empty joint name in the joint map")
        return
    if isinstance(rule, Mapping):
        if len(rule) != 1:
            raise MotionFormatError(
                f"{where}: a rule dict must have exactly one key (joint, end, lerp, mean, "
                f"offset or attached), got {sorted(rule)}"
            )
        ((kind, args),) = rule.items()
        if kind in ("joint", "end"):
            if not isinstance(args, str):
                raise MotionFormatError(f"{where}: {{{kind!r}: ...}} takes a joint name")
        elif kind == "lerp":
            if not (isinstance(args, Sequence) and len(args) == 3):
                raise MotionFormatError(f"{where}: 'lerp' takes [rule_a, rule_b, fraction]")
            _check_rule(args[0], where)
            _check_rule(args[1], where)
            if not isinstance(args[2], (int, float)):
                raise MotionFormatError(f"{where}: the 'lerp' fraction must be a number")
        elif kind == "mean":
            if not (isinstance(args, Sequence) and not isinstance(args, str) and len(args) >= 1):
                raise MotionFormatError(f"{where}: 'mean' takes a list of rules")
            for a in args:
                _check_rule(a, where)
        elif kind == "offset":
            ok = (
                isinstance(args, Sequence)
                and len(args) == 2
                and isinstance(args[0], str)
                and isinstance(args[1], Sequence)
                and len(args[1]) == 3
                and all(isinstance(v, (int, float)) for v in args[1])
            )
            if not ok:
                raise MotionFormatError(f"{where}: 'offset' takes [joint_name, [x, y, z]]")
        elif kind == "attached":
            ok = (
                isinstance(args, Sequence)
                and len(args) == 3
                and isinstance(args[0], str)
                and isinstance(args[1], str)
                and isinstance(args[2], (int, float))
            )
            if not ok:
                raise MotionFormatError(
                    f"{where}: 'attached' takes [frame_joint, descendant_joint, fraction]"
                )
        else:
            raise MotionFormatError(
                f"{where}: unknown rule {kind!r}; use joint, end, lerp, mean, offset or attached"
            )
        return
    if isinstance(rule, Sequence) and not isinstance(rule, (str, bytes)):
        if not rule:
            raise MotionFormatError(f"{where}: empty list of alternatives")
        for r in rule:
            _check_rule(r, where)
        return
    raise MotionFormatError(
        f"{where}: a rule must be a joint name, a list of alternatives or a rule dict, got "
        f"{type(rule).__name__}"
    )


def _rule_names(rule: Any) -> list[str]:
    """Every source joint name a rule mentions."""
    if isinstance(rule, str):
        return [rule]
    if isinstance(rule, Mapping):
        ((kind, args),) = rule.items()
        if kind in ("joint", "end"):
            return [args]
        if kind == "lerp":
            return _rule_names(args[0]) + _rule_names(args[1])
        if kind == "mean":
            return [n for a in args for n in _rule_names(a)]
        if kind == "offset":
            return [args[0]]
        if kind == "attached":
            return [args[0], args[1]]
    return [n for r in rule for n in _rule_names(r)]


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
    """

    name: str
    joints: Mapping[str, Any]
    scale: float | None = None
    signature: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        clean: dict[str, Any] = {}
        for key, rule in self.joints.items():
            smpl = smpl_joint_name(key)
            _check_rule(rule, f"joint map {self.name!r}, entry {key!r}")
            clean[smpl] = rule
        object.__setattr__(self, "joints", MappingProxyType(clean))
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


def _side(template: Mapping[str, Any], left: str, right: str) -> dict[str, Any]:
    """Expand ``{smpl_side_name: rule with {S}}`` for both sides (``{S}`` -> left / right)."""

    def fill(rule: Any, s: str) -> Any:
        if isinstance(rule, str):
            return rule.replace("{S}", s)
        if isinstance(rule, Mapping):
            return {k: fill(v, s) for k, v in rule.items()}
        if isinstance(rule, Sequence):
            return [fill(r, s) if not isinstance(r, (int, float)) else r for r in rule]
        return rule

    out: dict[str, Any] = {}
    for key, rule in template.items():
        out[f"left_{key}"] = fill(rule, left)
        out[f"right_{key}"] = fill(rule, right)
    return out


BANDAI_NAMCO = JointMap(
    name="bandai_namco",
    description="Bandai Namco Research Motion Dataset (21 joints, centimetres)",
    scale=0.01,
    signature=("Hips", "UpperLeg_L", "LowerLeg_R", "UpperArm_L", "Hand_R"),
    joints={
        "pelvis": "Hips",
        "spine1": "Spine",
        "spine2": "Chest",
        "spine3": {"lerp": ["Chest", "Neck", 0.5]},
        "neck": "Neck",
        "head": "Head",
        **_side(
            {
                "hip": "UpperLeg_{S}",
                "knee": "LowerLeg_{S}",
                "ankle": "Foot_{S}",
                "foot": "Toes_{S}",
                "collar": "Shoulder_{S}",
                "shoulder": "UpperArm_{S}",
                "elbow": "LowerArm_{S}",
                "wrist": "Hand_{S}",
            },
            "L",
            "R",
        ),
    },
)

# In the ASF-derived naming a joint sits where its offset from the parent ends, so lowerback,
# LHipJoint, lowerneck and the collars coincide with their parents (zero-length bones) and are not
# used. SMPL's pelvis carries hips and spine1 rigidly and spine3 carries neck and collars rigidly,
# while here lowerback and lowerneck rotate between them; so spine1 is the rest place of Chest in
# the Hips frame, and spine3 and the neck are fixed in Chest2's frame (the rest place of Neck, and
# a quarter of the way to it). The bending at lowerback and lowerneck shows in spine1 -> spine2
# and neck -> head. The collars are synthesised (see `synthesise_missing`).
CMU_ASF = JointMap(
    name="cmu_asf",
    description="CMU mocap, ASF-derived BVH naming (LeftHip, LeftKnee, Chest2, ...)",
    scale=0.0254 / 0.45,
    signature=(
        "Hips",
        "LHipJoint",
        "LeftHip",
        "RightKnee",
        "LeftAnkle",
        "lowerback",
        "Chest",
        "Chest2",
        "lowerneck",
        "LeftShoulder",
    ),
    joints={
        "pelvis": "Hips",
        "spine1": {"attached": ["Hips", "Chest", 1.0]},
        "spine2": "Chest2",
        "spine3": {"attached": ["Chest2", "Neck", 0.25]},
        "neck": {"attached": ["Chest2", "Neck", 1.0]},
        "head": "Head",
        **_side(
            {
                "hip": "{S}Hip",
                "knee": "{S}Knee",
                "ankle": "{S}Ankle",
                "foot": "{S}Toe",
                "shoulder": "{S}Shoulder",
                "elbow": "{S}Elbow",
                "wrist": "{S}Wrist",
            },
            "Left",
            "Right",
        ),
    },
)

# The same skeleton as CMU_ASF under other names: LowerBack, Spine (= Chest), Spine1 (= Chest2),
# Neck (= lowerneck), Neck1 (= Neck), LeftShoulder (= LeftCollar), LeftArm (= LeftShoulder).
CMU_CGSPEED = JointMap(
    name="cmu_cgspeed",
    description="CMU mocap, the common 'cgspeed' BVH conversion (LeftUpLeg, Neck1, ...)",
    scale=None,
    signature=("Hips", "LHipJoint", "LeftUpLeg", "Spine1", "Neck1", "LeftArm"),
    joints={
        "pelvis": "Hips",
        "spine1": {"attached": ["Hips", "Spine", 1.0]},
        "spine2": "Spine1",
        "spine3": {"attached": ["Spine1", "Neck1", 0.25]},
        "neck": {"attached": ["Spine1", "Neck1", 1.0]},
        "head": "Head",
        **_side(
            {
                "hip": "{S}UpLeg",
                "knee": "{S}Leg",
                "ankle": "{S}Foot",
                "foot": "{S}ToeBase",
                "shoulder": "{S}Arm",
                "elbow": "{S}ForeArm",
                "wrist": "{S}Hand",
            },
            "Left",
            "Right",
        ),
    },
)

# LAFAN1 (Ubisoft La Forge): Mixamo-like names with LeftToe / RightToe for the toe bases.
LAFAN1 = JointMap(
    name="lafan1",
    description="LAFAN1-style rigs (Hips, LeftUpLeg, LeftToe, Spine2, LeftForeArm, ...)",
    scale=None,
    signature=("Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToe", "RightToe", "Spine2"),
    joints={
        "pelvis": "Hips",
        "spine1": "Spine",
        "spine2": "Spine1",
        "spine3": "Spine2",
        "neck": "Neck",
        "head": "Head",
        **_side(
            {
                "hip": "{S}UpLeg",
                "knee": "{S}Leg",
                "ankle": "{S}Foot",
                "foot": "{S}Toe",
                "collar": "{S}Shoulder",
                "shoulder": "{S}Arm",
                "elbow": "{S}ForeArm",
                "wrist": "{S}Hand",
            },
            "Left",
            "Right",
        ),
    },
)

# Rigs named by anatomy with a numbered chest (100STYLE's Chest..Chest4, MocapBank's, Xia's):
# here a joint sits at its own origin, unlike CMU's ASF-derived files of similar names.
ANATOMICAL = JointMap(
    name="anatomical",
    description="rigs named by anatomy (Hips, Chest, Chest2.., LeftHip, LeftKnee, LeftAnkle, "
    "LeftToe, LeftCollar, LeftShoulder, LeftElbow, LeftWrist), e.g. 100STYLE, MocapBank",
    scale=None,
    signature=("Hips", "Chest", "LeftHip", "LeftKnee", "LeftAnkle", "LeftShoulder", "LeftWrist"),
    joints={
        "pelvis": "Hips",
        "spine1": "Chest",
        "spine2": "Chest2",
        "spine3": ["Chest4", "Chest3", {"lerp": ["Chest2", "Neck", 0.5]}],
        "neck": "Neck",
        "head": "Head",
        **_side(
            {
                "hip": "{S}Hip",
                "knee": "{S}Knee",
                "ankle": "{S}Ankle",
                "foot": "{S}Toe",
                "collar": "{S}Collar",
                "shoulder": "{S}Shoulder",
                "elbow": "{S}Elbow",
                "wrist": "{S}Wrist",
            },
            "Left",
            "Right",
        ),
    },
)

# DAZ Studio / Poser / MakeHuman-for-DAZ names: hip, abdomen, chest, lThigh, lShin, lShldr...
# (Genesis rigs split some bones: abdomenLower/Upper, chestLower/Upper, lShldrBend/Twist).
DAZ = JointMap(
    name="daz",
    description="DAZ / Poser / MakeHuman rigs (hip, abdomen, chest, lThigh, lShin, lShldr, ...)",
    scale=None,
    signature=("hip", "lShin", "rShin", "lFoot", "rFoot", "lHand", "rHand"),
    joints={
        "pelvis": "hip",
        "spine1": ["abdomen", "abdomenLower"],
        "spine2": ["abdomenUpper", "chestLower"],
        "spine3": ["chest", "chestUpper"],
        "neck": ["neck", "neckLower"],
        "head": "head",
        **_side(
            {
                "hip": ["{S}Thigh", "{S}ThighBend"],
                "knee": "{S}Shin",
                "ankle": "{S}Foot",
                "foot": ["{S}Toe", "{S}Toes"],
                "collar": "{S}Collar",
                "shoulder": ["{S}Shldr", "{S}ShldrBend"],
                "elbow": ["{S}ForeArm", "{S}ForearmBend"],
                "wrist": "{S}Hand",
            },
            "l",
            "r",
        ),
    },
)

MIXAMO = JointMap(
    name="mixamo",
    description="Mixamo rigs (mixamorig:Hips, mixamorig:LeftUpLeg, ...)",
    scale=None,
    signature=("Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftArm", "LeftForeArm", "Spine"),
    joints={
        "pelvis": "Hips",
        "spine1": "Spine",
        "spine2": "Spine1",
        "spine3": "Spine2",
        "neck": "Neck",
        "head": "Head",
        **_side(
            {
                "hip": "{S}UpLeg",
                "knee": "{S}Leg",
                "ankle": "{S}Foot",
                "foot": ["{S}ToeBase", "{S}Toe"],
                "collar": "{S}Shoulder",
                "shoulder": "{S}Arm",
                "elbow": "{S}ForeArm",
                "wrist": "{S}Hand",
            },
            "Left",
            "Right",
        ),
    },
)


def _smpl_aliases(name: str) -> list[str]:
    """``left_hip`` -> [left_hip, L_Hip, m_avg_L_Hip, f_avg_L_Hip]."""
    parts = name.split("_")
    if parts[0] in ("left", "right"):
        short = parts[0][0].upper() + "_" + "_".join(p.capitalize() for p in parts[1:])
    else:
        short = "_".join(p.capitalize() for p in parts)
    return [name, short, f"m_avg_{short}", f"f_avg_{short}"]


SMPL = JointMap(
    name="smpl",
    description="SMPL-named skeletons (pelvis/left_hip..., Pelvis/L_Hip..., m_avg_ prefixes)",
    scale=None,
    signature=(),
    joints={n: _smpl_aliases(n) for n in JOINT_NAMES},
)

KNOWN_JOINT_MAPS: Mapping[str, JointMap] = MappingProxyType(
    {m.name: m for m in (BANDAI_NAMCO, CMU_ASF, CMU_CGSPEED, LAFAN1, MIXAMO, ANATOMICAL, DAZ, SMPL)}
)
"""Built-in maps, in detection order (more specific first)."""


class _NameIndex:
    """Finds source joints by exact or normalised name."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.exact = {n: i for i, n in enumerate(names)}
        self.normalised: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            self.normalised.setdefault(normalise_name(n), []).append(i)

    def find(self, name: str) -> int | None:
        if name in self.exact:
            return self.exact[name]
        hits = self.normalised.get(normalise_name(name), [])
        return hits[0] if len(hits) == 1 else None

    def has(self, name: str) -> bool:
        return self.find(name) is not None


def _evaluate(rule: Any, skel: PosedSkeleton, index: _NameIndex) -> np.ndarray | None:
    """Positions ``[T, 3]`` of a rule on a posed skeleton, or None if it does not resolve."""
    if isinstance(rule, str):
        j = index.find(rule)
        return None if j is None else skel.positions[:, j]
    if isinstance(rule, Mapping):
        ((kind, args),) = rule.items()
        if kind == "joint":
            return _evaluate(args, skel, index)
        if kind == "end":
            j = index.find(args)
            if j is None or j not in skel.end_sites:
                return None
            return skel.local_point(j, skel.end_sites[j])
        if kind == "lerp":
            a = _evaluate(args[0], skel, index)
            b = _evaluate(args[1], skel, index)
            if a is None or b is None:
                return None
            t = float(args[2])
            return (1.0 - t) * a + t * b
        if kind == "mean":
            parts = [_evaluate(a, skel, index) for a in args]
            if any(p is None for p in parts):
                return None
            return np.mean(parts, axis=0)
        if kind == "offset":
            j = index.find(args[0])
            return None if j is None else skel.local_point(j, np.asarray(args[1], float))
        if kind == "attached":
            j, k = index.find(args[0]), index.find(args[1])
            if j is None or k is None:
                return None
            vector = skel.rest_vector(j, k)
            return None if vector is None else skel.local_point(j, float(args[2]) * vector)
    for alternative in rule:
        value = _evaluate(alternative, skel, index)
        if value is not None:
            return value
    return None


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
    index = _NameIndex(names)
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


def _resolves(rule: Any, index: _NameIndex) -> bool:
    if isinstance(rule, str):
        return index.has(rule)
    if isinstance(rule, Mapping):
        ((kind, args),) = rule.items()
        if kind == "lerp":
            return _resolves(args[0], index) and _resolves(args[1], index)
        if kind == "mean":
            return all(_resolves(a, index) for a in args)
        if kind == "offset":
            return index.has(args[0])
        if kind == "attached":
            return index.has(args[0]) and index.has(args[1])
        return index.has(args)
    return any(_resolves(r, index) for r in rule)


def _missing_required(jmap: JointMap, index: _NameIndex) -> list[str]:
    missing = [
        n for n in REQUIRED_JOINTS if n not in jmap.joints or not _resolves(jmap.joints[n], index)
    ]
    has_neck = "neck" in jmap.joints and _resolves(jmap.joints["neck"], index)
    has_head = "head" in jmap.joints and _resolves(jmap.joints["head"], index)
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
    index = _NameIndex(skel.names)
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
    for name, rule in jmap.joints.items():
        value = _evaluate(rule, skel, index)
        if value is None:
            continue
        j = JOINT_INDEX[name]
        joints[:, j] = value
        known[j] = True
        sources[name] = json.dumps(_resolved_rule(rule, index))
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


def _resolved_rule(rule: Any, index: _NameIndex) -> Any:
    """The rule with alternatives replaced by the one that resolved and names as in the file."""
    if isinstance(rule, str):
        j = index.find(rule)
        return index.names[j] if j is not None else rule
    if isinstance(rule, Mapping):
        ((kind, args),) = rule.items()
        if kind in ("joint", "end"):
            return {kind: _resolved_rule(args, index)}
        if kind == "lerp":
            return {kind: [_resolved_rule(args[0], index), _resolved_rule(args[1], index), args[2]]}
        if kind == "mean":
            return {kind: [_resolved_rule(a, index) for a in args]}
        if kind == "attached":
            return {kind: [_resolved_rule(args[0], index), _resolved_rule(args[1], index), args[2]]}
        return {kind: [_resolved_rule(args[0], index), list(args[1])]}
    for r in rule:
        if _resolves(r, index):
            return _resolved_rule(r, index)
    return rule


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def synthesise_missing(joints: np.ndarray, known: np.ndarray) -> list[int]:
    """Fill the SMPL joints a skeleton lacks, in place.

    - neck (if only the head is known): on the line from the highest known spine joint to the
      head, at the canonical skeleton's proportions;
    - spine1..3: on the line between the nearest known spine joints below and above, at the
      canonical skeleton's proportions;
    - head: above the neck along spine3 -> neck, at the canonical neck-to-head length scaled by
      the skeleton's leg length;
    - collars: ``spine3 + 0.34 (neck - spine3) + 0.36 (shoulder - spine3)`` (fit to HumanML3D);
    - feet: ahead of the ankle in the body's facing direction, 19.5 degrees down, at the
      canonical foot length scaled by the leg length.

    Args:
        joints: ``[T, 22, 3]``; rows of unknown joints are overwritten.
        known: bool ``[22]``, True where ``joints`` holds mapped values; updated in place.

    Returns:
        Indices of the synthesised joints.
    """
    done: list[int] = []
    legs = np.linalg.norm(joints[:, [1, 2]] - joints[:, [4, 5]], axis=-1) + np.linalg.norm(
        joints[:, [4, 5]] - joints[:, [7, 8]], axis=-1
    )
    body_scale = float(np.median(legs)) / _CANONICAL_LEG

    if not known[12]:  # neck from the head
        below = max(k for k in range(4) if known[_SPINE[k]])
        top = joints[:, _SPINE[below]]
        head_cum = _CUMULATIVE_SPINE[4] + CANONICAL_BONE_LENGTHS[15]
        t = (_CUMULATIVE_SPINE[4] - _CUMULATIVE_SPINE[below]) / (
            head_cum - _CUMULATIVE_SPINE[below]
        )
        joints[:, 12] = top + t * (joints[:, 15] - top)
        known[12] = True
        done.append(12)
    for k in (1, 2, 3):
        j = _SPINE[k]
        if known[j]:
            continue
        lo = max(i for i in range(k) if known[_SPINE[i]])
        hi = min(i for i in range(k + 1, 5) if known[_SPINE[i]])
        t = (_CUMULATIVE_SPINE[k] - _CUMULATIVE_SPINE[lo]) / (
            _CUMULATIVE_SPINE[hi] - _CUMULATIVE_SPINE[lo]
        )
        joints[:, j] = joints[:, _SPINE[lo]] + t * (joints[:, _SPINE[hi]] - joints[:, _SPINE[lo]])
        known[j] = True
        done.append(j)
    if not known[15]:
        direction = _unit(joints[:, 12] - joints[:, 9])
        joints[:, 15] = joints[:, 12] + direction * CANONICAL_BONE_LENGTHS[15] * body_scale
        known[15] = True
        done.append(15)
    for collar, shoulder in ((13, 16), (14, 17)):
        if known[collar]:
            continue
        spine3 = joints[:, 9]
        joints[:, collar] = (
            spine3
            + _COLLAR_NECK_WEIGHT * (joints[:, 12] - spine3)
            + _COLLAR_SHOULDER_WEIGHT * (joints[:, shoulder] - spine3)
        )
        known[collar] = True
        done.append(collar)
    if not (known[10] and known[11]):
        up = np.array([0.0, 1.0, 0.0])
        across = (joints[:, 2] - joints[:, 1]) + (joints[:, 17] - joints[:, 16])
        across[:, 1] = 0.0
        forward = _unit(np.cross(up, across))
        drop = np.radians(_FOOT_DROP_DEGREES)
        for foot, ankle in ((10, 7), (11, 8)):
            if known[foot]:
                continue
            length = CANONICAL_BONE_LENGTHS[foot] * body_scale
            joints[:, foot] = joints[:, ankle] + length * (
                np.cos(drop) * forward - np.sin(drop) * up
            )
            known[foot] = True
            done.append(foot)
    return done


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


def standing_height(joints: np.ndarray) -> float:
    """Stature estimate of a 22-joint skeleton from its legs, in the joints' units.

    Hip-joint-to-ankle length is 0.491 of stature in Drillis and Contini's anthropometric
    proportions (hip joint at 0.530 H, ankle at 0.039 H), so stature = mean leg length / 0.491,
    the leg being hip -> knee -> ankle (median over frames). It does not depend on the pose
    (crawling and lying clips measure the same) nor on where a skeleton puts its head joint,
    which varies between skeletons; HumanML3D's canonical skeleton gives 1.68 m.

    Args:
        joints: ``[T, 22, 3]`` (or ``[22, 3]``).
    """
    j = np.asarray(joints, dtype=np.float64).reshape(-1, NUM_JOINTS, 3)
    thigh = np.linalg.norm(j[:, [4, 5]] - j[:, [1, 2]], axis=-1)
    shin = np.linalg.norm(j[:, [7, 8]] - j[:, [4, 5]], axis=-1)
    return float(np.median((thigh + shin).mean(axis=-1)) / _LEG_FRACTION_OF_STATURE)


def choose_scale(
    joints: np.ndarray, jmap: JointMap, scale: float | None = None
) -> tuple[float, str]:
    """Pick the factor that turns source units into metres.

    Order: an explicit ``scale``; else the map's default if it gives a plausible height
    (`PLAUSIBLE_HEIGHT`, measured by `standing_height`); else the unit among `UNIT_CANDIDATES` that
    brings the height closest to a typical adult's.

    Args:
        joints: ``[T, 22, 3]`` in source units.
        jmap: the joint map used.
        scale: an explicit override, or None.

    Returns:
        ``(scale, how)`` where ``how`` says where the factor came from.

    Raises:
        MotionFormatError: if ``scale`` is not a positive number or the skeleton has no size.
    """
    if scale is not None:
        if not (np.isfinite(scale) and scale > 0):
            raise MotionFormatError(f"scale must be a positive number, got {scale}")
        return float(scale), "explicit"
    height = standing_height(joints)
    if not (np.isfinite(height) and height > 0):
        raise MotionFormatError("the skeleton has no size (all joints coincide); check the file")
    lo, hi = PLAUSIBLE_HEIGHT
    if jmap.scale is not None:
        if lo <= height * jmap.scale <= hi:
            return float(jmap.scale), f"joint map {jmap.name!r}"
        logger.warning(
            "the unit of joint map %s (%.6g m per unit) gives a height of %.2f m; inferring "
            "the unit instead",
            jmap.name,
            jmap.scale,
            height * jmap.scale,
        )
    name, factor = min(
        UNIT_CANDIDATES.items(), key=lambda kv: abs(np.log(height * kv[1] / _TYPICAL_STATURE))
    )
    if not lo <= height * factor <= hi:
        logger.warning(
            "no common unit gives this skeleton a plausible height (best: %s, %.2f m); pass "
            "scale= (Python) or a joint map with a scale to set the unit",
            name,
            height * factor,
        )
    return factor, f"inferred ({name}) from the skeleton's size"
