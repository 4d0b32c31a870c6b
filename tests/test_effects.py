"""The lock model (``linter/lockmodel/effects.py``): facts checked against PostgreSQL's behaviour."""

from __future__ import annotations

import pytest

from linter.lockmodel.effects import (
    LOCKING_STATEMENTS,
    add_column_kind_rewrites,
    add_column_rewrites,
    statement_effects,
)
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Schema
from linter.sql.parsing import parse
from linter.sql.pgast import unwrap


def _effects(sql: str, target: int = 15):  # type: ignore[no-untyped-def]
    node = parse(sql).statements[0].node
    return statement_effects(node, Schema(), target)


def _coldef(sql: str):  # type: ignore[no-untyped-def]
    node = parse(sql).statements[0].node
    assert node is not None
    cmd = unwrap(node["AlterTableStmt"]["cmds"][0], "AlterTableCmd")
    return unwrap(cmd["def"], "ColumnDef")


def test_add_foreign_key_takes_share_row_exclusive_on_both_tables() -> None:
    # verified on PostgreSQL 18: pg_locks shows ShareRowExclusiveLock on both tables
    fx = _effects(
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id)"
    )
    assert fx.locks["public.orders"] is LockMode.SHARE_ROW_EXCLUSIVE
    assert fx.locks["public.accounts"] is LockMode.SHARE_ROW_EXCLUSIVE
    assert set(fx.scans) == {"public.orders", "public.accounts"}


def test_foreign_key_with_another_subcommand_keeps_the_stronger_lock() -> None:
    fx = _effects(
        "ALTER TABLE orders ADD COLUMN note text, "
        "ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID"
    )
    assert fx.locks["public.orders"] is LockMode.ACCESS_EXCLUSIVE
    assert not fx.scans


def test_add_column_with_check_scans() -> None:
    # verified on PostgreSQL 18: pg_stat_user_tables.seq_scan grows by one
    assert _effects("ALTER TABLE t ADD COLUMN d int CHECK (d > 0)").scans == ("public.t",)
    assert _effects("ALTER TABLE t ADD COLUMN d int").scans == ()


def test_column_kind_rewrites_are_separate_from_default_rewrites() -> None:
    serial = _coldef("ALTER TABLE t ADD COLUMN s bigserial")
    volatile = _coldef("ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()")
    virtual = _coldef("ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) VIRTUAL")
    stored = _coldef("ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) STORED")
    assert add_column_kind_rewrites(serial, 15)
    assert add_column_kind_rewrites(volatile, 15) is None
    assert add_column_rewrites(volatile, 15)
    assert add_column_kind_rewrites(stored, 18)
    assert add_column_kind_rewrites(virtual, 18) is None


def test_locking_statements_cover_every_kind_the_model_locks() -> None:
    samples = [
        "ALTER TABLE t ADD COLUMN c int",
        "CREATE INDEX i ON t (c)",
        "DROP TABLE t",
        "ALTER TABLE t RENAME TO u",
        "REINDEX TABLE t",
        "VACUUM FULL t",
        "CLUSTER t USING i",
        "TRUNCATE t",
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        "UPDATE t SET c = 1",
        "DELETE FROM t",
        "INSERT INTO t VALUES (1)",
        "LOCK TABLE t",
        "CREATE TABLE u (id int REFERENCES t (id))",
        "REFRESH MATERIALIZED VIEW m",
        "DROP TRIGGER tr ON t",
        "CREATE POLICY p ON t USING (true)",
        "ALTER POLICY p ON t USING (true)",
        "DROP POLICY p ON t",
        "COMMENT ON TABLE t IS 'x'",
        "CREATE TABLE u AS SELECT * FROM t",
        "CREATE STATISTICS st ON a, b FROM t",
    ]
    for sql in samples:
        node = parse(sql).statements[0].node
        assert node is not None
        assert statement_effects(node, Schema(), 15).locks, sql
        assert next(iter(node)) in LOCKING_STATEMENTS, sql


# --- part B: REINDEX / VACUUM options, ATTACH PARTITION proof, ALTER INDEX SET TABLESPACE ---
def _history_effects(history: str, sql: str, target: int = 15):  # type: ignore[no-untyped-def]
    from linter.state.fold import apply_schema

    schema = Schema()
    for stmt in parse(history).statements:
        schema = apply_schema(schema, stmt.node)
    schema = schema.end_file()
    node = parse(sql).statements[0].node
    return statement_effects(node, schema, target)


def test_options_switched_off_are_not_taken_as_on() -> None:
    assert _effects("REINDEX (CONCURRENTLY false) TABLE t").locks["public.t"] is LockMode.SHARE
    assert _effects("REINDEX (CONCURRENTLY) TABLE t").locks["public.t"] is (
        LockMode.SHARE_UPDATE_EXCLUSIVE
    )
    off = _effects("VACUUM (FULL false) t")
    assert off.locks["public.t"] is LockMode.SHARE_UPDATE_EXCLUSIVE and not off.rewrites
    on = _effects("VACUUM (FULL true) t")
    assert on.locks["public.t"] is LockMode.ACCESS_EXCLUSIVE and on.rewrites == ("public.t",)


