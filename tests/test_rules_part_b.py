"""Part B rules: behaviour the embedded examples cannot express."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO, corpus_dir

from linter.analysis.engine import Finding, lint_sql
from linter.analysis.registry import load_rules
from linter.state.context import Settings

RULES = load_rules(plugins=False)
STYLE = {"prefer-bigint", "prefer-identity", "prefer-text", "prefer-timestamptz", "ban-char"}
STYLE_ALL = STYLE | {"identifier-too-long"}


def _lint(sql: str, *history: str, **settings: object) -> list[Finding]:
    return lint_sql(sql, RULES, Settings(**settings), history=history)  # type: ignore[arg-type]


def _names(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def test_style_rules_form_one_group_that_ignore_switches_off() -> None:
    sql = f"CREATE TABLE t (id serial, a varchar(10), b timestamp, c char(2), {'x' * 70} int);"
    assert STYLE_ALL <= set(_names(_lint(sql)))
    assert not STYLE_ALL & set(_names(_lint(sql, ignore=("style",))))
    assert set(_names(_lint(sql, select=("style",)))) >= STYLE_ALL
    for rule in RULES:
        if rule.name in STYLE_ALL:
            assert rule.group == "style", rule.name


def test_style_group_switched_off_from_the_command_line(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "001.sql"
    path.write_text("CREATE TABLE t (id serial PRIMARY KEY);\n", encoding="utf-8")
    run = [sys.executable, "-m", "linter", "lint", str(path), "--format", "json"]
    on = subprocess.run(run, capture_output=True, text=True, cwd=REPO, check=False)
    off = subprocess.run([*run, "--ignore", "style"], capture_output=True, text=True, cwd=REPO)
    assert "prefer-identity" in on.stdout
    assert "prefer-identity" not in off.stdout and off.returncode == 0
    config = path.parent / ".sqlsafe.toml"
    config.write_text('ignore = ["style"]\n', encoding="utf-8")
    by_config = subprocess.run(
        [*run, "--config", str(config)], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert "prefer-identity" not in by_config.stdout and by_config.returncode == 0, (
        by_config.stdout + by_config.stderr
    )


def test_style_messages_name_table_and_column_for_every_site() -> None:
    found = _lint(
        "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int, ALTER COLUMN a TYPE smallint;\n",
        select=("prefer-bigint",),
    )
    messages = [f.message for f in found]
    assert len(messages) == 2  # ALTER COLUMN TYPE declares no new column: not style's business
    assert "CREATE TABLE declares `public.t.a` as integer" in messages[0]
    assert "ADD COLUMN declares `public.t.b` as integer" in messages[1]


def test_style_rules_skip_composite_types_and_casts() -> None:
    sql = "CREATE TYPE pair AS (a int, b varchar(3));\nSELECT 1::int, now()::timestamp;"
    assert not STYLE & set(_names(_lint(sql)))


def test_identifier_length_is_measured_in_bytes_before_truncation() -> None:
    name63 = "a" * 63
    assert not _lint(f"CREATE TABLE {name63} (id bigint);", select=("identifier-too-long",))
    found = _lint(f'CREATE TABLE "{"ü" * 32}" (id bigint);', select=("identifier-too-long",))
    assert len(found) == 1 and "64 bytes" in found[0].message
    found = _lint(
        f"ALTER TABLE t ADD CONSTRAINT {'c' * 70} CHECK (a > 0), "
        f"ADD CONSTRAINT {'c' * 70}_2 CHECK (a < 9);",
        select=("identifier-too-long",),
    )
    assert len(found) == 2  # one per distinct name


def test_reindex_advice_depends_on_the_target_version() -> None:
    new = _lint("REINDEX INDEX i;", select=("reindex-non-concurrent",))
    old = _lint("REINDEX INDEX i;", select=("reindex-non-concurrent",), target_version=11)
    assert new[0].help and "REINDEX INDEX CONCURRENTLY" in new[0].help
    assert old[0].help and "no REINDEX CONCURRENTLY" in old[0].help


def test_detach_partition_rule_is_off_before_pg14() -> None:
    sql = "ALTER TABLE p DETACH PARTITION c;"
    assert _names(_lint(sql, select=("detach-partition-non-concurrent",))) == [
        "detach-partition-non-concurrent"
    ]
    assert not _lint(sql, select=("detach-partition-non-concurrent",), target_version=13)


def test_drop_of_an_object_created_by_an_earlier_file_is_flagged() -> None:
    history = "CREATE VIEW v AS SELECT 1 AS x;\nCREATE EXTENSION pg_trgm;\nCREATE SCHEMA s;"
    sql = "DROP VIEW v;\nDROP EXTENSION pg_trgm;\nDROP SCHEMA s CASCADE;"
    found = _lint(sql, history, select=("drop-view", "drop-extension", "drop-schema"))
    assert _names(found) == ["drop-view", "drop-extension", "drop-schema"]


def test_objects_created_in_the_same_file_are_exempt_for_every_drop_rule() -> None:
    sql = (
        "CREATE SCHEMA s;\nCREATE VIEW s.v AS SELECT 1 AS x;\n"
        "CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "CREATE TYPE s.t AS ENUM ('a');\nCREATE DOMAIN s.d AS text;\n"
        "CREATE SEQUENCE s.q;\nCREATE EXTENSION IF NOT EXISTS hstore;\n"
        "DROP VIEW s.v;\nDROP FUNCTION s.f();\nDROP TYPE s.t;\nDROP DOMAIN s.d;\n"
        "DROP SEQUENCE s.q;\nDROP EXTENSION hstore;\nDROP SCHEMA s CASCADE;"
    )
    rules = ("drop-view", "drop-function", "drop-type", "drop-sequence", "drop-extension")
    assert not _lint(sql, select=(*rules, "drop-schema"))


def test_if_not_exists_does_not_make_an_existing_object_new() -> None:
    found = _lint(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nDROP EXTENSION pg_trgm;",
        "CREATE EXTENSION pg_trgm;",
        select=("drop-extension",),
    )
    assert _names(found) == ["drop-extension"]


def test_prisma_enum_swap_is_not_a_drop() -> None:
    sql = (
        "CREATE TYPE \"Status_new\" AS ENUM ('A', 'B');\n"
        'ALTER TABLE "Job" ALTER COLUMN "status" TYPE "Status_new" '
        'USING ("status"::text::"Status_new");\n'
        'ALTER TYPE "Status" RENAME TO "Status_old";\n'
        'ALTER TYPE "Status_new" RENAME TO "Status";\n'
        'DROP TYPE "Status_old";'
    )
    history = (
        "CREATE TYPE \"Status\" AS ENUM ('A', 'B', 'C');\n"
        'CREATE TABLE "Job" (id bigint, "status" "Status");'
    )
    assert not _lint(sql, history, select=("drop-type",))
    # renamed away but never replaced, while "Job"."status" still uses it (by OID)
    gone = 'ALTER TYPE "Status" RENAME TO "Status_old";\nDROP TYPE "Status_old";'
    assert _names(_lint(gone, history, select=("drop-type",))) == ["drop-type"]


def test_drop_cascade_then_recreate_is_reported_for_the_dependents() -> None:
    found = _lint(
        "DROP VIEW v CASCADE;\nCREATE VIEW v AS SELECT 2 AS x;",
        "CREATE VIEW v AS SELECT 1 AS x;",
        select=("drop-view",),
    )
    assert len(found) == 1 and "not necessarily what depended on it" in found[0].message


PLAN = "CREATE TABLE accounts (id bigint, plan text NOT NULL DEFAULT 'free');"
DROP_AND_RESTORE_DEFAULT = (
    "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\n"
    "ALTER TABLE accounts ALTER COLUMN plan TYPE varchar(20);\n"
    "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';"
)


def _drop_default_lines(sql: str, **settings: object) -> list[int]:
    return [f.line for f in _lint(sql, PLAN, select=("drop-default",), **settings)]


def test_drop_default_restored_in_the_same_transaction_is_not_reported() -> None:
    assert _drop_default_lines(f"BEGIN;\n{DROP_AND_RESTORE_DEFAULT}\nCOMMIT;") == []
    # the runner's transaction (diesel, Prisma...) counts too
    assert _drop_default_lines(DROP_AND_RESTORE_DEFAULT, assume_in_transaction=True) == []
    # so does a later command of the same statement, even in autocommit
    one = (
        "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT, "
        "ALTER COLUMN plan TYPE varchar(20), ALTER COLUMN plan SET DEFAULT 'free';"
    )
    assert _drop_default_lines(one) == []


def test_drop_default_restored_after_the_transaction_is_reported() -> None:
    assert _drop_default_lines(DROP_AND_RESTORE_DEFAULT) == [1]  # autocommit: a window
    committed = (
        "BEGIN;\nALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\nCOMMIT;\n"
        "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';"
    )
    assert _drop_default_lines(committed) == [2]
    rolled_back = (
        "BEGIN;\nALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\nSAVEPOINT s;\n"
        "ROLLBACK TO SAVEPOINT s;\n"
        "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';\nCOMMIT;"
    )
    assert _drop_default_lines(rolled_back) == [2]  # sqlsafe stops at ROLLBACK TO
    other = (
        "BEGIN;\nALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\n"
        "ALTER TABLE accounts ALTER COLUMN id SET DEFAULT 0;\nCOMMIT;"
    )
    assert _drop_default_lines(other) == [2]  # another column's default


def test_drop_default_message_follows_the_other_commands_of_the_statement() -> None:
    def message(sql: str) -> str:
        (found,) = _lint(sql, PLAN, select=("drop-default",))
        return found.message

    dropped = (
        "ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL, ALTER COLUMN plan DROP DEFAULT;"
    )
    assert "store NULL (the same statement drops NOT NULL)" in message(dropped)
    assert "(the column is NOT NULL)" not in message(dropped)
    # the statement is atomic: other sessions see both changes at once, in either order
    after = "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT, ALTER COLUMN plan DROP NOT NULL;"
    assert "store NULL (the same statement drops NOT NULL)" in message(after)
    again = (
        "ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL, ALTER COLUMN plan SET NOT NULL, "
        "ALTER COLUMN plan DROP DEFAULT;"
    )
    assert "fail (the column is NOT NULL)" in message(again)
    other = "ALTER TABLE accounts ALTER COLUMN id DROP NOT NULL, ALTER COLUMN plan DROP DEFAULT;"
    assert "fail (the column is NOT NULL)" in message(other)


BALANCE = "CREATE TABLE accounts (id bigint, balance integer, note varchar(150));"


def _swap(column: str, new_type: str) -> str:
    return (
        f"ALTER TABLE accounts ADD COLUMN {column}_new {new_type};\n"
        f"UPDATE accounts SET {column}_new = {column};\n"
        f"ALTER TABLE accounts DROP COLUMN {column};\n"
        f"ALTER TABLE accounts RENAME COLUMN {column}_new TO {column};"
    )


def _drop_column(sql: str, **settings: object) -> list[tuple[int, str]]:
    return [(f.line, f.message) for f in _lint(sql, BALANCE, select=("drop-column",), **settings)]


def test_copy_and_swap_in_one_transaction_is_not_a_drop() -> None:
    assert _drop_column(f"BEGIN;\n{_swap('balance', 'int')}\nCOMMIT;") == []
    assert _drop_column(_swap("balance", "serial"), assume_in_transaction=True) == []
    # a wider type read and written without a conversion
    assert _drop_column(f"BEGIN;\n{_swap('note', 'text')}\nCOMMIT;") == []


def test_copy_and_swap_to_another_type_is_reported_as_a_replacement() -> None:
    (found,) = _drop_column(f"BEGIN;\n{_swap('balance', 'numeric(12, 2)')}\nCOMMIT;")
    assert found[0] == 4
    assert "`public.accounts.balance` is swapped for a new column of another type" in found[1]
    assert "numeric(12,2) (was integer)" in found[1] and "data is lost" not in found[1]
    # the model does not know the new column's type: nothing to say
    unknown = (
        "BEGIN;\nALTER TABLE accounts DROP COLUMN balance;\n"
        "ALTER TABLE accounts RENAME COLUMN balance_v2 TO balance;\nCOMMIT;"
    )
    assert _drop_column(unknown) == []


def test_copy_and_swap_outside_one_transaction_is_a_drop() -> None:
    (found,) = _drop_column(_swap("balance", "int"))  # autocommit: the column is missing
    assert found[0] == 3 and "data is lost" in found[1]
    committed = (
        "BEGIN;\nALTER TABLE accounts DROP COLUMN balance;\nCOMMIT;\n"
        "ALTER TABLE accounts RENAME COLUMN note TO balance;"
    )
    assert [line for line, _ in _drop_column(committed)] == [2]
    elsewhere = (
        "BEGIN;\nALTER TABLE accounts DROP COLUMN balance;\n"
        "ALTER TABLE other RENAME COLUMN x TO balance;\nCOMMIT;"
    )
    assert [line for line, _ in _drop_column(elsewhere)] == [2]


MOOD = (
    "CREATE TYPE \"Mood\" AS ENUM ('HAPPY', 'SAD');\n"
    'CREATE TABLE "Person" (id bigint, "mood" "Mood");'
)


def test_drop_type_no_column_uses_any_more_is_not_reported() -> None:
    def dropped(sql: str, *history: str) -> list[str]:
        return _names(_lint(sql, *history, select=("drop-type",)))

    # the table using it went in an earlier file (drop-table reported that one)
    assert not dropped('DROP TYPE "Mood";', MOOD, 'DROP TABLE "Person";')
    assert not dropped('ALTER TABLE "Person" DROP COLUMN "mood";\nDROP TYPE "Mood";', MOOD)
    moved = 'ALTER TABLE "Person" ALTER COLUMN "mood" TYPE text;\nDROP TYPE IF EXISTS "Mood";'
    assert not dropped(moved, MOOD)
    domain = "CREATE SCHEMA app;\nCREATE DOMAIN app.email AS text;\nCREATE TABLE u (e app.email);"
    assert not dropped("DROP DOMAIN app.email;", domain, "ALTER TABLE u DROP COLUMN e;")
    # a column of a type with the same name in another schema, named with its schema
    other = (
        "CREATE SCHEMA app;\nCREATE TYPE app.mood AS ENUM ('a');\nCREATE TYPE mood AS ENUM ('b');"
    )
    assert not dropped("DROP TYPE app.mood;", other, "CREATE TABLE t (m public.mood);")
    # a column added where the history does not show its type (a DO block) is not counted:
    # were it of this type, PostgreSQL would refuse the drop
    unseen = (
        "DO $$ BEGIN ALTER TABLE t ADD COLUMN f text; END $$;\nALTER TABLE t ALTER f SET NOT NULL;"
    )
    assert not dropped("DROP TYPE feeling;", "CREATE TYPE feeling AS ENUM ('a');", unseen)


def test_drop_type_still_used_unknown_or_cascade_is_reported() -> None:
    def dropped(sql: str, *history: str) -> list[str]:
        return _names(_lint(sql, *history, select=("drop-type",)))

    assert dropped('DROP TYPE "Mood";', MOOD) == ["drop-type"]
    for column in ('"Mood"[]', 'public."Mood"'):
        history = MOOD.replace('"mood" "Mood"', f"m {column}")
        assert dropped('DROP TYPE "Mood";', history) == ["drop-type"], column
    assert dropped('DROP TYPE "Mood" CASCADE;', MOOD, 'DROP TABLE "Person";') == ["drop-type"]
    assert dropped('DROP TYPE "Ghost";', MOOD) == ["drop-type"]  # not in the history
    # renamed by an earlier file: the column still uses it, under its new name
    renamed = 'ALTER TYPE "Mood" RENAME TO "Mood_old";'
    assert dropped('DROP TYPE "Mood_old";', MOOD, renamed) == ["drop-type"]


SCORES = (
    "CREATE TABLE scores (id bigint, points integer);\n"
    "CREATE OR REPLACE FUNCTION refresh_scores() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$;\n"
    "CREATE TRIGGER scores_refresh BEFORE UPDATE ON scores "
    "FOR EACH ROW EXECUTE FUNCTION refresh_scores();"
)


def test_drop_trigger_function_without_cascade_is_not_reported() -> None:
    def dropped(sql: str, *history: str) -> list[Finding]:
        return _lint(sql, *history, select=("drop-function",))

    assert not dropped("DROP TRIGGER scores_refresh ON scores;", SCORES)
    assert not dropped("DROP FUNCTION IF EXISTS refresh_scores;", SCORES)
    assert not dropped("DROP FUNCTION public.refresh_scores();", SCORES)
    # renamed by an earlier file: still a trigger function
    renamed = "ALTER FUNCTION refresh_scores() RENAME TO refresh_scores_old;"
    assert not dropped("DROP FUNCTION refresh_scores_old();", SCORES, renamed)
    # CASCADE drops its triggers silently
    (found,) = dropped("DROP FUNCTION refresh_scores() CASCADE;", SCORES)
    assert "drops every trigger" in found.message
    # an overload with arguments is not the trigger function
    assert _names(dropped("DROP FUNCTION refresh_scores(integer);", SCORES)) == ["drop-function"]
    # dropped, then created again as an ordinary function
    plain = (
        "DROP FUNCTION refresh_scores() CASCADE;\n"
        "CREATE FUNCTION refresh_scores() RETURNS int LANGUAGE sql AS 'SELECT 1';"
    )
    assert _names(dropped("DROP FUNCTION refresh_scores();", SCORES, plain)) == ["drop-function"]
    ordinary = "CREATE FUNCTION total() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint';"
    assert _names(dropped("DROP FUNCTION total();", ordinary)) == ["drop-function"]


def test_unbatched_backfill_ignores_updates_nested_in_rules() -> None:
    sql = "CREATE RULE r AS ON INSERT TO log DO INSTEAD UPDATE counters SET n = n + 1;"
    assert not _lint(sql, select=("unbatched-backfill",))


def test_unbatched_backfill_reports_one_finding_per_statement() -> None:
    found = _lint(
        "BEGIN;\nALTER TABLE a ADD COLUMN c int;\nUPDATE a SET c = 0;\nCOMMIT;",
        select=("unbatched-backfill",),
    )
    assert len(found) == 1
    assert "without WHERE" in found[0].message and "AccessExclusiveLock" in found[0].message


ORDERS = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, plan text, note text);",
    "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",
)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        (
            "UPDATE orders SET plan = a.plan FROM accounts a WHERE orders.account_id = a.id;",
            "only joins",
        ),
        ("UPDATE orders o SET plan = a.plan FROM accounts a WHERE a.id = o.account_id;", "joins"),
        ("UPDATE orders SET plan = 'free' WHERE plan IS NULL;", "IS NULL"),
        ("DELETE FROM orders WHERE note IS NULL;", "nothing to bound the batch"),
        ("UPDATE orders SET plan = 'free' WHERE plan IS NULL;", "fills every NULL"),
        ("DELETE FROM orders USING accounts WHERE orders.account_id = accounts.id;", "joins"),
        (
            "UPDATE orders SET plan = a.plan FROM accounts a\n"
            " WHERE orders.account_id = a.id AND orders.plan IS NULL;",
            "only joins `accounts` and tests `plan` IS NULL",
        ),
        (
            "UPDATE orders SET note = c.n FROM (SELECT account_id, count(*) AS n FROM orders"
            " GROUP BY account_id) c WHERE orders.account_id = c.account_id;",
            "only joins `c`",
        ),
    ],
)
def test_unbatched_backfill_a_where_that_only_joins_or_tests_null(sql: str, words: str) -> None:
    # issue 12: real backfills join, or fill the NULLs of a new column: every row
    (found,) = _lint(sql, *ORDERS, select=("unbatched-backfill",))
    assert words in found.message and "`public.orders`" in found.message


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders SET plan = a.plan FROM accounts a WHERE orders.account_id = a.id "
        "AND orders.id BETWEEN 1 AND 5000;",
        "UPDATE orders SET plan = 'free' WHERE plan IS NULL AND id < 5000;",
        "UPDATE orders SET plan = a.plan FROM accounts a WHERE orders.account_id = a.id "
        "AND a.plan = 'pro';",
        "DELETE FROM orders WHERE account_id = 42;",
        # rows that have a value are usually a subset (the local site, the linked rows)
        "DELETE FROM orders WHERE note IS NOT NULL;",
        # a CTE that picks the rows narrows the join
        "WITH broken AS (SELECT id FROM orders WHERE plan = 'x') "
        "DELETE FROM orders USING broken WHERE orders.id = broken.id;",
        "UPDATE orders SET plan = 'free' WHERE id IN (SELECT id FROM orders LIMIT 1000);",
    ],
)
def test_unbatched_backfill_a_narrowing_where_is_targeted(sql: str) -> None:
    assert not _lint(sql, *ORDERS, select=("unbatched-backfill",))


def test_unbatched_backfill_broad_where_on_a_new_table_is_fine() -> None:
    sql = (
        "CREATE TABLE fresh (id bigint, plan text);\n"
        "UPDATE fresh SET plan = 'free' WHERE plan IS NULL;"
    )
    assert not _lint(sql, select=("unbatched-backfill",))


def test_mixed_ddl_and_data_reports_once_per_transaction() -> None:
    sql = (
        "BEGIN;\nALTER TABLE a ADD COLUMN c int;\nUPDATE a SET c = 0 WHERE id < 10;\n"
        "ALTER TABLE b ADD COLUMN d int;\nDELETE FROM a WHERE id > 5;\nCOMMIT;\n"
        "BEGIN;\nDELETE FROM b WHERE d IS NULL;\nCREATE INDEX b_d ON b (d);\nCOMMIT;"
    )
    found = _lint(sql, select=("mixed-ddl-and-data",))
    assert [f.line for f in found] == [3, 9]


def test_mixed_ddl_and_data_ignores_seed_inserts_into_new_tables() -> None:
    sql = (
        "CREATE TABLE roles (id bigint PRIMARY KEY, name text);\n"
        "INSERT INTO roles VALUES (1, 'admin');\n"
        "ALTER TABLE users ADD COLUMN role_id bigint;"
    )
    assert not _lint(sql, select=("mixed-ddl-and-data",), assume_in_transaction=True)


def test_vacuum_full_and_cluster_of_the_whole_database() -> None:
    # not embedded examples: on a real server each table is processed in its own
    # transaction, so the example-claims trace cannot observe the lock
    for sql in ("VACUUM FULL;", "VACUUM (FULL, VERBOSE);", "CLUSTER;"):
        found = _lint(sql, select=("vacuum-full-or-cluster",))
        assert len(found) == 1 and "without a table" in found[0].message, sql


def test_truncate_reports_each_existing_table() -> None:
    found = _lint("CREATE TABLE n (id int);\nTRUNCATE a, n, b;", select=("truncate",))
    assert [f.message.split("`")[1] for f in found] == ["public.a", "public.b"]


@pytest.mark.skipif(corpus_dir() is None, reason="the real migration corpus is absent")
def test_part_b_rules_run_on_the_real_corpus_without_crashing() -> None:
    corpus = corpus_dir()
    assert corpus is not None
    lemmy = corpus / "LemmyNet__lemmy" / "migrations"
    if not lemmy.is_dir():
        pytest.skip("LemmyNet__lemmy not in the corpus")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "linter",
            "lint",
            str(lemmy),
            "--format",
            "json",
            "--select",
            "drop-view,drop-function,drop-type,unbatched-backfill,mixed-ddl-and-data",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr


def test_set_default_null_is_a_drop_and_no_restore() -> None:
    plan = "CREATE TABLE accounts (id bigint, plan text NOT NULL DEFAULT 'free');"
    restore_null = (
        "BEGIN;\nALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\n"
        "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT NULL;\nCOMMIT;"
    )
    found = _lint(restore_null, plan, select=("drop-default",))
    assert [f.line for f in found] == [2]  # line 3 then changes nothing
    alone = "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT NULL;"
    assert len(_lint(alone, plan, select=("drop-default",))) == 1


def test_copy_and_swap_that_loses_constraints_is_reported() -> None:
    history = (
        "CREATE TABLE accounts (id bigint, plan text NOT NULL DEFAULT 'free', email text UNIQUE, "
        "note text);\nCREATE INDEX accounts_plan_idx ON accounts (plan);"
    )

    def swapped(sql: str) -> list[str]:
        return [
            f.message for f in _lint(f"BEGIN;\n{sql}\nCOMMIT;", history, select=("drop-column",))
        ]

    (email,) = swapped(_swap("email", "text"))
    assert "without its unique constraint" in email
    (plan,) = swapped(_swap("plan", "text"))
    assert "without NOT NULL, its default, its indexes (`public.accounts_plan_idx`)" in plan
    # given back later in the same transaction: nothing is lost
    restored = (
        _swap("plan", "text DEFAULT 'free'")
        + "\nALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;"
        + "\nCREATE INDEX accounts_plan_idx2 ON accounts (plan);"
    )
    assert swapped(restored) == []
    assert swapped(_swap("note", "text")) == []  # nothing to lose


def test_a_foreign_key_whose_column_a_later_migration_drops_is_answered() -> None:
    from linter.analysis.engine import lint_sources
    from linter.inputs.source import Source

    sources = [
        Source("1.sql", "CREATE TABLE users (id bigint PRIMARY KEY);"),
        Source("2.sql", "CREATE TABLE posts (id bigint, user_id bigint REFERENCES users);"),
        Source("3.sql", "ALTER TABLE posts DROP COLUMN user_id;"),
    ]
    settings = Settings(select=("foreign-key-without-index",))
    assert not lint_sources(sources, RULES, settings).findings
    assert len(lint_sources(sources[:2], RULES, settings).findings) == 1


def test_second_audit_patterns() -> None:
    """Patterns a corpus audit found reported wrongly (each was reported before)."""
    history = (
        "CREATE TABLE users (id bigint PRIMARY KEY, sub text, email text);\n"
        "CREATE INDEX users_sub_idx ON users (sub);\nCREATE INDEX users_email_idx ON users (email);"
    )

    def rules(sql: str, *select: str) -> list[tuple[int, str]]:
        return [(f.line, f.rule) for f in _lint(sql, history, select=select)]

    # DROP NOT NULL of a column the history shows nullable changes nothing
    assert rules("ALTER TABLE users ALTER COLUMN sub DROP NOT NULL;", "drop-not-null") == []
    assert rules("ALTER TABLE users ALTER COLUMN id DROP NOT NULL;", "drop-not-null") == [
        (1, "drop-not-null")
    ]
    # DROP INDEX CONCURRENTLY blocks no query while it waits
    assert rules("DROP INDEX CONCURRENTLY users_sub_idx;", "require-lock-timeout") == []
    # a second DROP INDEX on a table the transaction already holds exclusively adds nothing
    drops = "BEGIN;\nDROP INDEX users_sub_idx;\nDROP INDEX users_email_idx;\nCOMMIT;"
    assert rules(drops, "non-concurrent-drop-index") == [(2, "non-concurrent-drop-index")]
    # nor must it wait for its index once the table is held
    held = "BEGIN;\nALTER TABLE users ADD COLUMN x int;\nDROP INDEX users_sub_idx;\nCOMMIT;"
    assert rules(held, "long-lock-hold") == []
    # an unqualified pg_* relation is the catalog, not application data
    catalog = (
        "BEGIN;\nALTER TABLE users ADD COLUMN y int;\n"
        "UPDATE pg_index SET indisready = true WHERE indrelid = 'users'::regclass;\nCOMMIT;"
    )
    assert rules(catalog, "unbatched-backfill", "mixed-ddl-and-data") == []


def test_add_foreign_key_names_the_lock_the_whole_statement_takes() -> None:
    history = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE posts (id bigint);"
    alone = "ALTER TABLE posts ADD CONSTRAINT p_fk FOREIGN KEY (id) REFERENCES users (id);"
    with_column = "ALTER TABLE posts ADD COLUMN user_id bigint REFERENCES users (id);"
    (found,) = _lint(alone, history, select=("add-foreign-key",))
    assert (
        "ShareRowExclusiveLock (blocks writes and other DDL; reads go on) on both" in found.message
    )
    (found,) = _lint(with_column, history, select=("add-foreign-key",))
    assert "AccessExclusiveLock (blocks all reads and writes) on `public.posts`" in found.message


def test_a_later_index_answers_a_foreign_key_across_renames() -> None:
    from linter.analysis.engine import lint_sources
    from linter.inputs.source import Source

    settings = Settings(select=("foreign-key-without-index",))
    base = [
        Source("1.sql", "CREATE TABLE users (id bigint PRIMARY KEY);"),
        Source("2.sql", "CREATE TABLE mod_add (id bigint, mod_user_id bigint REFERENCES users);"),
        Source("3.sql", "ALTER TABLE mod_add RENAME COLUMN mod_user_id TO mod_person_id;"),
        Source("4.sql", "CREATE INDEX idx_mod_add_mod ON mod_add (mod_person_id);"),
        Source("5.sql", "ALTER TABLE mod_add RENAME TO admin_add;"),
    ]
    assert not lint_sources(base, RULES, settings).findings
    assert len(lint_sources(base[:3], RULES, settings).findings) == 1


def test_renaming_a_column_keeps_its_constraints_and_indexes() -> None:
    from linter.lockmodel.schema import Schema
    from linter.sql.parsing import parse
    from linter.state.fold import apply_schema

    schema = Schema()
    sql = (
        "CREATE TABLE t (a int NOT NULL CHECK (a > 0) UNIQUE, b int);\n"
        "CREATE INDEX t_ab ON t (a, b);\nALTER TABLE t RENAME COLUMN a TO c;"
    )
    for stmt in parse(sql).statements:
        schema = apply_schema(schema, stmt.node)
    table = schema.table("public.t")
    assert table is not None and list(table.columns) == ["c", "b"]
    assert sorted(c.kind for c in table.constraints.values() if "c" in c.columns) == [
        "check",
        "unique",
    ]
    assert sorted(ix.columns for ix in schema.indexes_of("public.t")) == [("c",), ("c", "b")]


_PARTITIONED = (
    "CREATE TABLE ev (id bigint, n integer, at date) PARTITION BY RANGE (at);",
    "CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    "CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
    "CREATE TABLE ev_other PARTITION OF ev DEFAULT;",
)
_REF = "CREATE TABLE ref (id integer PRIMARY KEY);"


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("ALTER TABLE ev ALTER COLUMN n SET NOT NULL;", "set-not-null"),
        ("ALTER TABLE ev ADD CONSTRAINT ev_n CHECK (n > 0);", "add-check-constraint"),
        ("ALTER TABLE ev ALTER COLUMN n TYPE text;", "alter-column-type"),
        ("TRUNCATE ev;", "truncate"),
        (
            "CREATE TRIGGER ev_t BEFORE UPDATE ON ev FOR EACH ROW EXECUTE FUNCTION f();",
            "create-trigger-on-existing-table",
        ),
        ("ALTER TABLE ev ADD FOREIGN KEY (n) REFERENCES ref (id);", "add-foreign-key"),
        ("ALTER TABLE ev ADD COLUMN z integer NOT NULL;", "add-not-null-column"),
        ("ALTER TABLE ev ADD COLUMN z float8 DEFAULT random();", "volatile-default"),
        (
            "ALTER TABLE ev ADD COLUMN z integer GENERATED ALWAYS AS (n * 2) STORED;",
            "rewrite-column",
        ),
        ("ALTER TABLE ev ADD PRIMARY KEY (id, at);", "add-primary-key"),
        ("ALTER TABLE ev ADD UNIQUE (id, at);", "add-unique-constraint"),
        (
            "ALTER TABLE ev ADD EXCLUDE USING btree (id WITH =, at WITH =);",
            "add-exclusion-constraint",
        ),
        ("VACUUM FULL ev;", "vacuum-full-or-cluster"),
    ],
)
def test_findings_on_a_partitioned_table_name_its_partitions(sql: str, rule: str) -> None:
    # the statement locks, rewrites or scans every partition (tests/test_claims.py traces it)
    (found,) = [f for f in _lint(sql, *_PARTITIONED, _REF) if f.rule == rule]
    assert "and its 3 partitions" in found.message, found.message
    plain = _lint(
        sql.replace("ev", "other"), "CREATE TABLE other (id bigint, n integer, at date);", _REF
    )
    assert all("partition" not in f.message for f in plain)


def test_a_statement_trigger_on_a_partitioned_table_does_not_name_its_partitions() -> None:
    # only a row trigger is cloned onto (and locks) each partition (tests/test_claims.py)
    sql = "CREATE TRIGGER ev_t AFTER UPDATE ON ev FOR EACH STATEMENT EXECUTE FUNCTION f();"
    (found,) = [
        f for f in _lint(sql, *_PARTITIONED) if f.rule == "create-trigger-on-existing-table"
    ]
    assert "partition" not in found.message, found.message


def test_a_partitioned_table_rewritten_on_its_partitions_is_not_also_scanned() -> None:
    # the rewrite happens on the partitions (the parent has no rows): it checks the rows
    sql = (
        "ALTER TABLE ev ALTER COLUMN n TYPE text, ALTER COLUMN n SET NOT NULL, ADD CHECK (n <> '');"
    )
    names = _names(_lint(sql, *_PARTITIONED))
    assert "alter-column-type" in names
    assert "set-not-null" not in names and "add-check-constraint" not in names
