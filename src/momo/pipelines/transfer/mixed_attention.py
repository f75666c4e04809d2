"""MoMo's mixed attention (the paper's contribution) as an attention processor.

In a transfer layer at a transfer step, output row j's self-attention block computes

    softmax(q_leader k_follower_j^T / sqrt(d/H)) v_follower_j

with the queries of the leader's layer input (CLS token included), the keys and values of
follower j's layer input (its k copies concatenated along the token axis) under the follower's
key padding mask, and the layer's own projection weights. The output row's own hidden state
enters only through the residual connection around the block, so its queries, keys and values
are never computed. Every other row (leader, followers, unconditional guidance copies) runs
plain self-attention, computed once; the leader's queries and the followers' keys/values are
taken from that same computation rather than projected again.

Install it with `mixing_processors` for the layers of a `TransferSchedule`, around the
conditional forward of a transfer step only.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange
from torch import Tensor

from momo.models.attention import Attention, AttentionProcessor, SelfAttentionProcessor
from momo.pipelines.transfer.layout import PairLayout, TransferLayout


class MixedAttentionProcessor(SelfAttentionProcessor):
    """Self-attention in which output rows attend with the leader's queries to their follower.

    Args:
        layout: the batch layout (which rows are leaders, follower copies, outputs; with a
            `PairLayout` each output takes the queries of its own leader). Rows beyond
            ``layout.num_rows`` (unconditional guidance copies) run plain attention.
    """

    def __init__(self, layout: TransferLayout | PairLayout) -> None:
        self.layout = layout

    def self_attention(
        self, attn: Attention, hidden_states: Tensor, key_mask: Tensor | None
    ) -> Tensor:
        """Attention block output ``[B, N, d]`` for layer input ``hidden_states`` ``[B, N, d]``.

        ``key_mask`` is bool ``[B, N]`` (True = real token) or None.
        """
        batch, tokens, width = hidden_states.shape
        idx = self.layout.mixing_indices(batch, hidden_states.device)

        # Plain rows: one projection, one attention.
        if idx.outputs_last:  # plain rows are a prefix: a view, no gather
            count = idx.plain.numel()
            plain_states = hidden_states[:count]
            plain_mask = None if key_mask is None else key_mask[:count]
        else:
            plain_states = hidden_states.index_select(0, idx.plain)
            plain_mask = None if key_mask is None else key_mask.index_select(0, idx.plain)
        q, k, v = attn.project_qkv(plain_states)  # [P, H, N, e]
        plain_out = attn.attend(q, k, v, plain_mask)  # [P, N, d]

        # Output rows: the leader's queries against each follower's copies' keys/values.
        followers, copies = idx.followers_in_plain.shape
        flat = idx.followers_in_plain.reshape(-1)
        k_f = rearrange(k.index_select(0, flat), "(f c) h n e -> f h (c n) e", f=followers)
        v_f = rearrange(v.index_select(0, flat), "(f c) h n e -> f h (c n) e", f=followers)
        mask_f = None
        if plain_mask is not None:
            mask_f = rearrange(plain_mask.index_select(0, flat), "(f c) n -> f (c n)", c=copies)
        if idx.leaders_in_plain is None:
            q_leader = q[idx.leader_in_plain : idx.leader_in_plain + 1]
            q_leader = q_leader.expand(followers, -1, -1, -1)
        else:
            q_leader = q.index_select(0, idx.leaders_in_plain)
        mixed_out = attn.attend(q_leader, k_f, v_f, mask_f)

        if idx.outputs_last:
            return attn.project_out(torch.cat([plain_out, mixed_out]))
        out = hidden_states.new_empty(batch, tokens, width)
        out.index_copy_(0, idx.plain, plain_out)
        out.index_copy_(0, idx.outputs, mixed_out)
        return attn.project_out(out)

    def __repr__(self) -> str:
        return (
            f"MixedAttentionProcessor(followers={self.layout.num_followers}, "
            f"copies={self.layout.follower_copies})"
        )


def mixing_processors(
    modules: Sequence[Attention], layers: Sequence[int], layout: TransferLayout | PairLayout
) -> dict[Attention, AttentionProcessor]:
    """One shared `MixedAttentionProcessor` per chosen layer, for `momo.models.attention.use_processors`.

    Args:
        modules: the denoiser's self-attention modules (``denoiser.self_attention_modules()``).
        layers: 0-based layers that mix.
        layout: the batch layout.
    """
    processor = MixedAttentionProcessor(layout)
    return {modules[layer]: processor for layer in layers}