def test_attach_partition_scan_is_skipped_with_a_validated_check_on_the_key() -> None:
    history = (
        "CREATE TABLE p (id bigint, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE c (id bigint, at date);\n"
        "ALTER TABLE c ADD CONSTRAINT c_at CHECK (at IS NOT NULL AND at >= '2024-01-01' "
        "AND at < '2025-01-01');"
    )
    attach = "ALTER TABLE p ATTACH PARTITION c FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
    # a range bound implies `at IS NOT NULL`, which the CHECK must say too (traced)
    nullable = _history_effects(history.replace("at IS NOT NULL AND ", ""), attach)
    assert nullable.scans == ("public.c",)
    not_null_column = _history_effects(
        history.replace("at IS NOT NULL AND ", "").replace("at date);", "at date NOT NULL);"),
        attach,
    )
    assert not_null_column.scans == ()
    proven = _history_effects(history, attach)
    assert proven.scans == ()
    assert proven.locks["public.p"] is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert proven.locks["public.c"] is LockMode.ACCESS_EXCLUSIVE
    other_column = history.rsplit("\n", 1)[0] + "\nALTER TABLE c ADD CHECK (id > 0);"
    unproven = _history_effects(other_column, attach)
    assert unproven.scans == ("public.c",)
    unproven = _history_effects(history.rsplit("\n", 1)[0], attach)
    assert unproven.scans == ("public.c",)
    not_valid = _history_effects(
        history.replace("2025-01-01');", "2025-01-01') NOT VALID;"), attach
    )
    assert not_valid.scans == ("public.c",)
    assert _history_effects(history, attach, target=11).locks["public.p"] is (
        LockMode.ACCESS_EXCLUSIVE
    )


def test_alter_index_set_tablespace_copies_the_index() -> None:
    effects = _effects("ALTER INDEX i SET TABLESPACE fast")
    assert effects.rewrites == ("public.i",)
    assert effects.locks["public.i"] is LockMode.ACCESS_EXCLUSIVE


def test_update_from_reads_the_joined_table() -> None:
    # traced (test_claims, unbatched-backfill's join example): AccessShareLock on the joined
    # table, and both tables read; ``a.id`` is the joined table's id, not an index of orders
    from linter.state.fold import apply_schema

    schema = Schema()
    for sql in (
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, plan text);",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",
    ):
        node = parse(sql).statements[0].node
        assert node is not None
        schema = apply_schema(schema, node)
    node = (
        parse("UPDATE orders SET plan = a.plan FROM accounts a WHERE orders.account_id = a.id")
        .statements[0]
        .node
    )
    fx = statement_effects(node, schema, 15)
    assert fx.locks["public.orders"] is LockMode.ROW_EXCLUSIVE
    assert fx.locks["public.accounts"] is LockMode.ACCESS_SHARE
    assert set(fx.scans) == {"public.orders", "public.accounts"}
    with_cte = (
        parse("WITH c AS (SELECT 1 AS id) DELETE FROM orders USING c WHERE orders.id = c.id")
        .statements[0]
        .node
    )
    fx = statement_effects(with_cte, schema, 15)
    assert set(fx.locks) == {"public.orders"} and not fx.scans  # the PK finds the rows


_PARTITIONED = (
    "CREATE TABLE p (id bigint, at date) PARTITION BY RANGE (at);\n"
    "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
    "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"
    " PARTITION BY RANGE (at);\n"
    "CREATE TABLE p2a PARTITION OF p2 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
    "CREATE TABLE d (id bigint, at date);\n"
    "ALTER TABLE p ATTACH PARTITION d DEFAULT;"
)


def test_partitioned_table_statements_lock_every_partition_and_rewrite_the_leaves() -> None:
    # traced on PostgreSQL 18 (tests/test_claims.py PARTITION_CASES)
    fx = _history_effects(_PARTITIONED, "ALTER TABLE p ALTER COLUMN id TYPE text")
    parts = {"public.p", "public.p1", "public.p2", "public.p2a", "public.d"}
    assert set(fx.locks) == parts
    assert set(fx.locks.values()) == {LockMode.ACCESS_EXCLUSIVE}
    assert set(fx.rewrites) == {"public.p1", "public.p2a", "public.d"}  # the ones with rows
    only = _history_effects(_PARTITIONED, "ALTER TABLE ONLY p ALTER COLUMN id SET DEFAULT 1")
    assert set(only.locks) == {"public.p"}
    analyze = _history_effects(_PARTITIONED, "ANALYZE p")
    assert set(analyze.scans) == parts  # each partitioned table is sampled too
    vacuum = _history_effects(_PARTITIONED, "VACUUM p")
    assert set(vacuum.scans) == {"public.p1", "public.p2a", "public.d"}
    reindex = _history_effects(_PARTITIONED, "REINDEX TABLE p")
    # every partition is listed under ShareLock in REINDEX's first transaction, the
    # partitioned p2 too (briefly: seen on PostgreSQL 15, where the test's poll caught it)
    assert not reindex.transactional and reindex.locks.get("public.p2") == LockMode.SHARE
    statement_trigger = _history_effects(
        _PARTITIONED, "CREATE TRIGGER t AFTER UPDATE ON p EXECUTE FUNCTION f()"
    )
    assert set(statement_trigger.locks) == {"public.p"}


