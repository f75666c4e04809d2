"""Checkpoint loading: official layouts from random tensors, strictness, safety, our format."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from kit import WordEncoder, tiny_bundle
from momo.errors import ModelLoadError, OutputExistsError
from momo.models.loading import (
    load_model,
    load_weights_strict,
    official_config,
    read_official_state_dict,
    rename_official_keys,
    save_pretrained,
)
from momo.models.mdm import MotionDenoiser

MANIFESTS = ["keys_momo_official.json", "keys_mdm_humanml_trans_enc_512.json"]


def _random_state_dict(spec: dict) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {e["key"]: torch.randn(e["shape"], generator=g) for e in spec["keys"]}


def _args(spec: dict) -> dict:
    c = dict(spec["config"])
    c.pop("layers")  # read off the weights, as for real args.json files
    return c


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_strict_load_of_random_official_tensors(shared_fixtures, manifest):
    spec = json.loads((shared_fixtures / manifest).read_text())
    state = _random_state_dict(spec)
    renamed = rename_official_keys(state)
    config = official_config(_args(spec), renamed)
    assert config.denoiser.num_layers == spec["config"]["layers"]
    assert config.denoiser.latent_dim == 512 and config.denoiser.ff_size == 1024
    assert config.diffusion.num_timesteps == spec["config"]["diffusion_steps"]
    model = MotionDenoiser(config.denoiser)
    load_weights_strict(model, renamed)
    loaded = model.state_dict()
    for key, value in renamed.items():
        assert torch.equal(loaded[key], value), key
    # the positional tables are rebuilt, not read
    pe = [k for k in state if k.endswith(".pe")]
    assert len(pe) == 2 and not torch.equal(loaded[pe[0]], state[pe[0]])
    # MoMo masks padded frames; this MDM checkpoint attends over them (mask_frames false)
    assert config.denoiser.mask_frames == (spec["config"]["arch"] == "trans_dec")


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_missing_and_unexpected_keys_fail(shared_fixtures, manifest):
    spec = json.loads((shared_fixtures / manifest).read_text())
    renamed = rename_official_keys(_random_state_dict(spec))
    config = official_config(_args(spec), renamed)
    model = MotionDenoiser(config.denoiser)
    missing = dict(renamed)
    del missing["output_process.poseFinal.bias"]
    with pytest.raises(ModelLoadError, match=r"missing keys \['output_process.poseFinal.bias'\]"):
        load_weights_strict(model, missing)
    extra = dict(renamed, **{"extra_head.weight": torch.zeros(3)})
    with pytest.raises(ModelLoadError, match=r"unexpected keys \['extra_head.weight'\]"):
        load_weights_strict(model, extra)
    wrong = dict(renamed)
    wrong["embed_text.bias"] = torch.zeros(7)
    with pytest.raises(ModelLoadError, match="wrong shapes"):
        load_weights_strict(model, wrong)


def _tiny_official(tmp_path, *, alias=False):
    """A small official-layout checkpoint (trans_dec, bert) with args.json, random weights."""
    torch.manual_seed(5)
    bundle = tiny_bundle(dtype=torch.float32)
    state = bundle.denoiser.state_dict()
    state = {k: v.clone() for k, v in state.items()}
    state["sequence_pos_encoder.pe"] = torch.randn_like(state["sequence_pos_encoder.pe"])
    if alias:
        state = {k.replace(".self_attn.", ".self_frame_attn."): v for k, v in state.items()}
    args = {
        "arch": "trans_dec",
        "emb_trans_dec": "cls_tcond_cross_cond",
        "text_encoder_type": "bert",
        "diffusion_steps": 20,
        "noise_schedule": "cosine",
        "cond_mask_prob": 0.1,
        "dropout": 0.1,
    }
    path = tmp_path / "model000000100.pt"
    torch.save(state, path)
    (tmp_path / "args.json").write_text(json.dumps(args))
    return path, bundle


@pytest.mark.parametrize("alias", [False, True])
def test_load_model_from_official_files_in_float64(tmp_path, alias):
    path, bundle = _tiny_official(tmp_path, alias=alias)
    norm = (bundle.normalizer.mean, bundle.normalizer.std)
    model = load_model(path, text_encoder=WordEncoder(), normalization=norm, dtype=torch.float64)
    assert model.dtype == torch.float64
    assert model.config.denoiser.text_token_dim == 12 and model.num_timesteps == 20
    x = torch.randn(2, 6, 263, dtype=torch.float64)
    t = torch.tensor([1, 4])
    text = model.encode_text(["walk", "run fast"])
    assert text.tokens.dtype == torch.float64
    with torch.no_grad():
        ours = model.denoiser(x, t, text)
        ref = bundle.denoiser.double()(x, t, text)
    assert torch.allclose(ours, ref, rtol=0, atol=1e-12)
    # the directory holding the file works too
    assert (
        load_model(tmp_path, text_encoder=WordEncoder(), normalization=norm).dtype == torch.float32
    )


def test_official_checkpoint_needs_normalization_and_args(tmp_path):
    path, _ = _tiny_official(tmp_path)
    with pytest.raises(ModelLoadError, match="normalization"):
        load_model(path, text_encoder=WordEncoder())
    (tmp_path / "args.json").unlink()
    with pytest.raises(ModelLoadError, match="args.json"):
        load_model(path, text_encoder=WordEncoder(), normalization=(np.zeros(263), np.ones(263)))
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.pt")


class _Payload:
    """Unpickling this runs os.mkdir(marker)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "was_executed"
    path = tmp_path / "model000000001.pt"
    torch.save({"input_process.poseEmbedding.weight": _Payload(str(marker))}, path)
    with pytest.raises(ModelLoadError, match="refusing"):
        read_official_state_dict(path)
    assert not marker.exists()
    # the file really is malicious: an unsafe load would have run the payload
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_save_pretrained_round_trip(tmp_path):
    bundle = tiny_bundle()
    out = save_pretrained(bundle, tmp_path / "model")
    assert sorted(p.name for p in out.iterdir()) == [
        "Mean.npy",
        "Std.npy",
        "config.json",
        "model.safetensors",
    ]
    config = json.loads((out / "config.json").read_text())
    assert config["text_encoder"] == "wordhash" and config["diffusion"]["num_timesteps"] == 20
    loaded = load_model(out, text_encoder=WordEncoder(), dtype=torch.float64)
    assert loaded.config == bundle.config
    np.testing.assert_array_equal(loaded.normalizer.mean, bundle.normalizer.mean)
    for key, value in bundle.denoiser.state_dict().items():
        assert torch.equal(loaded.denoiser.state_dict()[key], value), key
    with pytest.raises(OutputExistsError):
        save_pretrained(bundle, out)
    save_pretrained(
        {"denoiser": bundle.denoiser, "config": bundle.config, "normalizer": bundle.normalizer},
        out,
        overwrite=True,
    )


