"""Writing a 22-joint motion as a DeepMimic ``humanoid3d`` motion file (its own skeleton).

The inverse of `momo.io.deepmimic`'s import: joint rotations of the humanoid3d character are
solved, parents first, so that its joints land on the motion's mapped joints, in DeepMimic's
axes (+X forward, +Y up, +Z right; the import's quarter turn undone):

- root and chest (three children each: chest and hips; neck and shoulders) get the rotation
  that best maps their rest offsets onto the observed ones (Kabsch, as `momo.io.retarget`);
- hips and shoulders carry a single-axis knee or elbow, which bends about its local Z axis: their
  rotation turns the bone onto the observed direction with the local Z axis normal to the plane
  of the limb (upper bone and lower bone), on the side of the parent's Z axis (so a straight
  limb keeps the parent's twist); the knee or elbow angle is then the lower bone's angle in that
  plane;
- the neck and ankles aim the offsets the import places the head and toes at (shortest arc from
  the parent's rotation: positions fix no twist); the wrists are fixed joints.

Frames are written at the times asked for, e.g. those of the file the motion came from, so the
written file has its frame count and ``dt``: the joint positions are interpolated to those times
with a cubic spline through the 20 fps frames (closer to fast motion than slerping rotations
solved at 20 fps) and the rotations solved there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation

from momo.io.bvh_write import checked_joints
from momo.io.deepmimic import _LAYOUT, _TO_HUMANML3D, OFFSETS, PARENTS
from momo.io.skeleton import resample_local
from momo.motion.representation import FPS
from momo.motion.rotations import shortest_arc
from momo.utils.files import atomic_output

#: SMPL joint index of each humanoid3d joint whose position the import maps directly.
_SMPL_OF = {0: 0, 1: 6, 2: 12, 3: 2, 4: 5, 5: 8, 6: 17, 7: 19, 8: 21}
_SMPL_OF.update({9: 1, 10: 4, 11: 7, 12: 16, 13: 18, 14: 20})
#: Where the import places SMPL's head (in the neck's frame) and toes (in the ankle's frame).
_HEAD_OFFSET = np.array([0.04, 0.095, 0.0])
_TOE_OFFSET = np.array([0.125, -0.035, 0.0])
#: (limb root, hinge, end) of each leg and arm: hip/knee/ankle, shoulder/elbow/wrist.
_LIMBS = ((3, 4, 5), (9, 10, 11), (6, 7, 8), (12, 13, 14))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def _kabsch(rest: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Rotations ``[T, 3, 3]`` best mapping ``rest [K, 3]`` onto ``observed [T, K, 3]``."""
    h = np.einsum("k,tka,kb->tab", np.linalg.norm(rest, axis=-1), _unit(observed), _unit(rest))
    u, _, vt = np.linalg.svd(h)
    u = u.copy()
    u[:, :, 2] *= np.sign(np.linalg.det(u @ vt))[:, None]
    return u @ vt


