"""The constant-memory short cut of cross-attention equals plain cross-attention."""

from __future__ import annotations

import pytest
import torch

from momo.models.attention import Attention, SDPAProcessor
from momo.pipelines.transfer.cross_attention import ConstantMemoryCrossAttention


@pytest.fixture
def attn():
    torch.manual_seed(0)
    module = Attention(16, 4).double().eval()
    torch.nn.init.normal_(module.in_proj_bias)
    torch.nn.init.normal_(module.out_proj.bias)
    return module


def _memory(rows: int, tokens: int, constant: list[bool]) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    memory = torch.randn(rows, tokens, 16, generator=g, dtype=torch.float64)
    for row, same in enumerate(constant):
        if same:
            memory[row] = memory[row, :1]
    return memory


@pytest.mark.parametrize("masked", [False, True])
def test_matches_plain_cross_attention(attn, masked):
    constant = [True, False, True, False]
    memory = _memory(4, 5, constant)
    hidden = torch.randn(4, 7, 16, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).bool()
    key_mask = mask if masked else None
    with torch.no_grad():
        fast = ConstantMemoryCrossAttention()(attn, hidden, key_mask=key_mask, context=memory)
        plain = SDPAProcessor()(attn, hidden, key_mask=key_mask, context=memory)
    torch.testing.assert_close(fast, plain, rtol=0, atol=1e-12)
    # the constant rows do not depend on their queries at all
    assert torch.allclose(fast[0], fast[0, :1].expand(7, -1))


def test_all_constant_none_constant_and_a_constant_suffix(attn):
    hidden = torch.randn(2, 3, 16, dtype=torch.float64)
    for constant in ([True, True], [False, False], [False, True], [True, False]):
        memory = _memory(2, 4, constant)
        with torch.no_grad():
            fast = ConstantMemoryCrossAttention()(attn, hidden, context=memory)
            plain = SDPAProcessor()(attn, hidden, context=memory)
        torch.testing.assert_close(fast, plain, rtol=0, atol=1e-12)


def test_training_mode_and_misuse(attn):
    attn.train()
    memory = _memory(1, 4, [True])
    hidden = torch.randn(1, 3, 16, dtype=torch.float64)
    torch.manual_seed(0)
    fast = ConstantMemoryCrossAttention()(attn, hidden, context=memory)
    torch.manual_seed(0)
    plain = SDPAProcessor()(attn, hidden, context=memory)
    torch.testing.assert_close(fast, plain)
    with pytest.raises(ValueError, match="context"):
        ConstantMemoryCrossAttention()(attn, hidden)
