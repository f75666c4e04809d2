"""Frozen configuration of the denoiser and of a whole model (denoiser + diffusion + text encoder)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from momo.errors import ModelLoadError
from momo.utils.fields import field_type_problems


class FirstToken(StrEnum):
    """What the extra first token of the sequence holds (the ``cls_<X>`` of ``emb_trans_dec``)."""

    NONE = "none"  # no extra token
    TIME = "t"  # the timestep embedding
    TIME_AND_TEXT = "tcond"  # timestep embedding + pooled text embedding


class CrossMemory(StrEnum):
    """What the decoder's cross-attention attends to (the ``cross_<Y>`` of ``emb_trans_dec``)."""

    TEXT = "cond"  # the text embedding only
    TIME_AND_TEXT = "tcond"  # text embedding + the timestep embedding, added to every token


#: ``emb_trans_dec`` values of the official code bases, parsed once into their two parts.
EMB_TRANS_DEC: dict[str, tuple[FirstToken, CrossMemory]] = {
    "cls_tcond_cross_cond": (FirstToken.TIME_AND_TEXT, CrossMemory.TEXT),
    "cls_tcond_cross_tcond": (FirstToken.TIME_AND_TEXT, CrossMemory.TIME_AND_TEXT),
    "cls_none_cross_tcond": (FirstToken.NONE, CrossMemory.TIME_AND_TEXT),
    "cls_t_cross_cond": (FirstToken.TIME, CrossMemory.TEXT),
    "cls_t_cross_tcond": (FirstToken.TIME, CrossMemory.TIME_AND_TEXT),
}

#: The ``emb_trans_dec`` values understood (`EMB_TRANS_DEC`'s keys).
EMB_TRANS_DEC_VARIANTS: tuple[str, ...] = tuple(EMB_TRANS_DEC)

Arch = Literal["trans_dec", "trans_enc"]


@dataclass(frozen=True)
class DenoiserConfig:
    """Hyper-parameters of `momo.models.mdm.MotionDenoiser`.

    Attributes:
        arch: ``"trans_dec"`` (MoMo: transformer decoder with cross-attention to the text) or
            ``"trans_enc"`` (original MDM: transformer encoder over [t + text; frames]).
        emb_trans_dec: decoder variant (see `EMB_TRANS_DEC_VARIANTS`); ignored for trans_enc.
        num_layers: transformer layers.
        latent_dim: model width d.
        ff_size: feed-forward width.
        num_heads: attention heads.
        dropout: dropout probability (positional encoding, attention, residual branches).
        nfeats: motion features per frame (263 for HumanML3D).
        text_token_dim: width of per-token text states fed to cross-attention (768 for
            DistilBERT), or None when the model sees only a pooled sentence vector (CLIP-only
            models; then the pooled vector is the single memory token).
        text_pooled_dim: width of the pooled sentence vector (512 for CLIP), or None when the
            model never uses it (e.g. ``cls_t_cross_cond`` with token states).
        mask_frames: mask padded frames out of self-attention keys. MoMo's decoder always does;
            MDM's encoder only when its ``args.json`` says ``mask_frames``.
        cond_mask_prob: probability of dropping the text during training (the training loop
            draws ``drop_text`` with it; the forward itself is deterministic).
        activation: feed-forward activation (``"gelu"`` or ``"relu"``).
        max_positions: length of the sinusoid table shared by frame positions and timesteps.
    """

    arch: Arch = "trans_dec"
    emb_trans_dec: str = "cls_tcond_cross_cond"
    num_layers: int = 12
    latent_dim: int = 512
    ff_size: int = 1024
    num_heads: int = 4
    dropout: float = 0.1
    nfeats: int = 263
    text_token_dim: int | None = 768
    text_pooled_dim: int | None = 512
    mask_frames: bool = True
    cond_mask_prob: float = 0.1
    activation: str = "gelu"
    max_positions: int = 1000

    def __post_init__(self) -> None:
        _check_fields(self, "denoiser config")
        sizes = ("num_layers", "latent_dim", "ff_size", "num_heads", "nfeats", "max_positions")
        small = [f"{name} = {getattr(self, name)}" for name in sizes if getattr(self, name) < 1]
        small += [
            f"{name} = {getattr(self, name)}"
            for name in ("text_token_dim", "text_pooled_dim")
            if getattr(self, name) is not None and getattr(self, name) < 1
        ]
        if small:
            raise ModelLoadError(f"denoiser config: {', '.join(small)}; sizes must be >= 1")
        if not (0.0 <= self.dropout < 1.0 and 0.0 <= self.cond_mask_prob <= 1.0):
            raise ModelLoadError(
                f"denoiser config: dropout {self.dropout} must be in [0, 1) and cond_mask_prob "
                f"{self.cond_mask_prob} in [0, 1]"
            )
        if self.arch not in ("trans_dec", "trans_enc"):
            raise ModelLoadError(
                f"unknown denoiser arch {self.arch!r}; use 'trans_dec' (MoMo) or 'trans_enc' (MDM)"
            )
        if self.arch == "trans_dec" and self.emb_trans_dec not in EMB_TRANS_DEC_VARIANTS:
            raise ModelLoadError(
                f"unknown emb_trans_dec {self.emb_trans_dec!r}; expected one of "
                f"{', '.join(EMB_TRANS_DEC_VARIANTS)}"
            )
        if self.latent_dim % self.num_heads:
            raise ModelLoadError(
                f"latent_dim {self.latent_dim} is not divisible by num_heads {self.num_heads}"
            )
        if self.activation not in ("gelu", "relu"):
            raise ModelLoadError(f"unknown activation {self.activation!r}; use 'gelu' or 'relu'")
        if self.text_token_dim is None and self.text_pooled_dim is None:
            raise ModelLoadError(
                "a text-conditioned denoiser needs text_token_dim or text_pooled_dim"
            )
        if self.reads_pooled_text and self.text_pooled_dim is None:
            if self.arch == "trans_enc":
                raise ModelLoadError(
                    "the trans_enc denoiser is conditioned on a pooled text vector"
                )
            raise ModelLoadError(
                f"{self.emb_trans_dec} with token-level text needs text_pooled_dim for the CLS token"
            )

    @property
    def cls_token(self) -> FirstToken:
        """What the first token holds (trans_enc: always timestep + pooled text)."""
        if self.arch == "trans_enc":
            return FirstToken.TIME_AND_TEXT
        return EMB_TRANS_DEC[self.emb_trans_dec][0]

    @property
    def cross_memory(self) -> CrossMemory:
        """What cross-attention attends to (trans_dec only)."""
        return EMB_TRANS_DEC[self.emb_trans_dec][1]

    @property
    def uses_token_text(self) -> bool:
        """True when per-token text states feed cross-attention (trans_dec with token text)."""
        return self.arch == "trans_dec" and self.text_token_dim is not None

    @property
    def has_cls_token(self) -> bool:
        """True when the sequence starts with one extra (timestep/condition) token."""
        return self.cls_token is not FirstToken.NONE

    @property
    def reads_pooled_text(self) -> bool:
        """True when the pooled sentence vector feeds the model (first token or memory)."""
        return not self.uses_token_text or self.cls_token is FirstToken.TIME_AND_TEXT

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DenoiserConfig:
        """Inverse of `to_dict`; unknown keys or wrongly typed values raise ModelLoadError."""
        if not isinstance(data, dict):
            raise ModelLoadError(f"the denoiser config must be a JSON object, got {data!r}"[:200])
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ModelLoadError(
                f"unknown denoiser config keys {unknown}; is the checkpoint newer?"
            )
        return cls(**data)


