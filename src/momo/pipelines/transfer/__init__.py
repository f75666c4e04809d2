"""MoMo motion transfer: batch layout, mixing schedule, attention processors and the pipeline.

The public function is `momo.transfer` (`momo.pipelines.transfer.pipeline.transfer`).
"""

from __future__ import annotations

from momo.pipelines.transfer.layout import Row, TransferLayout
from momo.pipelines.transfer.mixed_attention import MixedAttentionProcessor, mixing_processors
from momo.pipelines.transfer.pipeline import transfer
from momo.pipelines.transfer.result import TransferResult
from momo.pipelines.transfer.schedule import TransferSchedule, parse_span

__all__ = [
    "MixedAttentionProcessor",
    "Row",
    "TransferLayout",
    "TransferResult",
    "TransferSchedule",
    "mixing_processors",
    "parse_span",
    "transfer",
]
