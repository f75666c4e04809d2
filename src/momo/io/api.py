"""Loading and saving motions by file suffix (the public `momo.load_motion` / `momo.save_motion`).

Readable: ``.bvh`` (known skeletons chosen by joint names, or ``joint_map=``), DeepMimic motion
files (``.txt`` / ``.json``), ``.npy`` of HumanML3D features ``[T, 263]`` or joint positions
``[T, 22, 3]``, and the reference's ``results.npy`` (pick a row with ``sample=``).
Writable: ``.npy`` (features), ``.bvh`` (22-joint SMPL skeleton), ``.mp4`` / ``.gif`` (stick
figure, via `momo.io.render`). Outputs are written atomically and never replace an existing file
unless ``overwrite=True``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from momo.errors import MissingFileError, MotionFormatError
from momo.io.joint_maps import JointMap, standing_height
from momo.motion.motion import Motion
from momo.motion.representation import FPS

JointMapSpec = JointMap | dict[str, Any] | str | os.PathLike[str] | None

#: Suffixes `load_motion` / `load_joints` read.
READABLE_SUFFIXES: tuple[str, ...] = (".bvh", ".txt", ".json", ".npy")
#: Suffixes `save_motion` writes.
WRITABLE_SUFFIXES: tuple[str, ...] = (".npy", ".bvh", ".mp4", ".gif")


def _existing_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    try:
        exists = p.exists()
    except OSError as err:  # e.g. a name longer than the file system allows
        raise MotionFormatError(
            f"{str(p)[:80]}...: not a usable path ({err.strerror}); pass a motion file"
        ) from None
    if not exists:
        raise MissingFileError(f"motion file not found: {p}")
    if not p.is_file():
        raise MotionFormatError(f"{p} is not a file; pass a motion file")
    return p


def _suffix(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise MotionFormatError(
            f"{path}: cannot read {suffix or 'files without a suffix'}; supported: "
            f"{', '.join(READABLE_SUFFIXES)} (BVH, DeepMimic .txt/.json, HumanML3D .npy, "
            "results.npy)"
        )
    return suffix


def _reject_sample(sample: int | None, source: str) -> None:
    if sample is not None:
        raise MotionFormatError(f"{source}: sample= only applies to a results.npy file")


def joints_from_bytes(
    name: str,
    data: bytes,
    *,
    joint_map: JointMapSpec = None,
    scale: float | None = None,
    up_axis: str = "auto",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import a BVH or DeepMimic motion from its bytes (e.g. an archive member).

    Args:
        name: the file or member name; its suffix picks the format.
        data: the file's bytes.
        joint_map: as for `load_joints`.
        scale: as for `load_joints`.
        up_axis: as for `load_joints`.

    Returns:
        ``(joints [T, 22, 3] float32 metres at 20 fps, info)``.

    Raises:
        MotionFormatError: for other suffixes or malformed contents.
    """
    from momo.io.bvh_parse import decode_text

    suffix = Path(name).suffix.lower()
    text = decode_text(data, name)
    if suffix == ".bvh":
        from momo.io.bvh import parse_bvh, read_bvh_joints

        return read_bvh_joints(
            parse_bvh(text, name), joint_map=joint_map, scale=scale, up_axis=up_axis
        )
    if suffix in (".txt", ".json"):
        from momo.io.deepmimic import read_deepmimic_joints

        return read_deepmimic_joints(
            name, joint_map=joint_map, scale=scale, text=text, up_axis=up_axis
        )
    raise MotionFormatError(
        f"{name}: only .bvh, .txt and .json motion files can be read from bytes"
    )


