"""`transfer_pairs`: many independent (leader, follower) transfers of real motions in one batch.

A benchmark such as MTB pairs 816 leaders with only 55 followers (each in 15-16 pairs), so
pairs sharing a leader (what one `momo.transfer` with several followers batches) are rare.
`transfer_pairs` runs any set of pairs together over a `PairLayout`: each distinct leader and
each distinct follower is one row (denoised once for all its pairs), and each pair adds its
output row, which takes its queries from its own leader and its keys/values from its own
follower. Each pair's output is the output `momo.transfer(model, leader, [follower])` gives,
up to float rounding: an output row only attends to its leader and its follower, the other
rows of the batch only change how rows are padded (padding is masked) and grouped into
matrix products.

Only real motions (inverted) are batched: their initial latents are their inversions, so no
random noise enters and a pair's result does not depend on the seed or on its batch. Each
pair's `TransferResult` records the seed it was given (``seeds``) as `momo.transfer` would.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from momo.diffusion.guidance import make_x0_predictor
from momo.diffusion.sampling import sample
from momo.errors import TransferError
from momo.models.attention import use_processors
from momo.motion.batch import frame_mask as make_frame_mask
from momo.motion.motion import Motion
from momo.pipelines.transfer.config import TransferConfig, resolve_config
from momo.pipelines.transfer.cross_attention import ConstantMemoryCrossAttention
from momo.pipelines.transfer.denoising import (
    InversionStore,
    TransferBatch,
    invert_motions,
    inverted_latents,
    leader_body_kept,
    leader_root_rotation,
    prepare_batch,
    scheduled,
)
from momo.pipelines.transfer.layout import PairLayout
from momo.pipelines.transfer.mixed_attention import mixing_processors
from momo.pipelines.transfer.pipeline import _result
from momo.pipelines.transfer.replay import MixedAttentionStore, replay_processors, storage_dtype
from momo.pipelines.transfer.result import TransferResult

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel


def transfer_pairs(
    model: MotionDiffusionModel,
    pairs: Sequence[tuple[Motion, Motion]],
    *,
    seeds: Sequence[int] | None = None,
    inversions: InversionStore | None = None,
    progress: bool = False,
    **options: Any,
) -> list[TransferResult]:
    """One `momo.transfer(model, leader, [follower], ...)` per pair, computed in one batch.

    Args:
        model: a loaded model.
        pairs: ``(leader, follower)`` real motions; equal motions (same features and text) in
            several pairs are one row.
        seeds: each pair's recorded seed (default 0); inversion draws no noise, so they do not
            change the outputs.
        inversions: a store of inverted latents (e.g. `momo.evaluation.InversionCache`).
        progress: show progress bars.
        **options: `momo.transfer`'s layers, steps, guidance_scale, assign_root_rotation,
            follower_copies, reference_rounding, num_steps, output_text, leader_root_path,
            inversion_corrections, leader_body, leader_body_steps, follower_body,
            follower_body_steps, reuse_inversion
            (the distinct leaders and followers are inverted together while each pair's
            mixed attention is recorded; then the outputs are sampled alone).

    Returns:
        One single-follower `TransferResult` per pair, in order.

    Raises:
        TransferError: a prompt among the pairs, ``noise`` given, ``reuse_inversion`` with
            ``inversions``, or anything `momo.transfer` would raise for a pair.
    """
    if not pairs:
        raise TransferError("transfer_pairs needs at least one (leader, follower) pair")
    if any(not isinstance(m, Motion) for pair in pairs for m in pair):
        raise TransferError("transfer_pairs batches real motions only; run prompts by transfer")
    if options.get("noise") is not None:
        raise TransferError("transfer_pairs draws no noise (real motions are inverted)")
    if options.get("reuse_inversion") and inversions is not None:
        raise TransferError(
            "reuse_inversion records attention while inverting, so it cannot take stored "
            "inversions; pass one or the other"
        )
    seeds = [0] * len(pairs) if seeds is None else list(seeds)
    if len(seeds) != len(pairs):
        raise TransferError(f"got {len(seeds)} seeds for {len(pairs)} pairs")
    configs = [
        resolve_config(model, [leader, follower], seed=seed, **options)
        for (leader, follower), seed in zip(pairs, seeds)
    ]
    leaders, followers, layout = _pair_layout(pairs, configs[0].follower_copies)
    shortcuts = {
        m: ConstantMemoryCrossAttention() for m in model.denoiser.cross_attention_modules()
    }
    with torch.inference_mode(), use_processors(shortcuts):
        batch = _pair_batch(model, configs, leaders, followers, layout, progress)
        if configs[0].reuse_inversion:
            x0 = _replayed(batch, layout, leaders + followers)
        else:
            x0 = _denoise(batch, layout, leaders + followers, inversions)
        if configs[0].assign_root_rotation:
            for p, (a, _) in enumerate(layout.pairs):
                leader_row = x0[layout.leader_row(a)]
                rotation = leader_root_rotation(batch, leader_row, leaders[a])
                x0[layout.output_row(p), :, 0] = rotation
        features = model.model_to_features(x0, batch.config.row_lengths)
    if configs[0].leader_root_path:
        features = _with_leader_root_paths(features, layout, leaders)
    results = []
    for p, (config, pair) in enumerate(zip(configs, pairs)):
        rows = layout.pair_rows(p)
        results.append(_result(config, list(pair), [features[r] for r in rows], x0[rows]))
    return results


def _with_leader_root_paths(
    features: list[np.ndarray], layout: PairLayout, leaders: Sequence[Motion]
) -> list[np.ndarray]:
    """``leader_root_path``: each output takes its leader's root angular and XZ velocity
    (features 0-2) as given, as `momo.transfer` does."""
    out = list(features)
    for p, (a, _) in enumerate(layout.pairs):
        row = layout.output_row(p)
        root = np.asarray(leaders[a].features, dtype=np.float32)[:, :3]
        out[row] = np.array(out[row], dtype=np.float32)
        out[row][:, :3] = root[: len(out[row])]
    return out


def _motion_key(motion: Motion) -> tuple[str, tuple[int, ...], str]:
    features = np.ascontiguousarray(np.asarray(motion.features))
    digest = hashlib.sha256(features.tobytes()).hexdigest()
    return motion.text or "", features.shape, f"{features.dtype}:{digest}"


def _pair_layout(
    pairs: Sequence[tuple[Motion, Motion]], copies: int
) -> tuple[list[Motion], list[Motion], PairLayout]:
    """Distinct leaders and followers (in order of first use) and the batch layout."""
    leaders: dict[Any, int] = {}
    followers: dict[Any, int] = {}
    unique_leaders: list[Motion] = []
    unique_followers: list[Motion] = []
    indices = []
    for leader, follower in pairs:
        for motion, seen, unique in (
            (leader, leaders, unique_leaders),
            (follower, followers, unique_followers),
        ):
            key = _motion_key(motion)
            if key not in seen:
                seen[key] = len(unique)
                unique.append(motion)
        indices.append((leaders[_motion_key(leader)], followers[_motion_key(follower)]))
    layout = PairLayout(len(unique_leaders), len(unique_followers), tuple(indices), copies)
    return unique_leaders, unique_followers, layout


def _pair_batch(
    model: MotionDiffusionModel,
    configs: Sequence[TransferConfig],
    leaders: Sequence[Motion],
    followers: Sequence[Motion],
    layout: PairLayout,
    progress: bool,
) -> TransferBatch:
    """Every row's text, guidance, length and mask. The batch's config is the first pair's
    with the pair batch's row labels and lengths (what inversion and padding read)."""
    outputs_text = [pair.row_texts()[-1] for pair in configs]  # the output row is last
    texts = layout.arrange(
        [m.text or None for m in leaders], [m.text or None for m in followers], outputs_text
    )
    lengths = layout.arrange(
        [len(m.features) for m in leaders],
        [len(m.features) for m in followers],
        [pair.leader.num_frames for pair in configs],
    )
    labels = layout.arrange(
        [f"leader_{a}" for a in range(layout.num_leaders)],
        [f"follower_{b}" for b in range(layout.num_followers)],
        [f"output_{p}" for p in range(len(layout.pairs))],
    )
    config = dataclasses.replace(configs[0], rows=tuple(labels), row_lengths=tuple(lengths))
    return prepare_batch(model, config, progress, texts=texts)


