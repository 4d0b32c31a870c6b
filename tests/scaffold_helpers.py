"""Shared by test_scaffold.py and test_fix.py: lint generated files, run them for real."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from linter.analysis.engine import Finding, lint_sources
from linter.analysis.registry import load_rules
from linter.inputs.layouts import MigrationUnit, migration_units
from linter.inputs.source import Source
from linter.state.context import Settings
from linter.writers.scaffold_layouts import LAYOUT_TABLE, Layout, OutFile, is_sql, runner_batches

HISTORY = (
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);\n"
    "CREATE TABLE accounts (\n"
    "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "    name text NOT NULL,\n"
    "    user_id bigint\n"
    ");\n"
)
ROWS = (
    "INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 50) g;\n"
    "INSERT INTO accounts (name, user_id) SELECT 'a' || g, 1 + g % 50 "
    "FROM generate_series(1, 2500) g;\n"
)


def lint_files(
    files: Sequence[OutFile],
    layout: Layout,
    history: str = HISTORY,
    target: int = 15,
) -> list[Finding]:
    sources = [Source("<history>", history)]
    implicit: dict[str, bool] = {}
    for out in files:
        if not is_sql(out.path):
            continue
        sources.append(Source(out.path, out.text))
        implicit[out.path] = out.transactional and layout.wraps
    result = lint_sources(
        sources,
        load_rules(),
        Settings(target_version=target),
        report=[s.path for s in sources[1:]],
        implicit_tx=implicit,
    )
    return result.findings


def describe(findings: Sequence[Finding]) -> str:
    return "\n".join(f"{f.path}:{f.line} {f.rule}: {f.message}" for f in findings)


@contextlib.contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """A new database on the test server; dropped afterwards."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(dsn)
    path = "/" + name
    url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
    try:
        yield url
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


PG15_BIN = Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def pg15_server() -> Iterator[str | None]:
    """A throwaway PostgreSQL 15 from the system packages; None when they are absent."""
    if not (PG15_BIN / "initdb").is_file():
        yield None
        return
    run_as: list[str] = []
    parent = Path(tempfile.mkdtemp(prefix="sqlsafe-pg15-"))
    if os.geteuid() == 0:  # initdb refuses root: run the server as the packages' user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(parent, ignore_errors=True)
            yield None
            return
        os.chown(parent, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = parent / "data"
    ctl = [*run_as, str(PG15_BIN / "pg_ctl"), "-D", str(data), "-w"]
    options = f"-p {port} -k {parent} -c listen_addresses=127.0.0.1 -c fsync=off"
    try:
        initdb = [str(PG15_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run([*run_as, *initdb, "--no-sync"], check=True, capture_output=True)
        subprocess.run(
            [*ctl, "-l", str(parent / "log"), "-o", options, "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


def run_files(url: str, files: Sequence[OutFile], layout: Layout) -> None:
    """Run the files in order the way the layout's runner would."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for out in files:
            if not is_sql(out.path):
                continue
            wrapped, batches = runner_batches(layout, out.text, out.transactional)
            if wrapped:
                with conn.transaction():
                    for batch in batches:
                        conn.execute(batch.encode())
            else:
                for batch in batches:
                    conn.execute(batch.encode())


def apply_history(dsn: str, root: Path) -> dict[str, str | None]:
    """Run the history in *root* as its runner would, on a fresh database: file -> error
    or None (the next file goes on after an error, as the runner would report it)."""
    from linter.server.trace_db import connect, error_text, scratch_database

    out: dict[str, str | None] = {}
    with scratch_database(dsn, "fixcorpus_") as db, connect(db) as conn:
        for unit in migration_units([str(root)]):
            if not isinstance(unit, MigrationUnit) or unit.direction != "up":
                continue
            name = Path(unit.path).relative_to(root).as_posix()
            wrapped, batches = runner_batches(
                LAYOUT_TABLE[unit.layout], unit.text, bool(unit.in_transaction)
            )
            try:
                with conn.transaction() if wrapped else contextlib.nullcontext():
                    for batch in batches:
                        conn.execute(batch.encode())
            except Exception as exc:
                out[name] = error_text(exc)
            else:
                out[name] = None
    return out


def setup(url: str, sql: str = HISTORY + ROWS) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def query(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params) if params else conn.execute(sql.encode())
        return list(cursor.fetchall())


def columns(url: str, table: str) -> dict[str, tuple[str, bool]]:
    """Column name -> (printed type, NOT NULL) from the catalog."""
    rows = query(
        url,
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        table,
    )
    return {str(n): (str(t), bool(nn)) for n, t, nn in rows}
