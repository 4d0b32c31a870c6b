"""``sqlsafe doctor`` with each situation set up for real on the embedded server."""

from __future__ import annotations

import json

import pytest

from linter.cli import main
from linter.server.doctor import diagnose
from linter.server.trace_db import connect

psycopg = pytest.importorskip("psycopg")


def test_every_check_on_a_real_database(pg_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with connect(pg_db) as conn:
        conn.execute(
            "CREATE TABLE parent (id bigint PRIMARY KEY);"
            "CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id),"
            " email text, v integer);"
            "INSERT INTO parent SELECT g FROM generate_series(1, 50) g;"
            "INSERT INTO child SELECT g, 1 + g % 50, 'same', g FROM generate_series(1, 200) g;"
            "CREATE INDEX child_v_a ON child (v); CREATE INDEX child_v_b ON child (v);"
            "ALTER TABLE child ADD CONSTRAINT child_v_positive CHECK (v > 0) NOT VALID;"
            "SELECT pg_stat_force_next_flush();"
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY child_email_uq ON child (email)")
        conn.execute("SELECT pg_stat_force_next_flush()")
    holder = connect(pg_db)
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM parent")  # holds AccessShareLock on parent
        report = diagnose(pg_db, long_transaction=0, blocker_age=0)
        checks = {p.check: p for p in report.problems}
        assert checks["invalid-index"].object == "public.child_email_uq"
        assert checks["not-valid-constraint"].object == "public.child.child_v_positive"
        dup = checks["duplicate-index"]
        assert "child_v_a" in dup.message and dup.size_bytes and dup.size_bytes > 0
        assert checks["foreign-key-without-index"].object == "public.child.child_parent_id_fkey"
        assert {p.object for p in report.by_check("never-analyzed")} >= {"public.child"}
        assert any(p.check == "unused-index" for p in report.problems)
        pid = holder.info.backend_pid
        assert any(p.object == f"pid {pid}" for p in report.by_check("long-transaction"))
        blockers = report.by_check("would-block-migration")
        assert any(f"pid {pid}" == p.object and "public.parent" in p.message for p in blockers)
        assert report.needs_action
        code = main(["doctor", "--dsn", pg_db, "--format", "json", "--blocker-age", "0"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 1 and doc["needs_action"] is True
    finally:
        holder.close()


def test_clean_database_exits_zero(pg_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with connect(pg_db) as conn:
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY); ANALYZE t")
    assert main(["doctor", "--dsn", pg_db]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_unreachable_server_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--dsn", "host=/nonexistent dbname=x connect_timeout=1"])
    assert code == 2
    assert "cannot connect" in capsys.readouterr().err
