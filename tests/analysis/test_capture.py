"""capture_features on tiny models: shapes, step labels, and q/k/v checked against the
projections of each layer's input recorded independently with forward hooks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import momo
from kit import tiny_bundle
from momo.analysis.capture import capture_features
from momo.errors import TransferError
from momo.motion.motion import Motion

VARIANTS = [
    {},  # MoMo's decoder: [CLS; frames]
    {"emb_trans_dec": "cls_none_cross_tcond"},  # decoder without a first token
    {"arch": "trans_enc"},  # MDM's encoder: [t + text; frames]
]


def _motion(frames: int = 17, text: str | None = "a person walks forward") -> Motion:
    rng = np.random.default_rng(frames)
    return Motion(rng.normal(size=(frames, 263)).astype(np.float32), text=text)


def _record_layer_inputs(model, layers: list[int]):
    """Hooks that log (timestep, layer input [B, N, d]) for every denoiser call."""
    log: dict[int, list] = {layer: [] for layer in layers}
    current: list[int] = []

    def on_denoiser(module, args, kwargs):
        timesteps = args[1] if len(args) > 1 else kwargs["timesteps"]
        current.append(int(timesteps[0]))

    def on_layer(layer):
        def hook(module, args):
            log[layer].append((current[-1], args[0].detach().clone()))

        return hook

    handles = [model.denoiser.register_forward_pre_hook(on_denoiser, with_kwargs=True)]
    handles += [model.denoiser.layers[i].register_forward_pre_hook(on_layer(i)) for i in layers]
    return log, handles


def _projections(model, layer: int, x: torch.Tensor) -> list[torch.Tensor]:
    """q, k, v ``[N, d]`` of row 0 of a layer input, straight from the in-projection weights."""
    attn = model.denoiser.self_attention_modules()[layer]
    d = attn.embed_dim
    w, b = attn.in_proj_weight.detach(), attn.in_proj_bias.detach()
    return [F.linear(x[0], w[i * d : (i + 1) * d], b[i * d : (i + 1) * d]) for i in range(3)]


@pytest.mark.parametrize("overrides", VARIANTS, ids=["cls", "no-cls", "encoder"])
@pytest.mark.parametrize("kind", ["motion", "text"])
def test_captured_qkv_equal_projections_of_the_layer_input(overrides, kind) -> None:
    model = tiny_bundle(seed=1, num_timesteps=12, **overrides)
    frames = 15
    item = _motion(frames) if kind == "motion" else "a person jumps twice"
    layers, steps = [0, 1], [0, 4, 11]
    log, handles = _record_layer_inputs(model, layers)
    try:
        features = capture_features(
            model, item, layers=layers, timesteps=steps, num_frames=frames, guidance_scale=2.5
        )
    finally:
        for handle in handles:
            handle.remove()
    assert features.source == ("inversion" if kind == "motion" else "sampling")
    assert features.queries.shape == (2, 3, frames, 32)
    assert features.keys.shape == features.values.shape == features.queries.shape
    assert features.layers == (0, 1) and features.timesteps == (0, 4, 11)
    first = 0 if overrides.get("emb_trans_dec") == "cls_none_cross_tcond" else 1
    for layer in layers:
        # Exactly one forward per timestep (guidance runs both rows in one batch).
        assert sorted(t for t, _ in log[layer]) == list(range(12))
        for t in steps:
            (x,) = [x for step, x in log[layer] if step == t]
            assert x.shape[1] == frames + first
            if kind == "text":
                assert x.shape[0] == 2  # conditional row 0, unconditional row 1
            q, k, v = (p[first:] for p in _projections(model, layer, x))
            torch.testing.assert_close(features.query(layer, t), q, rtol=0, atol=1e-12)
            torch.testing.assert_close(features.key(layer, t), k, rtol=0, atol=1e-12)
            torch.testing.assert_close(features.value(layer, t), v, rtol=0, atol=1e-12)
    # The step labels matter: another timestep's input gives other queries.
    (x4,) = [x for step, x in log[1] if step == 4]
    assert not torch.allclose(features.query(1, 11), _projections(model, 1, x4)[0][first:])


def test_capture_leaves_the_inversion_unchanged() -> None:
    model = tiny_bundle(seed=2, num_timesteps=10)
    motion = _motion(21)
    features = capture_features(model, motion, layers=[1], timesteps=[3, 9])
    latents = momo.invert(model, [motion], progress=False)
    assert features.final_sample.shape == (21, 263)
    torch.testing.assert_close(features.final_sample, latents[0].cpu(), rtol=0, atol=1e-10)


def test_capture_of_a_prompt_follows_ddim_sampling() -> None:
    model = tiny_bundle(seed=3, num_timesteps=10)
    noise = torch.randn(1, 16, 263, generator=torch.Generator().manual_seed(4))
    features = capture_features(
        model, "a person waves", timesteps=[5], noise=noise, guidance_scale=2.5
    )
    assert features.text == "a person waves"
    (generated,) = momo.generate(
        model, ["a person waves"], num_frames=16, sampler="ddim", noise=noise, progress=False
    )
    (ours,) = model.model_to_features(features.final_sample[None], [16])
    np.testing.assert_allclose(ours, generated.features, atol=1e-5)


def test_seeded_prompts_are_reproducible_and_defaults_cover_everything() -> None:
    model = tiny_bundle(seed=4, num_timesteps=5)
    a = capture_features(model, "walk", num_frames=8, seed=11)
    b = capture_features(model, "walk", num_frames=8, seed=11)
    c = capture_features(model, "walk", num_frames=8, seed=12)
    assert a.layers == (0, 1) and a.timesteps == (0, 1, 2, 3, 4)
    assert a.queries.shape == (2, 5, 8, 32)
    torch.testing.assert_close(a.queries, b.queries, rtol=0, atol=0)
    assert not torch.allclose(a.queries, c.queries)
    # An uncaptioned motion is inverted unconditionally.
    assert capture_features(model, _motion(6, text=None), timesteps=2).text is None


def test_bad_requests_raise() -> None:
    model = tiny_bundle(seed=5, num_timesteps=5)
    motion = _motion(9)
    with pytest.raises(TransferError, match="layers"):
        capture_features(model, motion, layers=[2])
    with pytest.raises(TransferError, match="timesteps"):
        capture_features(model, motion, timesteps=[5])
    with pytest.raises(TransferError, match="empty"):
        capture_features(model, "   ")
    with pytest.raises(TransferError, match="num_frames"):
        capture_features(model, "walk", num_frames=0)
    with pytest.raises(TransferError, match="noise"):
        capture_features(model, "walk", num_frames=8, noise=torch.zeros(7, 263))
    features = capture_features(model, motion, layers=0, timesteps=[1])
    with pytest.raises(KeyError, match="layer 1"):
        features.query(1, 1)
    with pytest.raises(KeyError, match="timestep 2"):
        features.key(0, 2)
