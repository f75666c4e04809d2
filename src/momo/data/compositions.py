"""Spatial compositions: the lower body of a locomotion clip with the upper body of an arm action.

In the spirit of SINC (Athanasiou et al. 2023): the training data has people walking and people
waving, but nobody walking *while* waving, so a prior trained on it has never seen the two
combined. A composition takes, frame by frame,

- the root and lower body (pelvis, hips, knees, ankles, feet: :data:`LOWER_BODY`) of a
  *locomotion* clip (walk, run, turns; optionally time-warped to another speed), unchanged, and
- the upper body (spine above the pelvis, neck, head, collars, arms: :data:`UPPER_BODY`) of an
  *arm-action* clip (wave, raise a hand, wave goodbye, ...), *re-rooted*: each upper-body joint's
  offset from the arm clip's pelvis, turned about the vertical axis by the difference of the two
  clips' hip headings, is added to the locomotion clip's pelvis (:func:`compose_joints`).

Joints are recombined in positions (recovered from the clips' features with
`momo.features_to_joints`, so both parents share the canonical skeleton) and re-derived as 263-d
features with `momo.joints_to_features`, so every feature group (ric, rotations, velocities,
contacts) is consistent. Captions join the two clips' verb phrases ("a person walks forward while
waving the right hand"). Only train-split clips are composed and compositions are train clips,
so no test frame is ever trained on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from momo.data.cache import ClipRecord, DataCache
from momo.data.captions import CONTENT_PHRASES
from momo.data.labels import NEUTRAL_STYLE, ClipLabel
from momo.data.splits import TRAIN
from momo.errors import MomoError
from momo.motion.body_parts import LOWER_BODY_JOINTS, UPPER_BODY_JOINTS
from momo.motion.representation import FPS

#: Source name of composed clips in the cache and its data card.
COMPOSITION_SOURCE = "composition"
#: Pelvis (the root), hips, knees, ankles and feet (SMPL joint order).
LOWER_BODY: tuple[int, ...] = LOWER_BODY_JOINTS
#: Spine joints above the pelvis, neck, collars, head, shoulders, elbows and wrists.
UPPER_BODY: tuple[int, ...] = UPPER_BODY_JOINTS
#: Content labels whose root and legs are used (they travel).
LOCOMOTION_CONTENTS: frozenset[str] = frozenset(
    {"walk", "run", "dash", "jog", "walk-turn-left", "walk-turn-right", "walk-back"}
)
#: Content labels whose upper body is used (arm actions done standing).
ARM_CONTENTS: frozenset[str] = frozenset(
    {
        "wave-left-hand",
        "wave-right-hand",
        "wave-both-hands",
        "raise-up-left-hand",
        "raise-up-right-hand",
        "raise-up-both-hands",
        "bye",
        "byebye",
        "call",
        "guide",
    }
)
#: Third-person verb -> gerund, for "a person walks while waving ..." captions.
_GERUNDS: dict[str, str] = {
    "walks": "walking",
    "runs": "running",
    "dashes": "dashing",
    "sprints": "sprinting",
    "jogs": "jogging",
    "turns": "turning",
    "steps": "stepping",
    "waves": "waving",
    "raises": "raising",
    "lifts": "lifting",
    "says": "saying",
    "calls": "calling",
    "beckons": "beckoning",
    "gestures": "gesturing",
    "guides": "guiding",
    "points": "pointing",
}

#: Captions -> (token states [S_j, D_tok] per caption, pooled vectors [U, D_pool]).
EncodeCaptions = Callable[[Sequence[str]], tuple[list[np.ndarray], np.ndarray]]


@dataclass(frozen=True)
class CompositionConfig:
    """Settings of the compositions added to a cache.

    Attributes:
        count: number of composed clips (their left/right mirrors come from composing mirrored
            parents, which are clips of the cache too).
        seed: seed of the pairing, the crops and the speeds.
        speeds: range of the locomotion clip's time-warp factor (1.0: as captured; 1.25 plays
            it 25 % faster). Drawn uniformly per composition.
        max_frames: longest composed clip in feature frames.
    """

    count: int
    seed: int = 0
    speeds: tuple[float, float] = (0.8, 1.25)
    max_frames: int = 196

    def __post_init__(self) -> None:
        if self.count < 1:
            raise MomoError(f"compositions must be positive, got {self.count}")
        low, high = self.speeds
        if not 0.25 <= low <= high <= 4.0:
            raise MomoError(f"speeds must satisfy 0.25 <= low <= high <= 4, got {self.speeds}")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready settings (recorded in the cache's info and its data card)."""
        return dataclasses.asdict(self)


