"""Exception types for errors a user can cause.

Every message says what is wrong and what to do about it. The CLI prints the message on one
line and exits with status 2.
"""

from __future__ import annotations


class MomoError(Exception):
    """Base class of every user-facing error raised by momo."""


class MotionFormatError(MomoError, ValueError):
    """A motion file or array is malformed, of the wrong shape, non-finite or of an unknown skeleton."""


class ModelLoadError(MomoError):
    """A checkpoint, its config, its normalisation or its text encoder cannot be loaded."""


class TransferError(MomoError, ValueError):
    """A transfer, generation or inversion was asked for with arguments that cannot work."""


class OutputExistsError(MomoError, FileExistsError):
    """An output path exists and overwriting was not allowed."""


class EvaluationError(MomoError, ValueError):
    """An evaluator, a dataset folder or a benchmark was given input it cannot evaluate."""
