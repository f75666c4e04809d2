"""The motion denoiser: MDM's transformer (encoder or MoMo's decoder variant), predicting x0.

Tensors are ``[batch, frames, features]`` throughout; official checkpoints load unchanged
because every parameter keeps its official name (``seqTransDecoder.layers.N.self_attn...``).

Sequence layout (trans_dec): ``[CLS; frames]`` when the variant has a CLS token, else
``[frames]``; trans_enc: ``[t + text; frames]``. The first token is dropped from the output.
The variant (encoder or decoder, what the first token and the cross-attention memory hold) is
resolved once from the config at construction (`FirstToken`, `CrossMemory`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from momo.models.attention import Attention
from momo.models.config import CrossMemory, DenoiserConfig, FirstToken
from momo.models.embeddings import InputProcess, OutputProcess, PositionalEncoding, TimestepEmbedder
from momo.text_embedding import TextEmbedding


def _activation(name: str) -> Callable[[Tensor], Tensor]:
    return F.gelu if name == "gelu" else F.relu


V = TypeVar("V")


def _required(value: V | None, what: str) -> V:
    """``value``, which the config's checks guarantee for this variant."""
    if value is None:
        raise ValueError(f"this denoiser variant needs {what}")
    return value


class _TextInputs(NamedTuple):
    """The text as the layers read it: pooled ``[B, d]`` and tokens ``[B, S, d]`` (+ mask)."""

    pooled: Tensor | None
    tokens: Tensor | None
    token_mask: Tensor | None


class DecoderLayer(nn.Module):
    """Post-norm transformer decoder layer (as `nn.TransformerDecoderLayer`, same keys).

    self-attention over the motion tokens -> add & norm1 -> cross-attention to the text memory
    -> add & norm2 -> feed-forward -> add & norm3.
    """

    def __init__(self, d: int, heads: int, ff: int, dropout: float, activation: str) -> None:
        super().__init__()
        self.self_attn = Attention(d, heads, dropout)
        self.multihead_attn = Attention(d, heads, dropout)
        self.linear1 = nn.Linear(d, ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ff, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.norm3 = nn.LayerNorm(d)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self, x: Tensor, key_mask: Tensor | None, memory: Tensor, memory_mask: Tensor | None
    ) -> Tensor:
        """``x`` ``[B, N, d]``, ``memory`` ``[B, S, d]`` -> ``[B, N, d]`` (masks: True = real)."""
        x = self.norm1(x + self.dropout1(self.self_attn(x, key_mask=key_mask)))
        x = self.norm2(
            x + self.dropout2(self.multihead_attn(x, key_mask=memory_mask, context=memory))
        )
        ff = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.norm3(x + self.dropout3(ff))


class EncoderLayer(nn.Module):
    """Post-norm transformer encoder layer (as `nn.TransformerEncoderLayer`, same keys)."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float, activation: str) -> None:
        super().__init__()
        self.self_attn = Attention(d, heads, dropout)
        self.linear1 = nn.Linear(d, ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(ff, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, x: Tensor, key_mask: Tensor | None) -> Tensor:
        """``x`` ``[B, N, d]`` -> ``[B, N, d]`` (``key_mask`` True = real token)."""
        x = self.norm1(x + self.dropout1(self.self_attn(x, key_mask=key_mask)))
        ff = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.norm2(x + self.dropout2(ff))


class TransformerStack(nn.Module):
    """A plain list of layers under the key ``layers`` (matches `nn.TransformerDecoder`)."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)


