"""Our attention and layers against torch's reference modules on the same weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from momo.models.attention import (
    Attention,
    AttentionCapture,
    CaptureProcessor,
    SDPAProcessor,
    use_processors,
)
from momo.models.mdm import DecoderLayer, EncoderLayer

D, H = 16, 4


def _pair(seed: int = 0) -> tuple[Attention, nn.MultiheadAttention]:
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(D, H, batch_first=True).double().eval()
    with torch.no_grad():  # non-zero biases so they are checked too
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = Attention(D, H).double().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def _mask(lengths: list[int], n: int) -> torch.Tensor:
    return torch.arange(n)[None] < torch.tensor(lengths)[:, None]


def test_state_dict_keys_match_multihead_attention():
    ours, ref = _pair()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in ref.state_dict().items()
    }


def test_self_attention_matches_multihead_attention():
    ours, ref = _pair()
    x = torch.randn(3, 7, D, dtype=torch.float64)
    valid = _mask([7, 5, 2], 7)
    expected, _ = ref(x, x, x, key_padding_mask=~valid, need_weights=False)
    assert torch.allclose(ours(x, key_mask=valid), expected, rtol=0, atol=1e-12)
    expected, _ = ref(x, x, x, need_weights=False)
    assert torch.allclose(ours(x), expected, rtol=0, atol=1e-12)


def test_cross_attention_matches_multihead_attention():
    ours, ref = _pair(1)
    x = torch.randn(2, 6, D, dtype=torch.float64)
    memory = torch.randn(2, 4, D, dtype=torch.float64)
    valid = _mask([4, 3], 4)
    expected, _ = ref(x, memory, memory, key_padding_mask=~valid, need_weights=False)
    got = ours(x, key_mask=valid, context=memory)
    assert torch.allclose(got, expected, rtol=0, atol=1e-12)


def test_capture_processor_matches_and_records():
    ours, ref = _pair(2)
    x = torch.randn(2, 5, D, dtype=torch.float64)
    valid = _mask([5, 3], 5)
    expected, ref_weights = ref(x, x, x, key_padding_mask=~valid, average_attn_weights=False)
    capture = AttentionCapture(step=7)
    with use_processors({ours: CaptureProcessor(capture, layer=3)}):
        got = ours(x, key_mask=valid)
    assert torch.allclose(got, expected, rtol=0, atol=1e-12)
    (record,) = capture.get(layer=3, step=7)
    assert record.q.shape == record.k.shape == record.v.shape == (2, H, 5, D // H)
    assert torch.allclose(record.weights, ref_weights, rtol=0, atol=1e-12)
    assert torch.all(record.weights[1, :, :, 3:] == 0)  # padded keys get no weight
    assert isinstance(ours.processor, SDPAProcessor)  # restored


def test_use_processors_restores_on_error():
    ours, _ = _pair()
    original = ours.processor

    def broken(attn, hidden_states, *, key_mask=None, context=None):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"), use_processors({ours: broken}):
        ours(torch.randn(1, 2, D))
    assert ours.processor is original


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_decoder_layer_matches_torch(activation):
    torch.manual_seed(3)
    ref = nn.TransformerDecoderLayer(D, H, 32, 0.1, activation, batch_first=True).double().eval()
    ours = DecoderLayer(D, H, 32, 0.1, activation).double().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(3, 9, D, dtype=torch.float64)
    memory = torch.randn(3, 4, D, dtype=torch.float64)
    valid, mem_valid = _mask([9, 6, 1], 9), _mask([4, 2, 3], 4)
    expected = ref(x, memory, tgt_key_padding_mask=~valid, memory_key_padding_mask=~mem_valid)
    got = ours(x, valid, memory, mem_valid)
    assert torch.allclose(got[valid], expected[valid], rtol=0, atol=1e-12)


def test_encoder_layer_matches_torch():
    torch.manual_seed(4)
    ref = nn.TransformerEncoderLayer(D, H, 32, 0.1, "gelu", batch_first=True).double().eval()
    ours = EncoderLayer(D, H, 32, 0.1, "gelu").double().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 8, D, dtype=torch.float64)
    valid = _mask([8, 5], 8)
    expected = ref(x, src_key_padding_mask=~valid)
    got = ours(x, valid)
    # torch's fast path may zero padded positions; compare real tokens.
    assert torch.allclose(got[valid], expected[valid], rtol=0, atol=1e-12)
