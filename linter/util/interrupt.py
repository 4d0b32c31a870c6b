"""Signals as exceptions: SIGTERM (``timeout``, CI cancellation), SIGHUP and SIGINT unwind
the main thread like Ctrl-C does, so that every ``finally`` (scratch database, embedded
server) runs; cleanup itself runs with the signals held back until it is done."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A signal arrived: unwind. (A KeyboardInterrupt, so psycopg cancels the running
    query on the server before it re-raises.)"""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal."""
        return 128 + self.signum


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


Handler = Callable[[int, FrameType | None], None]


@contextlib.contextmanager
def _handling(handler: Handler) -> Iterator[None]:
    """*handler* for SIGINT, SIGTERM and SIGHUP while inside (main thread only)."""
    if not _main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread.

    Only the first signal raises; later ones arrive while the code unwinds (and cleans up)
    and are ignored, so a second Ctrl-C or a repeated SIGTERM cannot cut a cleanup short.
    """
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    with _handling(handler):
        yield


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back while cleaning up; deliver the first one after
    (to whichever handler was installed before)."""
    held: list[int] = []
    try:
        with _handling(lambda signum, frame: held.append(signum)):
            yield
    finally:
        if held:
            signal.raise_signal(held[0])
