"""Multi-head attention whose weights live in a module and whose computation lives in a processor.

`Attention` owns the weights under `nn.MultiheadAttention`'s names (``in_proj_weight``,
``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``), so official checkpoints load into it
unchanged. What is computed is decided by its processor, a callable with the signature

    processor(attn, hidden_states, *, key_mask=None, context=None) -> Tensor [B, N, d]

where ``hidden_states`` is the layer input of the *whole batch* ``[B, N, d]``, ``key_mask`` a
bool ``[B, N_k]`` with True for keys that take part (real frames / real text tokens), and
``context`` the cross-attention memory ``[B, N_k, d]`` (None for self-attention). A processor sees
every row at once, so one that mixes rows (queries of one row, keys/values of others) gets the
row roles from an object it was constructed with; the building blocks it needs are the methods
`Attention.project_qkv`, `Attention.project_q`, `Attention.project_kv`, `Attention.attend` and
`Attention.project_out`.

Processors are swapped with `Attention.set_processor`, or for one block of code with
`use_processors` (restores the previous ones on exit, also on error).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn


class AttentionProcessor(Protocol):
    """What an attention processor must implement (see the module docstring)."""

    def __call__(
        self,
        attn: Attention,
        hidden_states: Tensor,
        *,
        key_mask: Tensor | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Return the attention block output ``[B, N, d]`` (after ``out_proj``)."""
        ...


class Attention(nn.Module):
    """Multi-head attention with `nn.MultiheadAttention`'s parameters and a swappable processor.

    Args:
        embed_dim: model width d.
        num_heads: heads H (d must divide by H).
        dropout: dropout on attention probabilities (training only).
        processor: initial processor; defaults to `SDPAProcessor`.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        processor: AttentionProcessor | None = None,
    ) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        self.processor: AttentionProcessor = processor if processor is not None else SDPAProcessor()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise as `nn.MultiheadAttention` does (Xavier in-projection, zero biases)."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)
        nn.init.zeros_(self.out_proj.bias)

    def set_processor(self, processor: AttentionProcessor) -> None:
        """Replace the processor (the weights are untouched)."""
        self.processor = processor

    def forward(
        self,
        hidden_states: Tensor,
        *,
        key_mask: Tensor | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Run the processor.

        Args:
            hidden_states: ``[B, N, d]`` layer input (queries; also keys/values when ``context``
                is None).
            key_mask: bool ``[B, N_k]``, True = the key takes part; None = all keys.
            context: ``[B, N_k, d]`` cross-attention memory, or None for self-attention.

        Returns:
            ``[B, N, d]``.
        """
        return self.processor(self, hidden_states, key_mask=key_mask, context=context)

    # Building blocks for processors -----------------------------------------------------

    def project_qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Queries, keys and values of the same tokens, each ``[B, H, N, d/H]`` (one matmul)."""
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = rearrange(qkv, "b n (three h e) -> three b h n e", three=3, h=self.num_heads)
        return q, k, v

    def project_q(self, x: Tensor) -> Tensor:
        """Queries ``[B, H, N, d/H]`` of ``x`` ``[B, N, d]``."""
        d = self.embed_dim
        q = F.linear(x, self.in_proj_weight[:d], self.in_proj_bias[:d])
        return rearrange(q, "b n (h e) -> b h n e", h=self.num_heads)

    def project_kv(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Keys and values ``[B, H, N, d/H]`` of ``x`` ``[B, N, d]``."""
        d = self.embed_dim
        kv = F.linear(x, self.in_proj_weight[d:], self.in_proj_bias[d:])
        k, v = rearrange(kv, "b n (two h e) -> two b h n e", two=2, h=self.num_heads)
        return k, v

    def attend(self, q: Tensor, k: Tensor, v: Tensor, key_mask: Tensor | None = None) -> Tensor:
        """Scaled dot-product attention, heads merged: ``[B, H, Nq, e]`` x2 -> ``[B, Nq, d]``.

        ``key_mask`` is bool ``[B, Nk]`` (True = attend). Dropout on the probabilities applies
        only in training mode.
        """
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return rearrange(out, "b h n e -> b n (h e)")

    def attention_weights(self, q: Tensor, k: Tensor, key_mask: Tensor | None = None) -> Tensor:
        """Attention probabilities ``[B, H, Nq, Nk]`` (explicit softmax, for analysis)."""
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        if key_mask is not None:
            scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        return scores.softmax(dim=-1)

    def project_out(self, x: Tensor) -> Tensor:
        """Output projection ``[B, N, d] -> [B, N, d]``."""
        return self.out_proj(x)

    def plain(
        self, hidden_states: Tensor, key_mask: Tensor | None = None, context: Tensor | None = None
    ) -> Tensor:
        """Standard multi-head attention of these rows ``[B, N, d]`` (what `SDPAProcessor`
        computes), for processors that run some rows plainly."""
        if context is None:
            q, k, v = self.project_qkv(hidden_states)
        else:
            q = self.project_q(hidden_states)
            k, v = self.project_kv(context)
        return self.project_out(self.attend(q, k, v, key_mask))


