"""Size-aware severity: table sizes from a live database (``sqlsafe stats``), rewrite and scan
throughput measured on the embedded server (``--calibrate``), and :func:`grade`, which
turns a finding about a rewrite or scan into a note (tiny table) or an error (large table)
and says how big the table is and about how long the lock would be held."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from ..analysis.engine import Finding, LintResult
from ..rule import Rule, Severity
from ..util.records import record
from .trace_db import DEFAULT_TIMEOUT, bounded, connect, work_database

FORMAT = "sqlsafe-stats"
VERSION = 1
# Used when the file holds no calibration: deliberately modest guesses for a busy server.
DEFAULT_REWRITE_BPS = 50 * 1024 * 1024
DEFAULT_SCAN_BPS = 200 * 1024 * 1024
# Estimated lock time below which a rewrite/scan is a note, and from which it is an error.
NOTE_BELOW_SECONDS = 0.1
ERROR_FROM_SECONDS = 2.0

_TABLES = """
WITH parts AS (
  SELECT c.oid AS root, p.oid AS part, p.reltuples
  FROM pg_class c JOIN pg_class p ON p.oid = c.oid OR (c.relkind = 'p' AND p.oid IN (
    SELECT relid FROM pg_partition_tree(c.oid) WHERE isleaf))
  WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.oid = ANY(%(skip)s::oid[])
)
SELECT n.nspname || '.' || c.relname,
       COALESCE((SELECT sum(GREATEST(reltuples, 0)) FROM parts WHERE root = c.oid), 0)::bigint,
       COALESCE((SELECT bool_or(reltuples < 0) FROM parts WHERE root = c.oid), true),
       COALESCE(s.n_live_tup, 0),
       COALESCE((SELECT sum(pg_table_size(part)) FROM parts WHERE root = c.oid), 0),
       COALESCE((SELECT sum(pg_total_relation_size(part)) FROM parts WHERE root = c.oid), 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%%'
  AND NOT c.oid = ANY(%(skip)s::oid[])
ORDER BY 1
"""
# Tables another session holds (or waits for) an ACCESS EXCLUSIVE lock on, directly, on an
# index or on a partition (at any depth), with their ancestors: measuring them would wait
# for that lock. The third column: a table the stats list (not a partition).
_LOCKED = """
WITH RECURSIVE locked(oid) AS (
  SELECT COALESCE(i.indrelid, l.relation)
  FROM pg_locks l LEFT JOIN pg_index i ON i.indexrelid = l.relation
  WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
    AND l.pid IS DISTINCT FROM pg_backend_pid()
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION
  SELECT inh.inhparent FROM pg_inherits inh JOIN locked ON inh.inhrelid = locked.oid
)
SELECT c.oid, n.nspname || '.' || c.relname, NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
FROM locked JOIN pg_class c ON c.oid = locked.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
ORDER BY 2
"""


class StatsError(ValueError):
    """A stats file that cannot be read or is not a sqlsafe stats file."""


@record
class TableStats:
    rows: int
    bytes: int  # heap + TOAST (what a rewrite copies and a scan reads)
    total_bytes: int  # with indexes


@record
class Calibration:
    rewrite_bytes_per_second: float = DEFAULT_REWRITE_BPS
    scan_bytes_per_second: float = DEFAULT_SCAN_BPS
    measured: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rewrite_bytes_per_second": round(self.rewrite_bytes_per_second),
            "scan_bytes_per_second": round(self.scan_bytes_per_second),
            "measured": self.measured,
        }


@record
class Stats:
    tables: Mapping[str, TableStats] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    database: str = ""
    not_measured: tuple[str, ...] = ()  # locked by another session while reading

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "database": self.database,
            "tables": {
                name: {"rows": t.rows, "bytes": t.bytes, "total_bytes": t.total_bytes}
                for name, t in sorted(self.tables.items())
            },
            "calibration": self.calibration.as_dict(),
        }
        if self.not_measured:
            doc["not_measured"] = list(self.not_measured)
        return doc


def collect(dsn: str, timeout: float | None = DEFAULT_TIMEOUT) -> Stats:
    """Each table's row estimate and size, read-only.

    A table another session holds an ACCESS EXCLUSIVE lock on is not measured (it is
    listed in ``not_measured``) rather than waited for; any other wait gives up after
    *timeout* seconds (a TraceError).
    """
    tables: dict[str, TableStats] = {}
    with connect(dsn, timeout=timeout, limits=True) as conn, bounded(timeout, "reading sizes"):
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        row = conn.execute("SELECT current_database()").fetchone()
        database = str(row[0]) if row else ""
        locked = conn.execute(_LOCKED).fetchall()
        skip = [int(oid) for oid, _, _ in locked]  # partitions and their parents too
        for name, estimate, unknown, live, size, total in conn.execute(
            _TABLES, {"skip": skip}
        ).fetchall():
            rows = int(live) if unknown else int(estimate)
            tables[name] = TableStats(rows, int(size), int(total))
    unmeasured = tuple(str(name) for _, name, listed in locked if listed)
    return Stats(tables, Calibration(), database, unmeasured)


def calibrate(dsn: str | None = None, rows: int = 200_000, repeat: int = 2) -> Calibration:
    """Measure rewrite and scan throughput (bytes/s) on the embedded server (or *dsn*'s
    server, in a scratch database)."""
    with work_database(dsn, "sqlsafe_calibrate_") as db:
        with connect(db) as conn:
            conn.execute(
                "CREATE TABLE calibration (id bigint PRIMARY KEY, n integer NOT NULL, "
                "created_at timestamptz NOT NULL, payload text NOT NULL)"
            )
            conn.execute(
                "INSERT INTO calibration SELECT g, g %% 1000, now(), md5(g::text) || "
                "md5((g * 7)::text) FROM generate_series(1, %s) g",
                (int(rows),),
            )
            conn.execute("VACUUM ANALYZE calibration")
            rewrite = scan = float("inf")
            for i in range(repeat):
                size = _table_bytes(conn, total=True)
                new_type = "bigint" if i % 2 == 0 else "integer"
                took = _timed(conn, f"ALTER TABLE calibration ALTER n TYPE {new_type}")
                rewrite = min(rewrite, took)
                rewrite_bps = size / max(rewrite, 1e-6)
                size = _table_bytes(conn)
                scan = min(
                    scan,
                    _timed(conn, f"ALTER TABLE calibration ADD CONSTRAINT c{i} CHECK (n >= 0)"),
                )
                scan_bps = size / max(scan, 1e-6)
    return Calibration(rewrite_bps, scan_bps, True)


def _table_bytes(conn: Any, total: bool = False) -> int:
    function = "pg_total_relation_size" if total else "pg_table_size"
    return int(conn.execute(f"SELECT {function}('calibration')").fetchone()[0])


def _timed(conn: Any, sql: str) -> float:
    start = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - start


def load_stats(path: str | Path) -> Stats:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise StatsError(f"{path}: cannot read the stats file: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise StatsError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StatsError(f"{path}: not a sqlsafe stats file (run `sqlsafe stats --dsn URL`)")
    tables: dict[str, TableStats] = {}
    try:
        for name, entry in (data.get("tables") or {}).items():
            tables[str(name)] = TableStats(
                int(entry["rows"]), int(entry["bytes"]), int(entry.get("total_bytes", 0))
            )
        cal = data.get("calibration") or {}
        calibration = Calibration(
            float(cal.get("rewrite_bytes_per_second", DEFAULT_REWRITE_BPS)),
            float(cal.get("scan_bytes_per_second", DEFAULT_SCAN_BPS)),
            bool(cal.get("measured", False)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StatsError(f"{path}: malformed stats file: {exc!r}") from exc
    if calibration.rewrite_bytes_per_second <= 0 or calibration.scan_bytes_per_second <= 0:
        raise StatsError(f"{path}: calibration throughput must be positive")
    return Stats(tables, calibration, str(data.get("database", "")))


def human_bytes(size: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def human_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate(
    stats: Stats, rewrites: Sequence[str], scans: Sequence[str]
) -> tuple[float, list[str]] | None:
    """Seconds the statement's rewrites and scans take on the known tables, with phrases."""
    cal = stats.calibration
    total = 0.0
    phrases: list[str] = []
    for kind, tables, bps in (
        ("rewrite", rewrites, cal.rewrite_bytes_per_second),
        ("scan", scans, cal.scan_bytes_per_second),
    ):
        for table in tables:
            known = stats.tables.get(table)
            if known is None:
                continue
            # a rewrite also rebuilds the indexes; a scan reads the table only
            size = known.total_bytes if kind == "rewrite" and known.total_bytes else known.bytes
            seconds = size / bps
            total += seconds
            phrases.append(
                f"{kind} of {table} (~{known.rows:,} rows, {human_bytes(size)}): "
                f"about {human_seconds(seconds)}"
            )
    if not phrases:
        return None
    return total, phrases


def grade(result: LintResult, stats: Stats, rules: Sequence[Rule]) -> LintResult:
    """Re-grade findings of rewrite/scan rules by the size of the tables involved.

    *result* must come from an ``explain=True`` lint (it needs each statement's effects).
    """
    by_name = {r.name: r for r in rules}
    effects: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for st in result.statements:
        for f in st.findings:
            effects[id(f)] = (tuple(st.effects.rewrites), tuple(st.effects.scans))
    source = "calibrated" if stats.calibration.measured else "uncalibrated estimate"
    graded: list[Finding] = []
    for f in result.findings:
        rule = by_name.get(f.rule)
        found = effects.get(id(f))
        if rule is None or found is None or not (rule.rewrites or rule.scans):
            graded.append(f)
            continue
        rewrites, scans = found
        guess = estimate(stats, rewrites, tuple(t for t in scans if t not in rewrites))
        if guess is None:
            graded.append(f)
            continue
        seconds, phrases = guess
        if seconds < NOTE_BELOW_SECONDS:
            severity = Severity.NOTE
        elif seconds >= ERROR_FROM_SECONDS:
            severity = Severity.ERROR
        else:
            severity = Severity.WARNING
        message = (
            f"{f.message} [{'; '.join(phrases)}; the lock would be held about "
            f"{human_seconds(seconds)} ({source})]"
        )
        graded.append(replace(f, severity=severity, message=message))
    changed = {id(old): new for old, new in zip(result.findings, graded, strict=True)}
    statements = [
        replace(st, findings=tuple(changed.get(id(f), f) for f in st.findings))
        for st in result.statements
    ]
    return replace(result, findings=graded, statements=statements)
