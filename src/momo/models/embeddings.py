"""Embeddings of the denoiser: sinusoid table, timestep embedding, motion in/out projections.

Module and parameter names follow the official MDM code so checkpoints load without renaming.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sinusoid_table(max_len: int, dim: int) -> Tensor:
    """The transformer sinusoid table ``[max_len, 1, dim]`` (float32), as MDM builds it.

    Even channels hold sin(p * w_i), odd channels cos(p * w_i), w_i = 10000^(-2i/dim). The
    table is computed in float32 on purpose: official checkpoints were trained (and their
    reference numbers produced, even in float64) with these float32-rounded values.
    """
    position = torch.arange(0, max_len, dtype=torch.float32).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(max_len, dim, dtype=torch.float32)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    return table.unsqueeze(1)


class PositionalEncoding(nn.Module):
    """Adds the sinusoid of each token position, then dropout.

    The table is a buffer named ``pe`` ``[max_len, 1, d]`` (it appears in the state dict under
    the official key; loaders ignore it and rebuild it, since it is not learned).

    Args:
        dim: model width d.
        dropout: dropout after the addition (training only).
        max_len: table length (frame positions and timesteps both index it).
    """

    def __init__(self, dim: int, dropout: float = 0.1, max_len: int = 1000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.register_buffer("pe", sinusoid_table(max_len, dim))

    def table(self, length: int) -> Tensor:
        """Rows ``[length, d]`` of the table (raises if the table is shorter)."""
        if length > self.pe.shape[0]:
            raise ValueError(
                f"sequence of {length} tokens is longer than the positional table "
                f"({self.pe.shape[0]}); use fewer frames"
            )
        return self.pe[:length, 0]

    def forward(self, x: Tensor) -> Tensor:
        """``x`` ``[B, N, d]`` -> ``x + pe[:N]`` with dropout."""
        return self.dropout(x + self.table(x.shape[1]))


class TimestepEmbedder(nn.Module):
    """Timestep embedding: the sinusoid row of t, then Linear-SiLU-Linear (``time_embed``).

    Args:
        dim: model width d.
        sequence_pos_encoder: the positional encoding whose table is indexed by t (shared with
            the frame positions, as in MDM).
    """

    def __init__(self, dim: int, sequence_pos_encoder: PositionalEncoding) -> None:
        super().__init__()
        self.sequence_pos_encoder = sequence_pos_encoder
        self.time_embed = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, timesteps: Tensor) -> Tensor:
        """``timesteps`` LongTensor ``[B]`` -> ``[B, d]``."""
        return self.time_embed(self.sequence_pos_encoder.pe[timesteps, 0])


class InputProcess(nn.Module):
    """Per-frame linear embedding of the motion features (``poseEmbedding``: nfeats -> d)."""

    def __init__(self, nfeats: int, dim: int) -> None:
        super().__init__()
        self.poseEmbedding = nn.Linear(nfeats, dim)

    def forward(self, x: Tensor) -> Tensor:
        """``[B, T, nfeats]`` -> ``[B, T, d]``."""
        return self.poseEmbedding(x)


class OutputProcess(nn.Module):
    """Per-frame linear read-out (``poseFinal``: d -> nfeats)."""

    def __init__(self, nfeats: int, dim: int) -> None:
        super().__init__()
        self.poseFinal = nn.Linear(dim, nfeats)

    def forward(self, x: Tensor) -> Tensor:
        """``[B, T, d]`` -> ``[B, T, nfeats]``."""
        return self.poseFinal(x)
