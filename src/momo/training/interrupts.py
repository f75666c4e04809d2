"""Ctrl-C during training: finish the step, then stop with a consistent checkpoint.

An interrupt that lands inside an optimiser step would leave the weights, the optimiser and
the random-number states at different steps; a checkpoint of that state resumes into another
run. Within `deferred_interrupts` the first SIGINT only raises a flag that the loop checks
between steps; a second one raises `KeyboardInterrupt` at once (the caller then keeps its
last consistent checkpoint instead of writing one).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Callable[[], bool]]:
    """Yield a function that says whether a Ctrl-C arrived; the SIGINT handler is restored after.

    Signal handlers belong to the main thread: elsewhere nothing is deferred and the function
    always answers False.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        logger.info("interrupt: finishing the step first (Ctrl-C again to stop at once)")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
