"""Build the reference fixture's model and inputs in our layout ([batch, frames, features])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from momo.models.config import DenoiserConfig
from momo.models.mdm import MotionDenoiser
from momo.models.text_encoders import TextEmbedding


def load_fixture(fixtures_dir: Path, fixture_id: int = 1) -> dict[str, Any]:
    """The reference fixture, loaded with weights_only=True."""
    return torch.load(fixtures_dir / f"momo_parity_{fixture_id}.pt", weights_only=True)


def ours(x: Tensor) -> Tensor:
    """Reference layout [B, 263, 1, T] -> ours [B, T, 263]."""
    return x[:, :, 0].transpose(1, 2)


def frame_mask(mask: Tensor) -> Tensor:
    """Reference mask [B, 1, 1, T] -> [B, T]."""
    return mask[:, 0, 0]


def fixture_denoiser(data: dict[str, Any]) -> MotionDenoiser:
    """The fixture's model, strictly loaded, in float64 eval mode."""
    c = data["config"]
    sd = data["state_dict"]
    config = DenoiserConfig(
        arch=c["arch"],
        emb_trans_dec=c["emb_trans_dec"],
        num_layers=c["num_layers"],
        latent_dim=c["latent_dim"],
        ff_size=c["ff_size"],
        num_heads=c["num_heads"],
        dropout=c["dropout"],
        nfeats=c["njoints"] * c["nfeats"],
        text_token_dim=c["bert_dim"],
        text_pooled_dim=c["clip_dim"],
        mask_frames=True,
        cond_mask_prob=c["cond_mask_prob"],
        activation=c["activation"],
        max_positions=sd["sequence_pos_encoder.pe"].shape[0],
    )
    model = MotionDenoiser(config)
    model.load_state_dict(sd, strict=True)
    return model.double().eval()


def prompt_embedding(data: dict[str, Any], texts: list[str]) -> TextEmbedding:
    """Stub text embeddings of the given prompts (looked up by text), float64."""
    by_text = {p["text"]: p for p in data["prompts"].values()}
    prompts = [by_text[t] for t in texts]
    length = max(int(p["n_tokens"]) for p in prompts)
    tokens = torch.zeros(
        len(texts), length, prompts[0]["bert_tokens"].shape[1], dtype=torch.float64
    )
    mask = torch.zeros(len(texts), length, dtype=torch.bool)
    for i, p in enumerate(prompts):
        n = int(p["n_tokens"])
        tokens[i, :n] = p["bert_tokens"].double()
        mask[i, :n] = True
    pooled = torch.stack([p["clip_embedding"] for p in prompts]).double()
    return TextEmbedding(tokens, mask, pooled)


def forward_embedding(data: dict[str, Any]) -> TextEmbedding:
    """The single-forward batch's text exactly as the reference fed it."""
    return TextEmbedding(
        data["fwd_text_embed"].transpose(0, 1).double(),
        ~data["fwd_text_pad_mask"],
        data["fwd_clip_embed"][0].double(),
    )


def relative_error(ours_: Tensor, ref: Tensor) -> float:
    """max |ours - ref| / max |ref|."""
    return float((ours_ - ref).abs().max() / ref.abs().max())
