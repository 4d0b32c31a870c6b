"""``sqlsafe doctor``: read-only health checks of a live database, before and after migrating.

Each check is one catalog or statistics query. Severities: ``error`` and ``warning`` need
action (exit 1); ``note`` is advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

from ..util.records import record
from .trace_db import DEFAULT_TIMEOUT, bounded, connect

_USER = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'"

_INVALID_INDEXES = f"""
SELECT n.nspname || '.' || c.relname, n.nspname || '.' || t.relname,
       pg_relation_size(c.oid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND {_USER}
  AND NOT EXISTS (SELECT FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid)
ORDER BY 1
"""

_NOT_VALID = f"""
SELECT n.nspname || '.' || c.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT con.convalidated AND {_USER}
ORDER BY 1, 2
"""

_UNUSED = f"""
SELECT n.nspname || '.' || s.indexrelname, n.nspname || '.' || s.relname,
       pg_relation_size(s.indexrelid)
FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
JOIN pg_namespace n ON n.nspname = s.schemaname
WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid
  AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = s.indexrelid)
  AND {_USER}
ORDER BY 3 DESC, 1
"""

_DUPLICATES = f"""
SELECT n.nspname || '.' || t.relname,
       array_agg(n.nspname || '.' || c.relname ORDER BY c.relname),
       array_agg(pg_relation_size(c.oid) ORDER BY c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE {_USER}
GROUP BY n.nspname, t.relname, i.indrelid, i.indkey::text, i.indclass::text,
         i.indcollation::text, COALESCE(pg_get_expr(i.indexprs, i.indrelid), ''),
         COALESCE(pg_get_expr(i.indpred, i.indrelid), ''), c.relam
HAVING count(*) > 1
ORDER BY 1
"""

_FK_WITHOUT_INDEX = f"""
SELECT n.nspname || '.' || c.relname, con.conname,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
        FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
       con.confrelid::regclass::text
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND {_USER}
  AND NOT EXISTS (
    SELECT FROM pg_index i WHERE i.indrelid = con.conrelid AND i.indisvalid
      AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
      AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey)
ORDER BY 1, 2
"""

_NEVER_ANALYZED = """
SELECT schemaname || '.' || relname, n_mod_since_analyze, n_live_tup
FROM pg_stat_user_tables
WHERE last_analyze IS NULL AND last_autoanalyze IS NULL AND n_mod_since_analyze > 0
ORDER BY 1
"""

_LONG_TRANSACTIONS = """
SELECT pid, state, usename, EXTRACT(EPOCH FROM now() - xact_start)::float8,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 120)
FROM pg_stat_activity
WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND now() - xact_start >= make_interval(secs => %s)
ORDER BY xact_start
"""

_BLOCKERS = f"""
SELECT l.pid, a.state, EXTRACT(EPOCH FROM now() - a.xact_start)::float8,
       string_agg(DISTINCT n.nspname || '.' || c.relname || ' ' || l.mode, ', '),
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120)
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.relkind IN ('r', 'p', 'm', 'v', 'f') AND {_USER.replace("%", "%%")}
  AND now() - a.xact_start >= make_interval(secs => %s)
