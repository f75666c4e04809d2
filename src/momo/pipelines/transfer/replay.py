"""Transfer of real motions that reuses the inversion's attention (``reuse_inversion=True``).

MoMo denoises the inverted leader and followers again, in the same batch as the outputs, only
to read their queries, keys and values at the transfer steps. DDIM inversion already evaluates
the denoiser on every one of those rows at every timestep (at the inversion's own latents
``x_t``, which the re-denoised rows track up to the inversion's reconstruction error). So while
inverting, `RecordingProcessor` computes each output's mixed attention from the leader's
queries and its follower's keys/values in every transfer layer at every transfer timestep and
stores it (`MixedAttentionStore`); sampling then runs the output rows alone, and
`ReplayProcessor` hands each conditional output row its stored attention. Inverting costs one
extra attention per transfer layer; sampling drops the leader and follower rows.

The outputs differ from the reference's by how far re-denoising the inverted rows drifts from
their inversion: the leader's and followers' attention comes from the real motions' own
trajectory rather than from a reconstruction of them. The reported leader and followers are the
real motions themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from momo.models.attention import Attention, AttentionProcessor, SelfAttentionProcessor


@dataclass
class MixedAttentionStore:
    """Mixed-attention block outputs per (timestep, layer): ``[F, N, d]`` each.

    With ``dtype=torch.int8`` each token's vector is kept as int8 with a float32 scale (its
    largest magnitude / 127), as int8 key/value caches do: a quarter of float32's memory
    (MoMo's 12 x 512 network records ~90 MB per follower over 81 steps instead of ~360 MB),
    with an error of at most half a step, 0.4% of the token's largest entry.

    Attributes:
        dtype: storage dtype: torch.int8 (quantised per token) or a floating dtype (kept as is).
        timestep: the timestep being evaluated (set by the loop before each model call; None
            outside the transfer steps, when nothing is recorded or replayed).
        entries: the records: (values, per-token scales or None).
    """

    dtype: torch.dtype
    timestep: int | None = None
    entries: dict[tuple[int, int], tuple[Tensor, Tensor | None]] = field(default_factory=dict)

    def record_bytes(self, rows: int, tokens: int, width: int) -> int:
        """Bytes one record of ``[rows, tokens, width]`` values takes in this store."""
        value = torch.empty((), dtype=self.dtype).element_size()
        scale = 4 if self.dtype == torch.int8 else 0  # one float32 per token
        return rows * tokens * (width * value + scale)

    def put(self, layer: int, value: Tensor) -> None:
        """Record ``value`` for ``layer`` at the current timestep."""
        if self.timestep is None:
            raise RuntimeError("MixedAttentionStore.timestep must be set before recording")
        value = value.detach()
        if self.dtype == torch.int8:
            scale = value.abs().amax(dim=-1, keepdim=True).float().clamp_min(1e-30) / 127.0
            quantised = torch.round(value.float() / scale).to(torch.int8)
            self.entries[(self.timestep, layer)] = (quantised, scale)
        else:
            self.entries[(self.timestep, layer)] = (value.to(self.dtype), None)

    def get(self, layer: int, dtype: torch.dtype) -> Tensor:
        """The record of ``layer`` at the current timestep, as ``dtype``."""
        if self.timestep is None or (self.timestep, layer) not in self.entries:
            raise RuntimeError(
                f"no recorded attention for layer {layer} at timestep {self.timestep}: the "
                "inversion and the sampling must use the same timesteps"
            )
        values, scale = self.entries[(self.timestep, layer)]
        if scale is None:
            return values.to(dtype)
        return (values.to(torch.float32) * scale).to(dtype)

    @property
    def nbytes(self) -> int:
        """Memory held by the records."""
        return sum(
            t.numel() * t.element_size()
            for pair in self.entries.values()
            for t in pair
            if t is not None
        )


class _StoreProcessor(SelfAttentionProcessor):
    """A self-attention processor bound to a store and the layer it is installed on."""

    def __init__(self, store: MixedAttentionStore, layer: int) -> None:
        self.store = store
        self.layer = layer

    def __repr__(self) -> str:
        return f"{type(self).__name__}(layer={self.layer})"


class RecordingProcessor(_StoreProcessor):
    """Plain self-attention of the inversion batch ``[leader, follower 1, ..., follower F]``
    that also records, for each follower j, the block output of
    ``softmax(q_leader k_j^T / sqrt(e)) v_j`` (out-projected) under follower j's key mask.

    The rows' own attention is computed exactly as `SDPAProcessor` does, so the inversion is
    unchanged.

    With ``pairs`` (`momo.pipelines.transfer.pairs`), the batch is any set of leader and
    follower rows and record p is ``softmax(q_a k_b^T / sqrt(e)) v_b`` for pair p = (row a,
    row b).

    Args:
        store: where records go.
        layer: the layer this instance is installed on.
        pairs: LongTensors ``([P], [P])``: each record's leader row and follower row; None:
            leader row 0 and followers 1..B-1.
    """

    def __init__(
        self,
        store: MixedAttentionStore,
        layer: int,
        pairs: tuple[Tensor, Tensor] | None = None,
    ) -> None:
        super().__init__(store, layer)
        self.pairs = pairs

    def self_attention(
        self, attn: Attention, hidden_states: Tensor, key_mask: Tensor | None
    ) -> Tensor:
        """Attention block output ``[B, N, d]``; records ``[P, N, d]`` as a side effect."""
        q, k, v = attn.project_qkv(hidden_states)
        out = attn.project_out(attn.attend(q, k, v, key_mask))
        if self.pairs is None:
            followers = hidden_states.shape[0] - 1
            mixed = attn.attend(
                q[:1].expand(followers, -1, -1, -1),
                k[1:],
                v[1:],
                None if key_mask is None else key_mask[1:],
            )
        else:
            leaders, follower_rows = (rows.to(q.device) for rows in self.pairs)
            mixed = attn.attend(
                q.index_select(0, leaders),
                k.index_select(0, follower_rows),
                v.index_select(0, follower_rows),
                None if key_mask is None else key_mask.index_select(0, follower_rows),
            )
        self.store.put(self.layer, attn.project_out(mixed))
        return out


class ReplayProcessor(_StoreProcessor):
    """Self-attention of a batch of output rows that returns their recorded mixed attention.

    Rows ``0..F-1`` (the conditional outputs) get the record of this layer at the store's
    timestep; any further rows (unconditional guidance copies) run plain attention.

    Args:
        store: the records made while inverting.
        layer: the layer this instance is installed on.
    """

    def self_attention(
        self, attn: Attention, hidden_states: Tensor, key_mask: Tensor | None
    ) -> Tensor:
        """Attention block output ``[B, N, d]``."""
        recorded = self.store.get(self.layer, hidden_states.dtype).to(hidden_states.device)
        outputs = recorded.shape[0]
        if hidden_states.shape[0] == outputs:
            return recorded
        mask = None if key_mask is None else key_mask[outputs:]
        return torch.cat([recorded, attn.plain(hidden_states[outputs:], mask)])


def recording_processors(
    modules: Sequence[Attention],
    layers: Sequence[int],
    store: MixedAttentionStore,
    pairs: tuple[Tensor, Tensor] | None = None,
) -> dict[Attention, AttentionProcessor]:
    """`RecordingProcessor` for each chosen layer (for `use_processors`)."""
    return {modules[layer]: RecordingProcessor(store, layer, pairs) for layer in layers}


def replay_processors(
    modules: Sequence[Attention], layers: Sequence[int], store: MixedAttentionStore
) -> dict[Attention, AttentionProcessor]:
    """`ReplayProcessor` for each chosen layer (for `use_processors`)."""
    return {modules[layer]: ReplayProcessor(store, layer) for layer in layers}


def storage_dtype(model_dtype: torch.dtype) -> torch.dtype:
    """int8 records (per-token scale) for float32/bfloat16/float16 models: the memory of the
    records then stays below the model's own; float64 models (exactness checks) keep float64."""
    return torch.float64 if model_dtype == torch.float64 else torch.int8