def test_a_new_partition_locks_and_reads_the_default_partition() -> None:
    attach = "ALTER TABLE p ATTACH PARTITION n FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
    fx = _history_effects(_PARTITIONED + "\nCREATE TABLE n (id bigint, at date);", attach)
    assert fx.locks["public.d"] is LockMode.ACCESS_EXCLUSIVE
    assert set(fx.scans) == {"public.n", "public.d"}
    create = "CREATE TABLE n PARTITION OF p FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"
    fx = _history_effects(_PARTITIONED, create)
    assert fx.locks["public.d"] is LockMode.ACCESS_EXCLUSIVE and fx.scans == ("public.d",)
    detached = _history_effects(_PARTITIONED + "\nALTER TABLE p DETACH PARTITION d;", create)
    assert "public.d" not in detached.locks and detached.scans == ()


_FK_HISTORY = """
CREATE TABLE accounts (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));
"""


def _fk_message(sql: str, rule: str, history: str = _FK_HISTORY) -> str:
    """The one message of *rule* for *sql* run after *history*."""
    from linter.analysis.engine import lint_sources
    from linter.analysis.registry import load_rules
    from linter.inputs.source import Source
    from linter.state.context import Settings

    sources = [Source("0001.sql", history), Source("0002.sql", sql)]
    linted = lint_sources(sources, load_rules(plugins=False), Settings(), report={"0002.sql"})
    (found,) = [f for f in linted.findings if f.rule == rule]
    return found.message


@pytest.mark.parametrize(
    ("sql", "rule", "other"),
    [
        ("ALTER TABLE orders DROP COLUMN account_id;", "drop-column", "public.accounts"),
        (
            "ALTER TABLE orders ALTER COLUMN account_id TYPE integer;",
            "alter-column-type",
            "public.accounts",
        ),
        (
            "ALTER TABLE orders DROP CONSTRAINT orders_account_id_fkey;",
            "drop-constraint",
            "public.accounts",
        ),
        ("TRUNCATE accounts CASCADE;", "truncate", "public.order_lines"),
        ("DROP TABLE accounts CASCADE;", "drop-table", "public.orders"),
        ("DROP TABLE orders;", "drop-table", "public.accounts"),
        # the referenced side: the foreign keys to the key go (CASCADE) or are re-created
        ("ALTER TABLE accounts DROP COLUMN id CASCADE;", "drop-column", "public.orders"),
        (
            "ALTER TABLE accounts ALTER COLUMN id TYPE integer;",
            "alter-column-type",
            "public.orders",
        ),
        (
            "ALTER TABLE accounts DROP CONSTRAINT accounts_pkey CASCADE;",
            "drop-constraint",
            "public.orders",
        ),
    ],
)
def test_findings_name_the_other_end_of_a_foreign_key(sql: str, rule: str, other: str) -> None:
    expected = f"`{other}` (AccessExclusiveLock: {LockMode.ACCESS_EXCLUSIVE.blocks})"
    assert expected in _fk_message(sql, rule)


def test_findings_name_only_the_other_end_of_their_own_subcommand() -> None:
    sql = (
        "ALTER TABLE order_lines DROP COLUMN id, "
        "ADD CONSTRAINT f FOREIGN KEY (order_id) REFERENCES accounts (id) NOT VALID;"
    )
    assert "also locks" not in _fk_message(sql, "drop-column")


def test_create_or_replace_view_locks_a_known_view_only() -> None:
    history = "CREATE TABLE t (id bigint);\nCREATE VIEW v AS SELECT id FROM t;"
    known = _history_effects(history, "CREATE OR REPLACE VIEW v AS SELECT id FROM t")
    assert known.locks == {"public.v": LockMode.ACCESS_EXCLUSIVE, "public.t": LockMode.ACCESS_SHARE}
    fresh = _history_effects(history, "CREATE OR REPLACE VIEW w AS SELECT id FROM t")
    assert fresh.locks == {"public.t": LockMode.ACCESS_SHARE}


def test_trigger_and_policy_statements_lock_their_table() -> None:
    for sql in (
        "DROP TRIGGER tr ON s.t",
        "DROP POLICY IF EXISTS p ON s.t",
        "CREATE POLICY p ON s.t USING (true)",
        "ALTER POLICY p ON s.t USING (true)",
    ):
        assert _effects(sql).locks == {"s.t": LockMode.ACCESS_EXCLUSIVE}, sql


def test_comment_locks_follow_the_object() -> None:
    sue, share = LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.ACCESS_SHARE
    assert _effects("COMMENT ON TABLE s.t IS 'x'").locks == {"s.t": sue}
    assert _effects("COMMENT ON COLUMN s.t.c IS 'x'").locks == {"s.t": sue}
    assert _effects("COMMENT ON COLUMN t.c IS 'x'").locks == {"public.t": sue}
    assert _effects("COMMENT ON TRIGGER tr ON t IS 'x'").locks == {"public.t": share}
    assert _effects("COMMENT ON FUNCTION f() IS 'x'").locks == {}


def test_inherits_takes_share_update_exclusive_and_partition_of_access_exclusive() -> None:
    inherits = _effects("CREATE TABLE kid () INHERITS (base)")
    assert inherits.locks == {"public.base": LockMode.SHARE_UPDATE_EXCLUSIVE}
    part = _effects("CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)")
    assert part.locks == {"public.p": LockMode.ACCESS_EXCLUSIVE}