# Presets (one line each): the published denoisers; keyword overrides change any field.


def momo_denoiser(**overrides: Any) -> DenoiserConfig:
    """MoMo's: 12-layer decoder, d 512, DistilBERT token states + CLIP CLS (the defaults)."""
    return DenoiserConfig(**overrides)


def mdm_denoiser(**overrides: Any) -> DenoiserConfig:
    """MDM's HumanML3D model: 8-layer encoder over [t + CLIP text; frames], d 512, no mask."""
    return DenoiserConfig(**{**_MDM_HUMANML3D, **overrides})


_MDM_HUMANML3D: dict[str, Any] = dict(
    arch="trans_enc", num_layers=8, text_token_dim=None, mask_frames=False, max_positions=5000
)


@dataclass(frozen=True)
class DiffusionConfig:
    """The noise schedule a model was trained with.

    Attributes:
        num_timesteps: diffusion steps T (model timesteps 0..T-1, 0 = cleanest).
        noise_schedule: "cosine" or "linear".
    """

    num_timesteps: int = 100
    noise_schedule: str = "cosine"

    def __post_init__(self) -> None:
        _check_fields(self, "diffusion config")
        if self.num_timesteps < 1:
            raise ModelLoadError(
                f"diffusion config: num_timesteps {self.num_timesteps} must be >= 1"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a `MotionDiffusionModel` apart from weights and statistics.

    Attributes:
        denoiser: the network.
        diffusion: the noise schedule.
        text_encoder: name of the text encoder the model was trained with ("minilm",
            "distilbert+clip", "clip").
        extra: free-form provenance (training data, steps, source checkpoint).
    """

    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    text_encoder: str = "minilm"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``config.json`` of our checkpoint format)."""
        return {
            "format": "momo-motion",
            "format_version": 1,
            "denoiser": self.denoiser.to_dict(),
            "diffusion": self.diffusion.to_dict(),
            "text_encoder": self.text_encoder,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Read a ``config.json`` dict; raises ModelLoadError on anything malformed."""
        try:
            if data.get("format") != "momo-motion":
                raise ModelLoadError("config.json is not a momo-motion checkpoint config")
            return cls(
                denoiser=DenoiserConfig.from_dict(data["denoiser"]),
                diffusion=DiffusionConfig(**dict(data["diffusion"])),
                text_encoder=str(data["text_encoder"]),
                extra=dict(data.get("extra", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelLoadError(
                f"config.json is malformed ({error!r}); re-save the model"
            ) from error


def _check_fields(config: Any, what: str) -> None:
    """Raise ModelLoadError naming every field of the wrong type (e.g. read from JSON)."""
    problems = field_type_problems(config)
    if problems:
        raise ModelLoadError(f"{what}: {'; '.join(problems)}")
