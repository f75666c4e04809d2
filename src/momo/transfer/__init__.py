"""MoMo motion transfer: batch layout, mixing schedule, mixed attention and the pipeline.

``momo.transfer`` is both this package and the public function `momo.transfer.pipeline.transfer`
(API.md). Importing any submodule binds the package to the attribute ``momo.transfer``, so the
package itself is callable and forwards to the function: ``momo.transfer(model, leader,
followers, ...)`` works however the name was reached.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from momo.transfer.layout import Row, TransferLayout
from momo.transfer.mixed_attention import MixedAttentionProcessor, mixing_processors
from momo.transfer.pipeline import transfer
from momo.transfer.result import TransferResult
from momo.transfer.schedule import TransferSchedule, parse_span

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


class _CallablePackage(types.ModuleType):
    """The package, callable as `momo.transfer.pipeline.transfer`."""

    def __call__(self, *args: Any, **kwargs: Any) -> TransferResult:
        return transfer(*args, **kwargs)


_package = sys.modules[__name__]
_package.__class__ = _CallablePackage
__signature__ = inspect.signature(transfer)
