"""``sqlsafe trace``: run migrations on a real PostgreSQL and report what really happened.

The history (files before the traced ones, the ``history`` config) is applied and
committed, every empty table gets generated rows, then each traced file runs as its runner
would run it (inside one transaction or not), statement by statement, each observed by
:mod:`linter.server.trace_observe`. ``compare`` puts the static prediction of ``explain`` beside
the observation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..analysis.engine import StatementReport, lint_sources
from ..analysis.registry import load_rules
from ..inputs.config import Config
from ..inputs.source import Source, SourceError
from ..lockmodel.locks import LockMode
from ..output.explain import statement_dict
from ..rule import Rule
from ..sql import pgast
from ..sql.parsing import parse
from ..util.records import record
from .trace_db import (
    DEFAULT_TIMEOUT,
    TraceError,
    connect,
    error_text,
    keep_result,
    require_one_history,
    require_psycopg,
)
from .trace_guard import Decision, Guard, guarded_database, guarded_run, system_path
from .trace_observe import Observation, run_autocommit, run_in_transaction
from .trace_rows import FillReport, fill_tables

DEFAULT_ROWS = 2000


@record
class TracedStatement:
    report: StatementReport
    observation: Observation | None  # None: not run (skipped, or an earlier one failed)
    kind: str
    skipped: str | None = None  # not run by the guard, for this reason (not an error)
    note: str | None = None  # run, with a remark of the guard

    def as_dict(self, compare: bool = False) -> dict[str, Any]:
        out = statement_dict(self.report)
        predicted = {k: out[k] for k in ("locks", "rewrites", "scans")}
        obs = self.observation
        out["observed"] = obs is not None
        out["skipped"] = self.skipped
        out["note"] = self.note
        out["duration_ms"] = round(obs.duration_ms, 3) if obs else None
        if obs is not None:
            out["error"] = obs.error
        else:
            out["error"] = None if self.skipped else "not run: an earlier statement failed"
        if obs is not None:
            data = obs.as_dict()
            truncated = self.kind == "TruncateStmt"
            out["locks"] = data["locks"]
            out["blocks"] = {rel: LockMode(mode).blocks for rel, mode in data["locks"].items()}
            out["held_in_transaction"] = data["held_in_transaction"]
            out["rewrites"] = [] if truncated else data["rewrites"]
            out["truncated"] = data["rewrites"] if truncated else []
            out["rewritten_indexes"] = data["rewritten_indexes"]
            out["scans"] = [] if truncated else data["scans"]
            out["constraints"] = data["constraints"]
            out["created"] = data["created"]
            out["dropped"] = data["dropped"]
            out["in_transaction"] = obs.in_transaction
        if compare:
            out["predicted"] = predicted
            out["differences"] = self.differences()
        return out

    def differences(self, every_index: bool = False) -> list[str]:
        """Every disagreement between the static model and the server (see docs/trace.md).

        With *every_index*, the locks on every index and sequence that existed are compared too
        (not only on those explain names), except for the statements in ``PLANNED_KINDS``."""
        obs = self.observation
        if obs is None or obs.error is not None:
            return []
        effects = self.report.effects
        out: list[str] = []
        created = set(obs.created)
        table_names = _existing_comparable(obs, self.kind if every_index else None)
        predicted = {rel: mode.value for rel, mode in effects.locks.items()}
        for rel in sorted(set(predicted) | (set(obs.locks) & table_names)):
            if rel in created:
                continue
            want = predicted.get(rel)
            got = obs.locks.get(rel)
            if want is not None and want in obs.already_held.get(rel, ()):
                if got is None or LockMode(got).strength < LockMode(want).strength:
                    got = want  # held since an earlier statement: no new pg_locks row
            if want is not None and got is None and rel in effects.conditional:
                continue  # claimed only if the object dropped exists: it did not
            if want != got:
                out.append(f"lock on {rel}: predicted {want or 'none'}, observed {got or 'none'}")
        truncated = self.kind == "TruncateStmt"
        # an index the model says is copied (ALTER INDEX ... SET TABLESPACE) counts too
        indexes = set(obs.rewritten_indexes) & set(effects.rewrites)
        rewrites = set() if truncated else set(obs.rewrites) | indexes
        for rel in sorted(set(effects.rewrites) ^ rewrites):
            if rel in created:
                continue
            if rel in rewrites:
                out.append(f"rewrite of {rel}: not predicted, observed")
            else:
                out.append(f"rewrite of {rel}: predicted, not observed")
        scans = set() if truncated else set(obs.scans) - rewrites
        predicted_scans = set(effects.scans) - rewrites
        for rel in sorted(predicted_scans ^ scans):
            if rel in created:
                continue
            if rel in scans:
                out.append(f"scan of {rel}: not predicted, observed")
            else:
                out.append(f"scan of {rel}: predicted, not observed")
        return out


# Statements whose locks on indexes follow the plan (every index an INSERT, UPDATE, DELETE,
# MERGE or COPY maintains or a scan reads takes RowExclusiveLock / AccessShareLock, which
# depends on the planner, not on the statement): their index and sequence locks are not
# compared. Every other statement's are, index by index and sequence by sequence.
PLANNED_KINDS = frozenset(
    {"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt", "SelectStmt"}
)


def _existing_comparable(obs: Observation, kind: str | None) -> set[str]:
    if kind is None or kind in PLANNED_KINDS:
        return set(obs.compared_tables)
    return set(obs.compared_tables) | set(obs.indexes_and_sequences)


@dataclass(slots=True)
class TraceResult:
    statements: list[TracedStatement] = field(default_factory=list)
    fills: list[FillReport] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    protection: str = ""
    skipped_history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(
            (s.observation is None and s.skipped is None)
            or (s.observation is not None and s.observation.error)
            for s in self.statements
        )

    def differences(self) -> int:
        return sum(len(s.differences()) for s in self.statements)

    def document(self, compare: bool = False) -> dict[str, Any]:
        rows = [{"table": t, "rows": n} for fill in self.fills for t, n in fill.filled]
        skipped = [{"table": t, "reason": r} for fill in self.fills for t, r in fill.skipped]
        doc: dict[str, Any] = {
            "protection": self.protection,
            "statements": [s.as_dict(compare) for s in self.statements],
            "history": list(self.history),
            "skipped_in_history": list(self.skipped_history),
            "generated_rows": rows,
            "skipped_tables": skipped,
            "errors": [{"path": e.path, "message": e.reason} for e in self.errors],
        }
        if compare:
            doc["differences"] = self.differences()
        return doc


def _sources(
    paths: Sequence[str], config: Config
) -> tuple[list[Source], set[str], list[SourceError]]:
    """The traced files and their history, as ``lint`` reads them (:func:`api.gather`): a
    file named alone runs after the earlier files of its migrations directory."""
    from ..api import gather, read_inputs

    inputs = gather(paths, config)
    sources: list[Source] = []
    errors: list[SourceError] = []
    for item in read_inputs(inputs):
        if isinstance(item, SourceError):
            errors.append(item)
        else:
            sources.append(item)
    report = set(inputs.report)
    # the migrations after the last traced one do not run before it
    last = max((i for i, s in enumerate(sources) if s.path in report), default=-1)
    return sources[: last + 1], report, errors


def _implicit_tx(source: Source, config: Config) -> bool:
    value = getattr(source, "in_transaction", None)
    return config.settings.assume_in_transaction if value is None else bool(value)


def _applies(source: Source) -> bool:
    return bool(getattr(source, "apply", True))


def apply_history(
    conn: Any, source: Source, guard: Guard | None = None, admin: Any = None
) -> list[dict[str, Any]]:
    """Run one history file statement by statement in autocommit; raise TraceError.

    With a *guard*, what it refuses is not run: the list of those statements (path, line,
    sql, reason)."""
    parsed = parse(source.text)
    skipped: list[dict[str, Any]] = []
    for stmt in parsed.statements:
        line, _ = parsed.lines.position(stmt.start)
        if stmt.node is None:
            raise TraceError(f"{source.path}:{line}: history file does not parse: {stmt.error}")
        sql = parsed.text[stmt.start : stmt.end]
        decision = guard.decide(stmt.node, conn) if guard is not None else Decision()
        if decision.skip is not None:
            skipped.append({"path": source.path, "line": line, "sql": sql, "reason": decision.skip})
            continue
        try:
            with guarded_run(conn, admin, guard, decision):
                (admin if decision.privileged else conn).execute(sql, prepare=False)
        except Exception as exc:
            line, _ = parsed.lines.position(stmt.start)
            raise TraceError(
                f"{source.path}:{line}: history statement failed: {error_text(exc)}"
            ) from exc
    with contextlib.suppress(Exception):
        conn.execute("COMMIT")  # a history file that left a transaction open
    return skipped


def _is_idle(conn: Any) -> bool:
    from psycopg.pq import TransactionStatus

    return bool(conn.info.transaction_status == TransactionStatus.IDLE)


def trace_file(
    conn: Any,
    watcher: Any,
    source: Source,
    reports: Sequence[StatementReport],
    in_transaction: bool,
    commit: bool = True,
    guard: Guard | None = None,
    admin: Any = None,
) -> Iterator[TracedStatement]:
    """Run one file as its runner would and observe each statement.

    With *commit* False, a transaction still open at the end is rolled back. With a
    *guard*, what it refuses is reported as skipped and not run; what it routes to the
    server connection's own role runs on *admin* (outside any transaction of the file).
    """
    parsed = parse(source.text)
    failed = False
    if in_transaction:
        conn.execute("BEGIN")
    # (one report per statement, those sqlsafe could not read included: the server runs
    # them too, and says how they fail)
    for stmt, report in zip(parsed.statements, reports, strict=True):
        kind = pgast.kind(stmt.node) if stmt.node is not None else ""
        if failed:
            yield TracedStatement(report, None, kind)
            continue
        sql = parsed.text[stmt.start : stmt.end]
        decision = guard.decide(stmt.node, conn) if guard is not None else Decision()
        if decision.skip is not None:
            yield TracedStatement(report, None, kind, skipped=decision.skip)
            continue
        with guarded_run(conn, admin, guard, decision):
            obs = _observe(conn, watcher, admin, sql, kind, report, decision)
        if obs.error is not None:
            failed = True
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
        yield TracedStatement(report, obs, kind, note=decision.note)
    if not _is_idle(conn):
        conn.execute("COMMIT" if commit else "ROLLBACK")


def _observe(
    conn: Any,
    watcher: Any,
    admin: Any,
    sql: str,
    kind: str,
    report: StatementReport,
    decision: Decision,
) -> Observation:
    if decision.privileged:
        return _as_autocommit(run_autocommit(admin, watcher, sql, hold=False))
    if not _is_idle(conn):
        return run_in_transaction(conn, sql)
    if kind == "TransactionStmt" or not report.effects.transactional:
        hold = bool(report.effects.locks) and kind != "TransactionStmt"
        return run_autocommit(conn, watcher, sql, hold=hold)
    conn.execute("BEGIN")  # a statement alone is its own transaction: same locks
    obs = run_in_transaction(conn, sql)
    if obs.error is None:
        conn.execute("COMMIT")
    return _as_autocommit(obs)


def _as_autocommit(obs: Observation) -> Observation:
    from dataclasses import replace

    return replace(obs, held={}, in_transaction=False)


TRACE_TIMEZONE = "America/New_York"  # a zone with daylight saving: never UTC-equivalent


def trace_sources(
    sources: Sequence[Source],
    report: set[str],
    config: Config,
    *,
    dsn: str | None = None,
    rows: int = DEFAULT_ROWS,
    rules: Sequence[Rule] | None = None,
    allow_server_programs: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> TraceResult:
    """Trace the *report* files of *sources* (the others are history) on a real server."""
    rules = tuple(rules) if rules is not None else load_rules()
    sources = [s for s in sources if _applies(s)]  # down migrations are not traced
    implicit = {s.path: _implicit_tx(s, config) for s in sources}
    linted = lint_sources(
        sources, rules, config.settings, report=report, implicit_tx=implicit, explain=True
    )
    by_path: dict[str, list[StatementReport]] = {}
    for st in linted.statements:
        by_path.setdefault(st.path, []).append(st)
    result = TraceResult()
    psycopg = require_psycopg()
    try:
        with keep_result(result):
            _trace_in(
                result,
                sources,
                report,
                by_path,
                implicit,
                rows,
                dsn,
                allow_server_programs,
                timeout,
            )
    except psycopg.Error as exc:  # not the statement's error: sqlsafe's own queries failed
        raise TraceError(
            f"observing the migration failed: {error_text(exc)} (a function or operator the "
            "migration defined may have taken the place of PostgreSQL's own)"
        ) from exc
    return result


def _trace_in(
    result: TraceResult,
    sources: Sequence[Source],
    report: set[str],
    by_path: dict[str, list[StatementReport]],
    implicit: dict[str, bool],
    rows: int,
    dsn: str | None,
    allow_server_programs: bool,
    timeout: float | None,
) -> None:
    with guarded_database(dsn, allow_host=allow_server_programs, timeout=timeout) as db:
        result.protection = db.protection
        guard = db.guard
        # the watcher only reads pg_locks and locks tables: as the server connection's role
        with (
            connect(db.admin_dsn, timeout=timeout) as admin,
            connect(db.dsn, timeout=timeout) as conn,
            connect(db.admin_dsn, timeout=timeout) as watcher,
        ):
            system_path(admin)
            system_path(watcher)
            # the lock model assumes a server TimeZone other than UTC unless a file sets it
            # (see effects.utc_coercible); the embedded server's default is UTC
            conn.execute(f"SET TimeZone = '{TRACE_TIMEZONE}'")
            for source in sources:
                if source.path not in report:
                    result.skipped_history.extend(apply_history(conn, source, guard, admin))
                    result.history.append(source.path)
                    continue
                result.fills.append(fill_tables(conn, rows))
                result.statements.extend(
                    trace_file(
                        conn,
                        watcher,
                        source,
                        by_path.get(source.path, []),
                        implicit[source.path],
                        guard=guard,
                        admin=admin,
                    )
                )


def trace_paths(
    paths: Sequence[str],
    config: Config,
    *,
    dsn: str | None = None,
    rows: int = DEFAULT_ROWS,
    allow_server_programs: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> TraceResult:
    sources, report, errors = _sources(paths, config)
    if errors:
        raise TraceError("; ".join(f"{e.path}: {e.reason}" for e in errors))
    if not report:
        raise TraceError("no migration files found")
    require_one_history(s.history for s in sources)
    return trace_sources(
        sources,
        report,
        config,
        dsn=dsn,
        rows=rows,
        allow_server_programs=allow_server_programs,
        timeout=timeout,
    )


# ------------------------------------------------------------------------------ text
def render_text(doc: dict[str, Any], out: TextIO, compare: bool = False) -> None:
    if doc.get("protection"):
        out.write(f"protection: {doc['protection']}\n")
    if doc["history"]:
        out.write(f"history applied: {', '.join(doc['history'])}\n")
    for row in doc.get("skipped_in_history", ()):
        first = row["sql"].splitlines()[0] if row["sql"] else ""
        out.write(f"skipped in history: {row['path']}:{row['line']}: {first}\n")
        out.write(f"    {row['reason']}\n")
    for row in doc["generated_rows"]:
        out.write(f"generated {row['rows']} rows in {row['table']}\n")
    for row in doc["skipped_tables"]:
        out.write(f"no rows generated for {row['table']}: {row['reason']}\n")
    if doc.get("protection") or doc["history"] or doc["generated_rows"] or doc["skipped_tables"]:
        out.write("\n")
    for st in doc["statements"]:
        first = st["sql"].splitlines()[0] if st["sql"] else ""
        more = " ..." if "\n" in st["sql"] else ""
        out.write(f"{st['path']}:{st['line']}: {first}{more}\n")
        if st.get("skipped"):
            out.write(f"    skipped: {st['skipped']}\n\n")
            continue
        if not st["observed"]:
            out.write(f"    {st['error']}\n\n")
            continue
        if st.get("note"):
            out.write(f"    note: {st['note']}\n")
        out.write(f"    in transaction: {'yes' if st['in_transaction'] else 'no'}\n")
        locks = "; ".join(f"{rel} {mode}" for rel, mode in st["locks"].items())
        out.write(f"    locks taken: {locks or 'none'}\n")
        earlier = {
            rel: mode
            for rel, mode in st["held_in_transaction"].items()
            if st["locks"].get(rel) != mode
        }
        if earlier:
            held = "; ".join(f"{rel} {mode}" for rel, mode in earlier.items())
            out.write(f"    also held in the transaction: {held}\n")
        for key, label in (
            ("rewrites", "rewritten"),
            ("rewritten_indexes", "indexes rebuilt"),
            ("scans", "scanned"),
            ("truncated", "truncated"),
            ("created", "created"),
            ("dropped", "dropped"),
        ):
            if st.get(key):
                out.write(f"    {label}: {', '.join(st[key])}\n")
        for con in st.get("constraints", ()):
            state = "validated" if con["validated"] else "NOT VALID"
            out.write(
                f"    constraint {con['change']}: {con['name']} on {con['table']} "
                f"({con['type']}, {state})\n"
            )
        line = f"    duration: {st['duration_ms']:.1f} ms"
        if st["error"]:
            line += f"; error: {st['error']}"
        out.write(line + "\n")
        if compare:
            for diff in st.get("differences", ()):
                out.write(f"    DIFFERENCE {diff}\n")
        out.write("\n")
    if compare:
        n = doc.get("differences", 0)
        out.write(
            "the static model matches the server\n"
            if not n
            else f"{n} difference(s) between the static model and the server\n"
        )