def test_own_format_is_strict_too(tmp_path):
    from safetensors.torch import load_file, save_file

    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    tensors = load_file(str(out / "model.safetensors"))
    tensors["surplus.weight"] = torch.zeros(2)
    save_file(tensors, str(out / "model.safetensors"))
    with pytest.raises(ModelLoadError, match="surplus.weight"):
        load_model(out, text_encoder=WordEncoder())


def test_text_encoder_width_must_match(tmp_path):
    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    with pytest.raises(ModelLoadError, match="token states"):
        load_model(out, text_encoder=WordEncoder(token_dim=5))


class _PlainEncoder:
    """Only ``encode``: no name, no stated widths (the whole TextEncoder contract)."""

    def __init__(self, token_dim: int = 12, pooled_dim: int = 10) -> None:
        self.token_dim_ = token_dim
        self.pooled_dim_ = pooled_dim
        self.calls = 0

    def encode(self, texts):
        from momo.models.text_encoders import TextEmbedding

        self.calls += 1
        size = len(texts)
        tokens = torch.ones(size, 3, self.token_dim_)
        return TextEmbedding(tokens, torch.ones(size, 3, dtype=torch.bool), torch.ones(size, 10))


def test_any_object_with_encode_is_a_text_encoder(tmp_path):
    from momo.pipelines.generate import generate

    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    plain = _PlainEncoder()
    model = load_model(out, text_encoder=plain)
    assert model.text_encoder is plain
    assert plain.calls == 1  # one probe encoding measured its widths
    assert "_PlainEncoder" in repr(model)
    (motion,) = generate(model, ["a person walks"], num_frames=8, seed=0, num_steps=2)
    assert motion.features.shape == (8, 263)
    assert plain.calls == 2
    # Stated widths are trusted without a probe.
    stated = WordEncoder()
    load_model(out, text_encoder=stated)
    assert stated.calls == 0


def test_plain_encoder_of_the_wrong_width_or_kind_is_refused(tmp_path):
    out = save_pretrained(tiny_bundle(), tmp_path / "model")
    with pytest.raises(ModelLoadError, match="7-d token states, the model needs 12"):
        load_model(out, text_encoder=_PlainEncoder(token_dim=7))
    with pytest.raises(ModelLoadError, match="no encode"):
        load_model(out, text_encoder=object())

    class Broken:
        def encode(self, texts):
            return {"tokens": texts}

    with pytest.raises(ModelLoadError, match="must return a momo.TextEmbedding"):
        load_model(out, text_encoder=Broken())
