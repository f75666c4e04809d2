"""The mixing processor against an explicit computation, and its equivalences."""

from __future__ import annotations

import math

import pytest
import torch

from momo.models.attention import Attention, SDPAProcessor
from momo.pipelines.transfer import MixedAttentionProcessor, TransferLayout


def _explicit(
    attn: Attention, q_rows: torch.Tensor, kv_rows: torch.Tensor, mask: torch.Tensor | None
):
    """softmax(q k^T / sqrt(e)) v per head with plain matmuls (no processor code involved)."""
    d, h = attn.embed_dim, attn.num_heads
    w, b = attn.in_proj_weight, attn.in_proj_bias
    q = q_rows @ w[:d].T + b[:d]
    k = kv_rows @ w[d : 2 * d].T + b[d : 2 * d]
    v = kv_rows @ w[2 * d :].T + b[2 * d :]
    split = lambda x: x.reshape(x.shape[0], h, d // h).transpose(0, 1)  # noqa: E731
    scores = split(q) @ split(k).transpose(1, 2) / math.sqrt(d // h)
    if mask is not None:
        scores = scores.masked_fill(~mask[None, None, :], float("-inf"))
    out = (scores.softmax(-1) @ split(v)).transpose(0, 1).reshape(q.shape[0], d)
    return out @ attn.out_proj.weight.T + attn.out_proj.bias


@pytest.fixture
def attn():
    torch.manual_seed(0)
    module = Attention(16, 4).double().eval()
    torch.nn.init.normal_(module.in_proj_bias)
    torch.nn.init.normal_(module.out_proj.bias)
    return module


def _batch(layout: TransferLayout, extra: int = 0, tokens: int = 7, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    batch = layout.num_rows + extra
    hidden = torch.randn(batch, tokens, 16, generator=g, dtype=torch.float64)
    lengths = torch.randint(3, tokens + 1, (batch,), generator=g)
    mask = torch.arange(tokens)[None] < lengths[:, None]
    return hidden, mask


@pytest.mark.parametrize("copies", [1, 3])
def test_outputs_use_leader_queries_and_follower_keys(attn, copies):
    layout = TransferLayout(num_followers=2, follower_copies=copies)
    hidden, mask = _batch(layout, extra=2)
    with torch.no_grad():
        out = MixedAttentionProcessor(layout)(attn, hidden, key_mask=mask)
        plain = SDPAProcessor()(attn, hidden, key_mask=mask)
    outputs = set(layout.output_rows)
    for row in range(hidden.shape[0]):
        if row not in outputs:  # leader, followers and the extra (guidance) rows are plain
            torch.testing.assert_close(out[row], plain[row], rtol=0, atol=1e-12)
    for j in range(2):
        rows = layout.follower_rows(j)
        kv = torch.cat([hidden[r] for r in rows])  # copies concatenated on the token axis
        key_mask = torch.cat([mask[r] for r in rows])
        expected = _explicit(attn, hidden[layout.leader_row], kv, key_mask)
        torch.testing.assert_close(out[layout.output_row(j)], expected, rtol=0, atol=1e-12)


def test_output_rows_own_state_only_enters_through_the_residual(attn):
    layout = TransferLayout(num_followers=1)
    hidden, mask = _batch(layout)
    changed = hidden.clone()
    changed[layout.output_row(0)] = torch.randn_like(changed[0]) * 10
    processor = MixedAttentionProcessor(layout)
    with torch.no_grad():
        torch.testing.assert_close(
            processor(attn, hidden, key_mask=mask), processor(attn, changed, key_mask=mask),
            rtol=0, atol=0,
        )  # fmt: skip


def test_leader_equal_to_follower_gives_the_leaders_plain_attention(attn):
    layout = TransferLayout(num_followers=1)
    hidden, mask = _batch(layout)
    hidden[1], mask[1] = hidden[0], mask[0]
    with torch.no_grad():
        out = MixedAttentionProcessor(layout)(attn, hidden, key_mask=mask)
    torch.testing.assert_close(out[2], out[0], rtol=0, atol=1e-12)


def test_identical_copies_equal_a_single_copy(attn):
    one, three = TransferLayout(1, 1), TransferLayout(1, 3)
    hidden, mask = _batch(one)
    rows = [0, 1, 1, 1, 2]
    with torch.no_grad():
        a = MixedAttentionProcessor(one)(attn, hidden, key_mask=mask)
        b = MixedAttentionProcessor(three)(attn, hidden[rows], key_mask=mask[rows])
    torch.testing.assert_close(b[4], a[2], rtol=0, atol=1e-12)


def test_without_key_mask(attn):
    layout = TransferLayout(num_followers=1, follower_copies=2)
    hidden, _ = _batch(layout)
    with torch.no_grad():
        out = MixedAttentionProcessor(layout)(attn, hidden)
    kv = torch.cat([hidden[1], hidden[2]])
    torch.testing.assert_close(out[3], _explicit(attn, hidden[0], kv, None), rtol=0, atol=1e-12)


def test_refuses_cross_attention(attn):
    layout = TransferLayout(num_followers=1)
    hidden, _ = _batch(layout)
    with pytest.raises(ValueError, match="self-attention"):
        MixedAttentionProcessor(layout)(attn, hidden, context=hidden)