def hip_heading(joints: np.ndarray) -> np.ndarray:
    """Angle [T] (radians, atan2 of z over x) of the left-to-right hip vector in the XZ plane."""
    across = joints[:, 2] - joints[:, 1]
    return np.arctan2(across[:, 2], across[:, 0])


def turn_about_y(vectors: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``vectors`` [T, J, 3] turned per frame by ``angle`` [T] in the XZ plane (same sense as
    :func:`hip_heading`: a vector at heading a comes out at heading a + angle)."""
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack([x * cos - z * sin, y, x * sin + z * cos], axis=-1)


def compose_joints(locomotion: np.ndarray, arms: np.ndarray) -> np.ndarray:
    """The lower body of ``locomotion`` with the re-rooted upper body of ``arms``.

    Args:
        locomotion: [T, 22, 3] joints whose root and lower body are kept as they are.
        arms: [T, 22, 3] joints whose upper body is moved onto ``locomotion``'s pelvis: offsets
            from its own pelvis, turned by the per-frame hip-heading difference.

    Returns:
        float64 [T, 22, 3].
    """
    if locomotion.shape != arms.shape or locomotion.shape[1:] != (22, 3):
        raise MomoError(
            f"compose_joints needs two [T, 22, 3] arrays of one shape, got {locomotion.shape} "
            f"and {arms.shape}"
        )
    locomotion = np.asarray(locomotion, dtype=np.float64)
    arms = np.asarray(arms, dtype=np.float64)
    out = locomotion.copy()
    turn = hip_heading(locomotion) - hip_heading(arms)
    offsets = arms[:, UPPER_BODY] - arms[:, :1]
    out[:, UPPER_BODY] = locomotion[:, :1] + turn_about_y(offsets, turn)
    return out


def time_warp(joints: np.ndarray, speed: float) -> np.ndarray:
    """``joints`` [T, 22, 3] resampled to play ``speed`` times as fast (linear interpolation)."""
    frames = joints.shape[0]
    times = np.arange(0.0, frames - 1 + 1e-9, speed)
    low = np.floor(times).astype(np.int64)
    high = np.minimum(low + 1, frames - 1)
    weight = (times - low)[:, None, None]
    return joints[low] * (1.0 - weight) + joints[high] * weight


def _gerund(phrase: str) -> str:
    verb, _, rest = phrase.partition(" ")
    if verb not in _GERUNDS:
        raise MomoError(f"no gerund for {verb!r} (add it to momo.data.compositions._GERUNDS)")
    return f"{_GERUNDS[verb]} {rest}".strip()


def composed_captions(locomotion: str, arms: str) -> tuple[str, ...]:
    """Captions of a composition of two content labels, e.g. ("walk", "wave-right-hand") ->
    "a person walks forward while waving the right hand", "a person walks and waves with the
    right hand", "someone waves the right hand while walking straight ahead"."""
    legs, hands = CONTENT_PHRASES[locomotion], CONTENT_PHRASES[arms]
    captions = []
    for i, (leg, hand) in enumerate(zip(legs, hands)):
        captions.append(f"a person {leg} while {_gerund(hand)}")
        captions.append(f"{('someone', 'the person', 'a person')[i % 3]} {leg} and {hand}")
        captions.append(f"a person {hand} while {_gerund(leg)}")
    return tuple(dict.fromkeys(captions))


def _candidates(cache: DataCache, contents: frozenset[str]) -> list[int]:
    return [
        row
        for row in cache.rows(TRAIN)
        if cache.clips[row].label.content in contents and cache.clips[row].frames >= 41
    ]


def _compose_pair(
    cache: DataCache, legs: int, hands: int, speed: float, rng: np.random.Generator, max_frames: int
) -> np.ndarray:
    """Features of one composition of cache rows ``legs`` and ``hands``."""
    from momo.motion.kinematics import features_to_joints, joints_to_features

    walk = time_warp(features_to_joints(cache.clip_features(legs).astype(np.float64)), speed)
    wave = features_to_joints(cache.clip_features(hands).astype(np.float64))
    frames = min(walk.shape[0], wave.shape[0], max_frames + 1)
    walk_start = int(rng.integers(0, walk.shape[0] - frames + 1))
    wave_start = int(rng.integers(0, wave.shape[0] - frames + 1))
    joints = compose_joints(
        walk[walk_start : walk_start + frames], wave[wave_start : wave_start + frames]
    )
    return np.asarray(joints_to_features(joints), dtype=np.float32)


def make_compositions(
    cache: DataCache, config: CompositionConfig
) -> tuple[list[np.ndarray], list[ClipLabel], list[tuple[str, ...]]]:
    """``config.count`` composed clips from the cache's train split.

    Returns:
        (features [T_i, 263] per clip, labels, captions per clip).

    Raises:
        MomoError: the train split has no locomotion or no arm-action clips.
    """
    legs_rows = _candidates(cache, LOCOMOTION_CONTENTS)
    hands_rows = _candidates(cache, ARM_CONTENTS)
    if not legs_rows or not hands_rows:
        raise MomoError(
            "compositions need train clips of locomotion "
            f"({', '.join(sorted(LOCOMOTION_CONTENTS))}) and of arm actions "
            f"({', '.join(sorted(ARM_CONTENTS))}); the cache has "
            f"{len(legs_rows)} and {len(hands_rows)}"
        )
    rng = np.random.default_rng(config.seed)
    features, labels, captions = [], [], []
    for index in range(config.count):
        legs = legs_rows[int(rng.integers(len(legs_rows)))]
        hands = hands_rows[int(rng.integers(len(hands_rows)))]
        speed = float(rng.uniform(*config.speeds))
        features.append(_compose_pair(cache, legs, hands, speed, rng, config.max_frames))
        leg_label, hand_label = cache.clips[legs].label, cache.clips[hands].label
        name = f"{COMPOSITION_SOURCE}/{index:05d}:{leg_label.name}+{hand_label.name}"
        labels.append(
            ClipLabel(
                source=COMPOSITION_SOURCE,
                name=name,
                content=f"{leg_label.content}+{hand_label.content}",
                style=leg_label.style if leg_label.style == hand_label.style else NEUTRAL_STYLE,
                group=name,
                member=f"{leg_label.member}+{hand_label.member}@{speed:.3f}",
            )
        )
        captions.append(composed_captions(leg_label.content, hand_label.content))
    return features, labels, captions


def add_compositions(
    cache: DataCache, config: CompositionConfig, *, encode: EncodeCaptions | None = None
) -> DataCache:
    """``cache`` with ``config.count`` train-split compositions appended.

    Mean/Std stay those of the captured train clips (a model fine-tuned from one trained on the
    plain cache normalises with its own statistics anyway).

    Args:
        cache: a built cache (its train split supplies the parents).
        config: how many compositions, seeded how.
        encode: captions -> (token states per caption, pooled [U, D]); default: the cache's
            text encoder through `momo.data.build.encode_captions`.
    """
    from momo.data.build import encode_captions

    features, labels, caption_lists = make_compositions(cache, config)
    old_captions = list(cache.captions)
    new_captions = sorted({t for texts in caption_lists for t in texts} - set(old_captions))
    if encode is None:
        tokens, pooled = encode_captions(new_captions, cache.text_encoder)
    else:
        tokens, pooled = encode(new_captions)
    all_captions = old_captions + new_captions
    row_of = {text: row for row, text in enumerate(all_captions)}
    old_tokens = [
        cache.text_tokens[cache.text_token_offsets[j] : cache.text_token_offsets[j + 1]]
        for j in range(len(old_captions))
    ]
    records = list(cache.clips)
    arrays = [cache.clip_features(row) for row in range(len(cache.clips))]
    for array, label, texts in zip(features, labels, caption_lists):
        frames = int(array.shape[0])
        records.append(
            ClipRecord(label, TRAIN, tuple(row_of[t] for t in texts), frames, frames / FPS)
        )
        arrays.append(array)
    info = dict(cache.info)
    info["compositions"] = {
        **config.to_dict(),
        "frames": int(sum(a.shape[0] for a in features)),
        "captions": len(new_captions),
    }
    info.setdefault("notes", [])
    info["notes"] = list(info["notes"]) + [
        f"{config.count} spatial compositions (locomotion lower body + arm-action upper body, "
        f"seed {config.seed}, speeds {config.speeds[0]}-{config.speeds[1]}) added to the train "
        "split; Mean/Std are those of the captured clips"
    ]
    pooled_all = np.concatenate([cache.text_pooled, pooled]) if len(new_captions) else None
    return DataCache.from_clips(
        arrays,
        records,
        mean=cache.mean,
        std=cache.std,
        captions=all_captions,
        tokens=old_tokens + tokens,
        pooled=pooled_all if pooled_all is not None else cache.text_pooled,
        text_encoder=cache.text_encoder,
        info=info,
    )


def composition_rows(clips: Sequence[ClipRecord]) -> list[int]:
    """Rows of the composed clips of a cache."""
    return [row for row, clip in enumerate(clips) if clip.label.source == COMPOSITION_SOURCE]
