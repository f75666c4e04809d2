"""Stick-figure videos of joint motions: ``.mp4`` (H.264 via imageio-ffmpeg) and ``.gif`` (Pillow).

One or several motions play side by side, each in its own panel with a title, a floor grid on
the plane Y = 0, the root's trace on the floor, a faint floor shadow, and distinct colours for
the left limbs (blue), the right limbs (red) and the spine (dark grey). Every panel uses the same
camera (an orthographic three-quarter view from the front, +Z, slightly above) and the same scale,
so sizes and speeds compare directly. The camera stays fixed when every motion stays within a
small area and otherwise follows each motion's smoothed root. A motion shorter than the longest
holds its last frame.

The figure is built once with matplotlib's Agg canvas (no pyplot, no global state) and only the
artists' data change from frame to frame; 3-D is projected here, which is much faster than
``mplot3d``.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from momo.errors import MotionFormatError
from momo.motion.representation import (
    JOINT_NAMES,
    KINEMATIC_CHAINS,
    LEFT_JOINTS,
    NUM_JOINTS,
    RIGHT_JOINTS,
)
from momo.utils.files import atomic_output, check_output_path

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

logger = logging.getLogger(__name__)

#: Output suffixes `render_motions` can write.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".mp4", ".gif")

CameraMode = Literal["auto", "fixed", "follow"]

_ROOT = JOINT_NAMES.index("pelvis")
_HEAD = JOINT_NAMES.index("head")

# Colours: readable on white, and left/right tell apart for colour-blind viewers too
# (blue vs red differ in lightness as well as hue).
_LEFT_COLOUR = "#1f5fbf"
_RIGHT_COLOUR = "#d62728"
_CENTRE_COLOUR = "#333333"
_TRACE_COLOUR = "#8c4fbf"
_GRID_COLOUR = "#d9d9d9"
_SHADOW_COLOUR = "#bbbbbb"
_TITLE_COLOUR = "#111111"
_CLOCK_COLOUR = "#555555"
_SEPARATOR_COLOUR = "#e0e0e0"

# Camera: orthographic view from the front (+Z, where a HumanML3D motion faces at frame 0),
# turned toward the character's left (+X) and looking down a little, so depth reads.
_AZIMUTH_DEG = 30.0
_ELEVATION_DEG = 18.0
_GRID_STEP_M = 0.5
_STAGE_MARGIN_M = 1.0  # the floor grid reaches this far beyond a fixed camera's root path
_FOLLOW_STAGE_RADIUS_M = 2.5  # half size of the floor grid around a following camera's target
_TITLE_FONT_PT = 13
_MAX_GRID_LINES = 60  # per direction; the grid step doubles beyond this
_FIXED_CAMERA_MAX_SPAN_M = 2.5  # "auto" follows when any root path spans more than this
_FOLLOW_SMOOTHING_S = 0.5  # Gaussian sigma of the follow camera's target, in seconds
_MARGIN_M = 0.2
_MIN_VIEW_HEIGHT_M = 2.2


@dataclass(frozen=True)
class _Camera:
    """An orthographic camera: screen right, screen up and depth (away from the viewer) axes."""

    right: np.ndarray  # [3]
    up: np.ndarray  # [3]
    forward: np.ndarray  # [3]

    @classmethod
    def three_quarter(cls) -> _Camera:
        az, el = np.radians(_AZIMUTH_DEG), np.radians(_ELEVATION_DEG)
        towards_camera = np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
        forward = -towards_camera
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        return cls(right=right, up=up, forward=forward)

    def project(self, points: np.ndarray) -> np.ndarray:
        """[..., 3] world points -> [..., 3] (screen x, screen y, depth), metres."""
        return np.stack([points @ self.right, points @ self.up, points @ self.forward], axis=-1)


def _skeleton() -> tuple[list[tuple[int, int]], list[str]]:
    """Bones (parent, child) of the 22-joint skeleton and the colour of each."""
    left, right = set(LEFT_JOINTS), set(RIGHT_JOINTS)
    bones: list[tuple[int, int]] = []
    colours: list[str] = []
    for chain in KINEMATIC_CHAINS:
        for parent, child in zip(chain[:-1], chain[1:]):
            bones.append((int(parent), int(child)))
            if child in left:
                colours.append(_LEFT_COLOUR)
            elif child in right:
                colours.append(_RIGHT_COLOUR)
            else:
                colours.append(_CENTRE_COLOUR)
    return bones, colours


def _as_joint_arrays(joints_list: Any) -> list[np.ndarray]:
    """Validate the input: one [T, 22, 3] array or a sequence of them -> list of float64 arrays."""
    if isinstance(joints_list, np.ndarray) or hasattr(joints_list, "detach"):
        joints_list = [joints_list]
    if not isinstance(joints_list, Sequence) or len(joints_list) == 0:
        raise MotionFormatError(
            "render_motions needs one [T, 22, 3] joint array or a non-empty list of them"
        )
    arrays = []
    for index, joints in enumerate(joints_list):
        if hasattr(joints, "detach"):  # a torch tensor
            joints = joints.detach().cpu().numpy()
        array = np.asarray(joints, dtype=np.float64)
        if array.ndim != 3 or array.shape[1:] != (NUM_JOINTS, 3) or array.shape[0] < 1:
            raise MotionFormatError(
                f"motion {index} to render has shape {list(array.shape)}; expected joint positions "
                f"[T, {NUM_JOINTS}, 3] with T >= 1 (use Motion.joints() to get them from features)"
            )
        if not np.isfinite(array).all():
            raise MotionFormatError(
                f"motion {index} to render contains NaN or Inf; clean the joints before rendering"
            )
        arrays.append(array)
    return arrays


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise MotionFormatError(
            f"cannot render to {str(path)!r}: unknown video suffix {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    return suffix


def _camera_targets(
    arrays: list[np.ndarray], camera: CameraMode, fps: float
) -> tuple[list[np.ndarray], str]:
    """Per motion, the camera's floor target for every frame ([T_i, 3], Y = 0), and the mode used."""
    roots = [joints[:, _ROOT, :] * np.array([1.0, 0.0, 1.0]) for joints in arrays]
    if camera == "auto":
        spans = [float(np.ptp(root[:, [0, 2]], axis=0).max()) for root in roots]
        camera = "follow" if max(spans) > _FIXED_CAMERA_MAX_SPAN_M else "fixed"
    if camera == "fixed":
        centres = [(root.min(axis=0) + root.max(axis=0)) / 2 for root in roots]
        return [np.broadcast_to(c, root.shape).copy() for c, root in zip(centres, roots)], camera
    if camera != "follow":
        raise MotionFormatError(f"unknown camera mode {camera!r}; use 'auto', 'fixed' or 'follow'")
    from scipy.ndimage import gaussian_filter1d

    sigma = max(_FOLLOW_SMOOTHING_S * fps, 1e-6)
    return [gaussian_filter1d(root, sigma, axis=0, mode="nearest") for root in roots], camera


