"""PNG figures of the attention analysis: cluster timelines and correspondence heat maps.

Figures are drawn on matplotlib's Agg canvas without pyplot (no global figure state), imported
only when a figure is made, and written atomically; an existing file is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from momo.constants import FPS
from momo.utils.files import atomic_output, check_output_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from momo.analysis.correspondence import Correspondences

#: Frame rate of the motions (for the time axis).
_FPS = FPS


def _png_path(path: str | os.PathLike[str], overwrite: bool) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"{path}: figures are written as PNG; use a .png file name")
    return check_output_path(path, overwrite=overwrite)


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path, overwrite: bool) -> Path:
    with atomic_output(path, overwrite=overwrite) as tmp:
        figure.savefig(tmp, format="png")
    return path


def plot_cluster_timeline(
    labels: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    n_clusters: int | None = None,
    title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Draw cluster labels over time, one coloured strip per row (e.g. per layer).

    Args:
        labels: row name (e.g. ``"layer 3 queries"``) -> ``[T]`` integer cluster labels. Rows
            may differ in length; shorter rows end early.
        path: output ``.png``.
        n_clusters: number of colours (default: the largest label + 1).
        title: figure title.
        overwrite: replace an existing file.

    Returns:
        The path written.

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is False.
        ValueError: no rows, a row that is not 1-D integers >= 0, or a non-.png path.
    """
    path = _png_path(path, overwrite)
    if not labels:
        raise ValueError("plot_cluster_timeline needs at least one row of labels")
    rows = {name: np.asarray(values) for name, values in labels.items()}
    for name, values in rows.items():
        if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f"labels of {name!r} must be a non-empty 1-D integer array")
        if values.min() < 0:
            raise ValueError(f"labels of {name!r} must be >= 0")
    count = int(n_clusters or max(int(v.max()) for v in rows.values()) + 1)
    length = max(v.size for v in rows.values())
    grid = np.full((len(rows), length), np.nan)
    for i, values in enumerate(rows.values()):
        grid[i, : values.size] = values

    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    if count <= 20:  # qualitative palettes: neighbouring clusters get unrelated colours
        colours = np.asarray(colormaps["tab10" if count <= 10 else "tab20"].colors)[:count]
    else:
        colours = colormaps["hsv"].resampled(count)(np.arange(count))
    cmap = ListedColormap(colours).with_extremes(bad="white")
    norm = BoundaryNorm(np.arange(count + 1) - 0.5, count)

    figure = _new_figure(max(6.0, min(16.0, length / 12)), 0.9 + 0.45 * len(rows))
    axes = figure.add_subplot()
    axes.imshow(
        np.ma.masked_invalid(grid),
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        norm=norm,
        extent=(-0.5, length - 0.5, len(rows) - 0.5, -0.5),
    )
    axes.set_yticks(range(len(rows)), list(rows))
    axes.set_xlabel(f"frame ({_FPS} fps)")
    if title:
        axes.set_title(title, fontsize="medium")
    handles = [Patch(color=colours[c], label=f"cluster {c}") for c in range(count)]
    axes.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize="small",
        frameon=False,
    )
    return _save(figure, path, overwrite)


