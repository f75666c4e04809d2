"""Spatial compositions: legs of a locomotion clip, upper body of an arm action."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from kit import walking_joints
from momo.cli.main import main
from momo.data.cache import ClipRecord, DataCache
from momo.data.compositions import (
    LOWER_BODY,
    UPPER_BODY,
    CompositionConfig,
    add_compositions,
    compose_joints,
    composed_captions,
    composition_rows,
    make_compositions,
    time_warp,
)
from momo.data.labels import ClipLabel
from momo.data.splits import TEST, TRAIN
from momo.errors import MomoError
from momo.motion.kinematics import features_to_joints, joints_to_features


def _waving_joints(frames: int, yaw: float, shift: tuple[float, float]) -> np.ndarray:
    """A standing pose with the right arm swinging about its shoulder and the torso twisting
    about the pelvis (bone lengths kept), turned by ``yaw`` and moved by ``shift``."""
    joints = np.repeat(walking_joints(1).astype(np.float64), frames, axis=0)  # rest pose
    t = np.arange(frames) / 20.0
    for i in range(frames):
        arm = Rotation.from_euler("z", 1.2 + 0.4 * np.sin(2 * np.pi * t[i]))
        joints[i, [19, 21]] = joints[i, 17] + arm.apply(joints[i, [19, 21]] - joints[i, 17])
        twist = Rotation.from_euler("y", 0.2 * np.sin(np.pi * t[i]))
        joints[i, UPPER_BODY] = joints[i, 0] + twist.apply(joints[i, UPPER_BODY] - joints[i, 0])
    turned = Rotation.from_euler("y", yaw).apply(joints.reshape(-1, 3)).reshape(joints.shape)
    return turned + np.array([shift[0], 0.0, shift[1]])


def _curving_walk(frames: int) -> np.ndarray:
    """A walk whose heading turns steadily (per-frame yaw differs)."""
    joints = walking_joints(frames, speed=1.2).astype(np.float64)
    out = np.empty_like(joints)
    for i in range(frames):
        root = joints[i, 0]
        spin = Rotation.from_euler("y", 0.02 * i)
        out[i] = spin.apply(joints[i] - root) + spin.apply(root)
    return out


def test_lower_body_is_the_locomotion_clip_and_upper_body_the_re_rooted_arms() -> None:
    walk, wave = _curving_walk(30), _waving_joints(30, yaw=1.1, shift=(2.0, -1.0))
    out = compose_joints(walk, wave)
    np.testing.assert_array_equal(out[:, LOWER_BODY], walk[:, LOWER_BODY])
    for i in range(30):
        # The turn that carries the arm clip's hip vector onto the walk's, found independently.
        a = (wave[i, 2] - wave[i, 1]) * [1, 0, 1]
        b = (walk[i, 2] - walk[i, 1]) * [1, 0, 1]
        turn, _ = Rotation.align_vectors([b / np.linalg.norm(b)], [a / np.linalg.norm(a)])
        expected = walk[i, 0] + turn.apply(wave[i, UPPER_BODY] - wave[i, 0])
        np.testing.assert_allclose(out[i, UPPER_BODY], expected, atol=1e-9)


def test_composition_features_round_trip_to_the_composed_body() -> None:
    walk, wave = _curving_walk(40), _waving_joints(40, yaw=-0.7, shift=(0.5, 0.3))
    composed = compose_joints(walk, wave)
    features = joints_to_features(composed)
    assert features.shape == (39, 263) and np.isfinite(features).all()
    back = features_to_joints(features.astype(np.float64))

    # Canonicalisation only moves and turns the body as a whole: distances within a frame, the
    # root's travel and the arm's height over the pelvis survive.
    def distances(j: np.ndarray) -> np.ndarray:
        return np.linalg.norm(j[:, :, None] - j[:, None, :], axis=-1)

    np.testing.assert_allclose(distances(back), distances(composed[:-1]), atol=2e-3)
    travel = np.linalg.norm(np.diff(composed[:-1, 0, [0, 2]], axis=0), axis=-1).sum()
    back_travel = np.linalg.norm(np.diff(back[:, 0, [0, 2]], axis=0), axis=-1).sum()
    assert back_travel == pytest.approx(travel, abs=2e-3)
    np.testing.assert_allclose(
        back[:, 21, 1] - back[:, 0, 1], composed[:-1, 21, 1] - composed[:-1, 0, 1], atol=2e-3
    )


def test_time_warp_plays_faster_and_keeps_the_end_points() -> None:
    walk = walking_joints(41, speed=1.0).astype(np.float64)
    fast = time_warp(walk, 2.0)
    assert fast.shape[0] == 21
    np.testing.assert_allclose(fast[[0, -1]], walk[[0, -1]])
    np.testing.assert_allclose(fast[1], walk[2])


def test_captions_join_both_actions() -> None:
    captions = composed_captions("walk", "wave-right-hand")
    assert "a person walks forward while waving with the right hand" in captions
    assert any(c.endswith("walks forward and waves with the right hand") for c in captions)
    assert "a person waves with the right hand while walking forward" in captions


def _labelled_cache(encoder: str = "fake", width: int = 8) -> DataCache:
    walk = joints_to_features(_curving_walk(70)).astype(np.float32)
    wave = joints_to_features(_waving_joints(60, 0.4, (0.0, 0.0))).astype(np.float32)
    clips = [
        ("walk", TRAIN, walk),
        ("wave-right-hand", TRAIN, wave),
        ("walk", TEST, walk[:50] + 0.0),
        ("wave-left-hand", TEST, wave),
    ]
    records, arrays = [], []
    for i, (content, split, array) in enumerate(clips):
        label = ClipLabel("bandai-namco-2", f"clip{i}", content, "normal", f"clip{i}", f"m{i}")
        records.append(ClipRecord(label, split, (i % 2,), array.shape[0], array.shape[0] / 20))
        arrays.append(array)
    rng = np.random.default_rng(0)
    return DataCache.from_clips(
        arrays,
        records,
        mean=np.zeros(263, np.float32),
        std=np.ones(263, np.float32),
        captions=["a person walks", "a person waves"],
        tokens=[rng.normal(size=(3, width)).astype(np.float32) for _ in range(2)],
        pooled=rng.normal(size=(2, width)).astype(np.float32),
        text_encoder=encoder,
        info={},
    )


def _fake_encode(captions: Sequence[str]) -> tuple[list[np.ndarray], np.ndarray]:
    tokens = [np.full((2, 8), float(i), np.float32) for i in range(len(captions))]
    return tokens, np.arange(len(captions) * 8, dtype=np.float32).reshape(-1, 8)


def test_compositions_come_from_train_clips_and_are_train_clips() -> None:
    cache = _labelled_cache()
    config = CompositionConfig(count=3, seed=1, speeds=(1.0, 1.0))
    features, labels, captions = make_compositions(cache, config)
    for array, label in zip(features, labels):
        assert label.content == "walk+wave-right-hand"  # the test clips are never used
        assert array.shape[0] == 58  # the shorter parent's 60 joints frames, minus one
        assert captions[0][0] == "a person walks forward while waving with the right hand"
    again = make_compositions(cache, config)[0]
    for a, b in zip(features, again):
        np.testing.assert_array_equal(a, b)

    out = add_compositions(cache, config, encode=_fake_encode)
    rows = composition_rows(out.clips)
    assert len(rows) == 3 and all(out.clips[r].split == TRAIN for r in rows)
    np.testing.assert_array_equal(out.mean, cache.mean)
    for row in range(len(cache.clips)):
        np.testing.assert_array_equal(out.clip_features(row), cache.clip_features(row))
    for row in rows:
        assert all(
            out.captions[c].startswith(("a person", "someone", "the person"))
            for c in out.clips[row].captions
        )
        assert {out.captions[c] for c in out.clips[row].captions} == set(captions[0])
    first_new = len(cache.captions)
    np.testing.assert_array_equal(out.text_pooled[:first_new], cache.text_pooled)
    assert out.info["compositions"]["count"] == 3


def test_compositions_need_both_kinds_of_clip() -> None:
    cache = _labelled_cache()
    only_walks = DataCache.from_clips(
        [cache.clip_features(0)],
        [cache.clips[0]],
        mean=cache.mean,
        std=cache.std,
        captions=cache.captions,
        tokens=[np.zeros((1, 8), np.float32)] * 2,
        pooled=cache.text_pooled,
        text_encoder="fake",
        info={},
    )
    with pytest.raises(MomoError, match="arm actions"):
        make_compositions(only_walks, CompositionConfig(count=1))
    with pytest.raises(MomoError, match="positive"):
        CompositionConfig(count=0)


def _one_line_error(stderr: str, fragment: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("momo data: error: "), stderr
    assert fragment in lines[0], lines[0]


def test_cli_composes_onto_a_built_cache(tmp_path, capsys):
    base = _labelled_cache("minilm", 384).save(tmp_path / "base.safetensors")
    out = tmp_path / "composed.safetensors"
    args = ["data", "build", "--compose-onto", str(base), "--cache", str(out), "--no-progress"]
    assert main(args) == 2
    _one_line_error(capsys.readouterr().err, "needs --compositions")
    assert main([*args, "--compositions", "2", "--seed", "3"]) == 0
    composed = DataCache.load(out)
    assert len(composition_rows(composed.clips)) == 2
    assert composed.info["compositions"]["seed"] == 3
    assert "composition" in capsys.readouterr().out  # the data card lists the new source
    again = str(out)
    assert main(["data", "build", "--compose-onto", again, "--compositions", "1", "--cache",
                 str(tmp_path / "twice.safetensors")]) == 2  # fmt: skip
    _one_line_error(capsys.readouterr().err, "already holds compositions")
