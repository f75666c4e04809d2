"""Seeds of the pipelines: checked once, a fresh one drawn when none is given."""

from __future__ import annotations

import operator
import secrets
from typing import Any

from momo.errors import TransferError

#: Seeds are what ``torch.Generator.manual_seed`` takes without wrapping: 0 .. 2**63 - 1.
MAX_SEED = 2**63 - 1


def resolve_seed(seed: Any) -> int:
    """The seed to use: ``seed`` itself when it is an integer (Python or NumPy) in 0..2**63-1,
    a fresh random one when it is None.

    Raises:
        TransferError: a seed that is not an integer (bools and floats included) or out of range.
    """
    if seed is None:
        return secrets.randbits(63)
    try:
        if isinstance(seed, bool):
            raise TypeError
        value = operator.index(seed)
    except TypeError:
        raise TransferError(f"seed must be an integer in 0..2**63-1, got {seed!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise TransferError(f"seed must be within 0..2**63-1, got {value}")
    return value