def load_joints(
    path: str | os.PathLike[str],
    *,
    joint_map: JointMapSpec = None,
    scale: float | None = None,
    sample: int | None = None,
    up_axis: str = "auto",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Import a motion file as joint positions in HumanML3D's 22-joint layout.

    Args:
        path: a ``.bvh``, DeepMimic ``.txt``/``.json``, ``.npy`` (features or joints) or
            reference ``results.npy`` file.
        joint_map: for BVH/DeepMimic: None to choose by joint names, the name of a known map,
            a dict or a JSON file path (see `momo.io.joint_maps`).
        scale: source units -> metres for BVH/DeepMimic (default: the map's unit, else inferred
            from the skeleton's size).
        sample: which motion of a ``results.npy`` file (required when it holds several).
        up_axis: for BVH/DeepMimic: ``"auto"`` to detect the file's up axis from its skeleton
            (`momo.io.up_axis`), or ``"y"``, ``"z"``, ``"x"``, ``"-y"``, ... to give it; the
            joints are turned so that it becomes +Y. ``.npy`` motions are Y up by definition.

    Returns:
        ``(joints, info)``: float32 ``[T, 22, 3]`` in metres at 20 fps, Y up, in the file's own
        placement (not moved to the origin nor turned about the vertical), and a dict describing
        the import (``format``, ``joint_map``, ``scale``, ``source_fps``, ``frames``,
        ``up_axis``, ``height_m``, ...).
        Features are turned into joints with `momo.features_to_joints`.

    Raises:
        MissingFileError: if the path does not exist.
        MotionFormatError: for unsupported suffixes, malformed files, unknown skeletons (the
            message lists the joints seen and how to pass a map) and bad arguments.
    """
    p = _existing_file(path)
    suffix = _suffix(p)
    if suffix == ".npy":
        _npy_up_axis(up_axis, p)
        joints, info, _ = _load_npy(p, sample)
        return joints, info
    _reject_sample(sample, str(p))
    if suffix == ".bvh":
        from momo.io.bvh import read_bvh_joints

        return read_bvh_joints(p, joint_map=joint_map, scale=scale, up_axis=up_axis)
    data = p.read_bytes()
    if suffix == ".json" and not _looks_like_deepmimic(data):
        raise MotionFormatError(
            f"{p}: a .json motion must be a DeepMimic motion file (an object with 'Frames')"
        )
    return joints_from_bytes(str(p), data, joint_map=joint_map, scale=scale, up_axis=up_axis)


def _npy_up_axis(up_axis: str, path: Path) -> None:
    """Refuse an up axis other than Y for ``.npy`` motions (HumanML3D's arrays are Y up)."""
    from momo.io.up_axis import check_up_axis

    if check_up_axis(up_axis) not in ("auto", "y"):
        raise MotionFormatError(
            f"{path}: up_axis={up_axis!r} applies to BVH and DeepMimic files; .npy motions are "
            "Y up by definition (rotate the array yourself if it is not)"
        )


def _looks_like_deepmimic(data: bytes) -> bool:
    try:
        obj = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return True  # let the DeepMimic parser report what is wrong
    return isinstance(obj, dict) and "Frames" in obj


def _too_short(path: Path, frames: int) -> MotionFormatError:
    return MotionFormatError(
        f"{path}: the motion has {frames} frame at 20 fps; it needs at least 2 (0.1 s) to "
        "become features"
    )


def _load_npy(
    path: Path, sample: int | None, for_features: bool = False
) -> tuple[np.ndarray, dict[str, Any], tuple[np.ndarray | None, str | None]]:
    """Joints, info and (features if the file held features, caption if it had one).

    With ``for_features``, joints of fewer than 2 frames are refused first (they cannot become
    features), before their size is checked.
    """
    from momo.io.formats import (
        check_feature_values,
        check_joints_scale,
        classify_array,
        read_npy,
        read_results_npy,
    )

    obj = read_npy(path)
    if isinstance(obj, dict):
        # Not checked for size: results.npy files hold model outputs, even of untrained models.
        joints, text, info = read_results_npy(obj, str(path), sample)
        info.update(source=str(path), frames=int(joints.shape[0]), fps=FPS)
        info["height_m"] = standing_height(joints)
        return joints, info, (None, text)
    if not isinstance(obj, np.ndarray):
        raise MotionFormatError(
            f"{path}: holds a {type(obj).__name__}; expected an array or a results.npy dict"
        )
    _reject_sample(sample, str(path))
    kind = classify_array(obj, str(path))
    if kind == "features":
        from momo.motion.kinematics import features_to_joints

        check_feature_values(obj, str(path))
        features = obj.astype(np.float32)
        joints = np.asarray(features_to_joints(features), dtype=np.float32)
        info = {"format": "npy (HumanML3D features)", "source": str(path)}
        info.update(frames=int(joints.shape[0]), fps=FPS, height_m=standing_height(joints))
        return joints, info, (features, None)
    joints = obj.astype(np.float32)
    if for_features and joints.shape[0] < 2:
        raise _too_short(path, joints.shape[0])
    check_joints_scale(joints, str(path))
    info = {"format": "npy (joint positions)", "source": str(path)}
    info.update(frames=int(joints.shape[0]), fps=FPS, height_m=standing_height(joints))
    return joints, info, (None, None)


def load_motion(
    path: str | os.PathLike[str],
    text: str | None = None,
    *,
    joint_map: JointMapSpec = None,
    sample: int | None = None,
    scale: float | None = None,
    name: str | None = None,
    up_axis: str = "auto",
) -> Motion:
    """Load a motion file as a `momo.Motion` (HumanML3D features at 20 fps).

    Joint positions from any source go through `momo.joints_to_features` (HumanML3D's own
    procedure: retarget onto the canonical skeleton, floor, face +Z) and keep their frame count
    (see `features_keeping_frames`); a features ``.npy`` is taken as it is.

    Args:
        path: see `load_joints` for the formats.
        text: a caption; default: the caption stored in a ``results.npy``, else None.
        joint_map: for BVH/DeepMimic skeletons (see `load_joints`).
        sample: which motion of a ``results.npy``.
        scale: source units -> metres for BVH/DeepMimic.
        name: the motion's name (default: the file name).
        up_axis: the file's up axis for BVH/DeepMimic, or ``"auto"`` (see `load_joints`).

    Returns:
        The motion; ``meta`` holds the import description (format, joint map, scale, ...).

    Raises:
        MissingFileError: if the path does not exist.
        MotionFormatError: for unsupported or malformed files, unknown skeletons, or motions
            shorter than two frames (joints) / one frame (features).
    """
    p = _existing_file(path)
    suffix = _suffix(p)
    stored_text: str | None = None
    features: np.ndarray | None = None
    if suffix == ".npy":
        _npy_up_axis(up_axis, p)
        joints, info, (features, stored_text) = _load_npy(p, sample, for_features=True)
    else:
        joints, info = load_joints(
            p, joint_map=joint_map, scale=scale, sample=sample, up_axis=up_axis
        )
    if features is None:
        if joints.shape[0] < 2:
            raise _too_short(p, joints.shape[0])
        features = features_keeping_frames(joints)
    meta = {k: v for k, v in info.items() if k != "joint_sources"}
    return Motion(
        features,
        text=text if text is not None else stored_text,
        name=name if name is not None else p.name,
        meta=meta,
    )


def features_keeping_frames(joints: np.ndarray) -> np.ndarray:
    """HumanML3D features with one row per frame of ``joints`` ``[T, 22, 3]`` -> ``[T, 263]``.

    HumanML3D's procedure (`momo.joints_to_features`) makes T - 1 rows: row ``i`` holds pose
    ``i`` and the velocities from pose ``i`` to ``i + 1``, so the last pose has no row and every
    joints -> features -> joints round trip would lose a frame. Here the procedure runs on the
    motion extended by one pose, exactly as HumanML3D would process a clip one frame longer: the
    last pose glides on for one frame at the root's last horizontal velocity (a rigid horizontal
    shift, so no bone length, height, floor or facing changes). Every row's pose part is the pose
    itself; only the last row's velocities and foot contacts come from the extension.
    `momo.features_to_joints` does not use the last row's velocities, so joints -> features ->
    joints returns every pose, and the frame count survives ``.npy`` and BVH round trips.
    """
    from momo.motion.kinematics import joints_to_features

    joints = np.asarray(joints, dtype=np.float64)
    following = joints[-1].copy()
    following[:, [0, 2]] += joints[-1, 0, [0, 2]] - joints[-2, 0, [0, 2]]
    extended = np.concatenate([joints, following[None]])
    return np.asarray(joints_to_features(extended), dtype=np.float32)


#: ``skeleton=`` values of `save_motion` besides a ``.bvh`` path.
SMPL_SKELETON = "smpl"


def own_rig(motion: Motion) -> str | None:
    """The BVH file a motion was loaded from, if it was and the file is still there."""
    source = motion.meta.get("source")
    if motion.meta.get("format") == "bvh" and isinstance(source, str) and Path(source).is_file():
        return source
    return None


def save_motion(
    motion: Motion,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    skeleton: str | os.PathLike[str] | None = None,
    keep: bool | None = None,
) -> None:
    """Save a motion by suffix, atomically.

    - ``.npy``: the raw features, float32 ``[T, 263]``;
    - ``.bvh``: on the skeleton ``skeleton`` names: ``"smpl"`` for a 22-joint SMPL-named
      skeleton on the motion's own (fitted) bone lengths at 20 fps (`momo.io.bvh_write`), or a
      ``.bvh`` file whose rig (names, hierarchy, rest pose, channel orders, units, up axis, frame rate) to
      write on (`momo.io.retarget`; `own_rig` gives the file a motion was loaded from).
      Default ``"smpl"``;
    - ``.mp4`` / ``.gif``: a stick-figure video (`momo.io.render.render_motions`), titled with
      the caption or name.

    Args:
        motion: the motion.
        path: the output path.
        overwrite: replace an existing file.
        skeleton: for ``.bvh`` outputs, see above; ignored for other suffixes.
        keep: on a rig file, let the joints the 22-joint layout does not drive (fingers, twist
            bones) follow that file's own motion instead of its rest pose (default: when the
            file is the one the motion was loaded from).

    Raises:
        OutputExistsError: if the file exists and ``overwrite`` is False.
        MissingFileError: if ``skeleton`` names a file that does not exist.
        MotionFormatError: for other suffixes, or a ``skeleton`` that is not ``"smpl"`` nor a
            ``.bvh`` file a joint map fits.
    """
    from momo.utils.files import check_output_path

    if not isinstance(motion, Motion):
        raise MotionFormatError(
            f"save_motion takes a momo.Motion, got {type(motion).__name__}; wrap features with "
            "momo.Motion(features)"
        )
    suffix = Path(path).suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        raise MotionFormatError(
            f"{path}: cannot write {suffix or 'files without a suffix'}; supported: "
            f"{', '.join(WRITABLE_SUFFIXES)}"
        )
    check_output_path(path, overwrite=overwrite)
    if suffix == ".npy":
        from momo.io.formats import save_features_npy

        save_features_npy(motion.features, path, overwrite=overwrite)
    elif suffix == ".bvh":
        _save_bvh(motion, path, overwrite, skeleton, keep)
    else:
        from momo.io.render import render_motions

        title = motion.text or motion.name
        render_motions(
            [motion.joints()], path, titles=[title] if title else None, overwrite=overwrite
        )


def _save_bvh(
    motion: Motion,
    path: str | os.PathLike[str],
    overwrite: bool,
    skeleton: str | os.PathLike[str] | None,
    keep: bool | None,
) -> None:
    rig = SMPL_SKELETON if skeleton is None else skeleton
    if str(rig).lower() == SMPL_SKELETON:
        from momo.io.bvh_write import write_bvh

        write_bvh(motion, path, overwrite=overwrite)
        return
    from momo.io.retarget import write_on_rig

    if keep is None:
        own = own_rig(motion)
        keep = own is not None and Path(own).resolve() == Path(rig).resolve()
    write_on_rig(motion.joints(), path, rig, keep=keep, overwrite=overwrite)
