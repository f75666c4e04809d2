"""The three networks of Guo et al.'s text-motion matching evaluator (as MDM and MoMo use it).

Parameter names equal the reference's, so its ``finest.tar`` state dicts load strictly:

- `MovementEncoder` (``MovementConvEncoder``): two stride-2 Conv1d (kernel 4, padding 1) with
  LeakyReLU(0.2), then a Linear, over the first 259 normalised features: ``[B, T, 259] ->
  [B, T // 4, latent]``.
- `MotionEncoder` (``MotionEncoderBiGRUCo``): Linear, a bidirectional GRU from a learnt initial
  state over the first ``m_len // 4`` movement steps, then Linear-LayerNorm-LeakyReLU-Linear on
  the two final states.
- `TextEncoder` (``TextEncoderBiGRUCo``): word vector + Linear(POS one-hot), Linear, the same
  bidirectional GRU head over the caption's tokens.

The GRUs run on packed sequences, so a row's result does not depend on the other rows of its
batch or their order (the reference sorts its batches only because it packs with
``enforce_sorted``). Dropout layers of the reference are identity in evaluation and left out.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


def _head(hidden: int, output: int) -> nn.Sequential:
    # Indices 0, 1, 3 match the reference's Linear, LayerNorm, (LeakyReLU), Linear.
    return nn.Sequential(
        nn.Linear(2 * hidden, hidden),
        nn.LayerNorm(hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, output),
    )


class _BiGRUEncoder(nn.Module):
    """Bidirectional GRU from a learnt initial state, read out from its two final states."""

    def __init__(self, hidden: int, output: int) -> None:
        super().__init__()
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.output_net = _head(hidden, output)
        self.hidden = nn.Parameter(torch.zeros(2, 1, hidden))

    def _encode(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        initial = self.hidden.expand(-1, embedded.shape[0], -1).contiguous()
        _, last = self.gru(packed, initial)  # last: [2, B, H], in input order
        return self.output_net(torch.cat([last[0], last[1]], dim=-1))


class TextEncoder(_BiGRUEncoder):
    """Caption ``[B, S, word]`` word vectors + ``[B, S, pos]`` one-hots -> ``[B, output]``."""

    def __init__(self, word_size: int, pos_size: int, hidden: int, output: int) -> None:
        super().__init__(hidden, output)
        self.pos_emb = nn.Linear(pos_size, word_size)
        self.input_emb = nn.Linear(word_size, hidden)

    def forward(
        self, word_vectors: torch.Tensor, pos_onehot: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Embed B captions; ``lengths`` int64 ``[B]`` (tokens the GRU reads, 1..S)."""
        embedded = self.input_emb(word_vectors + self.pos_emb(pos_onehot))
        return self._encode(embedded, lengths)


class MotionEncoder(_BiGRUEncoder):
    """Movement features ``[B, N, latent]`` -> ``[B, output]`` over the first ``lengths`` steps."""

    def __init__(self, latent: int, hidden: int, output: int) -> None:
        super().__init__(hidden, output)
        self.input_emb = nn.Linear(latent, hidden)

    def forward(self, movements: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Embed B motions; ``lengths`` int64 ``[B]`` in movement steps (frames // 4)."""
        return self._encode(self.input_emb(movements), lengths)


class MovementEncoder(nn.Module):
    """Normalised features ``[B, T, input]`` -> movement features ``[B, T // 4, latent]``."""

    def __init__(self, input_size: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv1d(input_size, hidden, 4, 2, 1),
            nn.Identity(),  # the reference's Dropout(0.2): identity at evaluation
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, latent, 4, 2, 1),
            nn.Identity(),
            nn.LeakyReLU(0.2),
        )
        self.out_net = nn.Linear(latent, latent)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``[B, T, input]`` -> ``[B, T // 4, latent]`` (for T a multiple of 4)."""
        hidden = self.main(features.transpose(1, 2)).transpose(1, 2)
        return self.out_net(hidden)
