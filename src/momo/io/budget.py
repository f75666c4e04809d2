"""Size limits checked before a reader allocates anything proportional to what a file declares.

A motion file can declare far more than it holds: ``Frames: 1000000`` in a BVH without
channels, a ``Frame Time`` or DeepMimic ``dt`` of years (resampled to 20 fps), a ``.npy`` header
with a huge shape. Readers compute the sizes such declarations imply and check them here first,
so a small file never makes momo take gigabytes of memory.
"""

from __future__ import annotations

from momo.errors import MotionFormatError

#: Most frames x source joints a posed skeleton may hold (after resampling to 20 fps): 2**19,
#: e.g. 7 minutes at 20 fps of a 60-joint skeleton (a motion model takes 10 s); reading a clip
#: this size peaks at about 170 MB (benchmarks/reader_memory.py).
MAX_POSE_VALUES = 2**19
#: Most frames a clip may have at 20 fps, whatever its skeleton: 2**14, 13.6 minutes.
MAX_FRAMES = 2**14
#: Most frames a source file may declare (e.g. 9.7 hours at 120 fps).
MAX_SOURCE_FRAMES = 2**22
#: Plausible source frame rates (frames per second).
FRAME_RATE_RANGE: tuple[float, float] = (0.1, 10_000.0)
#: Most bytes a ``.npy`` array may take once loaded.
MAX_ARRAY_BYTES = 2**30


def check_frame_rate(fps: float, source: str) -> None:
    """Raise if a source frame rate is outside `FRAME_RATE_RANGE`."""
    lo, hi = FRAME_RATE_RANGE
    if not lo <= fps <= hi:
        raise MotionFormatError(
            f"{source}: a frame rate of {fps:.6g} fps is not plausible (expected {lo:g} to "
            f"{hi:g}); fix the file's frame time"
        )


def check_source_frames(frames: int, source: str) -> None:
    """Raise if a file declares more than `MAX_SOURCE_FRAMES` frames."""
    if frames > MAX_SOURCE_FRAMES:
        raise MotionFormatError(
            f"{source}: declares {frames} frames, more than the {MAX_SOURCE_FRAMES} momo reads; "
            "split the file into shorter clips"
        )


def check_pose_size(duration: float, fps: float, joints: int, source: str) -> int:
    """Frames a clip of ``duration`` seconds has at ``fps``, checked against `MAX_POSE_VALUES`
    (frames x joints) and `MAX_FRAMES`.

    Returns:
        The frame count ``floor(duration * fps) + 1`` (as `momo.io.skeleton.target_times`).

    Raises:
        MotionFormatError: if frames x joints or frames exceed the budget.
    """
    frames_float = duration * fps + 1.0
    if not (frames_float * max(joints, 1) <= MAX_POSE_VALUES and frames_float <= MAX_FRAMES):
        minutes = min(MAX_POSE_VALUES / max(joints, 1), MAX_FRAMES) / fps / 60.0
        raise MotionFormatError(
            f"{source}: the clip lasts {duration:.6g} s, {frames_float:.6g} frames at {fps:g} fps "
            f"of {joints} joints; momo reads at most {minutes:.1f} minutes of a skeleton this "
            "size: cut the clip into shorter pieces (or check its frame time)"
        )
    return int(frames_float)
