"""Connections for ``trace``, ``doctor`` and ``stats``: the optional psycopg import, the
embedded server or a user's server, and a scratch database that is always dropped."""

from __future__ import annotations

import contextlib
import math
import secrets
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..util.interrupt import deferred_signals
from . import leftovers
from .pgserver import INSTALL_HINT, ServerCleanupError, ServerUnavailable, embedded_server
from .redact import describe, scrub

if TYPE_CHECKING:
    import psycopg


class TraceError(RuntimeError):
    """A problem the user can fix (privilege, connection, missing extra): exit 2."""


def require_one_history(histories: Iterable[str]) -> None:
    """Refuse sources from several migration histories: a trace runs one database."""
    names = sorted(set(histories))
    if len(names) > 1:
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        raise TraceError(
            f"the paths hold {len(names)} migration histories ({shown}): "
            "trace one migrations directory at a time"
        )


def require_psycopg() -> Any:
    """The ``psycopg`` module, or a TraceError with the install hint."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import psycopg
    except ImportError as exc:
        raise TraceError(INSTALL_HINT) from exc
    return psycopg


DEFAULT_TIMEOUT = 10.0  # seconds: connecting, and the waits of sqlsafe's own queries


class CleanupError(TraceError):
    """Cleanup after the work failed (a scratch database or role was not dropped, the
    embedded server did not stop): reported, and the exit code is not 0.

    ``result`` is what the work produced when the work itself finished."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


def connect(
    dsn: str,
    *,
    autocommit: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    limits: bool = False,
    application_name: str | None = None,
) -> psycopg.Connection[Any]:
    """A connection that gives up after *timeout* seconds when the server does not answer.

    With *limits*, the session's own lock waits and statements give up after *timeout*
    too (``lock_timeout``, ``statement_timeout``): for read-only and bookkeeping sessions,
    never for the user's migration.
    """
    module = require_psycopg()
    extra: dict[str, Any] = {}
    if timeout:
        extra["connect_timeout"] = max(1, math.ceil(timeout))
    if application_name:
        extra["application_name"] = application_name
    try:
        conn: psycopg.Connection[Any] = module.connect(dsn, autocommit=autocommit, **extra)
    except module.Error as exc:
        reason = _first_line(exc)
        if timeout and "timeout" in reason.lower():
            reason += f" (no answer within {timeout:g} s; --timeout SECONDS changes the limit)"
        raise TraceError(scrub(f"cannot connect to {describe(dsn)}: {reason}", dsn)) from exc
    if limits and timeout:
        with bounded(timeout):
            set_limits(conn, timeout)
    return conn


def set_limits(conn: Any, timeout: float, statements: bool = True) -> None:
    """Lock waits (and statements) of *conn*'s session give up after *timeout* seconds."""
    millis = max(1, round(timeout * 1000))
    conn.execute(f"SET lock_timeout = {millis}")
    if statements:
        conn.execute(f"SET statement_timeout = {millis}")


@contextlib.contextmanager
def bounded(timeout: float | None, what: str = "the server") -> Iterator[None]:
    """Database errors inside as TraceErrors; a lock or statement timeout says so."""
    psycopg = require_psycopg()
    try:
        yield
    except psycopg.errors.LockNotAvailable as exc:
        raise TraceError(
            f"{what}: gave up after {timeout:g} s waiting for a lock another session holds "
            f"({_first_line(exc)}); --timeout SECONDS changes the limit"
        ) from exc
    except psycopg.errors.QueryCanceled as exc:
        raise TraceError(
            f"{what}: gave up after {timeout:g} s: a query ran that long or waited that long "
            f"for a lock another session holds ({_first_line(exc)}); --timeout SECONDS "
            "changes the limit"
        ) from exc
    except psycopg.Error as exc:
        raise TraceError(f"{what}: {_first_line(exc)}") from exc


