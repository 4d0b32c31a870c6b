"""Cross-statement behaviour of the part A rules (timeouts, transactions, look-ahead)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.analysis.engine import Finding, lint_sources, lint_sql
from linter.analysis.registry import load_rules
from linter.inputs.config import ConfigError, load_config
from linter.inputs.source import Source
from linter.lockmodel.effects import statement_effects
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Schema
from linter.sql.parsing import parse
from linter.state.context import Settings, TxState
from linter.state.fold import advance_tx, apply_schema, preamble_tx

RULES = load_rules(plugins=False)


def fold(sql: str, implicit: bool = False, tx: TxState | None = None) -> TxState:
    state = tx or TxState(implicit=implicit)
    schema = Schema()
    for stmt in parse(sql).statements:
        assert stmt.node is not None, stmt.error
        effects = statement_effects(stmt.node, schema, 15)
        state = advance_tx(state, stmt.node, stmt.index, effects, schema)
        schema = apply_schema(schema, stmt.node)
    return state


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def lint(sql: str, rule: str, **settings: object) -> list[Finding]:
    return only(lint_sql(sql, RULES, Settings(**settings)), rule)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ timeout fold
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SET lock_timeout = '2s';", "2s"),
        ("SET lock_timeout TO 1000;", "1000"),
        ("SET lock_timeout = 0;", None),
        ("SET lock_timeout = '0ms';", None),
        ("SET lock_timeout = '2s'; RESET lock_timeout;", None),
        ("SET lock_timeout = '2s'; SET lock_timeout TO DEFAULT;", None),
        ("SET lock_timeout = '2s'; RESET ALL;", None),
        ("SET LOCAL lock_timeout = '2s';", None),  # outside a transaction: no effect
        ("BEGIN; SET LOCAL lock_timeout = '2s'; COMMIT;", None),
        ("BEGIN; SET LOCAL lock_timeout = '2s'; ROLLBACK;", None),
        ("BEGIN; SET lock_timeout = '2s'; COMMIT;", "2s"),  # session SET survives COMMIT
        ("BEGIN; SET lock_timeout = '2s'; ROLLBACK;", None),  # ...but not ROLLBACK
        ("SET lock_timeout = '3s'; BEGIN; SET LOCAL lock_timeout = '1s'; COMMIT;", "3s"),
        ("BEGIN; SET lock_timeout = '3s'; SET LOCAL lock_timeout = '1s'; COMMIT;", "3s"),
        ("SET lock_timeout = '3s'; BEGIN; SET lock_timeout = '5s'; ROLLBACK;", "3s"),
        ("BEGIN; SET LOCAL lock_timeout = '1s'; COMMIT AND CHAIN; COMMIT;", None),
        ("SELECT set_config('lock_timeout', '2s', false);", "2s"),
        ("BEGIN; SELECT set_config('lock_timeout', '2s', true); COMMIT;", None),
        ("SELECT set_config('lock_timeout', current_setting('x'), false);", "(expression)"),
    ],
)
def test_lock_timeout_fold_follows_postgresql(sql: str, expected: str | None) -> None:
    # the SET / SET LOCAL / COMMIT / ROLLBACK / AND CHAIN semantics were checked on PG 18
    assert fold(sql).lock_timeout == expected


def test_set_local_holds_until_the_end_of_the_transaction() -> None:
    assert fold("BEGIN; SET LOCAL lock_timeout = '2s';").lock_timeout == "2s"
    assert fold("SET LOCAL lock_timeout = '2s';", implicit=True).lock_timeout == "2s"


def test_statement_timeout_is_folded_the_same_way() -> None:
    tx = fold("BEGIN; SET LOCAL statement_timeout = '5s'; SET lock_timeout = '2s'; COMMIT;")
    assert tx.statement_timeout is None and tx.lock_timeout == "2s"


def test_locks_taken_without_timeouts_are_remembered_across_transactions() -> None:
    tx = fold("BEGIN; ALTER TABLE t ADD COLUMN c int; COMMIT;")
    assert tx.locked_without_lock_timeout is LockMode.ACCESS_EXCLUSIVE
    tx = fold("CREATE TABLE n (id int); ALTER TABLE n ADD COLUMN c int;")
    assert tx.locked_without_lock_timeout is None  # a table of the same file is not in use
    tx = fold("SET lock_timeout = '1s'; ALTER TABLE t ALTER COLUMN c TYPE bigint;")
    assert tx.locked_without_lock_timeout is None
    assert tx.locked_without_statement_timeout is LockMode.ACCESS_EXCLUSIVE
    # a catalog-only change is instant once it has its lock: no statement_timeout needed
    tx = fold("SET lock_timeout = '1s'; ALTER TABLE t ADD COLUMN c int;")
    assert tx.locked_without_statement_timeout is None


# ------------------------------------------------------------------------------ preamble
def test_preamble_folds_into_the_initial_state() -> None:
    tx = preamble_tx(
        ("SET lock_timeout = '2s'", "SET statement_timeout = '5s'"), False, Schema(), 15
    )
    assert tx.lock_timeout == "2s" and tx.statement_timeout == "5s" and not tx.in_transaction
    tx = preamble_tx(("SET LOCAL lock_timeout = '2s'",), True, Schema(), 15)
    assert tx.implicit and tx.lock_timeout == "2s"


def test_preamble_applies_to_every_file_of_a_history() -> None:
    settings = Settings(preamble=("SET lock_timeout = '2s'",), select=("require-lock-timeout",))
    sources = [
        Source("1.sql", "ALTER TABLE a ADD COLUMN c int;"),
        Source("2.sql", "RESET lock_timeout;\nALTER TABLE a ADD COLUMN d int;"),
        Source("3.sql", "ALTER TABLE a ADD COLUMN e int;"),
    ]
    found = lint_sources(sources, RULES, settings).findings
    assert [(f.path, f.line) for f in found] == [("2.sql", 2)]


def test_a_set_in_one_file_does_not_carry_to_the_next() -> None:
    settings = Settings(select=("require-lock-timeout",))
    sources = [
        Source("1.sql", "SET lock_timeout = '2s';\nALTER TABLE a ADD COLUMN c int;"),
        Source("2.sql", "ALTER TABLE a ADD COLUMN d int;"),
    ]
    found = lint_sources(sources, RULES, settings).findings
    assert [f.path for f in found] == ["2.sql"]


def test_preamble_config_key(tmp_path: Path) -> None:
    (tmp_path / ".sqlsafe.toml").write_text(
        "preamble = [\"SET lock_timeout = '2s'\", \"SET statement_timeout = '5s'\"]\n"
    )
    settings = load_config(start=tmp_path).settings
    assert settings.preamble == ("SET lock_timeout = '2s'", "SET statement_timeout = '5s'")
    assert not lint(
        "ALTER TABLE a ADD COLUMN c int;", "require-lock-timeout", preamble=settings.preamble
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("[1]", "list of strings"), ('["SET lock_timeout ="]', "not valid SQL")],
)
def test_bad_preamble_is_refused(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / ".sqlsafe.toml").write_text(f"preamble = {value}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(start=tmp_path)


# ----------------------------------------------------------------------- timeout rules
def test_require_lock_timeout_reports_once_per_file() -> None:
    sql = (
        "ALTER TABLE a ADD COLUMN c int;\nALTER TABLE b ADD COLUMN c int;\n"
        "CREATE INDEX b_c_idx ON b (c);"
    )
    found = lint(sql, "require-lock-timeout")
    assert [f.line for f in found] == [1]
    assert "public.a" in found[0].message and "AccessExclusiveLock" in found[0].message


def test_require_lock_timeout_skips_row_exclusive_before_reporting() -> None:
    sql = "UPDATE a SET c = 1;\nALTER TABLE a ADD COLUMN d int;"
    assert [f.line for f in lint(sql, "require-lock-timeout")] == [2]


def test_require_statement_timeout_exempts_weak_locks_then_reports() -> None:
    sql = (
        "CREATE INDEX CONCURRENTLY a_c_idx ON a (c);\n"
        "ALTER TABLE a VALIDATE CONSTRAINT a_c_check;\n"
        "ALTER TABLE a ADD COLUMN d int;\n"  # catalog-only: instant once locked
        "ALTER TABLE a ALTER COLUMN c SET NOT NULL;"
    )
    assert [f.line for f in lint(sql, "require-statement-timeout")] == [4]


def test_rollback_of_a_session_set_brings_the_finding_back() -> None:
    sql = "BEGIN;\nSET lock_timeout = '2s';\nROLLBACK;\nALTER TABLE a ADD COLUMN c int;"
    assert [f.line for f in lint(sql, "require-lock-timeout")] == [4]


# ------------------------------------------------------------------ transaction rules
def test_uncommitted_transaction_is_reported_at_the_last_statement() -> None:
    sql = "BEGIN;\nALTER TABLE a ADD COLUMN c int;\nALTER TABLE a ADD COLUMN d int;"
    found = lint(sql, "uncommitted-transaction")
    assert len(found) == 1 and found[0].line == 3 and "statement 1" in found[0].message


def test_transaction_nesting_with_a_runner_transaction() -> None:
    sql = "ALTER TABLE a ADD COLUMN c int;\nCOMMIT;\nALTER TABLE a ADD COLUMN d int;\nCOMMIT;"
    found = lint(sql, "transaction-nesting", assume_in_transaction=True)
    assert [f.line for f in found] == [2, 4]
    assert "runner's transaction" in found[0].message and "no transaction" in found[1].message


@pytest.mark.parametrize(
    ("sql", "line", "words"),
    [
        ("ALTER TABLE a ADD COLUMN c int;\nCOMMIT;", 2, "before the runner records"),
        ("BEGIN;\nALTER TABLE a ADD COLUMN c int;\nCOMMIT;", 3, "before the runner records"),
        ("ALTER TABLE a ADD COLUMN c int;\nROLLBACK;", 2, "undoes everything"),
        ("BEGIN;\nALTER TABLE a ADD COLUMN c int;\nROLLBACK;", 3, "undoes everything"),
        (
            "ALTER TABLE a ADD COLUMN c int;\nCOMMIT;\nBEGIN;\nALTER TABLE a ADD COLUMN d int;",
            2,
            "half applied",
        ),
    ],
)
def test_commit_or_rollback_ends_the_runner_transaction_early(
    sql: str, line: int, words: str
) -> None:
    # issue 12: squawk reports any COMMIT/ROLLBACK in a file the runner wraps; so do we,
    # once, at the COMMIT/ROLLBACK
    found = lint(sql, "transaction-nesting", assume_in_transaction=True)
    assert [f.line for f in found] == [line]
    assert words in found[0].message
    if sql.startswith("BEGIN"):
        assert not lint(sql, "transaction-nesting")  # the file's own transaction: fine


def test_rollback_in_a_multi_statement_query_is_reported() -> None:
    text = "CREATE TABLE a (id bigint);\nROLLBACK;\n"
    source = Source("m.sql", text, in_transaction=True, single_query=True)
    result = lint_sources([source], RULES, Settings(), report={"m.sql"})
    (found,) = only(result.findings, "transaction-nesting")
    assert found.line == 2 and "undoes everything" in found.message


def test_rollback_in_a_multi_statement_query_undoes_it_on_the_server(pg_db: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE rolled_back (); ROLLBACK;")
        found = conn.execute("SELECT to_regclass('rolled_back') IS NULL").fetchone()
        assert found == (True,)


def test_long_lock_hold_ends_at_commit_and_ignores_cheap_statements() -> None:
    sql = (
        "BEGIN;\nALTER TABLE a ADD COLUMN c int;\nCOMMENT ON COLUMN a.c IS 'x';\n"
        "ALTER TABLE a ADD COLUMN d int;\nUPDATE a SET c = 1;\nCOMMIT;\nUPDATE a SET d = 1;"
    )
    found = lint(sql, "long-lock-hold")
    assert [f.line for f in found] == [5]
    assert "AccessExclusiveLock" in found[0].message and "public.a" in found[0].message


def test_validate_in_same_transaction_forgets_at_commit() -> None:
    sql = (
        "BEGIN;\nALTER TABLE a ADD CONSTRAINT c CHECK (x > 0) NOT VALID;\nCOMMIT;\n"
        "BEGIN;\nALTER TABLE a VALIDATE CONSTRAINT c;\nCOMMIT;"
    )
    assert not lint(sql, "validate-in-same-transaction")


# --------------------------------------------------------------------------- look-ahead
def test_foreign_key_index_created_later_in_the_file_counts() -> None:
    history = ["CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, item_id bigint);"]
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT o_a FOREIGN KEY (account_id) REFERENCES a (id) "
        "NOT VALID;\n"
        "ALTER TABLE orders ADD CONSTRAINT o_i FOREIGN KEY (item_id) REFERENCES i (id) "
        "NOT VALID;\n"
        "CREATE INDEX CONCURRENTLY orders_item_idx ON orders (item_id, id);"
    )
    found = only(lint_sql(sql, RULES, Settings(), history=history), "foreign-key-without-index")
    assert [f.line for f in found] == [1] and "o_a" in found[0].message


def test_composite_foreign_key_matches_index_prefix_in_any_order() -> None:
    sql = (
        "CREATE TABLE t (a int, b int, c int, FOREIGN KEY (b, a) REFERENCES p (x, y));\n"
        "CREATE INDEX t_ab ON t (a, b, c);"
    )
    assert not lint(sql, "foreign-key-without-index")
    sql = "CREATE TABLE t (a int, b int, FOREIGN KEY (b) REFERENCES p (x));\nCREATE INDEX t_ab ON t (a, b);"
    assert len(lint(sql, "foreign-key-without-index")) == 1


def test_long_lock_hold_reports_once_per_transaction() -> None:
    sql = (
        "BEGIN;\nALTER TABLE a ADD COLUMN c int;\nUPDATE a SET c = 1;\nUPDATE a SET c = 2;\n"
        "COMMIT;\nBEGIN;\nCREATE INDEX a_c_idx ON a (c);\nDELETE FROM a;\nCOMMIT;"
    )
    assert [f.line for f in lint(sql, "long-lock-hold")] == [3, 8]


def test_rename_column_swap_is_not_reported() -> None:
    sql = (
        "ALTER TABLE a ADD COLUMN c_new text;\nALTER TABLE a DROP COLUMN c;\n"
        "ALTER TABLE a RENAME COLUMN c_new TO c;\nALTER TABLE a RENAME COLUMN d TO e;"
    )
    assert [f.line for f in lint(sql, "rename-column")] == [4]
