"""The ``--fix-feet`` option: pin feet in contact before writing motions."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from momo.motion.motion import Motion


def add_fix_feet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--fix-feet`` to a command."""
    parser.add_argument(
        "--fix-feet",
        action="store_true",
        help="pin each foot while its predicted contact channel says it touches the floor "
        "(two-bone leg IK, eased in and out over a few frames) before writing the .npy, .bvh "
        "and videos; prints foot skating before and after",
    )


def fixed_feet(motions: Sequence[Motion], labels: Sequence[str]) -> list[Motion]:
    """``motions`` with their feet pinned (`momo.fix_feet`); prints one line per motion with
    its foot skating ratio before and after (`momo.evaluation.quality.foot_skating_ratio`)."""
    from momo.evaluation.quality import foot_skating_ratio
    from momo.motion.fix_feet import fix_feet

    fixed = []
    for motion, label in zip(motions, labels):
        result = fix_feet(motion)
        if motion.num_frames >= 2:
            before = foot_skating_ratio(motion.joints())
            after = foot_skating_ratio(result.joints())
            print(f"fix-feet {label}: foot skating {before:.3f} -> {after:.3f}")
        fixed.append(result)
    return fixed
