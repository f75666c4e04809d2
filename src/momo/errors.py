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


class MissingFileError(MomoError, FileNotFoundError):
    """An input file or directory (motion, checkpoint, config, statistics) does not exist.

    Also a ``FileNotFoundError``, so code that catches the built-in type keeps working.
    """


class ConfigError(MomoError, ValueError):
    """A configuration value (a command-line option, a config file field) is invalid."""


class OutputWriteError(MomoError, OSError):
    """An output could not be written (read-only file system, full disk, no permission)."""


class EvaluationError(MomoError, ValueError):
    """An evaluator, a dataset folder or a benchmark was given input it cannot evaluate."""
