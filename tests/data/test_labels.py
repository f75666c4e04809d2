"""Labels from Bandai Namco and DeepMimic names; left/right mirroring of labels and text."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from momo.data.labels import (
    DEEPMIMIC_LABELS,
    BandaiLabelSet,
    deepmimic_base_name,
    is_bandai_motion,
    is_deepmimic_motion,
    mirror_caption,
    mirror_label,
    mirrored,
    parse_bandai_name,
    parse_deepmimic_name,
)
from momo.errors import MotionFormatError

LABELS_2 = BandaiLabelSet(
    dataset=2,
    contents=("walk", "walk-turn-left", "wave-right-hand"),
    styles=("elderly", "exhausted", "normal"),
)


def test_bandai_name_parses_hyphenated_labels() -> None:
    clip = parse_bandai_name("data/dataset-2_walk-turn-left_elderly_017.bvh", LABELS_2)
    assert (clip.source, clip.content, clip.style) == (
        "bandai-namco-2",
        "walk-turn-left",
        "elderly",
    )
    assert clip.name == "dataset-2_walk-turn-left_elderly_017"
    assert clip.group == clip.name
    assert clip.member == "data/dataset-2_walk-turn-left_elderly_017.bvh"


@pytest.mark.parametrize(
    "member",
    [
        "data/dataset-2_jump_elderly_001.bvh",  # unknown content
        "data/dataset-2_walk_giant_001.bvh",  # unknown style
        "data/dataset-1_walk_elderly_001.bvh",  # other dataset
        "data/walk_elderly_001.bvh",  # not the naming scheme
    ],
)
def test_bandai_name_rejects_unknown_labels(member: str) -> None:
    with pytest.raises(MotionFormatError):
        parse_bandai_name(member, LABELS_2)


def test_bandai_json_indices_follow_cfg_order() -> None:
    assert LABELS_2.from_indices(2, 1) == ("wave-right-hand", "exhausted")
    with pytest.raises(MotionFormatError):
        LABELS_2.from_indices(3, 0)


def test_mirror_label_and_caption() -> None:
    assert mirror_label("wave-left-hand") == "wave-right-hand"
    assert mirror_label("walk-turn-right") == "walk-turn-left"
    assert mirror_label("walk") == "walk"
    assert mirror_label("leftover") == "leftover"
    text = "A person waves with the Left hand, then turns RIGHT; leftovers stay"
    assert (
        mirror_caption(text)
        == "A person waves with the Right hand, then turns LEFT; leftovers stay"
    )
    assert mirror_caption(mirror_caption(text)) == text


def test_mirrored_clip_keeps_group() -> None:
    clip = parse_bandai_name("data/dataset-2_wave-right-hand_normal_003.bvh", LABELS_2)
    copy = mirrored(clip)
    assert copy.content == "wave-left-hand" and copy.mirrored
    assert copy.group == clip.group and copy.name != clip.name


def test_deepmimic_names() -> None:
    assert deepmimic_base_name("data/motions/long/humanoid3d_long_walk1_mirror.txt") == (
        "long", "long_walk", 1, True,
    )  # fmt: skip
    assert deepmimic_base_name("data/motions/sie/sie_humanoid3d_run_left03.txt") == (
        "sie", "run_left", 3, False,
    )  # fmt: skip
    zombie = parse_deepmimic_name("data/motions/humanoid3d_zombie_walk.txt", loop=True)
    assert (zombie.content, zombie.style, zombie.loop) == ("walk", "zombie", True)
    walk = parse_deepmimic_name("data/motions/long/humanoid3d_long_walk2.txt")
    walk_mirror = parse_deepmimic_name("data/motions/long/humanoid3d_long_walk2_mirror.txt")
    assert walk.group == walk_mirror.group and walk.name != walk_mirror.name
    # SIE turning runs: left k and right (k + 7) % 15 are one capture mirrored.
    left = parse_deepmimic_name("data/motions/sie/sie_humanoid3d_run_left09.txt")
    right = parse_deepmimic_name("data/motions/sie/sie_humanoid3d_run_right01.txt")
    assert left.group == right.group
    assert left.content == "run-turn-left" and right.content == "run-turn-right"
    with pytest.raises(MotionFormatError):
        parse_deepmimic_name("data/motions/humanoid3d_moonwalk.txt")


def test_member_filters() -> None:
    assert is_bandai_motion("data/dataset-1_walk_old_001.bvh")
    assert not is_bandai_motion("data/dataset-1_walk_old_001.json")
    assert is_deepmimic_motion("data/motions/sie/sie_humanoid3d_run_left00.txt")
    assert not is_deepmimic_motion("data/motions/sie/LICENSE")


def _members(archive: Path) -> list[str]:
    with tarfile.open(archive, "r:xz") as tar:
        return tar.getnames()


def test_real_deepmimic_archive_is_fully_labelled(shared_data: Path) -> None:
    members = [m for m in _members(shared_data / "deepmimic" / "deepmimic-motions.tar.xz")]
    motions = [m for m in members if is_deepmimic_motion(m)]
    assert len(motions) == 79  # 20 basic, 9 long, 50 SIE
    bases = {deepmimic_base_name(m)[1] for m in motions}
    assert bases <= set(DEEPMIMIC_LABELS)
    labels = [parse_deepmimic_name(m) for m in motions]
    assert len({label.name for label in labels}) == len(labels)


def test_real_bandai_cfg_labels(shared_data: Path) -> None:
    for dataset, contents, styles in ((1, 17, 15), (2, 10, 7)):
        labels = BandaiLabelSet.from_cfg(shared_data / "bandai-namco" / f"cfg-{dataset}", dataset)
        assert (len(labels.contents), len(labels.styles)) == (contents, styles)
    members = _members(shared_data / "bandai-namco" / "dataset-1.tar.xz")
    labels = BandaiLabelSet.from_cfg(shared_data / "bandai-namco" / "cfg-1", 1)
    clips = [parse_bandai_name(m, labels) for m in members if is_bandai_motion(m)]
    assert len(clips) == 174


def test_real_sie_pairs_are_mirrors(shared_data: Path) -> None:
    """Grouped SIE clips are one capture mirrored: equal lengths, mirrored features."""
    import json

    import numpy as np

    from momo.io.archives import iter_archive, load_archive_member_joints
    from momo.motion.kinematics import joints_to_features
    from momo.motion.mirror import mirror_features

    archive = shared_data / "deepmimic" / "deepmimic-motions.tar.xz"
    members = {name: data for name, data in iter_archive(archive, suffixes=(".txt",))}
    sie = [name for name in members if "/sie/" in name and is_deepmimic_motion(name)]
    groups: dict[str, list[str]] = {}
    for name in sie:
        groups.setdefault(parse_deepmimic_name(name).group, []).append(name)
    runs = {g: names for g, names in groups.items() if "run" in g}
    assert len(runs) == 23 and all(len(names) == 2 for names in runs.values())
    for names in runs.values():
        counts = {len(json.loads(members[n])["Frames"]) for n in names}
        assert len(counts) == 1, names
    left = "data/motions/sie/sie_humanoid3d_run_left03.txt"
    (pair,) = [n for n in groups[parse_deepmimic_name(left).group] if n != left]
    a, b = (joints_to_features(load_archive_member_joints(n, members[n])[0]) for n in (left, pair))
    assert np.abs(a - mirror_features(b)).mean() < 5e-3 < np.abs(a - b).mean()