def test_statements_that_read_another_table() -> None:
    share, sue = LockMode.ACCESS_SHARE, LockMode.SHARE_UPDATE_EXCLUSIVE
    ctas = _effects("CREATE TABLE u AS WITH w AS (SELECT 1) SELECT * FROM t, w")
    assert ctas.locks == {"public.t": share} and ctas.scans == ("public.t",)
    empty = _effects("CREATE TABLE u AS SELECT * FROM t WITH NO DATA")
    assert empty.locks == {"public.t": share} and empty.scans == ()
    assert _effects("CREATE TABLE u (LIKE s.t INCLUDING ALL)").locks == {"s.t": share}
    assert _effects("CREATE STATISTICS st ON a, b FROM t").locks == {"public.t": sue}
    inherit = _effects("ALTER TABLE kid INHERIT base")
    assert inherit.locks == {"public.kid": LockMode.ACCESS_EXCLUSIVE, "public.base": sue}
    assert _effects("ALTER TABLE kid NO INHERIT base").locks["public.base"] is share


def test_statements_without_a_table_visit_every_table_the_history_knows() -> None:
    history = (
        "CREATE TABLE a (id bigint PRIMARY KEY);\nCREATE TABLE b (id bigint);\n"
        "CREATE SCHEMA s;\nCREATE TABLE s.c (id bigint);\nCREATE INDEX c_id ON s.c (id);\n"
        "CREATE MATERIALIZED VIEW m AS SELECT id FROM a;\nCREATE INDEX m_id ON m (id);\n"
        "CREATE VIEW v AS SELECT id FROM a;"
    )
    sue, share = LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.SHARE
    analyze = _history_effects(history, "ANALYZE")
    assert analyze.named_locks == dict.fromkeys(["public.a", "public.b", "public.m", "s.c"], sue)
    assert set(analyze.scans) == set(analyze.named_locks)
    # and samples each index (implied: findings name the tables)
    sampled = {rel: analyze.locks[rel] for rel in analyze.implied}
    assert sampled == dict.fromkeys(
        ["public.a_pkey", "public.m_id", "s.c_id"], LockMode.ACCESS_SHARE
    )
    reindex = _history_effects(history, "REINDEX SCHEMA public")
    assert reindex.named_locks == dict.fromkeys(["public.a", "public.b", "public.m"], share)
    # each index rebuilt in place: listed (implied), findings name the tables
    assert set(reindex.implied) == {"public.a_pkey", "public.m_id"}
    assert {reindex.locks[i] for i in reindex.implied} == {LockMode.ACCESS_EXCLUSIVE}
    assert set(reindex.scans) == {"public.a", "public.m"}  # b has no index to build
    database = _history_effects(history, "REINDEX DATABASE app")
    assert set(database.scans) == {"public.a", "public.m", "s.c"}
    full = _history_effects(history, "VACUUM FULL")
    assert set(full.rewrites) == {"public.a", "public.b", "public.m", "s.c"}


def test_add_column_of_a_domain_with_a_constraint_rewrites() -> None:
    history = "CREATE TABLE t (id bigint);\nCREATE DOMAIN positive AS integer CHECK (VALUE > 0);"
    history += "\nCREATE DOMAIN label AS text;"
    assert _history_effects(history, "ALTER TABLE t ADD COLUMN n positive").rewrites == (
        "public.t",
    )
    assert _history_effects(history, "ALTER TABLE t ADD COLUMN n public.positive").rewrites
    assert not _history_effects(history, "ALTER TABLE t ADD COLUMN n positive[]").rewrites
    assert not _history_effects(history, "ALTER TABLE t ADD COLUMN n label").rewrites


def test_require_lock_timeout_reports_the_new_locks_once_per_file() -> None:
    """No new rule: the hazard of DROP TRIGGER, policy changes and CREATE OR REPLACE VIEW
    on objects in use is the queued AccessExclusiveLock, which require-lock-timeout reports
    from the model (one finding per file, with the lock and the lock_timeout advice)."""
    from linter.analysis.engine import lint_sources
    from linter.analysis.registry import load_rules
    from linter.inputs.source import Source
    from linter.state.context import Settings

    rules = load_rules(plugins=False)
    history = Source(
        "0001.sql",
        "CREATE TABLE t (id bigint);\nCREATE VIEW v AS SELECT id FROM t;\n"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
        "CREATE POLICY p ON t USING (true);",
    )
    for sql, rel in (
        ("DROP TRIGGER tr ON t;", "public.t"),
        ("DROP POLICY p ON t;\nCREATE POLICY p ON t USING (id > 0);", "public.t"),
        ("CREATE OR REPLACE VIEW v AS SELECT id FROM t;", "public.v"),
    ):
        found = lint_sources([history, Source("0002.sql", sql)], rules, Settings()).findings
        timeouts = [f for f in found if f.rule == "require-lock-timeout" and f.path == "0002.sql"]
        assert len(timeouts) == 1, (sql, found)
        assert f"AccessExclusiveLock (blocks all reads and writes) on `{rel}`" in (
            timeouts[0].message
        )
        guarded = Source("0002.sql", "SET lock_timeout = '2s';\n" + sql)
        found = lint_sources([history, guarded], rules, Settings()).findings
        assert not [f for f in found if f.rule == "require-lock-timeout"], sql


