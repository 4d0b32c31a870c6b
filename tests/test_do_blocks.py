"""The statements a DO block runs are linted where they are written, in the block's
transaction, and folded into the schema model (see ``linter/sql/plpgsql.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.analysis.engine import Finding, lint_sql
from linter.analysis.registry import load_rules
from linter.api import lint_paths
from linter.inputs.config import Config
from linter.lockmodel.schema import Schema
from linter.sql.parsing import parse
from linter.sql.plpgsql import inner_statements
from linter.state.context import Settings
from linter.state.fold import apply_schema

RULES = load_rules(plugins=False)
ACCOUNTS = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);"

GUARDED = """\
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'accounts_email_idx') THEN
    CREATE INDEX accounts_email_idx ON accounts (email);
  ELSE
    RAISE NOTICE 'already there';
  END IF;
  EXECUTE 'ALTER TABLE accounts ALTER COLUMN id TYPE int';
  EXECUTE format('DROP TABLE %I', 'ghosts');
END
$$;
"""


def lint(sql: str, *history: str, **settings: object) -> list[Finding]:
    return lint_sql(sql, RULES, Settings(**settings), history=history)  # type: ignore[arg-type]


def located(findings: list[Finding], rule: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in findings if f.rule == rule]


def test_the_statements_of_a_block_are_read_in_every_branch() -> None:
    (stmt,) = parse(GUARDED).statements
    assert stmt.node is not None
    inner = inner_statements(stmt.node)
    assert [(s.line, s.sql) for s in inner] == [
        (4, "CREATE INDEX accounts_email_idx ON accounts (email)"),
        (8, "ALTER TABLE accounts ALTER COLUMN id TYPE int"),  # EXECUTE of a constant
    ]  # the SELECT of the IF is a condition, format() is built at run time


def test_findings_point_at_the_statement_inside_the_block() -> None:
    findings = lint(GUARDED, ACCOUNTS)
    assert located(findings, "non-concurrent-index") == [(4, 5)]
    assert located(findings, "alter-column-type") == [(8, 12)]
    index = next(f for f in findings if f.rule == "non-concurrent-index")
    assert index.message.endswith("(in the DO block at line 1)")
    assert index.sql == "CREATE INDEX accounts_email_idx ON accounts (email)"


def test_a_block_is_one_transaction() -> None:
    sql = (
        "DO $$ BEGIN\n"
        "  ALTER TABLE accounts ADD COLUMN plan text;\n"
        "  UPDATE accounts SET plan = 'free';\n"
        "END $$;\n"
        "UPDATE accounts SET email = lower(email);\n"
    )
    findings = lint(sql, ACCOUNTS, select=("mixed-ddl-and-data",))
    # the UPDATE in the block runs while its ALTER's lock is held; the one after does not
    assert located(findings, "mixed-ddl-and-data") == [(3, 3)]


def test_a_suppression_before_the_block_covers_its_statements() -> None:
    sql = "-- sqlsafe: ignore non-concurrent-index -- tiny table\n" + GUARDED
    assert not located(lint(sql, ACCOUNTS), "non-concurrent-index")


def test_the_model_learns_what_a_block_creates() -> None:
    block = "DO $$ BEGIN ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'x'; END $$;"
    (stmt,) = parse(block).statements
    schema = Schema()
    for history in parse(ACCOUNTS).statements:
        schema = apply_schema(schema, history.node)
    after = apply_schema(schema, stmt.node)
    column = after.column("public.accounts", "plan")
    assert column is not None and column.not_null
    # so a later migration's SET NOT NULL on it needs no scan
    findings = lint("ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;", ACCOUNTS, block)
    assert not located(findings, "set-not-null")


def test_a_block_in_another_language_or_that_does_not_parse_is_opaque() -> None:
    for sql in (
        "DO LANGUAGE plperl $$ my $x = 1; $$;",
        "DO $$ BEGIN CREATE INDEX i ON accounts (email) END $$;",  # missing ';'
    ):
        findings = lint(sql, ACCOUNTS)
        assert not located(findings, "non-concurrent-index"), sql


def test_a_body_that_pl_pgsql_rejects_is_a_located_syntax_error() -> None:
    cases = {
        # the token the parser names, where it is written
        "SELECT 1;\nDO $$\nBEGIN\n  PERFORM 1;\n  SELEC 1;\nEND $$;\n": (5, 3),
        "DO $do$ BEGIN RAISE NOTICE 'é'; foo(); END $do$;": (1, 33),
        "\nDO $$ BEGIN IF x THEN END; $$;": (2, 26),  # END IF expected
        # a token written more than once: the one the parser stopped at
        "\nDO $$ BEGIN PERFORM 1; IF x THEN END; $$;": (2, 37),
        "DO $$ BEGIN PERFORM '{'; PERFORM 1 {{ x }}; PERFORM {{ y }}; END $$;": (1, 36),
        # a reason that names no token: the DO statement
        "DO $$ BEGIN x := 1; END $$;": (1, 1),  # "x" is not a known variable
        "DO $$ BEGIN CREATE INDEX i ON accounts (email) END $$;": (1, 1),
    }
    for sql, where in cases.items():
        findings = [f for f in lint(sql, ACCOUNTS) if f.rule == "syntax-error"]
        assert [(f.line, f.column) for f in findings] == [where], (sql, findings)
        assert "PL/pgSQL" in findings[0].message and "rejects" in findings[0].message
    (finding,) = [f for f in lint("DO $$ BEGIN x := 1; END $$;") if f.rule == "syntax-error"]
    assert '"x" is not a known variable' in finding.message


def test_a_body_that_parses_or_is_not_pl_pgsql_is_no_syntax_error() -> None:
    for sql in (
        GUARDED,
        "DO LANGUAGE plperl $$ my $x = 1; $$;",
        "DO LANGUAGE plpgsql $$ DECLARE r record; BEGIN FOR r IN SELECT 1 LOOP END LOOP; END $$;",
        "DO 'BEGIN PERFORM 1; END';",
    ):
        assert not located(lint(sql, ACCOUNTS), "syntax-error"), sql


def test_a_rejected_body_is_reported_once_and_can_be_suppressed(tmp_path: Path) -> None:
    sql = "DO $$ BEGIN SELEC 1; END $$;\n"
    (tmp_path / "001_init.sql").write_text(ACCOUNTS + "\n" + sql)
    (tmp_path / "002_again.sql").write_text(sql)
    result = lint_paths([str(tmp_path)], Config(), rules=RULES, explain=True)
    assert [(Path(f.path).name, f.line) for f in result.findings if f.rule == "syntax-error"] == [
        ("001_init.sql", 2),
        ("002_again.sql", 1),
    ]
    quiet = "-- sqlsafe: ignore syntax-error -- kept as written\n" + sql
    assert not located(lint(quiet, ACCOUNTS), "syntax-error")


BROKEN_BLOCKS = (
    "DO $$\nBEGIN\n  PERFORM 1;\n  SELEC 1;\nEND $$",
    "DO $$ BEGIN IF true THEN END; $$",
    "DO $$ BEGIN PERFORM 1; IF true THEN NULL; END; $$",
    'DO $$ BEGIN\n  ALTER TABLE "{{ .Schema "x" }}".t ADD COLUMN c int;\nEND $$',
    "DO $$ BEGIN\n  PERFORM '{}';\n  ALTER TABLE {{ .Schema }}.t ADD COLUMN {{ .Col }} int;\nEND $$",
    "DO $$ BEGIN x := 1; END $$",
    "DO $$ BEGIN RETURN 1; END $$",
    "DO $$ DECLARE n int BEGIN NULL; END $$",
    "DO $$ BEGIN PERFORM 1 FROM; END $$",
)


def test_postgresql_rejects_each_reported_block_where_it_is_reported(pg_db: str) -> None:
    """The server compiles the body when the block runs: every block reported is one it
    rejects before running anything, and a reported token is where it stops."""
    import psycopg

    with psycopg.connect(pg_db, autocommit=True) as conn:
        for sql in BROKEN_BLOCKS:
            (finding,) = [f for f in lint(sql) if f.rule == "syntax-error"]
            with pytest.raises(psycopg.errors.ProgrammingError) as caught:
                conn.execute(sql.encode())
            diag = caught.value.diag
            # compiling failed: nothing ran, so no PL/pgSQL statement is in the context
            assert "PL/pgSQL function" not in (diag.context or ""), (sql, diag.context)
            assert diag.message_primary is not None and diag.message_primary in finding.message
            if (finding.line, finding.column) != (1, 1):
                offset = int(diag.statement_position or 0) - 1
                line = sql.count("\n", 0, offset) + 1
                column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
                assert (finding.line, finding.column) == (line, column), sql


def test_explain_shows_what_the_whole_block_locks(tmp_path: Path) -> None:
    (tmp_path / "001_init.sql").write_text(ACCOUNTS)
    (tmp_path / "002_block.sql").write_text(GUARDED)
    result = lint_paths([str(tmp_path)], Config(), rules=RULES, explain=True)
    block = next(s for s in result.statements if s.path.endswith("002_block.sql"))
    assert {k: v.value for k, v in block.effects.named_locks.items()} == {
        "public.accounts": "AccessExclusiveLock"
    }
    # the rewrite rebuilds the table's indexes, the one the block creates among them
    assert set(block.effects.implied) == {"public.accounts_pkey", "public.accounts_email_idx"}
    assert block.effects.rewrites == ("public.accounts",)
    assert {f.rule for f in block.findings} >= {"non-concurrent-index", "alter-column-type"}


def test_fix_leaves_a_block_alone() -> None:
    from linter.inputs.source import Source
    from linter.writers.fixer import FixSettings, fix_source

    history = [Source("001_init.sql", ACCOUNTS)]
    result = fix_source(
        Source("002_block.sql", GUARDED),
        history,
        RULES,
        Settings(),
        FixSettings(layout="plain", wrapped=False),
    )
    assert "CONCURRENTLY" not in result.fixed
    assert any("inside a DO block" in note for note in result.notes)


_BODY_PARTS = st.sampled_from(
    [
        "ALTER TABLE accounts ADD COLUMN c int;",
        "CREATE INDEX accounts_c_idx ON accounts (email);",
        "UPDATE accounts SET email = lower(email);",
        "EXECUTE 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL';",
        "EXECUTE 'SELECT ''it''''s''';",
        "EXECUTE format('DROP TABLE %I', 'x');",
        "PERFORM 1;",
        "RAISE NOTICE 'done: %', 1;",
        "IF true THEN CREATE INDEX a_idx ON accounts (id); ELSE NULL; END IF;",
        "FOR i IN 1..3 LOOP UPDATE accounts SET id = id WHERE id = i; END LOOP;",
        "BEGIN DROP INDEX accounts_c_idx; EXCEPTION WHEN undefined_object THEN NULL; END;",
        "CASE WHEN 1 = 1 THEN ALTER TABLE accounts DROP COLUMN c; ELSE NULL; END CASE;",
        "ALTER TABLE accounts ADD COLUMN;",  # does not parse: the body is opaque
        "-- a comment $$ with dollars\n",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_BODY_PARTS, max_size=6),
    st.sampled_from(["$$", "$body$", "$do$"]),
    st.booleans(),
    st.sampled_from(["", "BEGIN;\n", "SET lock_timeout = '1s';\n"]),
)
def test_generated_blocks_never_crash_and_findings_stay_in_the_block(
    parts: list[str], quote: str, language: bool, before: str
) -> None:
    if "$$" in quote and any("$$" in p for p in parts):
        parts = [p for p in parts if "$$" not in p]
    body = "\n  ".join(parts)
    head = "DO LANGUAGE plpgsql " if language else "DO "
    block = f"{head}{quote}\nBEGIN\n  {body}\nEND\n{quote};\n"
    sql = before + block + "SELECT 1;\n"
    findings = lint(sql, ACCOUNTS)
    first = before.count("\n") + 1
    last = first + block.count("\n") - 1
    for f in findings:
        if f.message.endswith(f"(in the DO block at line {first})"):
            assert first < f.line < last, (sql, f)


def test_execute_of_any_constant_string_is_read() -> None:
    sql = (
        "DO $$ BEGIN\n"
        "  EXECUTE $q$ALTER TABLE accounts ALTER COLUMN id TYPE int$q$;\n"
        "  EXECUTE E'CREATE INDEX i1 ON accounts (email)';\n"
        "  EXECUTE ('CREATE INDEX i2 ON accounts (email)');\n"
        "  EXECUTE 'CREATE INDEX i3 ON accounts (email) WHERE email <> ''x''';\n"
        "  EXECUTE 'CREATE INDEX ' || 'i4 ON accounts (email)';\n"
        "END $$;"
    )
    findings = lint(sql, ACCOUNTS)
    assert located(findings, "alter-column-type") == [(2, 14)]
    # (E'' is found on its line; the doubled quotes of i3 are matched as written)
    assert [line for line, _ in located(findings, "non-concurrent-index")] == [3, 4, 5]
    assert located(findings, "non-concurrent-index")[2] == (5, 12)


def test_a_session_set_in_a_block_outlives_it() -> None:
    sql = (
        "DO $$ BEGIN SET lock_timeout = '1s'; SET LOCAL statement_timeout = '5s'; END $$;\n"
        "ALTER TABLE accounts ALTER COLUMN id TYPE int;"
    )
    findings = lint(sql, ACCOUNTS)
    assert not located(findings, "require-lock-timeout")  # SET: the session keeps it
    assert located(findings, "require-statement-timeout") == [(2, 1)]  # SET LOCAL ended


def test_a_block_whose_statements_are_read_is_not_itself_arbitrary_code() -> None:
    sql = (
        "BEGIN;\nALTER TABLE accounts ADD COLUMN a int;\n"
        "DO $$ BEGIN\n  UPDATE accounts SET a = 1;\nEND $$;\nCOMMIT;"
    )
    assert located(lint(sql, ACCOUNTS), "long-lock-hold") == [(4, 3)]  # not the DO too


# ------------------------------------------------------------ COMMIT in a DO block (issue 12)
BATCHED = """\
DO $$
DECLARE n bigint;
BEGIN
  LOOP
    UPDATE accounts SET email = lower(email)
     WHERE id IN (SELECT id FROM accounts WHERE email <> lower(email) ORDER BY id LIMIT 1000);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
    COMMIT;
  END LOOP;
