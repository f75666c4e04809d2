"""The classifier network: a masked 1-D convolutional trunk, pooled, with two heads."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from momo.evaluation.classifier.config import INPUT_CHANNELS, ClassifierConfig


class MotionClassifierNet(nn.Module):
    """The network (see the module docstring); maps ``[B, T, 259]`` + mask to (embedding, logits)."""

    def __init__(self, config: ClassifierConfig, num_content: int, num_style: int) -> None:
        super().__init__()
        h = config.hidden
        self.input = nn.Linear(INPUT_CHANNELS, h)
        self.norms = nn.ModuleList(nn.LayerNorm(h) for _ in range(config.num_blocks))
        self.convs = nn.ModuleList(
            nn.Conv1d(h, h, config.kernel_size, padding=config.kernel_size // 2)
            for _ in range(config.num_blocks)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.embed = nn.Linear(2 * h, config.embedding_dim)
        self.content_head = nn.Linear(config.embedding_dim, num_content)
        self.style_head = nn.Linear(config.embedding_dim, num_style)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Classify a batch.

        Args:
            x: normalised features ``[B, T, 259]`` (padded frames arbitrary).
            mask: bool ``[B, T]``, True on valid frames (at least one per row).

        Returns:
            (embedding ``[B, E]``, content logits ``[B, C_content]``, style logits
            ``[B, C_style]``).
        """
        m = mask.to(x.dtype)[:, :, None]
        h = F.gelu(self.input(x)) * m
        for i, (norm, conv) in enumerate(zip(self.norms, self.convs)):
            y = conv((norm(h) * m).transpose(1, 2)).transpose(1, 2)
            h = (h + self.dropout(F.gelu(y))) * m
            if i < len(self.convs) - 1 and h.shape[1] > 1:
                h, m = _halve(h, m)
        count = m.sum(dim=1).clamp(min=1.0)
        mean = h.sum(dim=1) / count
        peak = h.masked_fill(m == 0, float("-inf")).amax(dim=1)
        embedding = F.gelu(self.embed(torch.cat([mean, peak], dim=-1)))
        dropped = self.dropout(embedding)
        return embedding, self.content_head(dropped), self.style_head(dropped)


def _halve(h: Tensor, m: Tensor) -> tuple[Tensor, Tensor]:
    """Masked average of frame pairs: ``[B, T, H]``, ``[B, T, 1]`` -> ``[B, ceil(T/2), ...]``."""
    if h.shape[1] % 2:
        h = F.pad(h, (0, 0, 0, 1))
        m = F.pad(m, (0, 0, 0, 1))
    b, t, c = h.shape
    total = h.reshape(b, t // 2, 2, c).sum(dim=2)
    count = m.reshape(b, t // 2, 2, 1).sum(dim=2)
    return total / count.clamp(min=1.0), (count > 0).to(h.dtype)