GROUP BY l.pid, a.state, a.xact_start, a.query
ORDER BY a.xact_start
"""


@record
class Problem:
    check: str
    severity: str  # error | warning | note
    object: str
    message: str
    size_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "object": self.object,
            "message": self.message,
            "size_bytes": self.size_bytes,
        }


@dataclass(slots=True)
class DoctorReport:
    problems: list[Problem] = field(default_factory=list)

    @property
    def needs_action(self) -> bool:
        return any(p.severity in ("error", "warning") for p in self.problems)

    def by_check(self, check: str) -> list[Problem]:
        return [p for p in self.problems if p.check == check]

    def document(self) -> dict[str, Any]:
        return {
            "problems": [p.as_dict() for p in self.problems],
            "needs_action": self.needs_action,
        }


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def diagnose(
    dsn: str,
    *,
    long_transaction: float = 300.0,
    blocker_age: float = 1.0,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> DoctorReport:
    """Run every check on the database of *dsn*, in a read-only session whose lock waits
    and statements give up after *timeout* seconds (a TraceError)."""
    report = DoctorReport()
    add = report.problems.append
    with (
        connect(dsn, timeout=timeout, limits=True) as conn,
        bounded(timeout, "reading the database"),
    ):
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        for index, table, size in conn.execute(_INVALID_INDEXES).fetchall():
            add(
                Problem(
                    "invalid-index",
                    "error",
                    index,
                    f"index {index} on {table} is INVALID (a failed CREATE INDEX "
                    f"CONCURRENTLY?): writes still maintain it, queries never use it; "
                    f"DROP INDEX CONCURRENTLY {index} and build it again",
                    size,
                )
            )
        for table, name, definition in conn.execute(_NOT_VALID).fetchall():
            add(
                Problem(
                    "not-valid-constraint",
                    "warning",
                    f"{table}.{name}",
                    f"constraint {name} on {table} is NOT VALID ({definition}): existing rows "
                    f"are unchecked; ALTER TABLE {table} VALIDATE CONSTRAINT {name}",
                )
            )
        for index, table, size in conn.execute(_UNUSED).fetchall():
            add(
                Problem(
                    "unused-index",
                    "note",
                    index,
                    f"index {index} on {table} ({human_size(size)}) has not been used since "
                    "the statistics were reset",
                    size,
                )
            )
        for table, names, sizes in conn.execute(_DUPLICATES).fetchall():
            keep, *extra = names
            wasted = sum(sizes[1:])
            add(
                Problem(
                    "duplicate-index",
                    "warning",
                    ", ".join(extra),
                    f"indexes {', '.join(names)} on {table} are identical "
                    f"({', '.join(human_size(s) for s in sizes)}): keep {keep}, drop "
                    f"{', '.join(extra)} ({human_size(wasted)} and write work saved)",
                    wasted,
                )
            )
        for table, name, columns, ref in conn.execute(_FK_WITHOUT_INDEX).fetchall():
            add(
                Problem(
                    "foreign-key-without-index",
                    "warning",
                    f"{table}.{name}",
                    f"foreign key {name} on {table} ({columns}) -> {ref} has no index on "
                    f"({columns}): every DELETE or key UPDATE on {ref} scans {table}; "
                    f"CREATE INDEX CONCURRENTLY ON {table} ({columns})",
                )
            )
        for table, changed, live in conn.execute(_NEVER_ANALYZED).fetchall():
            add(
                Problem(
                    "never-analyzed",
                    "warning",
                    table,
                    f"{table} was never analyzed since {changed} row change(s) "
                    f"(~{live} live rows): the planner guesses; run ANALYZE {table}",
                )
            )
        for pid, state, user, age, query in conn.execute(
            _LONG_TRANSACTIONS, (long_transaction,)
        ).fetchall():
            add(
                Problem(
                    "long-transaction",
                    "error",
                    f"pid {pid}",
                    f"pid {pid} ({user}, {state}) has had a transaction open for "
                    f"{age:.0f} s: it holds back VACUUM and its locks block migrations; "
                    f"last query: {query}",
                )
            )
        for pid, state, age, locks, query in conn.execute(_BLOCKERS, (blocker_age,)).fetchall():
            add(
                Problem(
                    "would-block-migration",
                    "warning",
                    f"pid {pid}",
                    f"pid {pid} ({state}, transaction open {age:.1f} s) holds {locks}: an "
                    "AccessExclusiveLock on these tables would wait for it, and every "
                    f"query queued behind; last query: {query}",
                )
            )
    return report


def render_text(doc: dict[str, Any], out: TextIO) -> None:
    for p in doc["problems"]:
        out.write(f"{p['severity']} {p['check']}: {p['message']}\n")
    if not doc["problems"]:
        out.write("no problems found\n")
    elif not doc["needs_action"]:
        out.write("nothing needs action (notes only)\n")