END
$$;
"""


def test_do_block_commit_fails_inside_a_transaction() -> None:
    wrapped = lint(BATCHED, ACCOUNTS, assume_in_transaction=True)
    (found,) = [f for f in wrapped if f.rule == "do-block-commit-in-transaction"]
    assert found.line == 1 and "invalid transaction termination" in found.message
    assert "COMMIT (line 9) in a loop inside the runner's" in found.message
    assert found.severity.name == "ERROR"
    explicit = lint("BEGIN;\n" + BATCHED + "COMMIT;\n", ACCOUNTS)
    (found,) = [f for f in explicit if f.rule == "do-block-commit-in-transaction"]
    assert found.line == 2 and "(line 10)" in found.message and "BEGIN" in found.message
    # run on its own (autocommit), the block commits each batch: nothing to say
    assert not located(lint(BATCHED, ACCOUNTS), "do-block-commit-in-transaction")


def test_do_block_commit_on_the_server(pg_db: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(ACCOUNTS)
        conn.execute("INSERT INTO accounts VALUES (1, 'A'), (2, 'B')")
        conn.execute(BATCHED)  # on its own: fine
        conn.execute("UPDATE accounts SET email = upper(email)")  # (the loop reaches COMMIT)
        with pytest.raises(psycopg.errors.InvalidTransactionTermination):
            with conn.transaction():
                conn.execute(BATCHED)
        with pytest.raises(psycopg.errors.InvalidTransactionTermination):
            conn.execute("SELECT 1;\n" + BATCHED)  # one multi-statement query


OFFSET_LOOP = """\
DO $$
DECLARE page int := 0; n bigint;
BEGIN
  LOOP
    UPDATE accounts SET email = lower(email)
     WHERE id IN (SELECT id FROM accounts WHERE email <> lower(email)
                  ORDER BY id LIMIT 1000 OFFSET page * 1000);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXIT WHEN n = 0;
    page := page + 1;
    COMMIT;
  END LOOP;
