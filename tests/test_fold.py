"""Transaction-state folding details that rule examples cannot show."""

from __future__ import annotations

import pytest

from linter.lockmodel.effects import statement_effects
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Schema
from linter.sql.parsing import parse
from linter.state.context import TxState
from linter.state.fold import advance_tx, lock_hold_extension

Extension = tuple[str, str, LockMode] | None


def fold(sql: str, tx: TxState) -> TxState:
    schema = Schema()
    for stmt in parse(sql).statements:
        assert stmt.node is not None
        tx = advance_tx(tx, stmt.node, stmt.index, statement_effects(stmt.node, schema, 15), schema)
    return tx


def test_session_set_survives_every_commit_of_a_single_query_file() -> None:
    # Prisma/golang-migrate send the file as one query: COMMIT starts a new implicit block,
    # and a session-level SET made before it still holds after a second COMMIT
    start = TxState(implicit=True, single_query=True)
    tx = fold("SET lock_timeout = '2s';\nBEGIN;\nCOMMIT;\nBEGIN;\nCOMMIT;", start)
    assert tx.lock_timeout == "2s"


def test_rollback_of_a_later_implicit_block_restores_its_start_values() -> None:
    start = TxState(implicit=True, single_query=True)
    tx = fold("SET lock_timeout = '2s';\nCOMMIT;\nSET lock_timeout = '9s';\nROLLBACK;", start)
    assert tx.lock_timeout == "2s"


def test_set_local_ends_with_the_transaction() -> None:
    tx = fold("BEGIN;\nSET LOCAL lock_timeout = '1s';\nCOMMIT;", TxState())
    assert tx.lock_timeout is None


def test_a_given_hold_extension_answer_is_used_instead_of_recomputed() -> None:
    # the engine passes Context.hold_extension, which the long-lock-hold rule already asked
    sql = "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\nUPDATE accounts SET plan = 'x';"
    schema = Schema()
    tx = asked = TxState()
    calls: list[int] = []
    for stmt in parse(sql).statements:
        assert stmt.node is not None
        effects = statement_effects(stmt.node, schema, 15)
        answer = lock_hold_extension(tx, stmt.node, effects, schema)

        def extension(index: int = stmt.index, answer: Extension = answer) -> Extension:
            calls.append(index)
            return answer

        asked = advance_tx(asked, stmt.node, stmt.index, effects, schema, extension=extension)
        tx = advance_tx(tx, stmt.node, stmt.index, effects, schema)
        assert asked == tx
    assert tx.hold_extended_at == 2
    assert calls == [1, 2]  # asked only inside the transaction, until the hold is extended


@pytest.mark.parametrize(
    ("sql", "utc"),
    [
        ("SET TIME ZONE 'UTC';", True),
        ("SET timezone TO utc;", True),
        ("SET timezone = 'Etc/UTC';", True),
        ("SET TIME ZONE 0;", True),
        ("SELECT set_config('timezone', 'GMT', false);", True),
        ("SET timezone = 'Europe/London';", False),  # offset 0 in winter only
        ("SET timezone = 'UTC'; RESET timezone;", False),
        ("SET timezone = 'UTC'; RESET ALL;", False),
        ("BEGIN; SET LOCAL timezone = 'UTC'; COMMIT;", False),
        ("BEGIN; SET timezone = 'UTC'; ROLLBACK;", False),
        ("BEGIN; SET timezone = 'UTC'; COMMIT;", True),
    ],
)
def test_the_session_time_zone_is_followed(sql: str, utc: bool) -> None:
    assert fold(sql, TxState()).utc is utc


def test_the_model_drops_a_columns_indexes_with_it_and_reads_named_not_null() -> None:
    from linter.state.fold import apply_schema

    schema = Schema()
    sql = (
        "CREATE TABLE t (a int, b int, c int);\n"
        "CREATE INDEX t_a_idx ON t (a);\nCREATE INDEX t_ab_idx ON t (b, a);\n"
        "CREATE INDEX t_c_idx ON t (c);\nALTER TABLE t DROP COLUMN a;\n"
        "ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c;"  # PostgreSQL 18
    )
    for stmt in parse(sql).statements:
        schema = apply_schema(schema, stmt.node)
    assert [ix.name for ix in schema.indexes_of("public.t")] == ["public.t_c_idx"]
    column = schema.column("public.t", "c")
    assert column is not None and column.not_null


def test_what_a_utc_timestamp_change_still_does() -> None:
    from linter.lockmodel.effects import utc_change_work
    from linter.state.fold import apply_schema

    schema = Schema()
    sql = (
        "CREATE TABLE ev (id bigint PRIMARY KEY, a timestamp, b timestamp,"
        " d timestamp CHECK (d > '2000-01-01'));\n"
        "CREATE INDEX ev_b_idx ON ev (b);\nCREATE INDEX ev_id_idx ON ev (id) INCLUDE (b);"
    )
    for stmt in parse(sql).statements:
        schema = apply_schema(schema, stmt.node)
    assert utc_change_work(schema, "public.ev", "a") == ("index `public.ev_id_idx`",)
    assert utc_change_work(schema, "public.ev", "b") == (
        "index `public.ev_b_idx`",
        "index `public.ev_id_idx`",  # INCLUDE columns are not in Index.columns: it may
    )
    assert utc_change_work(schema, "public.ev", "d") == (
        "index `public.ev_id_idx`",
        "constraint `ev_d_check`",
    )
    assert utc_change_work(schema, "public.unknown", "a") is None


def test_create_table_as_select_works_for_a_while() -> None:
    from linter.state.fold import slow_work

    for sql, slow in (
        ("CREATE TABLE copy AS SELECT * FROM accounts", True),
        ("CREATE MATERIALIZED VIEW m AS SELECT * FROM accounts", True),
        ("CREATE MATERIALIZED VIEW m AS SELECT * FROM accounts WITH NO DATA", False),
        ("CREATE TABLE one AS SELECT 1 AS x", False),
    ):
        (stmt,) = parse(sql).statements
        assert stmt.node is not None
        effects = statement_effects(stmt.node, Schema(), 15)
        assert (slow_work(stmt.node, effects, Schema()) is not None) is slow, sql