def _view_bounds(
    projected: list[np.ndarray], target_screens: list[np.ndarray], aspect: float
) -> tuple[float, float, float, float]:
    """Screen rectangle (x0, x1, y0, y1), relative to the camera target, that shows every pose of
    every motion (plus the floor under the feet) at one shared scale with the given width/height."""
    lows, highs = [], []
    for points, target in zip(projected, target_screens):
        relative = points[..., :2] - target[:, None, :2]
        lows.append(relative.reshape(-1, 2).min(axis=0))
        highs.append(relative.reshape(-1, 2).max(axis=0))
    low = np.min(lows, axis=0) - _MARGIN_M
    high = np.max(highs, axis=0) + _MARGIN_M
    # The floor at the target and a minimum height keep still or crouching motions from zooming in.
    low[1] = min(low[1], -_MARGIN_M)
    height = max(high[1] - low[1], _MIN_VIEW_HEIGHT_M)
    width = max(high[0] - low[0], height * aspect)
    height = max(height, width / aspect)
    centre = (low + high) / 2
    return (
        centre[0] - width / 2,
        centre[0] + width / 2,
        centre[1] - height / 2,
        centre[1] + height / 2,
    )


def _grid_segments(camera: _Camera, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Floor grid lines (Y = 0) on world multiples of the grid step, spanning the XZ rectangle
    ``low``..``high`` ([3] each, Y ignored), projected: [L, 2, 2] screen segments."""
    x0, z0, x1, z1 = low[0], low[2], high[0], high[2]
    step = _GRID_STEP_M
    while max(x1 - x0, z1 - z0) / step > _MAX_GRID_LINES:  # huge paths (e.g. wrong units)
        step *= 2
    xs = np.arange(np.ceil(x0 / step), np.floor(x1 / step) + 1) * step
    zs = np.arange(np.ceil(z0 / step), np.floor(z1 / step) + 1) * step
    lines = [((x, 0.0, z0), (x, 0.0, z1)) for x in xs] + [((x0, 0.0, z), (x1, 0.0, z)) for z in zs]
    if not lines:
        return np.zeros((0, 2, 2))
    return camera.project(np.asarray(lines, dtype=np.float64))[..., :2]


def _wrap_title(title: str, width_chars: int, max_lines: int = 3) -> str:
    lines = textwrap.wrap(" ".join(title.split()), width=max(width_chars, 8)) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width_chars - 1, 1)].rstrip() + "…"
    return "\n".join(lines)


@dataclass
class _Panel:
    """The animated artists of one motion's panel, updated in place every frame."""

    axes: Axes
    grid: LineCollection
    shadow: LineCollection
    trace: Line2D
    bones: LineCollection
    head: Line2D
    clock: Text

    def artists(self) -> tuple[Artist, ...]:
        """In drawing order (back to front)."""
        return (self.grid, self.shadow, self.trace, self.bones, self.head, self.clock)


class _StickFigureScene:
    """A figure with one panel per motion; `frame(k)` draws frame k and returns its pixels.

    The static parts (titles, separators, legend, and the floor grid of a fixed camera) are drawn
    once and kept as a background; each frame restores it and draws only the moving artists.
    """

    def __init__(
        self,
        arrays: list[np.ndarray],
        titles: Sequence[str] | None,
        fps: float,
        camera: CameraMode,
        panel_size: tuple[int, int],
        dpi: int,
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import to_rgba_array
        from matplotlib.figure import Figure

        self.arrays = arrays
        self.fps = fps
        self.num_frames = max(len(joints) for joints in arrays)
        self.camera = _Camera.three_quarter()
        bones, colours = _skeleton()
        self.parents = np.array([p for p, _ in bones])
        self.children = np.array([c for _, c in bones])
        self.bone_rgba = to_rgba_array(colours)
        self.targets, self.camera_mode = _camera_targets(arrays, camera, fps)
        floor = np.array([1.0, 0.0, 1.0])
        self.projected = [self.camera.project(joints) for joints in arrays]  # [T, 22, 3]
        self.shadows = [self.camera.project(joints * floor)[..., :2] for joints in arrays]
        self.roots = [self.camera.project(joints[:, _ROOT] * floor)[:, :2] for joints in arrays]
        self.target_screens = [self.camera.project(t)[:, :2] for t in self.targets]  # [T, 2]

        panel_w, panel_h = (int(v) + int(v) % 2 for v in panel_size)  # even sizes for yuv420p
        count = len(arrays)
        font_px = _TITLE_FONT_PT * dpi / 72
        wrapped: list[str] | None = None
        title_px = 0
        if titles is not None and any(t.strip() for t in titles):
            wrapped = [_wrap_title(t, int(panel_w / (0.6 * font_px))) for t in titles]
            lines = max(w.count("\n") + 1 for w in wrapped)
            title_px = int(np.ceil(lines * font_px * 1.25 + 12))
            title_px += title_px % 2
        self.figure = Figure(figsize=(panel_w * count / dpi, (panel_h + title_px) / dpi), dpi=dpi)
        self.figure.patch.set_facecolor("white")
        self.canvas = FigureCanvasAgg(self.figure)
        height = panel_h + title_px

        bounds = _view_bounds(self.projected, self.target_screens, panel_w / panel_h)
        line_pt = max(1.5, 2.6 * panel_h / 400)
        self.panels = [
            self._add_panel((index / count, 0.0, 1.0 / count, panel_h / height), bounds, line_pt)
            for index in range(count)
        ]
        self._add_legend(self.panels[0].axes)
        for index in range(1, count):  # thin separators between panels
            self.figure.add_artist(_line([index / count] * 2, [0, 1], _SEPARATOR_COLOUR, 1.0))
        if wrapped is not None:
            for index, title in enumerate(wrapped):
                self.figure.text(
                    (index + 0.5) / count, 1 - 6 / height, title, ha="center", va="top",
                    fontsize=_TITLE_FONT_PT, linespacing=1.15, color=_TITLE_COLOUR,
                )  # fmt: skip

        if self.camera_mode == "fixed":  # the floor does not move: part of the background
            for index, panel in enumerate(self.panels):
                root = arrays[index][:, _ROOT] * floor
                low = np.floor(root.min(axis=0) / _GRID_STEP_M) * _GRID_STEP_M - _STAGE_MARGIN_M
                high = np.ceil(root.max(axis=0) / _GRID_STEP_M) * _GRID_STEP_M + _STAGE_MARGIN_M
                panel.grid.set_segments(
                    _grid_segments(self.camera, low, high) - self.target_screens[index][0]
                )
                panel.grid.set_animated(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def _add_panel(
        self, rect: tuple[float, float, float, float], bounds: tuple[float, ...], line_pt: float
    ) -> _Panel:
        from matplotlib.collections import LineCollection

        axes = self.figure.add_axes(rect, frameon=False)
        axes.set_axis_off()
        axes.set_xlim(bounds[0], bounds[1])
        axes.set_ylim(bounds[2], bounds[3])
        grid = LineCollection([], colors=_GRID_COLOUR, linewidths=0.8)
        shadow = LineCollection([], colors=_SHADOW_COLOUR, linewidths=line_pt, capstyle="round")
        bones = LineCollection([], linewidths=line_pt, capstyle="round")
        for collection in (grid, shadow, bones):
            axes.add_collection(collection)
        trace = _line([], [], _TRACE_COLOUR, 1.6)
        head = _line([], [], _CENTRE_COLOUR, 0.0, marker="o", markersize=line_pt * 3.2)
        axes.add_line(trace)
        axes.add_line(head)
        clock = axes.text(
            0.98, 0.02, "", transform=axes.transAxes, ha="right", va="bottom", fontsize=9,
            color=_CLOCK_COLOUR,
        )  # fmt: skip
        panel = _Panel(axes, grid, shadow, trace, bones, head, clock)
        for artist in panel.artists():
            artist.set_animated(True)  # drawn per frame over the background, not by draw()
        return panel

    @staticmethod
    def _add_legend(axes: Axes) -> None:
        for y, text, colour in ((0.07, "right", _RIGHT_COLOUR), (0.02, "left", _LEFT_COLOUR)):
            axes.text(
                0.02, y, text, transform=axes.transAxes, ha="left", va="bottom", fontsize=9,
                color=colour, fontweight="bold",
            )  # fmt: skip

    def frame(self, k: int) -> np.ndarray:
        """Draw frame k (motions shorter than k hold their last frame): uint8 RGBA [H, W, 4], a
        view of the canvas that the next call overwrites."""
        self.canvas.restore_region(self.background)
        for index, panel in enumerate(self.panels):
            length = len(self.arrays[index])
            t = min(k, length - 1)
            offset = self.target_screens[index][t]
            if self.camera_mode == "follow":
                target = self.targets[index][t]
                low, high = target - _FOLLOW_STAGE_RADIUS_M, target + _FOLLOW_STAGE_RADIUS_M
                panel.grid.set_segments(_grid_segments(self.camera, low, high) - offset)
            points = self.projected[index][t]
            # Painter's order: the farthest bones first, so near limbs cover far ones.
            depth = points[self.parents, 2] + points[self.children, 2]
            order = np.argsort(-depth, kind="stable")
            segments = np.stack([points[self.parents, :2], points[self.children, :2]], axis=1)
            panel.bones.set_segments(segments[order] - offset)
            panel.bones.set_color(self.bone_rgba[order])
            shadow = self.shadows[index][t]
            panel.shadow.set_segments(
                np.stack([shadow[self.parents], shadow[self.children]], axis=1) - offset
            )
            trace = self.roots[index][: t + 1] - offset
            panel.trace.set_data(trace[:, 0], trace[:, 1])
            panel.head.set_data([points[_HEAD, 0] - offset[0]], [points[_HEAD, 1] - offset[1]])
            ended = "  end" if k >= length and length < self.num_frames else ""
            panel.clock.set_text(f"{t / self.fps:.2f} s  {t + 1}/{length}{ended}")
            for artist in panel.artists():
                if artist.get_animated():
                    panel.axes.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())
        height, width = pixels.shape[:2]
        return pixels[: height - height % 2, : width - width % 2]


def _line(xs: Any, ys: Any, colour: str, width: float, **kwargs: Any) -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D(xs, ys, color=colour, linewidth=width, **kwargs)


def render_frames(
    joints_list: np.ndarray | Sequence[np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    fps: float = 20,
    camera: CameraMode = "auto",
    panel_size: tuple[int, int] = (360, 400),
    dpi: int = 100,
) -> Iterator[np.ndarray]:
    """Yield the frames of a side-by-side stick-figure animation, one per time step.

    Args:
        joints_list: one joint array ``[T, 22, 3]`` (metres, Y up, SMPL joint order) or a
            sequence of them ``[T_i, 22, 3]``; NumPy arrays or CPU/GPU torch tensors.
        titles: one caption per motion (wrapped to the panel width), or None for no titles.
        fps: frame rate of the motions (for the clock and the follow camera's smoothing).
        camera: "fixed" (one view per motion, framing its whole path), "follow" (tracks each
            motion's smoothed root) or "auto" (fixed unless some root path spans more than 2.5 m).
        panel_size: (width, height) of each motion's panel in pixels, rounded up to even numbers.
        dpi: resolution of text and line widths.

    Yields:
        uint8 RGB images ``[H, W, 3]`` with even H and W, ``max(T_i)`` of them.

    Raises:
        MotionFormatError: if a joint array has the wrong shape or non-finite values, or the
            titles do not match the motions.
    """
    arrays = _as_joint_arrays(joints_list)
    titles = _check_titles(titles, len(arrays))
    if not fps > 0:
        raise MotionFormatError(f"fps must be positive, got {fps}")
    for rgba in _rgba_frames(arrays, titles, float(fps), camera, panel_size, dpi):
        yield np.ascontiguousarray(rgba[..., :3])


def _rgba_frames(
    arrays: list[np.ndarray],
    titles: Sequence[str] | None,
    fps: float,
    camera: CameraMode,
    panel_size: tuple[int, int],
    dpi: int,
) -> Iterator[np.ndarray]:
    """RGBA views of the canvas, one per frame; each is valid until the next is drawn."""
    scene = _StickFigureScene(arrays, titles, fps, camera, panel_size, dpi)
    for k in range(scene.num_frames):
        yield scene.frame(k)


def _check_titles(titles: Sequence[str] | None, count: int) -> list[str] | None:
    if titles is None:
        return None
    if isinstance(titles, str):
        titles = [titles]
    titles = [str(t) for t in titles]
    if len(titles) != count:
        raise MotionFormatError(
            f"got {len(titles)} titles for {count} motions; give exactly one title per motion"
        )
    return titles


def render_motions(
    joints_list: np.ndarray | Sequence[np.ndarray],
    path: str | os.PathLike[str],
    *,
    titles: Sequence[str] | None = None,
    fps: float = 20,
    overwrite: bool = False,
    camera: CameraMode = "auto",
    panel_size: tuple[int, int] = (360, 400),
    dpi: int = 100,
) -> Path:
    """Render one or several motions side by side as a stick-figure ``.mp4`` or ``.gif``.

    Args:
        joints_list: one joint array ``[T, 22, 3]`` or a sequence of ``[T_i, 22, 3]`` arrays,
            metres, Y up, SMPL joint order (e.g. ``Motion.joints()``). Shorter motions hold their
            last frame until the longest ends.
        path: output file; ``.mp4`` (H.264, yuv420p) or ``.gif`` (looping).
        titles: one caption per motion (long ones wrap), or None.
        fps: frame rate of the motions and of the video (HumanML3D: 20).
        overwrite: replace an existing file at ``path``.
        camera: "auto", "fixed" or "follow" (see `render_frames`).
        panel_size: (width, height) of each panel in pixels.
        dpi: resolution of text and line widths.

    Returns:
        The path written. The file appears atomically, only when complete.

    Raises:
        MotionFormatError: for an unsupported suffix, a wrong shape, NaN/Inf, or mismatched titles.
        OutputExistsError: if ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    suffix = _check_suffix(path)
    check_output_path(path, overwrite=overwrite)
    arrays = _as_joint_arrays(joints_list)
    titles = _check_titles(titles, len(arrays))
    if not fps > 0:
        raise MotionFormatError(f"fps must be positive, got {fps}")
    frames = _rgba_frames(arrays, titles, float(fps), camera, panel_size, dpi)
    with atomic_output(path, overwrite=overwrite) as tmp:
        if suffix == ".mp4":
            _write_mp4(frames, tmp, fps)
        else:
            _write_gif(frames, tmp, fps)
    logger.info("wrote %s (%d motion(s))", path, len(arrays))
    return path


def _write_mp4(frames: Iterator[np.ndarray], path: Path, fps: float) -> None:
    import imageio_ffmpeg

    first = next(frames)
    height, width = first.shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        pix_fmt_in="rgba",
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        quality=None,
        output_params=["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart"],
    )
    writer.send(None)  # prime the generator
    try:
        writer.send(np.ascontiguousarray(first))
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))  # a no-op copy unless a row was cropped
    finally:
        writer.close()


def _write_gif(frames: Iterator[np.ndarray], path: Path, fps: float) -> None:
    from PIL import Image

    palette = _gif_palette()
    # GIF delays are in 1/100 s; round to the nearest representable duration.
    duration_ms = max(10 * round(100 / fps), 10)
    images = [
        Image.fromarray(np.ascontiguousarray(frame[..., :3])).quantize(
            palette=palette, dither=Image.Dither.NONE
        )
        for frame in frames
    ]
    images[0].save(
        path, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0
    )


def _gif_palette() -> Any:
    """One palette for every frame (no flicker, fast): the drawing colours blended with white in
    eighths, which covers the anti-aliased edges of lines and text on the white background."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    colours = (
        _LEFT_COLOUR, _RIGHT_COLOUR, _CENTRE_COLOUR, _TRACE_COLOUR, _GRID_COLOUR, _SHADOW_COLOUR,
        _TITLE_COLOUR, _CLOCK_COLOUR, _SEPARATOR_COLOUR, "#000000",
    )  # fmt: skip
    entries = {(255, 255, 255)}
    for colour in colours:
        rgb = np.asarray(to_rgb(colour))
        for alpha in np.arange(1, 9) / 8:
            entry = np.round(255 * (alpha * rgb + (1 - alpha)))
            # Pillow matches colours through a coarse cache; an entry this close to white would
            # capture the white background.
            if entry.min() < 244:
                entries.add(tuple(int(v) for v in entry))
    flat = [v for entry in sorted(entries) for v in entry]
    flat += [255] * (768 - len(flat))  # pad with white
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat)
    return palette