def _swing(parent: np.ndarray, offset: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Global rotation: ``parent`` turned by the shortest arc taking its ``offset`` onto
    ``observed``."""
    current = np.einsum("tab,b->ta", parent, offset)
    return Rotation.from_quat(shortest_arc(current, observed)).as_matrix() @ parent


def _limb(
    parent: np.ndarray, upper: np.ndarray, lower: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Global rotation of a limb root whose rest bone is along -Y and the hinge angle below it.

    The root's -Y follows ``upper``; its Z is the limb plane's normal on the parent's Z side.
    """
    y = -_unit(upper)
    parent_z = parent[:, :, 2]
    normal = np.cross(upper, lower)
    normal *= np.where(np.einsum("ta,ta->t", normal, parent_z) < 0, -1.0, 1.0)[:, None]
    fallback = parent_z - np.einsum("ta,ta->t", parent_z, y)[:, None] * y
    weak = np.linalg.norm(normal, axis=-1) < 1e-6 * np.linalg.norm(upper, axis=-1) ** 2
    z = _unit(np.where(weak[:, None], fallback, normal))
    z = _unit(z - np.einsum("ta,ta->t", z, y)[:, None] * y)
    glob = np.stack([np.cross(y, z), y, z], axis=-1)
    local = np.einsum("tba,tb->ta", glob, lower)
    return glob, np.arctan2(local[:, 0], -local[:, 1])


def solve_deepmimic(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations ``[T, 15, 4]`` (scipy's ``x, y, z, w``) and the root position ``[T, 3]``
    of the humanoid3d character posed like ``joints`` (HumanML3D axes), in DeepMimic's axes."""
    p = _TO_HUMANML3D.inv().apply(joints.reshape(-1, 3)).reshape(joints.shape)
    pos = {k: p[:, s] for k, s in _SMPL_OF.items()}
    num_frames = p.shape[0]
    glob = np.empty((num_frames, len(PARENTS), 3, 3))
    glob[:, 0] = _kabsch(OFFSETS[[1, 3, 9]], np.stack([pos[k] - pos[0] for k in (1, 3, 9)], 1))
    glob[:, 1] = _kabsch(OFFSETS[[2, 6, 12]], np.stack([pos[k] - pos[1] for k in (2, 6, 12)], 1))
    glob[:, 2] = _swing(glob[:, 1], _HEAD_OFFSET, p[:, 15] - pos[2])
    hinge = {}
    for top, mid, end in _LIMBS:
        glob[:, top], hinge[mid] = _limb(
            glob[:, PARENTS[top]], pos[mid] - pos[top], pos[end] - pos[mid]
        )
        turn = Rotation.from_rotvec(hinge[mid][:, None] * np.array([0.0, 0.0, 1.0]))
        glob[:, mid] = glob[:, top] @ turn.as_matrix()
        glob[:, end] = glob[:, mid]  # wrists are fixed; ankles are solved below
    for ankle, toe in ((5, 11), (11, 10)):
        glob[:, ankle] = _swing(glob[:, ankle - 1], _TOE_OFFSET, p[:, toe] - pos[ankle])
    local = np.empty_like(glob)
    local[:, 0] = glob[:, 0]
    parents = list(PARENTS[1:])
    local[:, 1:] = np.einsum("tjba,tjbc->tjac", glob[:, parents], glob[:, 1:])
    quats = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_quat().reshape(num_frames, -1, 4)
    return quats, pos[0]


def deepmimic_text(
    joints: np.ndarray, times: np.ndarray | None = None, *, loop: str = "none"
) -> str:
    """The DeepMimic motion file text of a 20 fps motion.

    Args:
        joints: ``[T, 22, 3]`` positions in metres, Y up, facing +Z (as the import gives them).
        times: the frame times (seconds) to write, e.g. those of the file the motion came from
            (default: the motion's own 20 fps frames).
        loop: the file's ``Loop`` entry.

    Raises:
        MotionFormatError: if ``joints`` is not a finite ``[T, 22, 3]`` array with T >= 1.
    """
    joints = checked_joints(joints)
    src = np.arange(joints.shape[0]) / FPS
    dst = src if times is None else np.asarray(times, dtype=np.float64)
    if joints.shape[0] >= 4 and times is not None:
        # Joint positions between the 20 fps frames: a cubic spline follows fast motion more
        # closely than slerping the solved rotations would.
        # continued past the last frame for less than a frame (the 20 fps import ends up to
        # one frame before the source's end); held beyond that.
        joints = CubicSpline(src, joints, axis=0)(np.clip(dst, src[0], src[-1] + 1.0 / FPS))
        src = dst
    quats, root = solve_deepmimic(joints)
    trans = np.zeros(quats.shape[:2] + (3,))
    trans[:, 0] = root
    quats, trans = resample_local(quats, trans, src, dst)
    rows = []
    durations = np.append(np.diff(dst), 0.0)
    for t in range(len(dst)):
        row = [float(durations[t]), *trans[t, 0].tolist()]
        for joint, kind in _LAYOUT:
            x, y, z, w = quats[t, joint]
            if kind == "quat":
                row += [float(w), float(x), float(y), float(z)]
            else:  # a rotation about local Z: its angle
                angle = 2.0 * np.arctan2(z, w)
                row.append(float((angle + np.pi) % (2.0 * np.pi) - np.pi))
        rows.append([round(v, 8) for v in row])
    return json.dumps({"Loop": loop, "Frames": rows}, indent=1) + "\n"


def write_deepmimic(
    joints: np.ndarray,
    path: str | os.PathLike[str],
    *,
    times: np.ndarray | None = None,
    loop: str = "none",
    overwrite: bool = False,
) -> None:
    """Write ``[T, 22, 3]`` joints as a DeepMimic humanoid3d motion file, atomically (see
    `deepmimic_text`).

    Raises:
        OutputExistsError: if the file exists and ``overwrite`` is False.
        MotionFormatError: if the joints are malformed.
    """
    text = deepmimic_text(joints, times, loop=loop)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_on_deepmimic_file(
    joints: np.ndarray,
    path: str | os.PathLike[str],
    source: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> None:
    """Write joints as a DeepMimic file with the frame times and ``Loop`` of the DeepMimic file
    ``source`` (e.g. the one the motion was read from: same frame count and ``dt``).

    Raises:
        MissingFileError: if ``source`` does not exist.
        MotionFormatError: if it is not a DeepMimic motion file, or the joints are malformed.
        OutputExistsError: if the output exists and ``overwrite`` is False.
    """
    from momo.errors import MissingFileError
    from momo.io.deepmimic import parse_deepmimic

    if not os.path.isfile(source):
        raise MissingFileError(f"DeepMimic file not found: {source}")
    text = Path(source).read_text(encoding="utf-8", errors="replace")
    frames, loop = parse_deepmimic(text, os.fspath(source))
    times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
    write_deepmimic(joints, path, times=times, loop=loop or "none", overwrite=overwrite)