class SelfAttentionProcessor:
    """Base of processors that only make sense on self-attention modules.

    Subclasses implement `self_attention`; a call with a cross-attention memory is an error.
    """

    def __call__(
        self,
        attn: Attention,
        hidden_states: Tensor,
        *,
        key_mask: Tensor | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Attention block output ``[B, N, d]`` for layer input ``hidden_states`` ``[B, N, d]``."""
        if context is not None:
            raise ValueError(f"{type(self).__name__} is for self-attention, not cross-attention")
        return self.self_attention(attn, hidden_states, key_mask)

    def self_attention(
        self, attn: Attention, hidden_states: Tensor, key_mask: Tensor | None
    ) -> Tensor:
        """The block output ``[B, N, d]``; ``key_mask`` bool ``[B, N]`` (True = real) or None."""
        raise NotImplementedError


class SDPAProcessor:
    """Plain attention through `torch.nn.functional.scaled_dot_product_attention`."""

    def __call__(
        self,
        attn: Attention,
        hidden_states: Tensor,
        *,
        key_mask: Tensor | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Standard multi-head attention; equals `nn.MultiheadAttention` on the same weights."""
        return attn.plain(hidden_states, key_mask, context)

    def __repr__(self) -> str:
        return "SDPAProcessor()"


@dataclass
class CapturedAttention:
    """What `CaptureProcessor` recorded for one layer in one forward call.

    Attributes:
        layer: layer index (0-based).
        step: the label `AttentionCapture.step` held at the time (e.g. the diffusion timestep).
        q, k, v: ``[B, H, N, d/H]`` per-head queries, keys, values (detached).
        weights: ``[B, H, Nq, Nk]`` attention probabilities (detached).
        key_mask: bool ``[B, Nk]`` or None.
    """

    layer: int
    step: int | None
    q: Tensor
    k: Tensor
    v: Tensor
    weights: Tensor
    key_mask: Tensor | None


@dataclass
class AttentionCapture:
    """Store for `CaptureProcessor` records, labelled by layer and a caller-set step.

    Set ``step`` before each model call (for example the diffusion timestep); records are kept
    in call order in ``records``. ``to_cpu`` moves each record to the CPU as it is made.
    """

    step: int | None = None
    to_cpu: bool = True
    records: list[CapturedAttention] = field(default_factory=list)

    def get(self, layer: int, step: int | None = None) -> list[CapturedAttention]:
        """Records of one layer (and one step, if given), in call order."""
        return [r for r in self.records if r.layer == layer and (step is None or r.step == step)]


class CaptureProcessor:
    """Plain attention that also records q, k, v and the attention weights.

    Computes the same result as `SDPAProcessor` through an explicit softmax (so the weights
    exist) and appends a `CapturedAttention` to ``capture``.

    Args:
        capture: where records go.
        layer: the layer index this processor is installed on (stored in each record).
    """

    def __init__(self, capture: AttentionCapture, layer: int) -> None:
        self.capture = capture
        self.layer = layer

    def __call__(
        self,
        attn: Attention,
        hidden_states: Tensor,
        *,
        key_mask: Tensor | None = None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Attention output ``[B, N, d]``; records q, k, v, weights as a side effect."""
        if context is None:
            q, k, v = attn.project_qkv(hidden_states)
        else:
            q = attn.project_q(hidden_states)
            k, v = attn.project_kv(context)
        weights = attn.attention_weights(q, k, key_mask)
        probs = F.dropout(weights, p=attn.dropout, training=attn.training)
        out = rearrange(torch.matmul(probs, v), "b h n e -> b n (h e)")

        def keep(t: Tensor) -> Tensor:
            t = t.detach()
            return t.cpu() if self.capture.to_cpu else t

        self.capture.records.append(
            CapturedAttention(
                layer=self.layer,
                step=self.capture.step,
                q=keep(q),
                k=keep(k),
                v=keep(v),
                weights=keep(weights),
                key_mask=None if key_mask is None else keep(key_mask),
            )
        )
        return attn.project_out(out)

    def __repr__(self) -> str:
        return f"CaptureProcessor(layer={self.layer})"


@contextlib.contextmanager
def use_processors(processors: Mapping[Attention, AttentionProcessor]) -> Iterator[None]:
    """Install processors on some attention modules for one block; restore the old ones after.

    Example::

        mods = denoiser.self_attention_modules()
        with use_processors({mods[i]: MyProcessor(...) for i in layers}):
            x0 = denoiser(x_t, t, text)
    """
    previous = {module: module.processor for module in processors}
    try:
        for module, processor in processors.items():
            module.set_processor(processor)
        yield
    finally:
        for module, processor in previous.items():
            module.set_processor(processor)
