"""Observing one statement on a real server: locks, rewrites, scans, constraints, time.

In a transaction block the statement's locks stay held until commit, so ``pg_locks`` of our
own backend right after the statement shows them. A statement that cannot run in a
transaction block (``... CONCURRENTLY``, ``VACUUM``) runs in autocommit on one connection
while a second connection polls that backend's locks in a thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from ..lockmodel.locks import LockMode, strongest
from ..util.records import record
from .trace_db import error_text

# user relations: tables, partitioned tables, matviews, indexes, sequences, views
_RELATIONS = """
SELECT c.oid, n.nspname || '.' || c.relname, c.relkind, c.relfilenode,
       COALESCE(i.indrelid, 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I', 'S', 'v', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
"""

_CONSTRAINTS = """
SELECT con.oid, con.conname, n.nspname || '.' || c.relname, con.contype, con.convalidated
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
"""

_XACT_SCANS = """
SELECT s.relid, s.seq_scan, pg_stat_get_vacuum_count(s.relid),
       pg_stat_get_analyze_count(s.relid)
FROM pg_stat_xact_user_tables s
"""

_SCANS = """
SELECT relid, seq_scan, vacuum_count, analyze_count FROM pg_stat_user_tables
"""

_MY_LOCKS = """
SELECT relation, mode FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation IS NOT NULL
"""

_COMPARED_KINDS = frozenset({"r", "p", "m", "v", "f"})
_INDEX_AND_SEQUENCE_KINDS = frozenset({"i", "I", "S"})

_CONTYPES = {
    "c": "check",
    "f": "foreign key",
    "p": "primary key",
    "u": "unique",
    "x": "exclusion",
    "n": "not null",
    "t": "trigger",
}


@record
class Relation:
    name: str
    kind: str  # pg_class.relkind
    filenode: int
    table: int  # the indexed table's oid for an index, else 0


@record
class Snapshot:
    relations: Mapping[int, Relation]
    constraints: Mapping[int, tuple[str, str, str, bool]]  # oid -> (name, table, type, valid)
    scans: Mapping[int, tuple[int, int, int]]  # table oid -> (seq_scan, vacuums, analyzes)
    locks: frozenset[tuple[int, str]] = frozenset()  # (oid, mode) held by the backend


@record
class Observation:
    """What one statement really did."""

    locks: Mapping[str, str] = field(default_factory=dict)  # taken by this statement
    held: Mapping[str, str] = field(default_factory=dict)  # held after it (transaction)
    already_held: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rewrites: tuple[str, ...] = ()
    rewritten_indexes: tuple[str, ...] = ()
    scans: tuple[str, ...] = ()
    constraints: tuple[dict[str, Any], ...] = ()
    created: tuple[str, ...] = ()  # relations the statement created
    dropped: tuple[str, ...] = ()
    duration_ms: float = 0.0
    error: str | None = None
    in_transaction: bool = False
    # tables, views and matviews that existed before the statement (compared by name)
    compared_tables: tuple[str, ...] = ()
    # indexes and sequences that existed before it (compared for DDL only, see docs/trace.md)
    indexes_and_sequences: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "locks": dict(self.locks),
            "held_in_transaction": dict(self.held),
            "rewrites": list(self.rewrites),
            "rewritten_indexes": list(self.rewritten_indexes),
            "scans": list(self.scans),
            "constraints": [dict(c) for c in self.constraints],
            "created": list(self.created),
            "dropped": list(self.dropped),
        }


def snapshot(conn: Any, *, in_transaction: bool) -> Snapshot:
    relations = {
        oid: Relation(name, kind, filenode, table)
        for oid, name, kind, filenode, table in conn.execute(_RELATIONS).fetchall()
    }
    constraints = {
        oid: (name, table, _CONTYPES.get(contype, contype), bool(valid))
        for oid, name, table, contype, valid in conn.execute(_CONSTRAINTS).fetchall()
    }
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(_XACT_SCANS if in_transaction else _SCANS).fetchall()
    scans = {oid: (seq or 0, vac or 0, an or 0) for oid, seq, vac, an in rows}
    locks: frozenset[tuple[int, str]] = frozenset()
    if in_transaction:
        locks = frozenset((int(r), str(m)) for r, m in conn.execute(_MY_LOCKS).fetchall())
    return Snapshot(relations, constraints, scans, locks)


def flush_stats(conn: Any) -> None:
    """Make this backend's pending statistics visible (PostgreSQL 15+)."""
    conn.execute("SELECT pg_stat_force_next_flush()")


def _strongest_by_name(pairs: set[tuple[int, str]], names: Mapping[int, str]) -> dict[str, str]:
    out: dict[str, LockMode] = {}
    for oid, mode in pairs:
        name = names.get(oid)
        if name is None:
            continue
        try:
            lock = LockMode(mode)
        except ValueError:
            continue
        found = strongest(out.get(name), lock)
        assert found is not None
        out[name] = found
    return {k: out[k].value for k in sorted(out)}


def compare_snapshots(
    before: Snapshot,
    after: Snapshot,
    locks_seen: set[tuple[int, str]],
    *,
    duration_ms: float,
    error: str | None,
    in_transaction: bool,
) -> Observation:
    names = {oid: r.name for oid, r in after.relations.items()}
    names.update({oid: r.name for oid, r in before.relations.items()})  # renamed: old name
    new_pairs = locks_seen - before.locks if in_transaction else set(locks_seen)
    already: dict[str, list[str]] = {}
    for oid, mode in before.locks:
        if oid in names:
            already.setdefault(names[oid], []).append(mode)
    rewrites: list[str] = []
    rewritten_indexes: list[str] = []
    for oid, old in before.relations.items():
        new = after.relations.get(oid)
        if new is None or old.filenode == 0 or new.filenode == old.filenode:
            continue
        if old.kind in ("r", "m"):
            rewrites.append(old.name)
        elif old.kind == "i":
            rewritten_indexes.append(old.name)
    scans = []
    for oid, counts in after.scans.items():
        old_counts = before.scans.get(oid, (0, 0, 0))
        if oid in after.relations and any(n > o for n, o in zip(counts, old_counts, strict=True)):
            scans.append(after.relations[oid].name)
    constraints = []
    # a constraint gone under one OID and back under another with the same name, table and
    # type was re-created, not added: ALTER COLUMN TYPE rebuilds the column's NOT NULL
    # (PostgreSQL 18), CHECK and key constraints
    gone = {
        (name, table, contype): con
        for oid, con in before.constraints.items()
        if oid not in after.constraints
        for name, table, contype, _valid in (con,)
    }
    for oid, (name, table, contype, valid) in after.constraints.items():
        previous = before.constraints.get(oid) or gone.get((name, table, contype))
        if previous is None or previous[3] != valid:
            constraints.append(
                {
                    "name": name,
                    "table": table,
                    "type": contype,
                    "validated": valid,
                    "change": "added" if previous is None else "validated",
                }
            )
    return Observation(
        locks=_strongest_by_name(new_pairs, names),
        held=_strongest_by_name(set(locks_seen), names) if in_transaction else {},
        already_held={k: tuple(v) for k, v in sorted(already.items())},
        rewrites=tuple(sorted(rewrites)),
        rewritten_indexes=tuple(sorted(rewritten_indexes)),
        scans=tuple(sorted(scans)),
        constraints=tuple(sorted(constraints, key=lambda c: (c["table"], c["name"]))),
        created=tuple(
            sorted(r.name for oid, r in after.relations.items() if oid not in before.relations)
        ),
        dropped=tuple(
            sorted(r.name for oid, r in before.relations.items() if oid not in after.relations)
        ),
        duration_ms=duration_ms,
        error=error,
        in_transaction=in_transaction,
        compared_tables=tuple(
            sorted(r.name for r in before.relations.values() if r.kind in _COMPARED_KINDS)
        ),
        indexes_and_sequences=tuple(
            sorted(r.name for r in before.relations.values() if r.kind in _INDEX_AND_SEQUENCE_KINDS)
        ),
    )


def run_in_transaction(conn: Any, sql: str) -> Observation:
    """Run *sql* inside the open transaction block of *conn* and observe it.

    On error the transaction is left aborted (the caller rolls back).
    """
    before = snapshot(conn, in_transaction=True)
    start = time.perf_counter()
    error = None
    try:
        conn.execute(sql, prepare=False)
    except Exception as exc:
        error = error_text(exc)
    duration = (time.perf_counter() - start) * 1000
    if error is not None:
        return Observation(duration_ms=duration, error=error, in_transaction=True)
    after = snapshot(conn, in_transaction=True)
    return compare_snapshots(
        before, after, set(after.locks), duration_ms=duration, error=None, in_transaction=True
    )


_USER_TABLES = """
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
"""

_PID_ALL_LOCKS = """
SELECT COALESCE(relation, 0), mode, granted, locktype = 'relation' FROM pg_locks
WHERE pid = %s
"""


_MODES = frozenset(m.value for m in LockMode)


def _quoted(name: str) -> str:
    schema, _, rel = name.partition(".")
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, rel))


