"""Figures are written as PNG, atomically, and never over an existing file by default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from momo.analysis.correspondence import correspondences
from momo.analysis.plots import plot_cluster_timeline, plot_correspondence
from momo.errors import OutputExistsError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _read_png(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_MAGIC
    return imread(path)


def _rows(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "layer 0 queries": rng.integers(0, 4, size=40),
        "layer 0 keys": rng.integers(0, 4, size=40),
        "layer 1 queries": rng.integers(0, 4, size=25),  # rows may differ in length
    }


def _correspondence(seed: int):
    rng = np.random.default_rng(seed)
    mask = np.ones(30, dtype=bool)
    mask[25:] = False
    return correspondences(rng.normal(size=(20, 8)), rng.normal(size=(30, 8)), mask)


def _only_file(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_cluster_timeline_writes_a_png_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "clusters.png"
    assert plot_cluster_timeline(_rows(0), path, title="leader") == path
    image = _read_png(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 200
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="overwrite"):
        plot_cluster_timeline(_rows(1), path)
    assert path.read_bytes() == before
    plot_cluster_timeline(_rows(1), path, overwrite=True)
    assert path.read_bytes() != before
    assert _only_file(tmp_path) == ["clusters.png"]  # no temporary files left behind


def test_correspondence_heat_map_writes_a_png_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "corr.png"
    plot_correspondence(_correspondence(0), path, title="layer 3")
    assert _read_png(path).shape[0] > 100
    before = path.read_bytes()
    with pytest.raises(OutputExistsError):
        plot_correspondence(_correspondence(1), path)
    assert path.read_bytes() == before
    plot_correspondence(_correspondence(1), path, overwrite=True)
    assert path.read_bytes() != before
    assert _only_file(path.parent) == ["corr.png"]


def test_bad_arguments_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".png"):
        plot_cluster_timeline(_rows(0), tmp_path / "clusters.jpg")
    with pytest.raises(ValueError, match="integer"):
        plot_cluster_timeline({"q": np.array([0.5, 1.0])}, tmp_path / "a.png")
    with pytest.raises(ValueError, match="at least one row"):
        plot_cluster_timeline({}, tmp_path / "b.png")
    assert _only_file(tmp_path) == []
