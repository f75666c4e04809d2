"""The ``--fix-feet`` option: pin feet in contact before writing motions (also the web app's
"fix feet" setting)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from momo.motion.motion import Motion
    from momo.pipelines.transfer.result import TransferResult

Report = Callable[[str], Any]


def add_fix_feet_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--fix-feet`` to a command."""
    parser.add_argument(
        "--fix-feet",
        action="store_true",
        help="pin each foot while its predicted contact channel says it touches the floor "
        "(two-bone leg IK, eased in and out over a few frames) before writing the .npy, .bvh "
        "and videos; prints foot skating before and after",
    )


def fixed_feet(
    motions: Sequence[Motion], labels: Sequence[str], report: Report | None = print
) -> tuple[list[Motion], dict[str, dict[str, float]]]:
    """``motions`` with their feet pinned (`momo.fix_feet`), and per label the foot skating
    ratio before and after (`momo.evaluation.quality.foot_skating_ratio`), each also passed
    to ``report`` as one line."""
    from momo.evaluation.quality import foot_skating_ratio
    from momo.motion.fix_feet import fix_feet

    fixed, skating = [], {}
    for motion, label in zip(motions, labels):
        result = fix_feet(motion)
        if motion.num_frames >= 2:
            before = foot_skating_ratio(motion.joints())
            after = foot_skating_ratio(result.joints())
            skating[label] = {"skating_before": before, "skating_after": after}
            if report is not None:
                report(f"fix-feet {label}: foot skating {before:.3f} -> {after:.3f}")
        fixed.append(result)
    return fixed, skating


def with_fixed_feet(result: TransferResult, report: Report | None = print) -> TransferResult:
    """The transfer result with every row's feet pinned; its config records the skating before
    and after under ``"fix_feet"``, and its metrics are those of the fixed outputs."""
    from momo.pipelines.transfer.result import TransferResult

    labels = [row.label for row in result.layout.rows]
    rows, skating = fixed_feet(result.rows, labels, report)
    return TransferResult.from_rows(
        rows,
        result.layout,
        config={**result.config, "fix_feet": skating},
        leader_input=result.leader_input,
        follower_inputs=result.follower_inputs,
        samples=result.samples,
    )