class MotionDenoiser(nn.Module):
    """MDM / MoMo denoiser: (x_t, t, text) -> predicted clean motion x0.

    Args:
        config: architecture (see `DenoiserConfig`).

    The module keeps no state between calls and never changes its inputs. Every self-attention
    module has a swappable processor (`self_attention_modules`); mixing and capture are done by
    installing processors, not by arguments of `forward`.
    """

    def __init__(self, config: DenoiserConfig) -> None:
        super().__init__()
        self.config = config
        # The variant, resolved once: forward reads these, never the config's strings.
        self.is_decoder = config.arch == "trans_dec"
        self.first_token = config.cls_token
        self.time_in_memory = self.is_decoder and config.cross_memory is CrossMemory.TIME_AND_TEXT
        self.token_text = config.uses_token_text
        d = config.latent_dim
        self.input_process = InputProcess(config.nfeats, d)
        # One table shared by frame positions and timesteps (MDM shares the module; MoMo has
        # two identical instances; both keys appear in the state dict either way).
        self.sequence_pos_encoder = PositionalEncoding(d, config.dropout, config.max_positions)
        layer_args = (d, config.num_heads, config.ff_size, config.dropout, config.activation)
        if self.is_decoder:
            self.seqTransDecoder = TransformerStack(
                [DecoderLayer(*layer_args) for _ in range(config.num_layers)]
            )
        else:
            self.seqTransEncoder = TransformerStack(
                [EncoderLayer(*layer_args) for _ in range(config.num_layers)]
            )
        self.embed_timestep = TimestepEmbedder(d, self.sequence_pos_encoder)
        # Official key names: embed_text reads the tokens when the model has token text, else
        # the pooled vector; embed_text_clip reads the pooled vector beside the tokens.
        pooled_dim, token_dim = config.text_pooled_dim, config.text_token_dim
        if not self.token_text:
            self.embed_text = nn.Linear(_required(pooled_dim, "text_pooled_dim"), d)
        else:
            self.embed_text = nn.Linear(_required(token_dim, "text_token_dim"), d)
            if self.first_token is FirstToken.TIME_AND_TEXT:
                self.embed_text_clip = nn.Linear(_required(pooled_dim, "text_pooled_dim"), d)
        self.output_process = OutputProcess(config.nfeats, d)

    # Introspection ------------------------------------------------------------------------

    @property
    def layers(self) -> nn.ModuleList:
        """The transformer layers, in order."""
        stack = self.seqTransDecoder if self.is_decoder else self.seqTransEncoder
        return stack.layers

    def self_attention_modules(self) -> list[Attention]:
        """The self-attention module of each layer (index = 0-based layer)."""
        return [layer.self_attn for layer in self.layers]

    def cross_attention_modules(self) -> list[Attention]:
        """The cross-attention module of each decoder layer (empty for trans_enc)."""
        if not self.is_decoder:
            return []
        return [layer.multihead_attn for layer in self.layers]

    # Forward ------------------------------------------------------------------------------

    def forward(
        self,
        x_t: Tensor,
        timesteps: Tensor,
        text: TextEmbedding | None,
        frame_mask: Tensor | None = None,
        drop_text: Tensor | None = None,
    ) -> Tensor:
        """Predict x0.

        Args:
            x_t: normalised noisy motions ``[B, T, nfeats]``.
            timesteps: LongTensor ``[B]`` of model timesteps (0 = cleanest).
            text: text embedding of the B rows, or None (all rows unconditional).
            frame_mask: bool ``[B, T]``, True = real frame; None = all frames real. Padded frames
                are masked out of self-attention keys when ``config.mask_frames``.
            drop_text: bool ``[B]``; True rows run unconditionally: their text inputs are zeroed
                before the text embeddings (which then equal their biases), the token mask is
                kept (the reference's classifier-free guidance).

        Returns:
            x0 prediction ``[B, T, nfeats]``.
        """
        batch = x_t.shape[0]
        if timesteps.shape != (batch,):
            raise ValueError(f"timesteps must have shape [{batch}], got {list(timesteps.shape)}")
        if text is not None and text.batch_size != batch:
            raise ValueError(f"text has {text.batch_size} rows, motions have {batch}")
        x = self.input_process(x_t)  # [B, T, d]
        time_emb = self.embed_timestep(timesteps)  # [B, d]
        text_in = self._embed_text(text, drop_text, batch, x_t)
        key_mask = None  # [B, T] True = real frame, or None
        if self.config.mask_frames and frame_mask is not None:
            key_mask = frame_mask.to(device=x.device, dtype=torch.bool)

        first = self._first(time_emb, text_in.pooled)  # [B, d] or None
        if first is not None:
            x = torch.cat([first[:, None], x], dim=1)  # [B, 1 + T, d]
            key_mask = self._with_first_token(key_mask)
        seq = self.sequence_pos_encoder(x)
        if self.is_decoder:
            memory, memory_mask = self._memory(time_emb, text_in)  # [B, S, d], [B, S] | None
            for layer in self.layers:
                seq = layer(seq, key_mask, memory, memory_mask)
        else:
            for layer in self.layers:
                seq = layer(seq, key_mask)
        if first is not None:
            seq = seq[:, 1:]  # [B, T, d]
        return self.output_process(seq)  # [B, T, nfeats]

    def _first(self, time_emb: Tensor, pooled: Tensor | None) -> Tensor | None:
        """The extra first token ``[B, d]`` of the variant, or None."""
        if self.first_token is FirstToken.NONE:
            return None
        if self.first_token is FirstToken.TIME:
            return time_emb
        return time_emb + _required(pooled, "a pooled text embedding")

    def _memory(self, time_emb: Tensor, text_in: _TextInputs) -> tuple[Tensor, Tensor | None]:
        """The cross-attention memory ``[B, S, d]`` and its mask (True = real token)."""
        if self.token_text:
            memory = _required(text_in.tokens, "token embeddings")
            memory_mask = text_in.token_mask
        else:
            memory = _required(text_in.pooled, "a pooled text embedding")[:, None]
            memory_mask = None
        if self.time_in_memory:
            memory = memory + time_emb[:, None]
        return memory, memory_mask

    @staticmethod
    def _with_first_token(key_mask: Tensor | None) -> Tensor | None:
        if key_mask is None:
            return None
        first = torch.ones_like(key_mask[:, :1])
        return torch.cat([first, key_mask], dim=1)

    def _embed_text(
        self, text: TextEmbedding | None, drop_text: Tensor | None, batch: int, like: Tensor
    ) -> _TextInputs:
        """The text as the layers read it (rows in ``drop`` zeroed first, as in training)."""
        dtype, device = like.dtype, like.device
        if text is None:
            drop = torch.ones(batch, dtype=torch.bool, device=device)
        elif drop_text is None:
            drop = torch.zeros(batch, dtype=torch.bool, device=device)
        else:
            drop = drop_text.to(device=device, dtype=torch.bool)

        def zeroed(values: Tensor) -> Tensor:
            shape = (batch,) + (1,) * (values.dim() - 1)
            return torch.where(drop.view(shape), torch.zeros_like(values), values)

        if not self.token_text:
            pooled_layer: nn.Linear | None = self.embed_text
        else:
            pooled_layer = getattr(self, "embed_text_clip", None)
        pooled_emb = None
        if pooled_layer is not None:
            if text is None:
                pooled = torch.zeros(batch, pooled_layer.in_features, dtype=dtype, device=device)
            else:
                pooled = text.pooled.to(device=device, dtype=dtype)
                if pooled.shape[-1] != pooled_layer.in_features:
                    raise ValueError(
                        f"text encoder gives {pooled.shape[-1]}-d pooled vectors, the model "
                        f"expects {pooled_layer.in_features}; use the encoder it was trained with"
                    )
            pooled_emb = pooled_layer(zeroed(pooled))

        tokens_emb = tokens_mask = None
        if self.token_text:
            token_dim = self.embed_text.in_features
            if text is None:
                # Every memory token of an unconditional row equals embed_text.bias, so one
                # token gives exactly the attention result of any number of them.
                tokens = torch.zeros(batch, 1, token_dim, dtype=dtype, device=device)
                tokens_mask = None
            else:
                tokens = text.tokens.to(device=device, dtype=dtype)
                if tokens.shape[-1] != token_dim:
                    raise ValueError(
                        f"text encoder gives {tokens.shape[-1]}-d token states, the model "
                        f"expects {token_dim}; use the encoder it was trained with"
                    )
                tokens_mask = text.token_mask.to(device=device, dtype=torch.bool)
            tokens_emb = self.embed_text(zeroed(tokens))
        return _TextInputs(pooled_emb, tokens_emb, tokens_mask)