@pytest.mark.parametrize("marked", ["CLUSTER a USING a_k;", "ALTER TABLE a CLUSTER ON a_k;"])
def test_cluster_without_a_table_reclusters_the_previously_clustered_tables(marked: str) -> None:
    # CLUSTER with no table reclusters every table with an index marked clustered (by CLUSTER
    # ... USING or ALTER TABLE ... CLUSTER ON), each in its own transaction (tests/test_claims)
    history = (
        "CREATE TABLE a (k int); CREATE INDEX a_k ON a (k);"
        "CREATE TABLE b (k int); CREATE INDEX b_k ON b (k);"
        "CREATE TABLE c (k int); CREATE INDEX c_k ON c (k); ALTER TABLE c CLUSTER ON c_k;"
        f"ALTER TABLE c SET WITHOUT CLUSTER; {marked}"
    )
    for sql in ("CLUSTER", "CLUSTER VERBOSE"):
        fx = _history_effects(history, sql)
        # its index is rebuilt with it (implied: findings name the table)
        aex = LockMode.ACCESS_EXCLUSIVE
        assert dict(fx.locks) == {"public.a": aex, "public.a_k": aex}, sql
        assert fx.implied == ("public.a_k",) and dict(fx.named_locks) == {"public.a": aex}
        assert set(fx.rewrites) == {"public.a"} and not fx.transactional
    assert not _history_effects(history.replace(marked, ""), "CLUSTER").locks


@pytest.mark.parametrize(
    ("sql", "rule"), [("DROP TABLE p;", "drop-table"), ("TRUNCATE p CASCADE;", "truncate")]
)
def test_partitions_are_named_once_not_as_other_tables(sql: str, rule: str) -> None:
    """A partitioned table's partitions are "and its N partitions", not the other end of a
    foreign key that "it also locks"."""
    from linter.analysis.engine import lint_sources
    from linter.analysis.registry import load_rules
    from linter.inputs.source import Source
    from linter.state.context import Settings

    history = (
        "CREATE TABLE p (id bigint PRIMARY KEY) PARTITION BY RANGE (id);\n"
        "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\n"
        "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);\n"
    )
    sources = [Source("0001.sql", history), Source("0002.sql", sql)]
    linted = lint_sources(sources, load_rules(plugins=False), Settings(), report={"0002.sql"})
    (found,) = [f for f in linted.findings if f.rule == rule]
    assert "and its 2 partitions" in found.message
    assert "also locks" not in found.message


_REFERENCED = """
CREATE TABLE a (id bigint PRIMARY KEY, code int UNIQUE, other int UNIQUE, note text);
CREATE TABLE b (id bigint, a_id bigint REFERENCES a, a_code int REFERENCES a (code));
"""


@pytest.mark.parametrize(
    ("history", "sql", "locked"),
    [
        ("", "ALTER TABLE a DROP COLUMN code CASCADE", True),
        ("", "ALTER TABLE a DROP COLUMN id CASCADE", True),  # REFERENCES a: its primary key
        ("", "ALTER TABLE a DROP COLUMN code", False),  # refused without CASCADE
        ("", "ALTER TABLE a DROP COLUMN note CASCADE", False),
        ("", "ALTER TABLE a DROP COLUMN other CASCADE", False),
        ("", "ALTER TABLE a ALTER COLUMN code TYPE bigint", True),
        ("", "ALTER TABLE a ALTER COLUMN note TYPE varchar(10)", False),
        ("", "ALTER TABLE a DROP CONSTRAINT a_code_key CASCADE", True),
        ("", "ALTER TABLE a DROP CONSTRAINT a_other_key CASCADE", False),
        ("", "ALTER TABLE a DROP CONSTRAINT a_code_key", False),
        # the model follows renames of the referenced column and table
        (
            "ALTER TABLE a RENAME COLUMN code TO code2;",
            "ALTER TABLE a DROP COLUMN code2 CASCADE",
            True,
        ),
        ("ALTER TABLE a RENAME TO a2;", "ALTER TABLE a2 ALTER COLUMN code TYPE bigint", True),
        # once dropped by a CASCADE, the foreign key locks nothing more
        (
            "ALTER TABLE a DROP CONSTRAINT a_code_key CASCADE;",
            "ALTER TABLE a ALTER COLUMN code TYPE bigint",
            False,
        ),
        ("DROP TABLE b;", "ALTER TABLE a DROP COLUMN code CASCADE", False),
        # a unique index a foreign key uses
        (
            "CREATE UNIQUE INDEX a_note ON a (note); ALTER TABLE b ADD COLUMN n text REFERENCES a (note);",
            "DROP INDEX a_note CASCADE",
            True,
        ),
        ("CREATE UNIQUE INDEX a_note ON a (note);", "DROP INDEX a_note CASCADE", False),
    ],
)
def test_the_referenced_side_of_a_foreign_key_locks_the_referencing_table(
    history: str, sql: str, locked: bool
) -> None:
    fx = _history_effects(_REFERENCED + history, sql)
    assert (fx.locks.get("public.b") is LockMode.ACCESS_EXCLUSIVE) is locked, fx.locks