@contextlib.contextmanager
def server(dsn: str | None, timeout: float | None = DEFAULT_TIMEOUT) -> Iterator[str]:
    """*dsn* itself, or a throwaway embedded server when *dsn* is None."""
    if dsn:
        yield dsn
        return
    require_psycopg()
    try:
        with embedded_server() as uri:
            yield uri
    except ServerUnavailable as exc:
        raise TraceError(str(exc)) from exc
    except ServerCleanupError as exc:
        raise CleanupError(f"cleanup failed: {exc}") from exc


@contextlib.contextmanager
def scratch_database(
    dsn: str, prefix: str = "sqlsafe_trace_", timeout: float | None = DEFAULT_TIMEOUT
) -> Iterator[str]:
    """Create ``<prefix><random>`` on the server of *dsn*, yield its DSN, drop it after.

    A connection kept open for the whole time holds the name's advisory lock (see
    :mod:`linter.server.leftovers`), and the leftovers of runs that are gone are removed first.
    The drop uses a fresh session as the DSN's own role (nothing the work did to its
    sessions matters); when it fails, :class:`CleanupError`. Nothing else is touched.
    """
    psycopg = require_psycopg()
    from psycopg.conninfo import make_conninfo

    name = f"{prefix}{secrets.token_hex(6)}"
    with connect(dsn, timeout=timeout, application_name=name) as keeper:
        with bounded(timeout, "preparing the scratch database"):
            if timeout:  # lock waits only: creating a database may take a while on a slow disk
                set_limits(keeper, timeout, statements=False)
            leftovers.claim(keeper, name)
            leftovers.sweep(keeper)
        try:  # (a signal may arrive just after the server created it)
            try:
                keeper.execute(f'CREATE DATABASE "{name}"')
            except psycopg.errors.InsufficientPrivilege as exc:
                raise TraceError(
                    f"the role of --dsn may not create databases ({_first_line(exc)}): "
                    "sqlsafe traces in a temporary database of its own; grant CREATEDB "
                    "(ALTER ROLE ... CREATEDB) or use the embedded server (omit --dsn)"
                ) from exc
            except psycopg.Error as exc:
                raise TraceError(f"cannot create a scratch database: {_first_line(exc)}") from exc
            yield make_conninfo(dsn, dbname=name)
        finally:
            with deferred_signals():
                drop_scratch(dsn, name, timeout)


def drop_scratch(dsn: str, name: str, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Drop the scratch database *name* (and a role of that name) in a fresh session."""
    try:
        with connect(dsn, timeout=timeout) as admin:
            if timeout:
                set_limits(admin, timeout, statements=False)
            problems = leftovers.remove(admin, name)
    except Exception as exc:  # TraceError (cannot connect) or psycopg.Error
        problems = [f"the database {name} was not dropped: {_first_line(exc)}"]
    if problems:
        raise CleanupError(
            "cleanup failed: "
            + "; ".join(problems)
            + " (drop it by hand; a later sqlsafe run on this server removes it if it may)"
        )


@contextlib.contextmanager
def keep_result(result: Any) -> Iterator[None]:
    """A CleanupError raised after the work finished carries *result* (to show it anyway)."""
    try:
        yield
    except CleanupError as exc:
        if exc.result is None and not _work_failed(exc):
            exc.result = result
        raise


def _work_failed(exc: BaseException) -> bool:
    """Whether an exception other than a cleanup's was in flight when *exc* was raised."""
    seen: list[BaseException] = []
    current = exc.__context__
    while current is not None and current not in seen:
        if not isinstance(current, (CleanupError, ServerCleanupError)):
            return True
        seen.append(current)
        current = current.__context__
    return False


@contextlib.contextmanager
def work_database(
    dsn: str | None, prefix: str = "sqlsafe_trace_", timeout: float | None = DEFAULT_TIMEOUT
) -> Iterator[str]:
    """A database to work in: a throwaway embedded server's own (when *dsn* is None), or a
    scratch database created on the server of *dsn* and dropped after."""
    with server(dsn, timeout) as base:
        if not dsn:
            yield base
            return
        with scratch_database(base, prefix, timeout) as db:
            yield db


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def error_text(exc: BaseException) -> str:
    return _first_line(exc)
