"""Behaviour of the denoiser: variants, unconditional rows, masking, batch independence."""

from __future__ import annotations

import json

import pytest
import torch

from kit import WordEncoder, tiny_denoiser
from momo.errors import ModelLoadError
from momo.models.config import EMB_TRANS_DEC_VARIANTS, DenoiserConfig
from momo.models.mdm import MotionDenoiser

TEXTS = ["a person walks forward", "someone jumps high twice", "wave"]


def _inputs(batch=3, frames=10, lengths=(10, 7, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, frames, 263, generator=g, dtype=torch.float64)
    t = torch.tensor([3, 0, 9])[:batch]
    mask = torch.arange(frames)[None] < torch.tensor(lengths)[:batch, None]
    return x, t, mask


@pytest.mark.parametrize("variant", EMB_TRANS_DEC_VARIANTS)
@pytest.mark.parametrize("token_text", [True, False])
def test_every_decoder_variant_runs_and_uses_text_and_time(variant, token_text):
    model = tiny_denoiser(emb_trans_dec=variant, text_token_dim=12 if token_text else None).double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    x, t, mask = _inputs()
    with torch.no_grad():
        out = model(x, t, text, mask)
        other_text = model(x, t, WordEncoder().encode(TEXTS[::-1]).to(dtype=torch.float64), mask)
        other_t = model(x, t + 1, text, mask)
    assert out.shape == x.shape
    assert not torch.allclose(out, other_text)
    assert not torch.allclose(out, other_t)
    keys = set(model.state_dict())
    assert ("embed_text_clip.weight" in keys) == (token_text and variant.startswith("cls_tcond"))


def test_drop_text_rows_equal_text_none():
    model = tiny_denoiser().double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    x, t, mask = _inputs()
    with torch.no_grad():
        dropped = model(x, t, text, mask, torch.tensor([True, False, True]))
        uncond = model(x, t, None, mask)
        cond = model(x, t, text, mask)
    assert torch.allclose(dropped[[0, 2]], uncond[[0, 2]], rtol=0, atol=1e-12)
    assert torch.equal(dropped[1], cond[1])
    assert not torch.allclose(dropped[0], cond[0])


@pytest.mark.parametrize("arch", ["trans_dec", "trans_enc"])
def test_rows_are_independent_of_each_other(arch):
    overrides = {"arch": arch}
    if arch == "trans_enc":
        overrides.update(text_token_dim=None)
    model = tiny_denoiser(**overrides).double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    x, t, mask = _inputs()
    with torch.no_grad():
        batched = model(x, t, text, mask)
        for i in range(3):
            single = model(x[[i]], t[[i]], text.index([i]), mask[[i]])
            assert torch.allclose(batched[i], single[0], rtol=0, atol=1e-12)


def test_padded_frames_do_not_affect_real_frames_when_masked():
    model = tiny_denoiser().double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    x, t, mask = _inputs()
    changed = x.clone()
    changed[~mask] = 100.0
    with torch.no_grad():
        a = model(x, t, text, mask)
        b = model(changed, t, text, mask)
    assert torch.allclose(a[mask], b[mask], rtol=0, atol=1e-12)


def test_encoder_without_mask_frames_attends_over_padding():
    model = tiny_denoiser(arch="trans_enc", text_token_dim=None, mask_frames=False).double()
    text = WordEncoder().encode(TEXTS).to(dtype=torch.float64)
    x, t, mask = _inputs()
    changed = x.clone()
    changed[~mask] = 100.0
    with torch.no_grad():
        a = model(x, t, text, mask)
        b = model(changed, t, text, mask)
    assert not torch.allclose(a[mask], b[mask])


def test_forward_does_not_change_inputs_and_is_deterministic_in_eval():
    model = tiny_denoiser()
    text = WordEncoder().encode(TEXTS)
    x, t, mask = _inputs()
    x = x.float()
    before = x.clone()
    with torch.no_grad():
        a, b = model(x, t, text, mask), model(x, t, text, mask)
    assert torch.equal(x, before)
    assert torch.equal(a, b)


def test_training_mode_has_gradients_everywhere():
    model = tiny_denoiser().train()
    text = WordEncoder().encode(TEXTS)
    x, t, mask = _inputs()
    out = model(x.float(), t, text, mask, torch.tensor([False, True, False]))
    out[mask].pow(2).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_wrong_text_width_is_reported():
    model = tiny_denoiser()
    text = WordEncoder(token_dim=7).encode(TEXTS)
    x, t, mask = _inputs()
    with pytest.raises(ValueError, match="token states"):
        model(x.float(), t, text, mask)


def test_bad_configs_raise():
    with pytest.raises(ModelLoadError, match="emb_trans_dec"):
        DenoiserConfig(emb_trans_dec="cls_weird_cross_cond")
    with pytest.raises(ModelLoadError, match="divisible"):
        DenoiserConfig(latent_dim=30, num_heads=4)


@pytest.mark.parametrize(
    "manifest", ["keys_momo_official.json", "keys_mdm_humanml_trans_enc_512.json"]
)
def test_state_dict_layout_equals_official_manifest(shared_fixtures, manifest):
    spec = json.loads((shared_fixtures / manifest).read_text())
    c = spec["config"]
    config = DenoiserConfig(
        arch=c["arch"],
        emb_trans_dec=c["emb_trans_dec"] or "cls_tcond_cross_cond",
        num_layers=c["layers"],
        latent_dim=c["latent_dim"],
        ff_size=c["ff_size"],
        num_heads=c["num_heads"],
        text_token_dim=c.get("bert_dim") if c["text_encoder_type"] == "bert" else None,
        text_pooled_dim=512,
        max_positions=c.get("pos_embed_max_len", 1000),
    )
    with torch.device("meta"):
        model = MotionDenoiser(config)
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    expected = {e["key"]: e["shape"] for e in spec["keys"]}
    assert ours == expected
    learned = sum(p.numel() for p in model.parameters())
    assert learned == spec["num_elements_without_pe_buffers"]


def test_presets_build_the_published_denoisers():
    from momo.models.config import CrossMemory, FirstToken, mdm_denoiser, momo_denoiser

    momo_config = momo_denoiser(num_layers=2)
    assert momo_config.arch == "trans_dec" and momo_config.num_layers == 2
    assert momo_config.cls_token is FirstToken.TIME_AND_TEXT
    assert momo_config.cross_memory is CrossMemory.TEXT
    mdm = mdm_denoiser()
    assert (mdm.arch, mdm.num_layers, mdm.text_token_dim, mdm.mask_frames) == (
        "trans_enc",
        8,
        None,
        False,
    )
    assert mdm.cls_token == "tcond"  # enum values are the official strings


def test_pooled_text_is_required_where_the_variant_reads_it():
    with pytest.raises(ModelLoadError, match="needs text_pooled_dim for the CLS token"):
        DenoiserConfig(text_token_dim=12, text_pooled_dim=None)
    with pytest.raises(ModelLoadError, match="pooled text vector"):
        DenoiserConfig(arch="trans_enc", text_token_dim=12, text_pooled_dim=None)
    DenoiserConfig(emb_trans_dec="cls_t_cross_cond", text_token_dim=12, text_pooled_dim=None)
