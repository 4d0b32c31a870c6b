"""Runners that send a migration file as ONE multi-statement query (Prisma, golang-migrate).

PostgreSQL runs such a query in an implicit transaction block: an explicit BEGIN in it only
makes the block explicit, a COMMIT ends it, and the statements after the COMMIT run in a new
implicit block (not outside any transaction). ``transaction-nesting`` must not treat that
like a BEGIN inside a runner's own BEGIN ... COMMIT.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.analysis.engine import lint_sources
from linter.analysis.registry import load_rules
from linter.inputs.config import Config
from linter.inputs.source import Source
from linter.state.context import Settings

RULES = load_rules(plugins=False)

PRISMA_ENUM = (
    "BEGIN;\n"
    "CREATE TYPE plan_new AS ENUM ('free', 'pro');\n"
    "ALTER TABLE accounts ALTER COLUMN plan TYPE plan_new USING plan::text::plan_new;\n"
    "COMMIT;\n"
    "DROP TYPE plan_old;\n"
)


def _nesting(source: Source) -> list[str]:
    result = lint_sources([source], RULES, Settings(), report={source.path})
    return [f.message for f in result.findings if f.rule == "transaction-nesting"]


def test_runner_transaction_begin_is_nesting() -> None:
    # the runner itself opened a transaction with BEGIN: the file's BEGIN is ignored
    assert _nesting(Source("m.sql", PRISMA_ENUM, in_transaction=True))


def test_single_query_begin_commit_is_fine() -> None:
    assert not _nesting(Source("m.sql", PRISMA_ENUM, in_transaction=True, single_query=True))


def test_single_query_bare_commit_is_fine() -> None:
    text = "CREATE TABLE a (id bigint);\nCOMMIT;\nCREATE TABLE b (id bigint);\n"
    assert not _nesting(Source("m.sql", text, in_transaction=True, single_query=True))


def test_single_query_savepoint_without_begin_fails() -> None:
    text = "CREATE TABLE a (id bigint);\nSAVEPOINT s;\nCREATE TABLE b (id bigint);\n"
    (message,) = _nesting(Source("m.sql", text, in_transaction=True, single_query=True))
    assert "multi-statement query" in message
    text = "CREATE TABLE a (id bigint);\nBEGIN;\nSAVEPOINT s;\nRELEASE SAVEPOINT s;\nCOMMIT;\n"
    assert not _nesting(Source("m.sql", text, in_transaction=True, single_query=True))


def test_after_commit_still_in_a_transaction_block() -> None:
    # CREATE INDEX CONCURRENTLY fails anywhere in a multi-statement query, after a COMMIT too
    text = "BEGIN;\nCREATE TABLE a (id bigint);\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON t (id);\n"
    result = lint_sources(
        [Source("m.sql", text, in_transaction=True, single_query=True)],
        RULES,
        Settings(),
        report={"m.sql"},
    )
    assert "concurrently-in-transaction" in {f.rule for f in result.findings}


def test_prisma_layout_sends_one_query(tmp_path: Path) -> None:
    from linter.api import lint_paths

    folder = tmp_path / "prisma" / "migrations" / "20240101000000_plan_enum"
    folder.mkdir(parents=True)
    (folder / "migration.sql").write_text(PRISMA_ENUM)
    (tmp_path / "prisma" / "migrations" / "migration_lock.toml").write_text(
        'provider = "postgresql"\n'
    )
    result = lint_paths([str(tmp_path / "prisma" / "migrations")], Config())
    assert not [f for f in result.findings if f.rule == "transaction-nesting"]


def test_server_runs_a_multi_statement_query_so(pg_db: str) -> None:
    """The facts above, on the embedded server."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE a (); BEGIN; CREATE TABLE b (); COMMIT;")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("CREATE TABLE c (); COMMIT; CREATE INDEX CONCURRENTLY i ON a ((1));")
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("CREATE TABLE d (); COMMIT; CREATE TABLE e (); SELECT 1 / 0;")
        with pytest.raises(psycopg.Error, match="SAVEPOINT"):
            conn.execute("CREATE TABLE f (); SAVEPOINT s;")
        found = conn.execute(
            "SELECT array_agg(relname::text ORDER BY relname) FROM pg_class "
            "WHERE relname IN ('a', 'b', 'c', 'd', 'e', 'f')"
        ).fetchone()
        # c and d were committed by their COMMIT before the failure; e went with the new
        # implicit block the failure rolled back; f with the block SAVEPOINT failed in
        assert found is not None and found[0] == ["a", "b", "c", "d"]
