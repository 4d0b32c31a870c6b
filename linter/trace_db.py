"""Connections for ``trace``, ``doctor`` and ``stats``: the optional psycopg import, the
embedded server or a user's server, and a scratch database that is always dropped."""

from __future__ import annotations

import contextlib
import secrets
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .pgserver import INSTALL_HINT, ServerUnavailable, embedded_server

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


def connect(dsn: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    module = require_psycopg()
    try:
        conn: psycopg.Connection[Any] = module.connect(dsn, autocommit=autocommit)
    except module.Error as exc:
        raise TraceError(f"cannot connect to {_safe(dsn)}: {_first_line(exc)}") from exc
    return conn


@contextlib.contextmanager
def server(dsn: str | None) -> Iterator[str]:
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


@contextlib.contextmanager
def scratch_database(dsn: str, prefix: str = "sqlsafe_trace_") -> Iterator[str]:
    """Create ``<prefix><random>`` on the server of *dsn*, yield its DSN, drop it after.

    Nothing else on the server is touched.
    """
    psycopg = require_psycopg()
    from psycopg.conninfo import make_conninfo

    name = f"{prefix}{secrets.token_hex(6)}"
    with connect(dsn) as admin:
        try:
            admin.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.InsufficientPrivilege as exc:
            raise TraceError(
                f"the role of --dsn may not create databases ({_first_line(exc)}): sqlsafe "
                "traces in a temporary database of its own; grant CREATEDB "
                "(ALTER ROLE ... CREATEDB) or use the embedded server (omit --dsn)"
            ) from exc
        except psycopg.Error as exc:
            raise TraceError(f"cannot create a scratch database: {_first_line(exc)}") from exc
    try:
        yield make_conninfo(dsn, dbname=name)
    finally:
        with contextlib.suppress(Exception), connect(dsn) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def work_database(dsn: str | None, prefix: str = "sqlsafe_trace_") -> Iterator[str]:
    """A database to work in: a throwaway embedded server's own (when *dsn* is None), or a
    scratch database created on the server of *dsn* and dropped after."""
    with server(dsn) as base:
        if not dsn:
            yield base
            return
        with scratch_database(base, prefix) as db:
            yield db


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    with contextlib.suppress(Exception):
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
        parts.pop("password", None)
        return " ".join(f"{k}={v}" for k, v in parts.items())
    return "the server"


def error_text(exc: BaseException) -> str:
    return _first_line(exc)