def _denoise(
    batch: TransferBatch,
    layout: PairLayout,
    motions: Sequence[Motion],
    inversions: InversionStore | None,
) -> torch.Tensor:
    """Invert the distinct leaders and followers, then sample the batch with mixed attention."""
    latents = inverted_latents(batch, motions, inversions)
    leader_latents = latents[: layout.num_leaders]
    x_T = torch.stack(
        layout.arrange(
            leader_latents,
            latents[layout.num_leaders :],
            [leader_latents[a] for a, _ in layout.pairs],
        )
    )
    config, denoiser = batch.config, batch.model.denoiser
    g = config.guidance_scale
    scales = layout.arrange(
        [g.leader] * layout.num_leaders,
        [g.followers[0]] * layout.num_followers,
        [g.outputs[0]] * len(layout.pairs),
    )
    predict = make_x0_predictor(
        denoiser, batch.text, batch.frame_mask, torch.tensor(scales), batch.drop
    )
    mixing = mixing_processors(denoiser.self_attention_modules(), batch.schedule.layers, layout)
    keep = leader_body_kept(
        batch,
        layout.output_rows,
        [motions[a] for a, _ in layout.pairs],
        [motions[layout.num_leaders + b] for _, b in layout.pairs],
    )
    return sample(
        keep(scheduled(predict, batch.schedule, mixing)),
        x_T,
        batch.scheduler,
        progress=batch.progress,
    )


