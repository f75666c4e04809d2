"""Argument types of the `momo` subcommands: values are checked as they are parsed.

Each function takes the option's text and returns the value, or raises
``argparse.ArgumentTypeError`` with what is wrong; the parser turns that into one line on
stderr and exit status 2 before any work starts.
"""

from __future__ import annotations

import argparse
import math

from momo.errors import ConfigError
from momo.pipelines.seeds import MAX_SEED


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (counts of steps, frames, threads, ...)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer >= 0 (intervals where 0 switches something off)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def seed(text: str) -> int:
    """A random seed in 0..2**63-1."""
    value = _integer(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..2**63-1, got {value}")
    return value


def finite_float(text: str) -> float:
    """A finite number (no nan or inf)."""
    return _number(text)


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def device(text: str) -> str:
    """A torch device name ("cpu", "cuda", "cuda:1", "mps"); whether this machine has it is
    checked when the device is first used (`check_device_available`)."""
    import torch

    try:
        parsed = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a torch device; use cpu, cuda, cuda:N or mps"
        ) from None
    if parsed.type not in ("cpu", "cuda", "mps"):
        raise argparse.ArgumentTypeError(f"{text!r}: momo runs on cpu, cuda or mps")
    return text


def check_device_available(text: str) -> None:
    """Raise `ConfigError` when the device ``text`` (see `device`) is not on this machine."""
    import torch

    parsed = torch.device(text)
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(f"--device {text}: no CUDA device here; use --device cpu")
        if parsed.index is not None and parsed.index >= count:
            raise ConfigError(f"--device {text}: this machine has {count} CUDA device(s)")
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"--device {text}: MPS is not available here; use --device cpu")
