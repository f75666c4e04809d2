"""`TextEmbedding`: encoded prompts of a batch, the value text encoders hand to denoisers.

It lives beside `momo.errors` at the bottom of the package, so the text encoders (which make
it), the denoisers (which read it) and the pipelines (which pass it on) share it without
depending on one another. The public name is `momo.TextEmbedding`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class TextEmbedding:
    """Encoded prompts of a batch.

    Attributes:
        tokens: per-token states ``[B, S, D_tok]`` (cross-attention memory).
        token_mask: bool ``[B, S]``, True = real token (False = padding).
        pooled: sentence vectors ``[B, D_pool]`` (CLS / condition token).
    """

    tokens: Tensor
    token_mask: Tensor
    pooled: Tensor

    def __post_init__(self) -> None:
        if self.tokens.dim() != 3 or self.token_mask.dim() != 2 or self.pooled.dim() != 2:
            raise ValueError(
                "TextEmbedding needs tokens [B, S, D], token_mask [B, S] and pooled [B, D]; got "
                f"{list(self.tokens.shape)}, {list(self.token_mask.shape)}, {list(self.pooled.shape)}"
            )
        if (
            self.tokens.shape[:2] != self.token_mask.shape
            or self.pooled.shape[0] != self.tokens.shape[0]
        ):
            raise ValueError(
                "TextEmbedding parts disagree on batch/token counts: tokens "
                f"{list(self.tokens.shape)}, token_mask {list(self.token_mask.shape)}, "
                f"pooled {list(self.pooled.shape)}"
            )
        if self.token_mask.dtype != torch.bool:
            object.__setattr__(self, "token_mask", self.token_mask.to(torch.bool))

    @property
    def batch_size(self) -> int:
        """Number of prompts B."""
        return int(self.tokens.shape[0])

    def __len__(self) -> int:
        return self.batch_size

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> TextEmbedding:
        """Move to a device and/or cast the float parts (the mask stays bool)."""
        return TextEmbedding(
            tokens=self.tokens.to(device=device, dtype=dtype),
            token_mask=self.token_mask.to(device=device),
            pooled=self.pooled.to(device=device, dtype=dtype),
        )

    def index(self, rows: Sequence[int] | Tensor) -> TextEmbedding:
        """Select (and reorder / repeat) rows: ``rows`` is a list or LongTensor of indices."""
        idx = torch.as_tensor(rows, dtype=torch.long, device=self.tokens.device)
        return TextEmbedding(self.tokens[idx], self.token_mask[idx], self.pooled[idx])

    def repeat(self, times: int) -> TextEmbedding:
        """The whole batch ``times`` times over: rows [0..B-1, 0..B-1, ...]."""
        return TextEmbedding(
            self.tokens.repeat(times, 1, 1),
            self.token_mask.repeat(times, 1),
            self.pooled.repeat(times, 1),
        )

    @staticmethod
    def cat(embeddings: Sequence[TextEmbedding]) -> TextEmbedding:
        """Concatenate batches along rows, zero-padding tokens to the longest (mask False)."""
        if not embeddings:
            raise ValueError("TextEmbedding.cat needs at least one embedding")
        length = max(e.tokens.shape[1] for e in embeddings)
        tokens, masks = [], []
        for e in embeddings:
            pad = length - e.tokens.shape[1]
            tokens.append(torch.nn.functional.pad(e.tokens, (0, 0, 0, pad)))
            masks.append(torch.nn.functional.pad(e.token_mask, (0, pad), value=False))
        return TextEmbedding(
            torch.cat(tokens), torch.cat(masks), torch.cat([e.pooled for e in embeddings])
        )