def _replayed(batch: TransferBatch, layout: PairLayout, motions: Sequence[Motion]) -> torch.Tensor:
    """``reuse_inversion``: invert the distinct leaders and followers while recording each
    pair's mixed attention, then sample the outputs alone with the record. The leader and
    follower rows of the result are the real motions, normalised."""
    model, config = batch.model, batch.config
    store = MixedAttentionStore(storage_dtype(model.dtype))
    leaders = torch.tensor([a for a, _ in layout.pairs])
    followers = torch.tensor([layout.num_leaders + b for _, b in layout.pairs])
    clean, latents = invert_motions(batch, motions, store, (leaders, followers))
    outputs = layout.output_rows
    rows = torch.tensor(outputs, device=model.device)
    lengths = [config.row_lengths[r] for r in outputs]
    frames = config.batch_frames  # the record's token count
    mask = make_frame_mask(lengths, frames, model.device) if min(lengths) < frames else None
    g = config.guidance_scale
    predict = make_x0_predictor(
        model.denoiser,
        batch.text.index(rows.to(batch.text.tokens.device)),
        mask,
        torch.tensor([g.outputs[0]] * len(outputs)),
        batch.drop[rows],
    )
    replay = replay_processors(model.denoiser.self_attention_modules(), config.layers, store)
    x_T = latents.index_select(0, leaders.to(latents.device)).clone()
    keep = leader_body_kept(
        batch,
        list(range(len(outputs))),
        [motions[a] for a, _ in layout.pairs],
        [motions[layout.num_leaders + b] for _, b in layout.pairs],
    )
    sampled = sample(
        keep(scheduled(predict, batch.schedule, replay, store)),
        x_T,
        batch.scheduler,
        progress=batch.progress,
    )
    store.entries.clear()
    count = layout.num_leaders
    return torch.stack(layout.arrange(list(clean[:count]), list(clean[count:]), list(sampled)))
