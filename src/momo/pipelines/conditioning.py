"""Prompts of a batch, encoded once, with the rows that run unconditionally."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from torch import Tensor

from momo.motion.batch import text_drop
from momo.text_embedding import TextEmbedding

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel


def encode_texts(
    model: MotionDiffusionModel, texts: Sequence[str | None]
) -> tuple[TextEmbedding, Tensor]:
    """Encode the prompts once (None or "" -> an unconditional row).

    Returns:
        (the embedding of B rows on the model's device and dtype, drop_text bool ``[B]``).
    """
    prompts = [t if t else "" for t in texts]
    return model.encode_text(prompts), text_drop(texts, model.device)
