"""What ``trace``, ``doctor`` and ``stats`` share: ``--timeout``, signals that unwind, and
the exit code and messages when the work or its cleanup fails."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click

from ..server.trace_db import DEFAULT_TIMEOUT, CleanupError, TraceError
from ..util.interrupt import Interrupted, signals_unwind
from .options import echo_json

F = TypeVar("F", bound=Callable[..., Any])
EXIT_FAILED = 2


def timeout_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help=f"Give up when the server does not answer a connection within SECONDS{what}.",
    )


def emit(
    document: dict[str, Any], output_format: str, render: Callable[[dict[str, Any], TextIO], None]
) -> None:
    """*document* as JSON, or rendered as text, on standard output."""
    if output_format == "json":
        echo_json(document)
    else:
        render(document, sys.stdout)


def run_guarded(command: str, work: Callable[[], Any], show: Callable[[Any], int]) -> int:
    """``show(work())`` with SIGINT, SIGTERM and SIGHUP unwinding through every cleanup.

    Exit codes: *show*'s; 2 when the work or its cleanup failed (a result the work finished
    is still shown); 128 + the signal number when a signal ended it.
    """
    try:
        with signals_unwind():
            return show(work())
    except (TraceError, Interrupted) as exc:
        return _failed(command, exc, show)


def _failed(command: str, exc: BaseException, show: Callable[[Any], int]) -> int:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if isinstance(exc, CleanupError) and exc.result is not None:
        show(exc.result)
    signal = next((e for e in chain if isinstance(e, Interrupted)), None)
    cleanup_failed = any(isinstance(e, CleanupError) for e in chain)
    for error in reversed(chain):
        if isinstance(error, TraceError):
            click.echo(f"sqlsafe {command}: {error}", err=True)
    if signal is not None:
        done = "" if cleanup_failed else "; cleaned up"
        click.echo(f"sqlsafe {command}: interrupted by {signal.name}{done}", err=True)
        return signal.exit_code
    return EXIT_FAILED