def test_the_schema_model_keeps_referenced_columns_through_the_cache_form() -> None:
    from linter.lockmodel.schema import schema_from_data, schema_to_data
    from linter.state.fold import apply_schema

    schema = Schema()
    for stmt in parse(_REFERENCED).statements:
        schema = apply_schema(schema, stmt.node)
    again = schema_from_data(schema_to_data(schema))
    fks = sorted(con.name for _, con in again.foreign_keys_to("public.a"))
    assert fks == ["b_a_code_fkey", "b_a_id_fkey"]
    assert again.referenced_columns(again.tables["public.b"].constraints["b_a_code_fkey"]) == (
        "code",
    )
    assert again.referenced_columns(again.tables["public.b"].constraints["b_a_id_fkey"]) == ("id",)


def test_the_cache_form_keeps_every_field_of_the_model() -> None:
    """Parallel workers and the result cache hand the model over in its plain-data form: a
    field it drops (a stored generated column, a clustered index, what a foreign key
    references) changes findings under ``--jobs`` or from the cache."""
    from linter.lockmodel.schema import schema_from_data, schema_to_data
    from linter.state.fold import apply_schema

    history = _REFERENCED + (
        "CREATE TABLE g (id int, x int GENERATED ALWAYS AS (id * 2) STORED);"
        "CREATE INDEX g_id ON g (id); CLUSTER g USING g_id; DROP TABLE gone;"
    )
    schema = Schema()
    for stmt in parse(history).statements:
        schema = apply_schema(schema, stmt.node)
    again = schema_from_data(schema_to_data(schema))
    assert {k: dict(t.constraints) for k, t in again.tables.items()} == {
        k: dict(t.constraints) for k, t in schema.tables.items()
    }
    assert {k: dict(t.columns) for k, t in again.tables.items()} == {
        k: dict(t.columns) for k, t in schema.tables.items()
    }
    assert dict(again.indexes) == dict(schema.indexes)
    assert dict(again.objects) == dict(schema.objects)
    assert again.tables["public.g"].columns["x"].generated
    assert again.indexes["public.g_id"].clustered


@pytest.mark.parametrize(
    ("history", "sql", "locks", "conditional"),
    [
        # the history dropped it and nothing created it again: nothing to lock
        ("CREATE TABLE t (id int); DROP TABLE t;", "DROP TABLE IF EXISTS t", {}, ()),
        ("CREATE TABLE t (id int); ALTER TABLE t RENAME TO u;", "DROP TABLE IF EXISTS t", {}, ()),
        (
            "CREATE TABLE t (id int); CREATE INDEX i ON t (id); DROP TABLE t;",
            "DROP INDEX IF EXISTS i",
            {},
            (),
        ),
        (
            "CREATE TABLE t (id int); DROP TABLE t;",
            "ALTER TABLE IF EXISTS t ADD COLUMN c int",
            {},
            (),
        ),
        ("CREATE VIEW v AS SELECT 1; DROP VIEW v;", "DROP VIEW IF EXISTS v", {}, ()),
        # created again: it exists
        (
            "CREATE TABLE t (id int); DROP TABLE t; CREATE TABLE t (id int);",
            "DROP TABLE IF EXISTS t",
            {"public.t": LockMode.ACCESS_EXCLUSIVE},
            (),
        ),
        # never named by the history: locked only if it exists
        ("", "DROP TABLE IF EXISTS t", {"public.t": LockMode.ACCESS_EXCLUSIVE}, ("public.t",)),
        (
            "CREATE TABLE t (id int);",
            "DROP TRIGGER IF EXISTS tr ON t",
            {"public.t": LockMode.ACCESS_EXCLUSIVE},
            ("public.t",),
        ),
        # ALTER TABLE locks the table whether or not the column exists (traced)
        (
            "CREATE TABLE t (id int);",
            "ALTER TABLE t DROP COLUMN IF EXISTS c",
            {"public.t": LockMode.ACCESS_EXCLUSIVE},
            (),
        ),
    ],
)
def test_drop_if_exists_locks_what_exists(
    history: str, sql: str, locks: dict[str, LockMode], conditional: tuple[str, ...]
) -> None:
    fx = _history_effects(history, sql)
    assert dict(fx.locks) == locks
    assert fx.conditional == conditional


_RANGED = """
CREATE TABLE r (id bigint, at date NOT NULL, w int) PARTITION BY RANGE (at);
CREATE TABLE r1 PARTITION OF r FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE rd PARTITION OF r DEFAULT;
"""


@pytest.mark.parametrize(
    ("sql", "target", "locked"),
    [
        # traced on 15 and 18: 18 finds no NOT NULL constraint to drop and stays on r
        ("ALTER TABLE r ALTER COLUMN w DROP NOT NULL", 18, {"public.r"}),
        ("ALTER TABLE r ALTER COLUMN w DROP NOT NULL", 15, {"public.r", "public.r1", "public.rd"}),
        ("ALTER TABLE r ALTER COLUMN at DROP NOT NULL", 18, {"public.r", "public.r1", "public.rd"}),
        # the default partition's implicit bound widens
        ("ALTER TABLE r DETACH PARTITION r1", 18, {"public.r", "public.r1", "public.rd"}),
        ("DROP TABLE r1", 15, {"public.r", "public.r1", "public.rd"}),
        ("DROP TABLE rd", 15, {"public.r", "public.rd"}),
    ],
)
def test_partition_statements_lock_the_parent_and_default_partition(
    sql: str, target: int, locked: set[str]
) -> None:
    fx = _history_effects(_RANGED, sql, target)
    assert set(fx.locks) == locked
    assert set(fx.locks.values()) == {LockMode.ACCESS_EXCLUSIVE}


