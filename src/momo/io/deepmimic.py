"""DeepMimic motion files (``.txt`` / ``.json``): the 13-joint ``humanoid3d`` character.

A file is JSON: ``{"Loop": ..., "Frames": [[dt, root position (3), root rotation (4), chest (4),
neck (4), right hip (4), right knee (1), right ankle (4), right shoulder (4), right elbow (1),
left hip (4), left knee (1), left ankle (4), left shoulder (4), left elbow (1)], ...]}`` (44
numbers a frame). Rotations are quaternions ``(w, x, y, z)`` relative to the parent joint, knees
and elbows single revolute angles (radians) about their local Z axis. ``dt`` is the duration of
the frame, so frame ``i`` is at the sum of the previous durations. Metres, Y up, the character
faces +X and its right side is +Z (a right-handed frame).

The skeleton's joint offsets are those of DeepMimic's ``data/characters/humanoid3d.txt``. On
import the motion is turned a quarter turn about +Y (a rotation, not a mirror) so that +X forward
becomes +Z forward and the right side (+Z) becomes -X, HumanML3D's convention (left on +X).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from momo.errors import MotionFormatError
from momo.io.budget import check_pose_size, check_source_frames
from momo.io.joint_maps import (
    JointMap,
    import_skeleton,
    load_joint_map,
)
from momo.io.skeleton import (
    PosedSkeleton,
    forward_kinematics,
    resample_local,
    rest_pose,
    target_times,
)
from momo.io.up_axis import source_up_axis, turn_y_up
from momo.motion.representation import FPS

#: Joints of the humanoid3d character (the wrists are fixed joints, not in the motion data).
JOINT_NAMES: tuple[str, ...] = (
    "root",
    "chest",
    "neck",
    "right_hip",
    "right_knee",
    "right_ankle",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_hip",
    "left_knee",
    "left_ankle",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
)
PARENTS: tuple[int, ...] = (-1, 0, 1, 0, 3, 4, 1, 6, 7, 0, 9, 10, 1, 12, 13)
#: Attachment of each joint in its parent's frame (metres; +X forward, +Y up, +Z right).
OFFSETS: np.ndarray = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 0.236151, 0.0],
        [0.0, 0.223894, 0.0],
        [0.0, 0.0, 0.084887],
        [0.0, -0.421546, 0.0],
        [0.0, -0.409870, 0.0],
        [-0.024050, 0.243500, 0.183110],
        [0.0, -0.274788, 0.0],
        [0.0, -0.258947, 0.0],
        [0.0, 0.0, -0.084887],
        [0.0, -0.421546, 0.0],
        [0.0, -0.409870, 0.0],
        [-0.024050, 0.243500, -0.183110],
        [0.0, -0.274788, 0.0],
        [0.0, -0.258947, 0.0],
    ]
)
OFFSETS.flags.writeable = False

# Per frame after dt and the root position: (joint, kind) in file order.
_LAYOUT: tuple[tuple[int, str], ...] = (
    (0, "quat"),
    (1, "quat"),
    (2, "quat"),
    (3, "quat"),
    (4, "angle"),
    (5, "quat"),
    (6, "quat"),
    (7, "angle"),
    (9, "quat"),
    (10, "angle"),
    (11, "quat"),
    (12, "quat"),
    (13, "angle"),
)
FRAME_SIZE = 1 + 3 + sum(4 if kind == "quat" else 1 for _, kind in _LAYOUT)  # 44

# A quarter turn about +Y taking DeepMimic's +X (forward) to +Z and +Z (right) to -X.
_TO_HUMANML3D = Rotation.from_euler("y", -90.0, degrees=True)

DEEPMIMIC = JointMap(
    name="deepmimic_humanoid3d",
    description="DeepMimic humanoid3d (13 joints; spine, collars, feet and head synthesised)",
    scale=1.0,
    joints={
        "pelvis": "root",
        "spine2": "chest",
        "neck": "neck",
        # The head joint sits above the neck joint, leaning forward as SMPL's does (0.103 m, the
        # canonical neck-head length). The foot (toe-base) joint is at the ball of the foot,
        # inside the foot about 2 cm above the sole as SMPL's is: the humanoid3d foot box runs
        # from 4.4 cm behind to 13.4 cm ahead of the ankle and its sole is 5 cm below it.
        "head": {"offset": ["neck", [0.04, 0.095, 0.0]]},
        "left_hip": "left_hip",
        "right_hip": "right_hip",
        "left_knee": "left_knee",
        "right_knee": "right_knee",
        "left_ankle": "left_ankle",
        "right_ankle": "right_ankle",
        "left_foot": {"offset": ["left_ankle", [0.125, -0.035, 0.0]]},
        "right_foot": {"offset": ["right_ankle", [0.125, -0.035, 0.0]]},
        "left_shoulder": "left_shoulder",
        "right_shoulder": "right_shoulder",
        "left_elbow": "left_elbow",
        "right_elbow": "right_elbow",
        "left_wrist": "left_wrist",
        "right_wrist": "right_wrist",
    },
)


def _fail(source: str, message: str) -> MotionFormatError:
    return MotionFormatError(f"{source}: {message}")


def parse_deepmimic(text: str, source: str = "<string>") -> tuple[np.ndarray, str | None]:
    """Parse a DeepMimic motion file.

    Args:
        text: the file's JSON text.
        source: a name for error messages.

    Returns:
        ``(frames, loop)``: float64 ``[F, 44]`` rows and the ``Loop`` mode (or None).

    Raises:
        MotionFormatError: if the text is not a DeepMimic motion (the message says why).
    """
    if not text.strip():
        raise _fail(source, "the file is empty; pass a DeepMimic motion file (JSON with Frames)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise _fail(
            source,
            f"not valid JSON ({err.msg} at line {err.lineno}); the file is truncated or "
            "not a DeepMimic motion file",
        ) from None
    except RecursionError:
        raise _fail(source, "the JSON is nested too deeply to be a DeepMimic motion file") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise _fail(source, f"not a DeepMimic motion file: {str(err)[:120]}") from None
    if not isinstance(data, dict) or "Frames" not in data:
        raise _fail(source, "not a DeepMimic motion file: no 'Frames' list")
    rows = data["Frames"]
    if not isinstance(rows, list) or not rows:
        raise _fail(source, "'Frames' is empty; the motion needs at least one frame")
    bad = next(
        (i for i, r in enumerate(rows) if not isinstance(r, list) or len(r) != FRAME_SIZE), None
    )
    if bad is not None:
        got = len(rows[bad]) if isinstance(rows[bad], list) else type(rows[bad]).__name__
        raise _fail(
            source,
            f"frame {bad} has {got} values; a humanoid3d frame has {FRAME_SIZE} (dt, root "
            "position, 13 joint rotations); other characters are not supported",
        )
    for i, row in enumerate(rows):
        bad_values = [v for v in row if not _is_number(v)]
        if bad_values:
            shown = json.dumps(bad_values[0])[:40]
            raise _fail(
                source,
                f"'Frames' holds values that are not numbers (frame {i}: {shown}); every "
                "frame value must be a number (booleans, lists and strings are not)",
            )
    check_source_frames(len(rows), source)
    try:
        frames = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise _fail(source, "'Frames' holds values that are not numbers") from None
    if not np.isfinite(frames).all():
        bad_frame = int(np.argwhere(~np.isfinite(frames))[0, 0])
        raise _fail(source, f"frame {bad_frame} contains NaN or Inf; clean the file first")
    if (frames[:, 0] < 0).any():
        raise _fail(source, "a frame has a negative duration (dt); the file is malformed")
    loop = data.get("Loop")
    return frames, loop if isinstance(loop, str) else None


def _is_number(value: Any) -> bool:
    """A JSON number (not a boolean, which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def deepmimic_local_pose(frames: np.ndarray, source: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Local rotations and translations of the 15 humanoid3d joints, in HumanML3D's axes.

    Args:
        frames: ``[F, 44]`` rows from `parse_deepmimic`.

    Returns:
        ``(quats [F, 15, 4] scipy (x, y, z, w), translations [F, 15, 3])``; the root's rotation
        and position are turned to face +Z.
    """
    num_frames = frames.shape[0]
    quats = np.zeros((num_frames, len(JOINT_NAMES), 4))
    quats[..., 3] = 1.0
    translations = np.broadcast_to(OFFSETS, (num_frames, *OFFSETS.shape)).copy()
    col = 4
    for joint, kind in _LAYOUT:
        if kind == "quat":
            wxyz = frames[:, col : col + 4]
            norm = np.linalg.norm(wxyz, axis=-1, keepdims=True)
            if (norm < 1e-6).any():
                raise _fail(
                    source,
                    f"joint {JOINT_NAMES[joint]!r} has a zero quaternion; the file is malformed",
                )
            quats[:, joint] = (wxyz / norm)[:, [1, 2, 3, 0]]
            col += 4
        else:
            angle = frames[:, col]
            quats[:, joint] = Rotation.from_rotvec(
                angle[:, None] * np.array([0.0, 0.0, 1.0])
            ).as_quat()
            col += 1
    root = _TO_HUMANML3D * Rotation.from_quat(quats[:, 0])
    quats[:, 0] = root.as_quat()
    translations[:, 0] = _TO_HUMANML3D.apply(frames[:, 1:4])
    return quats, translations


def pose_deepmimic(frames: np.ndarray, fps: float = FPS, source: str = "") -> PosedSkeleton:
    """Global poses of the humanoid3d joints, resampled to ``fps`` (slerp, see `momo.io.skeleton`).

    Frame ``i`` is at the sum of the durations of frames ``0 .. i-1``; the clip ends at the last
    frame (its own duration, often 0, is not used).
    """
    times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
    if len(times) > 1 and not (np.diff(times) > 0).all():
        raise _fail(source, "frames have zero durations (dt) in the middle of the clip")
    check_pose_size(float(times[-1]), fps, len(JOINT_NAMES), source)
    quats, translations = deepmimic_local_pose(frames, source)
    dst = target_times(float(times[-1]), fps)
    quats, translations = resample_local(quats, translations, times, dst)
    positions, rotations = forward_kinematics(PARENTS, quats, translations)
    return PosedSkeleton(
        names=JOINT_NAMES,
        parents=PARENTS,
        positions=positions,
        rotations=rotations,
        rest_offsets=np.array(OFFSETS),
        end_sites={},
        fps=float(fps),
    )


def read_deepmimic_joints(
    path: str | os.PathLike[str],
    *,
    joint_map: JointMap | dict[str, Any] | str | os.PathLike[str] | None = None,
    scale: float | None = None,
    text: str | None = None,
    up_axis: str = "auto",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import a DeepMimic motion file as the 22 SMPL joints in metres at 20 fps.

    Args:
        path: the file (or, with ``text``, just a name for messages).
        joint_map: None for the built-in humanoid3d map (`DEEPMIMIC`), or another map whose
            rules use the names in `JOINT_NAMES`.
        scale: metres per file unit (default 1: DeepMimic is in metres).
        text: the file's contents, if already read (e.g. from an archive).
        up_axis: ``"auto"`` (DeepMimic is Y up; detected from the rest pose) or an axis to
            force (see `momo.io.up_axis`).

    Returns:
        ``(joints, info)``: float32 ``[T, 22, 3]`` (Y up, facing +Z at rest) and a description.

    Raises:
        FileNotFoundError: if the path does not exist (and no ``text`` is given).
        MotionFormatError: if the file is malformed.
    """
    source = os.fspath(path)
    if text is None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"motion file not found: {p}")
        raw = p.read_bytes()
        if b"\x00" in raw[:4096]:
            raise _fail(source, "not a text file; pass a DeepMimic motion (JSON text)")
        text = raw.decode("utf-8", errors="replace")
    frames, loop = parse_deepmimic(text, source)
    jmap = DEEPMIMIC if joint_map is None else load_joint_map(joint_map)
    duration = float(frames[:-1, 0].sum())
    skel = pose_deepmimic(frames, FPS, source)
    rest = rest_pose(JOINT_NAMES, PARENTS, OFFSETS)
    axis, how = source_up_axis(skel, jmap, up_axis, rest, source)
    return import_skeleton(
        turn_y_up(skel, axis),
        jmap,
        scale,
        format_name="deepmimic",
        source=source,
        details={
            "source_joints": len(JOINT_NAMES),
            "source_fps": (len(frames) - 1) / duration if duration > 0 else None,
            "source_frames": int(len(frames)),
            "loop": loop,
            "up_axis": axis,
            "up_axis_source": how,
        },
    )