def escalation_mode(mode: LockMode) -> LockMode | None:
    """The lock mode compatible with *mode* that conflicts with most stronger modes."""
    best: LockMode | None = None
    best_score = 0
    for candidate in LockMode:
        if candidate.conflicts_with(mode):
            continue
        score = sum(
            1 for m in LockMode if m.strength > mode.strength and candidate.conflicts_with(m)
        )
        if score > best_score:
            best, best_score = candidate, score
    return best


def _escalate(
    dsn: str, table: str, mode: LockMode, taken: threading.Event, release: threading.Event
) -> None:
    """Queue a lock of *mode* on *table* (granted once the first hold is released), keep it
    until *release* is set."""
    from .trace_db import connect

    try:
        with connect(dsn) as conn:
            conn.execute("BEGIN")
            conn.execute(f"LOCK TABLE {table} IN {mode.sql_name} MODE")
            taken.set()
            release.wait(5.0)
            conn.execute("ROLLBACK")
    except Exception:
        taken.set()


def run_autocommit(
    conn: Any, watcher: Any, sql: str, *, hold: bool = True, hold_seconds: float = 0.5
) -> Observation:
    """Run *sql* outside a transaction block while *watcher* records its backend's locks.

    To catch even a sub-millisecond lock, the watcher first holds every user table in
    ACCESS EXCLUSIVE mode: the statement's first table lock request then waits, visibly,
    in ``pg_locks``. Before releasing, a third connection queues the strongest lock
    compatible with that request on the same table, so the statement's next, stronger
    request on it (VACUUM: AccessShareLock, then ShareUpdateExclusiveLock) waits visibly
    too. Everything is released after *hold_seconds* at most; polling goes on until the
    statement ends.
    """
    flush_stats(conn)
    before = snapshot(conn, in_transaction=False)
    pid = conn.info.backend_pid
    seen: set[tuple[int, str]] = set()
    done = threading.Event()
    tables = [row[0] for row in watcher.execute(_USER_TABLES).fetchall()] if hold else []
    holding = False
    released = [0.0]
    if tables:
        watcher.execute("BEGIN")
        try:
            # a bounded wait, not NOWAIT: autovacuum, busy with the rows just generated,
            # holds its lock briefly (and gives way to a waiting lock request)
            watcher.execute("SET LOCAL lock_timeout = '1s'")
            watcher.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            holding = True
        except Exception:
            watcher.execute("ROLLBACK")
    dsn = conn.info.dsn
    second_release = threading.Event()
    helpers: list[threading.Thread] = []

    def poll() -> None:
        nonlocal holding
        deadline = time.perf_counter() + hold_seconds
        escalated = False
        waiting_on: tuple[int, str] | None = None
        while not done.is_set():
            try:
                rows = watcher.execute(_PID_ALL_LOCKS, (pid,)).fetchall()
            except Exception:
                return
            seen.update((int(r), str(m)) for r, m, _, is_rel in rows if is_rel and r)
            waits = [(int(r), str(m)) for r, m, granted, _ in rows if not granted]
            now = time.perf_counter()
            if holding and (waits or now > deadline):
                if waits and not escalated:
                    escalated = True
                    waiting_on = waits[0]
                    rel = before.relations.get(waiting_on[0])
                    mode = LockMode(waiting_on[1]) if waiting_on[1] in _MODES else None
                    strong = escalation_mode(mode) if mode is not None else None
                    if rel is not None and rel.kind in ("r", "p") and strong is not None:
                        taken = threading.Event()
                        helper = threading.Thread(
                            target=_escalate,
                            args=(dsn, _quoted(rel.name), strong, taken, second_release),
                            daemon=True,
                        )
                        helper.start()
                        helpers.append(helper)
                        time.sleep(0.01)  # let the helper's request queue behind ours
                watcher.execute("ROLLBACK")
                holding = False
                released[0] = time.perf_counter()
            elif not holding and helpers and not second_release.is_set():
                if any(w != waiting_on for w in waits) or now > deadline:
                    second_release.set()
                    released[0] = time.perf_counter()
        second_release.set()
        if holding:
            watcher.execute("ROLLBACK")
            holding = False

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    start = time.perf_counter()
    error = None
    try:
        conn.execute(sql, prepare=False)
    except Exception as exc:
        error = error_text(exc)
    end = time.perf_counter()
    done.set()
    thread.join()
    for helper in helpers:
        helper.join()
    duration = (end - max(start, released[0])) * 1000  # without the watcher's hold
    flush_stats(conn)
    after = snapshot(conn, in_transaction=False)
    return compare_snapshots(
        before, after, seen, duration_ms=duration, error=error, in_transaction=False
    )