def test_a_type_change_that_rewrites_nothing_still_rebuilds_expression_and_partial_indexes() -> (
    None
):
    history = (
        "CREATE TABLE t (id int, a int, n varchar(20));"
        "CREATE INDEX t_expr ON t (lower(n)); CREATE INDEX t_part ON t (id) WHERE a > 0;"
    )
    assert _history_effects(history, "ALTER TABLE t ALTER COLUMN n TYPE text").scans == (
        "public.t",
    )
    assert _history_effects(history, "ALTER TABLE t ALTER COLUMN a TYPE integer").scans == (
        "public.t",
    )
    assert _history_effects(history, "ALTER TABLE t ALTER COLUMN id TYPE integer").scans == ()
    renamed = history + "ALTER TABLE t RENAME COLUMN n TO m;"
    assert _history_effects(renamed, "ALTER TABLE t ALTER COLUMN m TYPE text").scans == (
        "public.t",
    )


def test_a_data_change_names_its_own_table_among_equally_locked_ones() -> None:
    """Of the tables the transaction locked as strongly (another table altered first, or
    the far end of a foreign key), a finding about its data change names the table it
    changes."""
    sql = (
        "BEGIN;\nALTER TABLE accounts ADD COLUMN note text;\n"
        "ALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = 'x';\nCOMMIT;"
    )
    held = "holds AccessExclusiveLock (blocks all reads and writes) on `public.orders`"
    assert held in _fk_message(sql, "mixed-ddl-and-data")
    assert held in _fk_message(sql, "unbatched-backfill")


def test_drop_schema_names_the_tables_outside_it_whose_foreign_keys_go() -> None:
    history = (
        "CREATE SCHEMA ledger; CREATE TABLE ledger.books (id bigint PRIMARY KEY);"
        "CREATE TABLE ledger.pages (id bigint, book_id bigint REFERENCES ledger.books);"
        "CREATE TABLE entries (id bigint, book_id bigint REFERENCES ledger.books);"
    )
    message = _fk_message("DROP SCHEMA ledger CASCADE;", "drop-schema", history)
    assert message.endswith(
        f"; it also locks `public.entries` (AccessExclusiveLock: {LockMode.ACCESS_EXCLUSIVE.blocks})"
    )


_INDEXED_PARTITIONS = (
    "CREATE TABLE r (id bigint, at date, v int) PARTITION BY RANGE (at);\n"
    "CREATE TABLE r1 PARTITION OF r FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
    "CREATE TABLE r2 PARTITION OF r FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')\n"
    "    PARTITION BY RANGE (at);\n"
    "CREATE TABLE r2a PARTITION OF r2 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
    "CREATE INDEX ON r (v);\n"
    "CREATE TABLE r3 (id bigint, at date, v int);"
)


@pytest.mark.parametrize(
    ("sql", "implied"),
    [
        # dropped with the partitioned index or table: every index below it
        ("DROP INDEX r_v_idx", {"r1_v_idx": "A", "r2_v_idx": "A", "r2a_v_idx": "A"}),
        ("DROP TABLE r", {"r_v_idx": "A", "r1_v_idx": "A", "r2_v_idx": "A", "r2a_v_idx": "A"}),
        (
            "ALTER TABLE r DROP COLUMN v",
            {"r_v_idx": "A", "r1_v_idx": "A", "r2_v_idx": "A", "r2a_v_idx": "A"},
        ),
        (
            "ALTER TABLE r DROP COLUMN v, ALTER COLUMN id SET NOT NULL",
            {"r_v_idx": "A", "r1_v_idx": "A", "r2_v_idx": "A", "r2a_v_idx": "A"},
        ),
        # new files for the leaves' indexes only: a partitioned index has none
        ("TRUNCATE r", {"r1_v_idx": "A", "r2a_v_idx": "A"}),
        ("REINDEX TABLE r", {"r1_v_idx": "A", "r2a_v_idx": "A"}),
        (
            "REINDEX INDEX r_v_idx",
            {"r_v_idx": "A", "r1_v_idx": "A", "r2_v_idx": "S", "r2a_v_idx": "A"},
        ),
        ("ALTER TABLE r ADD COLUMN n bigserial", {"r1_v_idx": "A", "r2a_v_idx": "A"}),
        # a partition's index attached to, or detached from, the partitioned one
        (
            "ALTER TABLE r ATTACH PARTITION r3 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            {"r_v_idx": "U"},
        ),
        (
            "CREATE TABLE r4 PARTITION OF r FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')",
            {"r_v_idx": "U"},
        ),
        ("ALTER TABLE r DETACH PARTITION r1", {"r1_v_idx": "A"}),
        ("ALTER TABLE r DETACH PARTITION r2", {"r2_v_idx": "A"}),
    ],
)
def test_partitions_indexes_are_claimed(sql: str, implied: dict[str, str]) -> None:
    """The indexes PostgreSQL created on the partitions, by the names it gave them, locked
    where it locks them (measured in test_claims on 18 and 15)."""
    modes = {
        "A": LockMode.ACCESS_EXCLUSIVE,
        "S": LockMode.SHARE,
        "U": LockMode.SHARE_UPDATE_EXCLUSIVE,
    }
    effects = _history_effects(_INDEXED_PARTITIONS, sql)
    want = {f"public.{name}": modes[mode] for name, mode in implied.items()}
    assert {rel: effects.locks[rel] for rel in effects.implied} == want


