"""Measure MoMo's mechanism over many real motions: outline vs motif, and correspondences.

The paper's attention analysis shows two things as pictures: K-Means clusters of per-frame
self-attention *queries* follow the outline (periodic sub-motions, timing) while clusters of
*keys* follow motifs (what kind of movement, in which style); and the follower frame with the
largest ``q_leader . k_follower`` score is the leader frame's semantic counterpart.
`measure_mechanism` turns both into numbers, per layer and timestep:

1. Each clip is cut to at most ``max_frames`` frames and labelled: per frame, the outline
   (`gait_phase`, `root_phase`); per clip, the motifs (content, style).
2. Three known pairs are derived from each clip (`momo.analysis.known_pairs`): a time-warped
   copy, two windows of the take shifted in time, and the mirror.
3. All motions are DDIM-inverted in batches, recording Q, K and V (`capture_motions`).
4. Clusters (PCA then K-Means, scikit-learn) are scored with adjusted mutual information:
   each clip on its own against its outline labels (the paper's per-motion setting), and the
   frames of all clips together against content and style (and the outline labels).
5. For each known pair, every leader frame is matched to the follower frame with the largest
   ``q . k``: the share within ``tolerance`` frames of the truth and the pose error of the
   matched frames, next to nearest-neighbour matching of the (normalised) features.

Clips are processed in chunks, so memory holds one chunk's features plus a thinned sample of
frames for the pooled clustering.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from momo.analysis.batch_capture import capture_motions
from momo.analysis.capture import AttentionFeatures, _choose
from momo.analysis.cluster_scores import DEFAULT_SCORE_PCA_DIM, clip_ami, pooled_ami
from momo.analysis.known_pairs import (
    PAIR_KINDS,
    KnownPair,
    match_accuracy,
    mirrored_pair,
    nearest_neighbour_matches,
    pose_error,
    time_shifted_pair,
    time_warped_pair,
)
from momo.analysis.outline import gait_phase, root_phase
from momo.errors import TransferError
from momo.motion.motion import Motion
from momo.pipelines.scheduling import ddim_scheduler

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel

logger = logging.getLogger(__name__)

#: Feature kinds, in report order.
KINDS: tuple[str, ...] = ("query", "key", "value")
#: Per-frame outline labels and per-clip motif labels.
OUTLINE_LABELS: tuple[str, ...] = ("gait_phase", "root_phase")
MOTIF_LABELS: tuple[str, ...] = ("content", "style")


@dataclass(frozen=True)
class MechanismConfig:
    """Settings of `measure_mechanism`.

    Attributes:
        layers: 0-based layers to measure (None: all).
        timesteps: model timesteps (None: `default_timesteps`); with ``num_steps`` they must be
            among the respaced ones.
        num_steps: DDIM inversion over this many evenly spaced timesteps (None: all T); 12
            of the bundled model's 100 are 0, 9, 18, ..., 99.
        max_frames: clips are cut to their first ``max_frames`` frames.
        outline_clusters: K-Means clusters per clip (the per-clip outline scores).
        motif_clusters: K-Means clusters of the pooled frames of all clips.
        pca_dim: principal components kept before K-Means.
        root_phase_bins: sectors of the root-motion phase.
        pooled_stride: every n-th frame of each clip enters the pooled clustering.
        tolerance: a match within this many frames of the truth counts as correct.
        warp_strength: speed variation of the time-warped copy (0: none).
        warp_stretch: length of the time-warped copy relative to the leader.
        shift_fraction: shift of the second window, as a share of the window length.
        batch_size: motions per batched inversion.
        seed: K-Means seed.
    """

    layers: tuple[int, ...] | None = None
    timesteps: tuple[int, ...] | None = None
    num_steps: int | None = 12
    max_frames: int = 120
    outline_clusters: int = 4
    motif_clusters: int = 8
    pca_dim: int = DEFAULT_SCORE_PCA_DIM
    root_phase_bins: int = 4
    pooled_stride: int = 4
    tolerance: int = 2
    warp_strength: float = 0.3
    warp_stretch: float = 1.25
    shift_fraction: float = 0.25
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        positive = {
            "max_frames": self.max_frames,
            "outline_clusters": self.outline_clusters,
            "motif_clusters": self.motif_clusters,
            "pca_dim": self.pca_dim,
            "pooled_stride": self.pooled_stride,
            "batch_size": self.batch_size,
        }
        bad = {name: value for name, value in positive.items() if value < 1}
        if bad:
            raise TransferError(f"these settings must be >= 1: {bad}")
        if self.max_frames < 16:
            raise TransferError(f"max_frames must be >= 16, got {self.max_frames}")
        if self.tolerance < 0:
            raise TransferError(f"tolerance must be >= 0, got {self.tolerance}")
        if not 0.0 < self.shift_fraction < 1.0:
            raise TransferError(f"shift_fraction must be in (0, 1), got {self.shift_fraction}")
        if self.warp_stretch <= 0:
            raise TransferError(f"warp_stretch must be > 0, got {self.warp_stretch}")


#: Where `default_timesteps` looks, as shares of the diffusion's T.
DEFAULT_TIMESTEP_SHARES: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)


def default_timesteps(available: Sequence[int], num_timesteps: int) -> tuple[int, ...]:
    """The available timesteps nearest to 0, 10, 30, 50, 70 and 90 % of ``num_timesteps``."""
    steps = np.asarray(sorted(available))
    chosen = {
        int(steps[np.abs(steps - share * num_timesteps).argmin()])
        for share in DEFAULT_TIMESTEP_SHARES
    }
    return tuple(sorted(chosen))


@dataclass(frozen=True, eq=False)
class LabelledClip:
    """A real motion with its motif labels (None: unknown)."""

    motion: Motion
    content: str | None = None
    style: str | None = None


@dataclass(frozen=True, eq=False)
class MechanismResult:
    """Numbers of `measure_mechanism`; every ``[L, S]`` array is indexed [layer, timestep].

    Attributes:
        layers, timesteps: the axes.
        outline: kind -> outline label -> ``[L, S]`` mean per-clip AMI (NaN: no clip had two
            labels).
        pooled: kind -> label (motif and outline) -> ``[L, S]`` AMI of the pooled clusters.
        correspondence: pair kind -> ``{"accuracy", "pose_error"}`` -> ``[L, S]`` means over
            pairs of the q.k matching.
        baselines: pair kind -> method (``nearest_neighbour``, ``true_match``) -> metric ->
            float (layer- and timestep-free).
        counts: clips, pairs, frames, clips with outline labels.
        settings: the resolved `MechanismConfig` as a dict.
    """

    layers: tuple[int, ...]
    timesteps: tuple[int, ...]
    outline: dict[str, dict[str, np.ndarray]]
    pooled: dict[str, dict[str, np.ndarray]]
    correspondence: dict[str, dict[str, np.ndarray]]
    baselines: dict[str, dict[str, dict[str, float]]]
    counts: dict[str, int]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: arrays as nested lists (NaN as None)."""

        def table(grid: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
            return {a: {b: _listed(v) for b, v in inner.items()} for a, inner in grid.items()}

        return {
            "layers": list(self.layers),
            "timesteps": list(self.timesteps),
            "outline_per_clip_ami": table(self.outline),
            "pooled_ami": table(self.pooled),
            "correspondence": table(self.correspondence),
            "baselines": self.baselines,
            "counts": dict(self.counts),
            "settings": dict(self.settings),
        }


def _listed(grid: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in grid]


def _crop(clip: LabelledClip, config: MechanismConfig) -> Motion:
    """The clip's first frames: at most ``max_frames``, and short enough to leave room for the
    shifted window of the same take when the take allows one of at least 16 frames."""
    motion = clip.motion
    room = int(motion.num_frames / (1.0 + config.shift_fraction))
    length = min(config.max_frames, room if room >= 16 else motion.num_frames)
    if length == motion.num_frames:
        return motion
    return Motion(motion.features[:length], text=motion.text, name=motion.name)


def _pairs(crop: Motion, full: Motion, config: MechanismConfig) -> list[KnownPair]:
    """The known pairs of one clip, each led by ``crop`` (no shifted pair for a short take)."""
    pairs = [time_warped_pair(crop, strength=config.warp_strength, stretch=config.warp_stretch)]
    shift = int(round(crop.num_frames * config.shift_fraction))
    if shift >= 1 and crop.num_frames + shift <= full.num_frames:
        shifted = time_shifted_pair(full, length=crop.num_frames, shift=shift)
        pairs.append(KnownPair(shifted.kind, crop, shifted.follower, shifted.true_match))
    pairs.append(mirrored_pair(crop))
    return pairs


class _Accumulator:
    """Running per-clip values and pooled frame samples, filled chunk by chunk."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self.outline: dict[tuple[str, str], list[list[list[float]]]] = defaultdict(
            lambda: [[[] for _ in range(shape[1])] for _ in range(shape[0])]
        )
        self.matching: dict[tuple[str, str], list[list[list[float]]]] = defaultdict(
            lambda: [[[] for _ in range(shape[1])] for _ in range(shape[0])]
        )
        self.baseline: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.pooled_features: dict[tuple[str, int, int], list[np.ndarray]] = defaultdict(list)
        self.pooled_labels: dict[str, list[np.ndarray]] = defaultdict(list)

    @staticmethod
    def mean(values: list[list[list[float]]]) -> np.ndarray:
        return np.array(
            [[float(np.mean(cell)) if cell else np.nan for cell in row] for row in values]
        )


def measure_mechanism(
    model: MotionDiffusionModel,
    clips: Sequence[LabelledClip],
    config: MechanismConfig | None = None,
    *,
    progress: bool = False,
) -> MechanismResult:
    """Measure outline/motif separation and correspondence quality (see the module docstring).

    Args:
        model: a loaded model in eval mode.
        clips: real motions with their content/style labels (at least two).
        config: settings (default `MechanismConfig()`).
        progress: show a progress bar over chunks of clips.

    Returns:
        `MechanismResult`.

    Raises:
        TransferError: fewer than two clips, clips shorter than 16 frames, bad settings.
    """
    config = config or MechanismConfig()
    if len(clips) < 2:
        raise TransferError(f"need at least 2 clips to measure, got {len(clips)}")
    short = [c.motion.name or str(i) for i, c in enumerate(clips) if c.motion.num_frames < 16]
    if short:
        raise TransferError(f"clips shorter than 16 frames cannot be measured: {short[:5]}")
    layers = _choose(
        config.layers, list(range(len(model.denoiser.self_attention_modules()))), "layers"
    )
    if config.num_steps is not None and not 2 <= config.num_steps <= model.num_timesteps:
        raise TransferError(
            f"num_steps must be in 2..{model.num_timesteps}, got {config.num_steps}"
        )
    available = list(ddim_scheduler(model, config.num_steps).timesteps)
    timesteps = _choose(
        config.timesteps or default_timesteps(available, model.num_timesteps),
        available,
        "timesteps",
    )
    acc = _Accumulator((len(layers), len(timesteps)))
    per_chunk = max(1, config.batch_size // 4)
    chunks = [clips[i : i + per_chunk] for i in range(0, len(clips), per_chunk)]
    counts: dict[str, int] = defaultdict(int)
    for chunk in tqdm(chunks, desc="measuring", unit="chunk", disable=not progress):
        _measure_chunk(model, chunk, config, layers, timesteps, acc, counts)

    outline = {
        kind: {label: acc.mean(acc.outline[(kind, label)]) for label in OUTLINE_LABELS}
        for kind in KINDS
    }
    with _one_thread():
        pooled = _pooled_scores(acc, config, layers, timesteps)
    correspondence = {
        pair: {
            metric: acc.mean(acc.matching[(pair, metric)]) for metric in ("accuracy", "pose_error")
        }
        for pair in PAIR_KINDS
        if (pair, "accuracy") in acc.matching
    }
    baselines: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (pair, method, metric), values in sorted(acc.baseline.items()):
        baselines[pair].setdefault(method, {})[metric] = round(float(np.mean(values)), 4)
    settings = asdict(config)
    settings.update(layers=list(layers), timesteps=list(timesteps))
    return MechanismResult(
        layers=layers,
        timesteps=timesteps,
        outline=outline,
        pooled=pooled,
        correspondence=correspondence,
        baselines=dict(baselines),
        counts=dict(counts),
        settings=settings,
    )


def _measure_chunk(
    model: MotionDiffusionModel,
    chunk: Sequence[LabelledClip],
    config: MechanismConfig,
    layers: tuple[int, ...],
    timesteps: tuple[int, ...],
    acc: _Accumulator,
    counts: dict[str, int],
) -> None:
    """Capture one chunk of clips and their known pairs, and add their numbers to ``acc``."""
    crops = [_crop(clip, config) for clip in chunk]
    motions: list[Motion] = list(crops)
    pairs: list[KnownPair] = []
    slots: list[tuple[int, int]] = []  # (leader row, follower row) of each pair in `motions`
    for row, (crop, clip) in enumerate(zip(crops, chunk)):
        for pair in _pairs(crop, clip.motion, config):
            motions.append(pair.follower)
            pairs.append(pair)
            slots.append((row, len(motions) - 1))
    features = capture_motions(
        model,
        motions,
        layers=layers,
        timesteps=timesteps,
        batch_size=config.batch_size,
        num_steps=config.num_steps,
    )
    counts["clips"] += len(crops)
    counts["frames"] += sum(m.num_frames for m in crops)
    with _one_thread():
        for clip, crop, captured in zip(chunk, crops, features):
            _score_clip(clip, crop, captured, config, acc, counts)
        for pair, (leader_row, follower_row) in zip(pairs, slots):
            counts[f"pairs_{pair.kind}"] += 1
            _score_pair(model, pair, features[leader_row], features[follower_row], config, acc)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run the many small PCA / K-Means / SVD calls of the scoring on one thread each.

    They are far too small to gain from threads, and with torch's and scikit-learn's OpenMP
    runtimes and OpenBLAS all loaded, their thread pools spin against each other: measured on
    a busy 2-core machine, one PCA + K-Means of a 120-frame clip took 4.8 s with 2 threads and
    0.14 s with 1. The limits are restored on exit.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _score_clip(
    clip: LabelledClip,
    crop: Motion,
    captured: AttentionFeatures,
    config: MechanismConfig,
    acc: _Accumulator,
    counts: dict[str, int],
) -> None:
    """Per-clip outline AMI for every cell; thinned frames and labels for the pooled scores."""
    labels = {
        "gait_phase": gait_phase(crop.features),
        "root_phase": root_phase(crop.features, config.root_phase_bins),
    }
    for name, y in labels.items():
        counts[f"clips_with_{name}"] += int(np.unique(y).size >= 2)
    thin = slice(None, None, config.pooled_stride)
    frames = crop.features[thin].shape[0]
    for name, y in labels.items():
        acc.pooled_labels[name].append(y[thin])
    for name in MOTIF_LABELS:
        value = getattr(clip, name)
        acc.pooled_labels[name].append(np.full(frames, value if value is not None else "", object))
    for kind, tensor in zip(KINDS, (captured.queries, captured.keys, captured.values)):
        grid = tensor.double().numpy()
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                x = grid[i, j]
                acc.pooled_features[(kind, i, j)].append(x[thin])
                scores = clip_ami(
                    x, labels, config.outline_clusters, pca_dim=config.pca_dim, seed=config.seed
                )
                for name, value in scores.items():
                    if value is not None:
                        acc.outline[(kind, name)][i][j].append(value)


def _score_pair(
    model: MotionDiffusionModel,
    pair: KnownPair,
    leader: AttentionFeatures,
    follower: AttentionFeatures,
    config: MechanismConfig,
    acc: _Accumulator,
) -> None:
    """q.k matching per cell, and the layer-free baselines, of one known pair."""
    truth = pair.true_match
    lf, ff = pair.leader.features, pair.follower.features
    q = leader.queries.double().numpy()
    k = follower.keys.double().numpy()
    for i in range(q.shape[0]):
        for j in range(q.shape[1]):
            matches = (q[i, j] @ k[i, j].T).argmax(axis=1)
            accuracy = match_accuracy(matches, truth, config.tolerance)
            if accuracy is None:
                continue
            acc.matching[(pair.kind, "accuracy")][i][j].append(accuracy)
            acc.matching[(pair.kind, "pose_error")][i][j].append(pose_error(lf, ff, matches, truth))
    normalize = model.normalizer.normalize
    nearest = nearest_neighbour_matches(
        normalize(np.asarray(lf, np.float64)), normalize(np.asarray(ff, np.float64))
    )
    baseline_accuracy = match_accuracy(nearest, truth, config.tolerance)
    if baseline_accuracy is None:
        return
    acc.baseline[(pair.kind, "nearest_neighbour", "accuracy")].append(baseline_accuracy)
    acc.baseline[(pair.kind, "nearest_neighbour", "pose_error")].append(
        pose_error(lf, ff, nearest, truth)
    )
    safe_truth = np.where(truth < 0, 0, truth)
    acc.baseline[(pair.kind, "true_match", "pose_error")].append(
        pose_error(lf, ff, safe_truth, truth)
    )


def _pooled_scores(
    acc: _Accumulator,
    config: MechanismConfig,
    layers: tuple[int, ...],
    timesteps: tuple[int, ...],
) -> dict[str, dict[str, np.ndarray]]:
    """AMI of the pooled clusters against each motif and outline label, per cell."""
    names = list(MOTIF_LABELS) + list(OUTLINE_LABELS)
    labels = {name: acc.pooled_labels[name] for name in names}
    out: dict[str, dict[str, np.ndarray]] = {}
    for kind in KINDS:
        grids = {name: np.full((len(layers), len(timesteps)), np.nan) for name in names}
        for i in range(len(layers)):
            for j in range(len(timesteps)):
                scores = pooled_ami(
                    acc.pooled_features[(kind, i, j)],
                    labels,
                    config.motif_clusters,
                    pca_dim=config.pca_dim,
                    seed=config.seed,
                )
                for name, value in scores.items():
                    if value is not None:
                        grids[name][i, j] = value
        out[kind] = grids
    return out
