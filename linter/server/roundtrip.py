"""``sqlsafe trace --roundtrip``: does each down migration undo its up migration?

For every up migration with a down partner: snapshot the catalog, apply up, apply down,
snapshot again and report every difference (what down loses or leaves behind); then apply
up again so the next migration starts from the right state (a failing re-apply is a finding
too).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..inputs.config import Config
from ..inputs.layouts import pair_units
from ..inputs.source import Source, SourceError
from ..util.records import record
from .trace_db import (
    DEFAULT_TIMEOUT,
    TraceError,
    connect,
    error_text,
    keep_result,
    require_one_history,
)
from .trace_guard import Guard, guarded_database, guarded_run, system_path

Catalog = Mapping[str, Mapping[str, str]]  # section -> object key -> description

_USER = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'"

_QUERIES: dict[str, str] = {
    "tables": f"""
        SELECT n.nspname || '.' || c.relname, c.relkind::text || ' ' || c.relpersistence::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER}""",
    "columns": f"""
        SELECT n.nspname || '.' || c.relname || '.' || a.attname,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END
               || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND {_USER}""",
    "constraints": f"""
        SELECT n.nspname || '.' || c.relname || ' ' || con.conname,
               pg_get_constraintdef(con.oid)
               || CASE WHEN con.convalidated THEN '' ELSE ' (not validated)' END
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER}""",
    "indexes": f"""
        SELECT n.nspname || '.' || c.relname, pg_get_indexdef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('i', 'I') AND {_USER}""",
    "sequences": f"""
        SELECT n.nspname || '.' || c.relname,
               format_type(s.seqtypid, NULL) || ' increment ' || s.seqincrement
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER}""",
    "types": f"""
        SELECT n.nspname || '.' || t.typname,
               t.typtype::text || COALESCE(' ' || (SELECT string_agg(e.enumlabel, ','
                   ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'c') AND {_USER}
          AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid
                          AND c.relkind <> 'c')""",
    "views": f"""
        SELECT n.nspname || '.' || c.relname, pg_get_viewdef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {_USER}""",
}


def catalog(conn: Any) -> dict[str, dict[str, str]]:
    """Tables, columns, types, defaults, constraints, indexes, sequences, views."""
    return {
        section: {str(k): str(v) for k, v in conn.execute(query).fetchall()}
        for section, query in _QUERIES.items()
    }


def catalog_diff(before: Catalog, after: Catalog) -> list[str]:
    """Every difference, phrased from the point of view of the down migration."""
    out: list[str] = []
    for section in _QUERIES:
        old, new = before.get(section, {}), after.get(section, {})
        noun = section.rstrip("s") if section != "indexes" else "index"
        for key in sorted(set(old) | set(new)):
            if key not in new:
                out.append(f"{noun} {key} is lost: {old[key]}")
            elif key not in old:
                out.append(f"{noun} {key} is left behind: {new[key]}")
            elif old[key] != new[key]:
                out.append(f"{noun} {key} changed: {old[key]} -> {new[key]}")
    return out


@record
class Roundtrip:
    up: str
    down: str
    findings: tuple[str, ...]


@dataclass(slots=True)
class RoundtripResult:
    checked: list[Roundtrip] = field(default_factory=list)
    without_down: list[str] = field(default_factory=list)
    protection: str = ""
    skipped: list[str] = field(default_factory=list)  # "path:line: sql: reason", not run

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.checked)

    def document(self) -> dict[str, Any]:
        return {
            "protection": self.protection,
            "skipped": sorted(set(self.skipped), key=self.skipped.index),
            "migrations": [
                {"up": r.up, "down": r.down, "findings": list(r.findings)} for r in self.checked
            ],
            "without_down": list(self.without_down),
            "findings": self.findings,
        }


@record
class _Runner:
    """The migration's connection, the guard it runs under, and the server connection's
    own session for what the guard routes there; *skipped* collects what is not run."""

    conn: Any
    guard: Guard | None = None
    admin: Any = None
    skipped: list[str] = field(default_factory=list)


def _run(run: Any, source: Source) -> str | None:
    """Run a migration as one script; the error text or None."""
    from ..sql.parsing import parse

    runner = run if isinstance(run, _Runner) else _Runner(run)
    conn = runner.conn
    parsed = parse(source.text)
    try:
        for stmt in parsed.statements:
            if stmt.node is None:
                return f"does not parse: {stmt.error}"
            sql = parsed.text[stmt.start : stmt.end]
            decision = runner.guard.decide(stmt.node, conn) if runner.guard else None
            if decision is not None and decision.skip is not None:
                line, _ = parsed.lines.position(stmt.start)
                first = sql.splitlines()[0]
                runner.skipped.append(f"{source.path}:{line}: {first}: {decision.skip}")
                continue
            if decision is None:
                conn.execute(sql, prepare=False)
                continue
            with guarded_run(conn, runner.admin, runner.guard, decision):
                (runner.admin if decision.privileged else conn).execute(sql, prepare=False)
    except Exception as exc:
        line, _ = parsed.lines.position(stmt.start)
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        return f"line {line}: {error_text(exc)}"
    return None


def roundtrip_paths(
    paths: Sequence[str],
    config: Config,
    *,
    dsn: str | None = None,
    allow_server_programs: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Any:
    from ..api import gather
    from ..inputs.layouts import MigrationUnit

    # the files named and their history, as lint and trace read them (a file named alone
    # runs after the earlier files of its migrations directory, which are not checked)
    inputs = gather(paths, config)
    unread = [u for u in inputs.units if isinstance(u, SourceError)]
    if unread:  # (a FIFO, a directory without migrations...: never silently left out)
        raise TraceError("; ".join(f"{e.path}: {e.reason}" for e in unread))
    units = [u for u in inputs.units if isinstance(u, MigrationUnit)]
    if not units:
        raise TraceError("no migration files found")
    require_one_history(u.history for u in units)
    pairs = pair_units(units)
    checked = [
        any(u is not None and os.path.normpath(u.path) in inputs.report for u in pair)
        for pair in pairs
    ]
    pairs = pairs[: max((i + 1 for i, c in enumerate(checked) if c), default=0)]
    result = RoundtripResult()
    with (
        keep_result(result),
        guarded_database(dsn, allow_host=allow_server_programs, timeout=timeout) as db,
        connect(db.admin_dsn, timeout=timeout) as admin,
        connect(db.dsn, timeout=timeout) as conn,
    ):
        result.protection = db.protection
        system_path(admin)
        run = _Runner(conn, db.guard, admin, result.skipped)
        for (up, down), check in zip(pairs, checked, strict=False):
            up_source = up.source()
            if not check:  # history: applied, not checked
                error = _run(run, up_source)
                if error:
                    raise TraceError(f"{up.path}: history migration failed: {error}")
                continue
            if down is None:
                result.without_down.append(up.path)
                error = _run(run, up_source)
                if error:
                    raise TraceError(f"{up.path}: up migration failed: {error}")
                continue
            result.checked.append(roundtrip_one(run, up.path, up_source, down.path, down.source()))
    return result


def roundtrip_one(run: Any, up_name: str, up: Source, down_name: str, down: Source) -> Roundtrip:
    """Up, down, compare with before, up again (*run*: a connection or a guarded runner)."""
    conn = run.conn if isinstance(run, _Runner) else run
    before = catalog(conn)
    error = _run(run, up)
    if error:
        return Roundtrip(up_name, down_name, (f"up migration failed: {error}",))
    error = _run(run, down)
    if error:
        findings = [f"down migration failed: {error}"]
        _run(run, up)  # best effort: continue from the up state
        return Roundtrip(up_name, down_name, tuple(findings))
    findings = catalog_diff(before, catalog(conn))
    error = _run(run, up)
    if error:
        findings.append(f"up migration fails after down: {error}")
    return Roundtrip(up_name, down_name, tuple(findings))


def render_roundtrip(doc: dict[str, Any], out: TextIO) -> None:
    if doc.get("protection"):
        out.write(f"protection: {doc['protection']}\n")
    for item in doc.get("skipped", ()):
        out.write(f"skipped: {item}\n")
    for item in doc["migrations"]:
        status = "ok" if not item["findings"] else f"{len(item['findings'])} finding(s)"
        out.write(f"{item['up']} <-> {item['down']}: {status}\n")
        for finding in item["findings"]:
            out.write(f"    {finding}\n")
    for path in doc["without_down"]:
        out.write(f"{path}: no down migration (applied, not checked)\n")
    n = doc["findings"]
    out.write(
        "every down migration restores the catalog\n" if not n else f"{n} roundtrip finding(s)\n"
    )
