"""Helpers for the motion-file tests: small BVH texts and samples of the shared data."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest


def archive_members(path: Path, suffix: str, names: set[str]) -> dict[str, bytes]:
    """Bytes of the named members (by base name) of a tar archive."""
    found: dict[str, bytes] = {}
    with tarfile.open(path, mode="r|*") as tar:
        for member in tar:
            base = Path(member.name).name
            if member.isfile() and base.endswith(suffix) and base in names:
                handle = tar.extractfile(member)
                assert handle is not None
                found[base] = handle.read()
                if len(found) == len(names):
                    break
    return found


@pytest.fixture(scope="session")
def bandai_sample(shared_data: Path) -> dict[str, bytes]:
    """A handful of Bandai Namco clips from dataset 1 (walks, a run, a dance, a bow)."""
    names = {
        "dataset-1_walk_normal_001.bvh",
        "dataset-1_walk-back_normal_001.bvh",
        "dataset-1_run_normal_001.bvh",
        "dataset-1_dance-short_normal_001.bvh",
        "dataset-1_bow_normal_001.bvh",
        "dataset-1_walk_happy_001.bvh",
    }
    found = archive_members(shared_data / "bandai-namco" / "dataset-1.tar.xz", ".bvh", names)
    assert set(found) == names
    return found


@pytest.fixture(scope="session")
def deepmimic_sample(shared_data: Path) -> dict[str, bytes]:
    """A handful of DeepMimic clips (walk, run, crawl, backflip, a mirrored long walk, SIE run)."""
    names = {
        "humanoid3d_walk.txt",
        "humanoid3d_run.txt",
        "humanoid3d_crawl.txt",
        "humanoid3d_backflip.txt",
        "humanoid3d_zombie_walk.txt",
        "humanoid3d_long_walk3_mirror.txt",
        "sie_humanoid3d_run_left00.txt",
    }
    found = archive_members(shared_data / "deepmimic" / "deepmimic-motions.tar.xz", ".txt", names)
    assert set(found) == names
    return found
