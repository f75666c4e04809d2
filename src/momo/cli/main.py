"""Entry point of the `momo` command: one subcommand per module in this package.

Each subcommand module defines ``add_parser(subparsers)``, which registers its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from momo import __version__
from momo.errors import MomoError

# Subcommand modules under momo.cli, in the order `momo --help` lists them.
SUBCOMMANDS: tuple[str, ...] = (
    "transfer",
    "generate",
    "analyze",
    "convert",
    "render",
    "info",
    "data",
    "train",
    "evaluate",
    "serve",
    "view",
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``momo CMD: error: ...``."""

    def error(self, message: str) -> NoReturn:
        """Print the problem and where to find help on one line; exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser with every subcommand."""
    parser = _Parser(
        prog="momo",
        description="Zero-shot motion transfer with motion diffusion models (MoMo).",
    )
    parser.add_argument("--version", action="version", version=f"momo-motion {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"momo.cli.{name}").add_parser(subparsers)
    return parser


def _flush_denormals() -> None:
    """Treat denormal floats as zero for this CLI process.

    Inverting an unusual motion can drive activations to extremes whose softmax and GELU
    results underflow into denormals, which make CPU kernels several times slower (measured:
    a 165-frame inversion took 58 s instead of 18 s). Process-wide state, so it is set here at
    the edge, never in library code.
    """
    import torch

    torch.set_flush_denormal(True)


#: What to do about operating-system errors, by errno.
_OS_ADVICE: dict[int, str] = {
    errno.ENOSPC: "free some space and run again",
    errno.EDQUOT: "free some space and run again",
    errno.EROFS: "choose a writable output location",
    errno.EACCES: "choose a location you may read and write",
    errno.EPERM: "choose a location you may read and write",
    errno.ENAMETOOLONG: "use names of at most 255 bytes",
}


def describe_os_error(error: OSError) -> str:
    """One line for an OSError: the path, what failed, and what to do."""
    what = error.strerror or " ".join(str(error).split()) or type(error).__name__
    advice = _OS_ADVICE.get(error.errno or -1)
    message = f"{what}; {advice}" if advice else what
    if error.filename is None:
        return message
    name = os.fsdecode(error.filename)
    if len(name) > 120:
        name = name[:60] + "..." + name[-40:]
    return f"{name}: {message}"


def _interrupted(command: str | None, error: BaseException) -> int:
    detail = " ".join(str(error).split())
    where = f"momo {command}" if command else "momo"
    print(f"{where}: interrupted{': ' + detail if detail else ''}", file=sys.stderr)
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (2 for any error the user can fix, 130 on Ctrl-C).

    Every error a user can cause or meet (bad options, bad files, a full disk) ends in one line
    on stderr, never a traceback.
    """
    command = None
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:  # usage errors (one line, see _Parser), --help, --version
            return exit_.code if isinstance(exit_.code, int) else 2
        command = args.command
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        _flush_denormals()
        return int(args.func(args) or 0)
    except MomoError as error:
        return _error(command, " ".join(str(error).split()))
    except OSError as error:
        return _error(command, describe_os_error(error))
    except KeyboardInterrupt as error:
        return _interrupted(command, error)


def _error(command: str | None, message: str) -> int:
    where = f"momo {command}" if command else "momo"
    print(f"{where}: error: {message}", file=sys.stderr)
    return 2


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"terminated ({signal.Signals(signum).name})")


def entry() -> NoReturn:
    """The ``momo`` console script: `main`, then exit with its status.

    SIGTERM is handled like Ctrl-C, so outputs being written are cleaned up the same way
    (an output folder keeps its earlier contents, training keeps a consistent checkpoint). A
    Ctrl-C that arrives as the command finishes is reported like any other (one line, status
    130); one during interpreter shutdown is ignored, so the status stays the command's.
    """
    status = 130
    signal.signal(signal.SIGTERM, _terminated)
    try:
        status = main()
    except KeyboardInterrupt as error:  # between main's own handler and its return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        status = _interrupted(None, error)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    entry()