def test_create_index_on_a_partitioned_table_attaches_a_matching_index() -> None:
    """A partition's own index of the same definition is attached: ShareLock on it, the
    partition is not read (traced in test_claims on 18 and 15)."""
    history = _INDEXED_PARTITIONS + "\nCREATE INDEX r1_mine ON r1 (at);"
    effects = _history_effects(history, "CREATE INDEX ON r (at)")
    assert effects.locks["public.r1_mine"] is LockMode.SHARE
    assert "public.r1_mine" in effects.implied
    assert set(effects.scans) == {"public.r2a"}
    other = _history_effects(history, "CREATE INDEX ON r (at) WHERE v > 0")
    assert "public.r1_mine" not in other.locks and set(other.scans) == {"public.r1", "public.r2a"}


def test_version_ranges_of_the_indexes_a_plan_and_a_foreign_key_open() -> None:
    """The planner opens a partitioned table's own indexes from PostgreSQL 16 (join removal
    on partitioned tables), each leaf's always; PostgreSQL 18 opens the referenced key's
    index on creating a foreign key, NOT VALID too (traced on 18 and 15:
    tests/test_planned_index_locks.py)."""
    history = (
        "CREATE TABLE p (id bigint PRIMARY KEY, k integer);\n"
        "CREATE TABLE pp (id bigint, k integer) PARTITION BY RANGE (k);\n"
        "CREATE TABLE pp1 PARTITION OF pp FOR VALUES FROM (0) TO (10);\n"
        "CREATE INDEX pp1_k ON pp1 (k);\nCREATE INDEX pp_k ON ONLY pp (k);\n"
        "CREATE TABLE c (id bigint, pid bigint);"
    )
    read = "CREATE TABLE t AS SELECT * FROM pp"
    assert set(_history_effects(history, read, 15).implied) == {"public.pp1_k"}
    assert set(_history_effects(history, read, 16).implied) == {"public.pp1_k", "public.pp_k"}
    assert not set(_history_effects(history, f"{read} WITH NO DATA", 18).implied)
    fk = "ALTER TABLE c ADD FOREIGN KEY (pid) REFERENCES p NOT VALID"
    assert not _history_effects(history, fk, 17).implied
    assert _history_effects(history, fk, 18).locks["public.p_pkey"] is LockMode.ACCESS_SHARE
    valid = _history_effects(history, fk.removesuffix(" NOT VALID"), 15)
    assert valid.locks["public.p_pkey"] is LockMode.ACCESS_SHARE  # the check's plan reads it


def test_refresh_runs_the_materialized_views_query_again() -> None:
    """REFRESH reads what the view's query reads (AccessShareLock, a scan, the planned
    indexes: traced in test_claims on 18 and 15), under the names those tables have now
    (a view refers to them by OID); WITH NO DATA runs nothing; a view dropped and created
    again reads what its new query reads."""
    history = (
        "CREATE TABLE t (id bigint PRIMARY KEY, q int);\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT q, count(*) FROM t GROUP BY q;\n"
        "ALTER TABLE t RENAME TO u;\n"
        "ALTER MATERIALIZED VIEW mv RENAME TO mv2;"
    )
    refresh = _history_effects(history, "REFRESH MATERIALIZED VIEW mv2")
    assert refresh.locks["public.u"] is LockMode.ACCESS_SHARE
    assert "public.u" in refresh.scans and "public.t" not in refresh.locks
    assert refresh.locks["public.t_pkey"] is LockMode.ACCESS_SHARE  # (an index keeps its name)
    empty = _history_effects(history, "REFRESH MATERIALIZED VIEW mv2 WITH NO DATA")
    assert "public.u" not in empty.locks
    again = history + "\nDROP MATERIALIZED VIEW mv2;\nCREATE MATERIALIZED VIEW mv2 AS SELECT 1;"
    assert set(_history_effects(again, "REFRESH MATERIALIZED VIEW mv2").locks) == {"public.mv2"}


def test_the_views_reads_survive_the_stored_model() -> None:
    from linter.lockmodel.schema import schema_from_data, schema_to_data
    from linter.state.fold import apply_schema

    schema = Schema()
    sql = "CREATE TABLE t (id int);\nCREATE MATERIALIZED VIEW mv AS SELECT * FROM t;"
    for stmt in parse(sql).statements:
        schema = apply_schema(schema, stmt.node)
    assert dict(schema.view_reads) == {"public.mv": ("public.t",)}
    assert dict(schema_from_data(schema_to_data(schema)).view_reads) == dict(schema.view_reads)
