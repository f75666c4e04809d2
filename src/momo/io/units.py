"""Stature estimates and the unit of a source skeleton (metres, centimetres, inches, ...).

BVH files do not say their unit. The stature is estimated from the legs (`standing_height`) and
the factor that turns source units into metres is chosen from it (`choose_scale`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import NUM_JOINTS

if TYPE_CHECKING:  # pragma: no cover
    from momo.io.joint_maps import JointMap

logger = logging.getLogger(__name__)

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
