"""Scratch databases (and their login roles) of runs that are gone.

Every run that creates a scratch database ``sqlsafe_trace_<hex>`` (or
``sqlsafe_calibrate_<hex>``) first takes a session-level advisory lock derived from the
name, on a connection it keeps open (idle) until the database is dropped. When the run ends
in any way, even ``kill -9``, its server session ends and the lock goes with it. A scratch
database or role whose lock nobody holds therefore belongs to a run that is provably gone,
and the next run removes it; one whose lock is held (another CI job on the same server) is
never touched. The lock is visible in ``pg_locks`` whatever database the owner is connected
to. Names with other prefixes (the tests' ``t_``) are never swept.
"""

from __future__ import annotations

import re
from typing import Any

SWEPT_PATTERN = "^sqlsafe_(trace|calibrate)_[0-9a-f]{12}$"
_HEX = re.compile(r"_([0-9a-f]{12})$")
LOCK_TAG = 0x5351  # "SQ": the high bits of every sqlsafe advisory lock key


def lock_key(name: str) -> int | None:
    """The advisory lock key of a scratch name (None for a name without the random part)."""
    match = _HEX.search(name)
    return (LOCK_TAG << 48) | int(match.group(1), 16) if match else None


def claim(conn: Any, name: str) -> None:
    """Mark *name* as in use for as long as *conn* stays open."""
    key = lock_key(name)
    if key is not None:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))


def owner_alive(conn: Any, name: str) -> bool:
    """Whether a session (on any database of the server) holds or awaits *name*'s lock."""
    key = lock_key(name)
    if key is None:
        return True
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 "
        "AND classid::bigint = %s AND objid::bigint = %s)",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone()
    return bool(row and row[0])


def remove(conn: Any, name: str) -> list[str]:
    """Drop the database *name*, then the role *name*; the reason of each step that failed."""
    problems: list[str] = []
    steps = (
        ("database", "SELECT FROM pg_database WHERE datname = %s", "DROP DATABASE {} WITH (FORCE)"),
        ("role", "SELECT FROM pg_roles WHERE rolname = %s", "DROP ROLE {}"),
    )
    for what, exists, drop in steps:
        try:
            if conn.execute(exists, (name,)).fetchone() is not None:
                conn.execute(drop.format(_quoted(name)))
        except Exception as exc:  # psycopg.Error; reported, the next step still runs
            text = str(exc).strip().splitlines()
            problems.append(f"the {what} {name} was not dropped: {text[0] if text else exc!r}")
    return problems


def sweep(conn: Any) -> list[str]:
    """Remove the scratch databases and roles of runs that are gone; the names removed.

    Best effort: what cannot be removed (another role's, say) is left alone silently.
    """
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname ~ %s "
        "UNION SELECT rolname FROM pg_roles WHERE rolname ~ %s",
        (SWEPT_PATTERN, SWEPT_PATTERN),
    ).fetchall()
    removed: list[str] = []
    for (name,) in sorted(rows):
        try:
            alive = owner_alive(conn, str(name))
        except Exception:  # psycopg.Error (a timeout, say): leave it for a later run
            continue
        if not alive and not remove(conn, str(name)):
            removed.append(str(name))
    return removed


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