END
$$;
"""


def test_offset_pagination_over_rows_the_loop_changes() -> None:
    found = [f for f in lint(OFFSET_LOOP, ACCOUNTS) if f.rule == "offset-batch-loop"]
    assert [f.line for f in found] == [1] and "(line 5)" in found[0].message
    assert "keyset" in (found[0].help or "") and "`email`" in found[0].message
    # paging over a condition the UPDATE does not change skips nothing
    stable = OFFSET_LOOP.replace("WHERE email <> lower(email)\n", "WHERE id > 0\n")
    assert not [f for f in lint(stable, ACCOUNTS) if f.rule == "offset-batch-loop"]
    # a DELETE shrinks the set whatever the condition
    delete = OFFSET_LOOP.replace(
        "UPDATE accounts SET email = lower(email)", "DELETE FROM accounts"
    ).replace("WHERE email <> lower(email)\n", "WHERE id > 0\n")
    (found,) = [f for f in lint(delete, ACCOUNTS) if f.rule == "offset-batch-loop"]
    assert "its DELETE removes" in found.message
    # keyset pagination: no OFFSET
    assert not [f for f in lint(BATCHED, ACCOUNTS) if f.rule == "offset-batch-loop"]


def test_offset_pagination_skips_rows_on_the_server(pg_db: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(ACCOUNTS)
        conn.execute("INSERT INTO accounts SELECT i, 'A' || i FROM generate_series(1, 5000) i")
        conn.execute(OFFSET_LOOP)
        left = conn.execute("SELECT count(*) FROM accounts WHERE email <> lower(email)")
        assert left.fetchone() == (2000,)  # the pages it skipped


def test_read_body_lists_each_statement_once() -> None:
    """A constant EXECUTE is a statement of the body once, not again as dynamic SQL."""
    from linter.sql.plpgsql import read_body

    body = (
        "DECLARE r record; BEGIN EXECUTE 'CREATE TABLE x (id int)'; "
        "EXECUTE format('DROP TABLE %I', 'y'); FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END"
    )
    reading = read_body(body)
    assert reading is not None
    assert [s.sql for s in reading.statements] == [
        "CREATE TABLE x (id int)",
        "DROP TABLE sqlsafe_arg",
        "SELECT 1",
    ]
