"""`momo.transfer`: MoMo's zero-shot motion transfer, in numbered steps.

The method is the paper's (Raab et al., "Monkey See, Monkey Do", SIGGRAPH Asia 2024): the
leader and the followers are denoised in one batch with the output rows; in the transfer layers
and at the transfer timesteps, each output's self-attention takes its queries from the leader
and its keys and values from its follower (mixed attention).

1. Resolve every option once and check it (`config.resolve_config`); the frozen config is the
   record written as config.json.
2. Encode every distinct prompt once; build every row's text-drop flag and frame mask.
3. Initial latents: seeded (or given) noise for prompts; real motions are DDIM-inverted with
   their own text and no guidance; every output starts from a copy of the leader's latent.
4. DDIM sampling of the whole batch with mixed attention at the transfer steps
   (`denoising.batched_transfer`), or, with ``reuse_inversion``, the outputs alone with the
   inversion's recorded attention (`denoising.replayed_transfer`).
5. Assign the leader's root rotation (feature 0) to every output; cut each row to its length.
6. Return a `TransferResult`.

Only what is needed is computed: output rows never project their own queries/keys/values in a
mixing layer (their attention reads the leader's queries and the followers' keys/values
computed for those rows anyway), unconditional guidance copies exist only for rows whose scale
is not 1, their cross-attention is a constant (`ConstantMemoryCrossAttention`), attention runs
without a mask when no row is padded, and prompts are encoded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from momo.errors import TransferError
from momo.models.attention import use_processors
from momo.motion.motion import Motion
from momo.pipelines.transfer.config import TransferConfig, input_list, resolve_config
from momo.pipelines.transfer.cross_attention import ConstantMemoryCrossAttention
from momo.pipelines.transfer.denoising import (
    InversionStore,
    batched_transfer,
    initial_noise,
    leader_root_rotation,
    prepare_batch,
    replayed_transfer,
)
from momo.pipelines.transfer.result import TransferResult

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel
    from momo.pipelines.transfer.layout import TransferLayout


def transfer(
    model: MotionDiffusionModel,
    leader: Motion | str,
    followers: Sequence[Motion | str],
    *,
    num_frames: int | None = None,
    layers: Sequence[int] | None = None,
    steps: Sequence[int] | None = None,
    guidance_scale: float | None = None,
    assign_root_rotation: bool = True,
    follower_copies: int = 1,
    noise: Tensor | None = None,
    seed: int | None = None,
    progress: bool = True,
    reference_rounding: bool = False,
    num_steps: int | None = None,
    reuse_inversion: bool | None = None,
    leader_root_path: bool | None = None,
    inversion_corrections: int | None = None,
    inversions: InversionStore | None = None,
    output_text: str = "follower",
    leader_body: str | None = None,
    leader_body_steps: Sequence[int] | None = None,
    follower_body: str | None = None,
    follower_body_steps: Sequence[int] | None = None,
) -> TransferResult:
    """Transfer each follower's motifs onto the leader's outline (MoMo).

    Args:
        model: a loaded model (`momo.load_model`).
        leader: a real `Motion` (inverted) or a prompt (generated).
        followers: one or more real motions or prompts; one output per follower.
        num_frames: length of prompt-generated rows (default: the leader's if it is real, else
            120). Outputs always take the leader's length.
        layers: 0-based decoder layers that mix (default: the model's stored transfer
            defaults, `momo.pipelines.transfer.model_defaults`, for this and ``steps``,
            ``num_steps`` and ``reuse_inversion``; else 1..L-1; empty: none, which gives plain
            generation of the follower's text from the leader's noise).
        steps: model timesteps that mix (default round(0.1T)..T-round(0.1T)).
        guidance_scale: classifier-free guidance of generated rows and outputs. Default: the
            model's stored default, else 2.5 when every motion is generated; when any motion is
            real, outputs default to 1.0 (the reference's choice) and generated rows to 2.5.
            Inverted rows always run at 1.
        assign_root_rotation: replace each output's root angular velocity (feature 0) by the
            leader's, so outputs turn as the leader does (the leader's as denoised, as the
            reference does; with ``leader_body``, a real leader's as given).
        follower_copies: k rows per follower whose keys/values are concatenated: k samples
            of a prompt follower; k equal copies of a real one (HumanML3D features do not see
            a turn about the vertical axis, so the reference's turned copies equal the original).
        noise: optional initial latents ``[1 + F, T, 263]`` of the leader and follower rows
            (``[1 + F * k, T, 263]`` for one per copy), normalised, T = the longest row; rows of
            real motions are ignored.
        seed: seed of the noise (None: a fresh one, recorded in ``result.config``).
        progress: show progress bars.
        reference_rounding: round the DDIM coefficients to float32 as the reference does
            (default: keep them in float64; the two differ by up to ~3.5e-5).
        num_steps: DDIM steps of inversion and sampling, evenly respaced (default: all, as the
            reference); fewer are faster and change the result; mixing happens at the sampled
            timesteps that lie in ``steps``.
        leader_root_path: every output takes the leader's root angular velocity and XZ velocity
            (features 0-2; a real leader's as given, not as reconstructed), so the output
            travels the leader's path exactly (default: the model's stored default, else off).
        inversion_corrections: fixed-point corrections per DDIM inversion step of real motions
            (`momo.diffusion.inversion.ddim_invert`): each re-evaluates the model so that
            sampling retraces the inversion more closely (fewer drifted paths for motions
            unlike the training data), at one more model call per step and correction.
            Default: the model's stored default, else 0 (the reference's inversion). Not with
            ``reuse_inversion``.
        reuse_inversion: real motions only: record the outputs' mixed attention while
            inverting and sample the outputs alone (`momo.pipelines.transfer.replay`); about
            1.5x faster for one follower, the outputs differ by the inversion's drift, and the
            reported leader and followers are the real motions themselves.
            Default (None): the model's stored default when every motion is real, else off.
        inversions: a store of real motions' inverted latents (e.g.
            `momo.evaluation.InversionCache`): stored ones are reused, new ones kept; the
            outputs equal inverting anew up to float rounding. Not with ``reuse_inversion``
            (which records attention while inverting).
        output_text: the outputs' prompt: ``"follower"`` (each follower's text, as the paper
            and the reference), ``"leader"`` (the leader's text) or ``"none"`` (unconditional;
            the motifs come through mixed attention alone).
        leader_body: a body part every output keeps from the leader while it is denoised:
            ``"lower"`` (root, legs and foot contacts: the output walks the leader's steps and
            path, the follower's motifs fill the rest), ``"root"`` (the root's channels only),
            ``"auto"`` (the lower body for outputs whose leader and follower travel differently,
            such as a walk leading a standing wave, nothing for motions that travel alike, whose
            legs carry the follower's style; `momo.pipelines.transfer.leader_body`) or
            ``"none"``. At each of ``leader_body_steps`` the outputs' x0 prediction takes the
            leader's normalised features on the part's channels (MDM's inpainting; a real
            leader's as given, a generated one's as denoised). Default: the model's stored
            default, else "none".
        leader_body_steps: the model timesteps at which the part is kept (default: the
            model's stored default, else every timestep).
        follower_body: a body part the outputs take from their follower at
            ``follower_body_steps``: ``"upper"`` (spine, arms and head; the channels the
            lower body leaves) or ``"none"``. It applies to the outputs that keep the leader's
            part (with ``leader_body="auto"``, those whose leader and follower travel
            differently; every output when ``leader_body`` is "none"): their x0 prediction
            takes the follower's normalised features on the part's channels, a real
            follower's as given, a generated one's as denoised. With the leader's lower body
            kept as well, those steps compose the two motions by body part, and the steps
            left out let the model join them. Default: the model's stored default, else
            "none".
        follower_body_steps: the model timesteps at which the part is taken (default: the
            model's stored default, else every timestep).

    Returns:
        A `TransferResult` with one output per follower.

    Raises:
        TransferError: no followers, a motion too long or too short, layers or steps out of
            range, no mixing step among the sampled timesteps, ``reuse_inversion`` with a prompt,
            or malformed noise / guidance / copies / num_steps / output_text.
    """
    # 1. Every option, resolved and checked once.
    inputs = input_list(leader, followers)
    config = resolve_config(
        model,
        inputs,
        num_frames=num_frames,
        layers=layers,
        steps=steps,
        guidance_scale=guidance_scale,
        assign_root_rotation=assign_root_rotation,
        follower_copies=follower_copies,
        reference_rounding=reference_rounding,
        num_steps=num_steps,
        noise=noise,
        seed=seed,
        reuse_inversion=reuse_inversion,
        output_text=output_text,
        leader_root_path=leader_root_path,
        inversion_corrections=inversion_corrections,
        leader_body=leader_body,
        leader_body_steps=leader_body_steps,
        follower_body=follower_body,
        follower_body_steps=follower_body_steps,
    )
    if inversions is not None and config.reuse_inversion:
        raise TransferError(
            "reuse_inversion records attention while inverting, so it cannot take stored "
            "inversions; pass one or the other"
        )
    layout, denoiser = config.layout, model.denoiser
    # Unconditional rows' cross-attention is a constant: skip its work (same result).
    shortcuts = {m: ConstantMemoryCrossAttention() for m in denoiser.cross_attention_modules()}
    with torch.inference_mode(), use_processors(shortcuts):
        # 2. Prompts encoded once, text-drop flags and frame mask of every row.
        batch = prepare_batch(model, config, progress)
        # 3-4. Initial latents, then denoising with mixed attention at the transfer steps.
        if config.reuse_inversion:
            x0 = replayed_transfer(batch, [m for m in inputs if isinstance(m, Motion)])
        else:
            noise_rows = initial_noise(
                noise, layout, config.batch_frames, denoiser.config.nfeats, config.seed
            )
            x0 = batched_transfer(batch, inputs, *noise_rows, inversions)
        # 5. The leader's root rotation for every output; each row cut to its length.
        if config.assign_root_rotation:
            rotation = leader_root_rotation(batch, x0[layout.leader_row], inputs[0])
            x0[layout.output_rows, :, 0] = rotation
        features = model.model_to_features(x0, config.row_lengths)
    if config.leader_root_path:
        features = _with_leader_root_path(features, layout, inputs[0])
    # 6. The result.
    return _result(config, inputs, features, x0)


def _with_leader_root_path(
    features: list[np.ndarray], layout: TransferLayout, leader: Motion | str
) -> list[np.ndarray]:
    """Every output row takes the leader's root angular velocity and XZ velocity (features
    0-2): a real leader's as given, a generated one's as denoised."""
    source = leader.features if isinstance(leader, Motion) else features[layout.leader_row]
    root = np.asarray(source, dtype=np.float32)[:, :3]
    out = list(features)
    for row in layout.output_rows:
        out[row] = np.array(out[row], dtype=np.float32)
        out[row][:, :3] = root[: len(out[row])]
    return out


def _result(
    config: TransferConfig,
    inputs: Sequence[Motion | str],
    features: Sequence[np.ndarray],
    x0: Tensor,
) -> TransferResult:
    """One `Motion` per row, grouped by role, with the config's record."""
    layout = config.layout
    motions = [
        Motion(f, text=t, name=row.label, meta={"role": row.role, "guidance_scale": s})
        for f, t, row, s in zip(features, config.row_texts(), layout.rows, config.row_scales())
    ]
    given = [item if isinstance(item, Motion) else None for item in inputs]
    return TransferResult.from_rows(
        motions,
        layout,
        config=config.to_dict(),
        leader_input=given[0],
        follower_inputs=given[1:],
        samples=x0.detach().cpu(),
    )