def plot_correspondence(
    result: Correspondences,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    leader_name: str = "leader",
    follower_name: str = "follower",
    overwrite: bool = False,
) -> Path:
    """Draw the ``q_leader . k_follower`` score matrix with each leader frame's best match.

    Args:
        result: from `momo.analysis.correspondence.correspondences`.
        path: output ``.png``.
        title: figure title.
        leader_name, follower_name: axis labels.
        overwrite: replace an existing file.

    Returns:
        The path written.

    Raises:
        OutputExistsError: the file exists and ``overwrite`` is False.
    """
    path = _png_path(path, overwrite)
    scores = np.ma.masked_invalid(np.asarray(result.scores, dtype=np.float64))
    leader_frames, follower_frames = scores.shape
    figure = _new_figure(min(12.0, 6.0 + follower_frames / 40), min(10.0, 4.0 + leader_frames / 40))
    axes = figure.add_subplot()
    from matplotlib import colormaps

    image = axes.imshow(
        scores,
        aspect="auto",
        origin="lower",
        interpolation="nearest",
        cmap=colormaps["viridis"].with_extremes(bad="lightgrey"),
    )
    axes.plot(
        result.follower_frames,
        np.arange(leader_frames),
        color="red",
        linewidth=0.8,
        alpha=0.8,
        marker=".",
        markersize=3,
        label="best follower frame",
    )
    axes.set_xlabel(f"{follower_name} frame")
    axes.set_ylabel(f"{leader_name} frame")
    axes.set_xlim(-0.5, follower_frames - 0.5)
    axes.set_ylim(-0.5, leader_frames - 0.5)
    axes.legend(loc="upper left", fontsize="small")
    figure.colorbar(image, ax=axes, label="q . k")
    if title:
        axes.set_title(title, fontsize="medium")
    return _save(figure, path, overwrite)


def plot_score_grids(
    panels: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    rows: Any,
    columns: Any,
    row_label: str = "layer",
    column_label: str = "timestep",
    ncols: int = 3,
    value_range: tuple[float, float] | None = None,
    title: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Draw several ``[rows, columns]`` score grids as annotated heat maps, one panel each.

    Args:
        panels: panel title -> ``[R, C]`` scores (NaN cells are left blank).
        path: output ``.png``.
        rows, columns: tick labels of the two axes (e.g. layers and timesteps).
        row_label, column_label: axis names.
        ncols: panels per row of the figure.
        value_range: shared colour range (default: each panel's own).
        title: figure title.
        overwrite: replace an existing file.

    Returns:
        The path written.

    Raises:
        ValueError: no panels, a grid of the wrong shape, or a non-.png path.
        OutputExistsError: the file exists and ``overwrite`` is False.
    """
    path = _png_path(path, overwrite)
    rows, columns = list(rows), list(columns)
    grids = {name: np.asarray(grid, dtype=np.float64) for name, grid in panels.items()}
    if not grids:
        raise ValueError("plot_score_grids needs at least one panel")
    for name, grid in grids.items():
        if grid.shape != (len(rows), len(columns)):
            raise ValueError(
                f"panel {name!r} is {grid.shape}, expected {(len(rows), len(columns))}"
            )
    from matplotlib import colormaps

    ncols = max(1, min(int(ncols), len(grids)))
    nrows = -(-len(grids) // ncols)
    cell_w, cell_h = 0.42, 0.3
    width = ncols * (1.6 + cell_w * len(columns))
    height = nrows * (1.0 + cell_h * len(rows)) + (0.3 if title else 0.0)
    figure = _new_figure(width, height)
    cmap = colormaps["viridis"].with_extremes(bad="white")
    for index, (name, grid) in enumerate(grids.items()):
        axes = figure.add_subplot(nrows, ncols, index + 1)
        low, high = value_range or (np.nanmin(grid), np.nanmax(grid))
        axes.imshow(
            np.ma.masked_invalid(grid),
            cmap=cmap,
            vmin=low,
            vmax=high,
            aspect="auto",
            origin="lower",
        )
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                bright = high > low and (value - low) / (high - low) > 0.6
                axes.text(
                    j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                    color="black" if bright else "white",
                )  # fmt: skip
        axes.set_xticks(range(len(columns)), [str(c) for c in columns], fontsize=7)
        axes.set_yticks(range(len(rows)), [str(r) for r in rows], fontsize=7)
        axes.set_xlabel(column_label, fontsize=7)
        axes.set_ylabel(row_label, fontsize=7)
        axes.set_title(name, fontsize=8)
    if title:
        figure.suptitle(title, fontsize=9)
    return _save(figure, path, overwrite)
