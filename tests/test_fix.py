"""`sqlsafe fix`: fixed files keep every other byte, lint clean, run, and stay fixed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scaffold_helpers import HISTORY, ROWS, describe, fresh_database, lint_files, query, run_files
from scaffold_helpers import setup as run_sql

from linter.analysis.registry import load_rules
from linter.cli import main
from linter.inputs.source import Source
from linter.state.context import Settings
from linter.writers.fixer import FixResult, FixSettings, fix_source
from linter.writers.scaffold_layouts import (
    OutFile,
    get_layout,
    next_versions,
    render_files,
    step_units,
)

NOW = dt.datetime(2025, 1, 2, 3, 4, 5)
FIX_HISTORY = HISTORY + (
    "CREATE INDEX accounts_user_id_idx ON accounts (user_id);\n"
    "CREATE INDEX old_idx ON accounts (name, id);\n"
)

# statement -> catalog check (SQL returning one boolean)
HAZARDS = {
    "CREATE INDEX accounts_name_idx ON accounts (name);": (
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_name_idx'::regclass"
    ),
    "CREATE UNIQUE INDEX accounts_id_name_key ON accounts (id, name);": (
        "SELECT indisvalid AND indisunique FROM pg_index "
        "WHERE indexrelid = 'accounts_id_name_key'::regclass"
    ),
    "ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id);": (
        "SELECT convalidated FROM pg_constraint WHERE conname = 'accounts_user_id_fkey'"
    ),
    "ALTER TABLE accounts ADD CONSTRAINT name_short CHECK (length(name) < 100);": (
        "SELECT convalidated FROM pg_constraint WHERE conname = 'name_short'"
    ),
    "ALTER TABLE accounts ALTER COLUMN user_id SET NOT NULL;": (
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
        "AND attname = 'user_id'"
    ),
    "DROP INDEX old_idx;": "SELECT to_regclass('old_idx') IS NULL",
}
# (layout, wrapped by the runner, explicit BEGIN/COMMIT in the file)
MODES = [
    ("plain", False, False),
    ("plain", False, True),
    ("goose", True, False),
    ("dbmate", True, False),
    ("flyway", True, False),
    ("golang-migrate", True, False),
    ("diesel", True, False),
]
MARKERS = {
    "goose": ("-- +goose Up\n", "\n-- +goose Down\n"),
    "dbmate": ("-- migrate:up\n", "\n-- migrate:down\n"),
}
PATHS = {
    "plain": "0002_change.sql",
    "goose": "00002_change.sql",
    "dbmate": "20250101000000_change.sql",
    "flyway": "V2__change.sql",
    "golang-migrate": "000002_change.up.sql",
    "diesel": "2025-01-01-000000_change/up.sql",
}


def build_file(statements: list[str], layout: str, explicit: bool) -> str:
    head, tail = MARKERS.get(layout, ("", ""))
    body = "-- a hand-written migration\n"
    for i, sql in enumerate(statements):
        body += f"-- step {i}\n{sql}  /* keep me */\n"
    if explicit:
        body = "BEGIN;\n" + body + "COMMIT;\n"
    return head + body + tail


def run_fix(text: str, layout: str, wrapped: bool, target: int = 15) -> FixResult:
    return fix_source(
        Source(PATHS[layout], text),
        [Source("<history>", FIX_HISTORY)],
        load_rules(),
        Settings(target_version=target),
        FixSettings(layout, wrapped),
    )


def output_files(result: FixResult, layout: str, wrapped: bool) -> list[OutFile]:
    lay = get_layout(layout)
    count = sum(len(step_units(s, lay)) for s in result.new_steps)
    versions = next_versions(Path("/nonexistent"), lay, count + 3, now=NOW)[3:]
    fixed = OutFile(PATHS[layout], result.fixed, wrapped)
    return [fixed, *render_files(result.new_steps, lay, versions, "2s", "5s")]


def test_plain_file_without_transaction_only_gains_keywords() -> None:
    text = (
        "-- keep this comment\n"
        "CREATE INDEX accounts_name_idx ON accounts (name); -- and this one\n"
        "DROP INDEX old_idx;\n"
    )
    result = run_fix(text, "plain", False)
    assert result.fixed == (
        "-- keep this comment\n"
        "SET lock_timeout = '2s';\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_name_idx ON accounts (name); -- and this one\n"
        "DROP INDEX CONCURRENTLY old_idx;\n"
    )
    assert not result.new_steps and not result.notes


def test_constraint_is_validated_after_the_commit() -> None:
    text = (
        "SET lock_timeout = '1s';\nBEGIN;\n"
        "ALTER TABLE accounts ADD CONSTRAINT name_short CHECK (length(name) < 100);\n"
        "COMMIT;\n-- tail\n"
    )
    result = run_fix(text, "plain", False)
    fixed = result.fixed
    assert fixed.startswith(  # NOT VALID: no scan, so no statement_timeout is needed
        "SET lock_timeout = '1s';\nBEGIN;\n"
        "ALTER TABLE accounts ADD CONSTRAINT name_short CHECK (length(name) < 100) NOT VALID;"
    )
    assert fixed.index("COMMIT;") < fixed.index("VALIDATE CONSTRAINT name_short")
    assert fixed.endswith("COMMIT;\n-- tail\n")


def test_unfixable_findings_are_reported_and_left_alone() -> None:
    text = "DROP INDEX old_idx CASCADE;\n"
    result = run_fix(text, "plain", False)
    assert "CONCURRENTLY" not in result.fixed
    assert any("non-concurrent-drop-index not fixed" in n for n in result.notes)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chosen=st.lists(st.sampled_from(sorted(HAZARDS)), min_size=2, max_size=4, unique=True),
    mode=st.sampled_from(MODES),
    target=st.sampled_from([15, 18]),
)
def test_fixed_files_lint_clean_run_and_stay_fixed(
    pg_dsn: str, chosen: list[str], mode: tuple[str, bool, bool], target: int
) -> None:
    layout, wrapped, explicit = mode
    text = build_file(chosen, layout, explicit)
    result = run_fix(text, layout, wrapped, target)
    assert not result.notes, result.notes
    # every comment of the original is still there, in order
    comments = [line for line in text.splitlines() if line.startswith("--")]
    kept = [line for line in result.fixed.splitlines() if line in comments]
    assert kept == comments
    files = output_files(result, layout, wrapped)
    findings = lint_files(files, get_layout(layout), history=FIX_HISTORY, target=target)
    assert not findings, describe(findings) + "\n" + result.fixed
    again = run_fix(result.fixed, layout, wrapped, target)
    assert not again.changed, again.fixed
    with fresh_database(pg_dsn) as url:
        run_sql(url, FIX_HISTORY + ROWS)
        run_files(url, files, get_layout(layout))
        for sql in chosen:
            assert query(url, HAZARDS[sql])[0][0] is True, sql
        # the helper CHECK of SET NOT NULL is gone once the column is NOT NULL
        helper = (
            "SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_user_id_not_null_chk'"
        )
        assert query(url, helper + " AND contype = 'c'")[0][0] == 0


def test_odd_names_from_the_file_are_quoted(pg_dsn: str) -> None:
    history = 'CREATE TABLE "x; DROP TABLE y" (id bigint PRIMARY KEY, "Col" bigint);\n'
    text = 'ALTER TABLE "x; DROP TABLE y" ALTER COLUMN "Col" SET NOT NULL;\n'
    result = fix_source(
        Source("0002.sql", text),
        [Source("<history>", history)],
        load_rules(),
        Settings(),
        FixSettings("plain", False),
    )
    assert (
        'ALTER TABLE "x; DROP TABLE y" VALIDATE CONSTRAINT "x; DROP TABLE y_Col_not_null_chk"'
        in (result.fixed)
    )
    files = [OutFile("0002.sql", result.fixed, False)]
    assert not lint_files(files, get_layout("plain"), history=history)
    with fresh_database(pg_dsn) as url:
        run_sql(
            url,
            history + 'INSERT INTO "x; DROP TABLE y" SELECT g, g FROM generate_series(1, 100) g;',
        )
        run_files(url, files, get_layout("plain"))
        rows = query(
            url,
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = 'Col'",
            '"x; DROP TABLE y"',
        )
        assert rows == [(True,)]


def test_cli_diff_write_and_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "0001_init.sql").write_text(FIX_HISTORY)
    change = tmp_path / "0002_change.sql"
    change.write_text(
        "BEGIN;\n-- mine\nCREATE INDEX accounts_name_idx ON accounts (name);\nCOMMIT;\n"
    )
    assert main(["fix", str(tmp_path)]) == 1
    diff = capsys.readouterr().out
    assert "+CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_name_idx" in diff
    assert "--- /dev/null" in diff
    assert "CONCURRENTLY" not in change.read_text()  # --diff changes nothing
    (tmp_path / "0003_other.sql").write_text("-- someone else's\n")
    assert main(["fix", "--write", str(change)]) == 0
    assert (tmp_path / "0003_other.sql").read_text() == "-- someone else's\n"
    # the index is built right after 0002, before 0003 (not after every migration)
    moved = tmp_path / "0002_change_1_create_accounts_name_idx.sql"
    assert "CONCURRENTLY" in moved.read_text()
    assert "-- mine" in change.read_text()
    err = capsys.readouterr().err
    assert "0003_other.sql follows it" in err and "edited-applied-migration" in err
    assert main(["fix", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["lint", "--no-cache", str(tmp_path)]) == 0


def test_cli_fixes_each_history_with_its_own_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `a` knows the column is NOT NULL already; `b` is another database that does not
    alter = "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/0001_init.sql").write_text("CREATE TABLE t (a int NOT NULL);\n")
    (tmp_path / "a/0002_alter.sql").write_text(alter)
    (tmp_path / "b/0001_alter.sql").write_text(alter)
    assert main(["fix", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    a_part, b_part = out.split("b/0001_alter.sql", 1)
    assert "a/0002_alter.sql" in a_part and "CHECK (a IS NOT NULL)" not in a_part
    assert "CHECK (a IS NOT NULL) NOT VALID" in b_part


def test_inserted_timeouts_keep_a_suppression_next_to_its_statement() -> None:
    text = (
        "-- Header\n-- sqlsafe: ignore non-concurrent-index -- tiny table\n"
        "CREATE INDEX a_idx ON accounts (email);\nCREATE INDEX b_idx ON accounts (id);\n"
    )
    fixed = run_fix(text, "plain", False).fixed
    assert (
        "-- sqlsafe: ignore non-concurrent-index -- tiny table\n"
        "CREATE INDEX a_idx ON accounts (email);"
    ) in fixed  # still suppressed: not made concurrent, nothing inserted in between
    assert fixed.index("SET lock_timeout") < fixed.index("-- sqlsafe: ignore")
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx" in fixed


def test_a_note_is_given_once_with_the_line_of_the_file_as_given() -> None:
    text = (
        "BEGIN;\nDO $$ BEGIN CREATE INDEX a_idx ON accounts (email); END $$;\n"
        "CREATE INDEX b_idx ON accounts (id);\nCOMMIT;\n"
    )
    notes = run_fix(text, "plain", False).notes
    assert [n for n in notes if "DO block" in n] == [
        "0002_change.sql:2: non-concurrent-index not fixed: inside a DO block: change the block by hand"
    ]


# the last statement of a file needs no `;`: what fix appends after it must still be SQL
UNTERMINATED = [
    "ALTER TABLE accounts ADD CONSTRAINT c FOREIGN KEY (user_id) REFERENCES users (id)",
    "ALTER TABLE accounts ADD CONSTRAINT name_short CHECK (length(name) < 100)",
    "ALTER TABLE accounts ALTER COLUMN user_id SET NOT NULL",
    "CREATE INDEX accounts_name_idx ON accounts (name)",
    "DROP INDEX old_idx",
]


def _finding_count(result: FixResult, layout: str, wrapped: bool, text: str) -> tuple[int, int]:
    lay = get_layout(layout)
    before = lint_files([OutFile(PATHS[layout], text, wrapped)], lay, history=FIX_HISTORY)
    after = lint_files(output_files(result, layout, wrapped), lay, history=FIX_HISTORY)
    return len(before), len(after)


@pytest.mark.parametrize("tail", ["", "\n", "  -- the end\n", "\n-- trailing comment"])
@pytest.mark.parametrize("mode", [("plain", False, False), ("goose", True, False)])
@pytest.mark.parametrize("statement", UNTERMINATED)
def test_a_last_statement_without_semicolon_is_fixed_into_valid_sql(
    statement: str, mode: tuple[str, bool, bool], tail: str
) -> None:
    import pglast

    layout, wrapped, _ = mode
    head, end = MARKERS.get(layout, ("", ""))
    text = head + "-- no semicolon at the end\n" + statement + tail
    if end:  # the goose Down marker after the last Up statement, still without `;`
        text = text.rstrip("\n") + "\n" + end.lstrip("\n")
    result = run_fix(text, layout, wrapped)
    assert result.changed and not result.notes, result.notes
    pglast.parse_sql(result.fixed)  # raises on a syntax error
    for step in result.new_steps:
        pglast.parse_sql(step.body)
    assert result.fixed.count("VALIDATE CONSTRAINT") <= 1, result.fixed
    again = run_fix(result.fixed, layout, wrapped)
    assert not again.changed, again.fixed
    before, after = _finding_count(result, layout, wrapped, text)
    assert after <= before, (before, after, result.fixed)


def test_an_unterminated_commit_gets_its_semicolon_before_the_validation() -> None:
    import pglast

    text = f"BEGIN;\n{UNTERMINATED[0]};\nCOMMIT"
    result = run_fix(text, "plain", False)
    pglast.parse_sql(result.fixed)
    assert "NOT VALID;\nCOMMIT;\nBEGIN;" in result.fixed
    assert not run_fix(result.fixed, "plain", False).changed


def test_an_index_a_later_statement_of_the_file_needs_is_not_moved_after_it(
    pg_dsn: str,
) -> None:
    # formbricks 20260414000000_added_connector_model: a composite foreign key needs the
    # unique index built just before it; moved to a later migration, the file fails
    text = (
        "-- +goose Up\n"
        "CREATE UNIQUE INDEX accounts_id_name_key ON accounts (id, name);\n"
        "CREATE INDEX accounts_lower_name_idx ON accounts (lower(name));\n"
        "CREATE TABLE notes (id bigint PRIMARY KEY, account_id bigint, account_name text,\n"
        "  FOREIGN KEY (account_id, account_name) REFERENCES accounts (id, name));\n"
        "-- +goose Down\n"
    )
    result = run_fix(text, "goose", True)
    assert "CREATE UNIQUE INDEX accounts_id_name_key ON accounts (id, name);" in result.fixed
    index_notes = [n for n in result.notes if "non-concurrent-index" in n]
    assert len(index_notes) == 1 and (
        "non-concurrent-index not fixed: a later statement of the file uses accounts "
        "(CREATE TABLE notes" in index_notes[0]
    ), result.notes
    # the other index is not needed by anything after it: it is moved
    assert [s.slug for s in result.new_steps] == ["create_accounts_lower_name_idx"]
    with fresh_database(pg_dsn) as url:
        run_sql(url, FIX_HISTORY + ROWS)
        run_files(url, output_files(result, "goose", True), get_layout("goose"))
        assert query(url, "SELECT to_regclass('accounts_id_name_key') IS NOT NULL") == [(True,)]


def test_statements_moved_in_later_passes_keep_the_order_of_the_file(pg_dsn: str) -> None:
    # lemmy 2023-07-14-154840: DROP INDEX x ... CREATE INDEX x. The drop is moved only
    # once the build has been moved (a later pass): its new file must still come first
    text = (
        "-- +goose Up\n"
        "DROP INDEX old_idx;\n"
        "CREATE INDEX old_idx ON accounts (name);\n"
        "-- +goose Down\n"
    )
    result = run_fix(text, "goose", True)
    assert [s.slug for s in result.new_steps] == ["drop_old_idx", "create_old_idx"]
    with fresh_database(pg_dsn) as url:
        run_sql(url, FIX_HISTORY + ROWS)
        run_files(url, output_files(result, "goose", True), get_layout("goose"))
        rows = query(url, "SELECT pg_get_indexdef('old_idx'::regclass)")
        assert "(name)" in str(rows[0][0]), rows


LONG = "a_very_long_table_name_that_goes_on_and_on_and_on_for_ages"
NAMED_BY_POSTGRES = [
    ("t", "FOREIGN KEY (a) REFERENCES p (id)", ("a",), "fkey"),
    ("t", "FOREIGN KEY (a, b) REFERENCES p (id, k)", ("a", "b"), "fkey"),
    ("t", "CHECK (a > 0)", ("a",), "check"),
    ("t", "CHECK (a > b)", (), "check"),  # several columns: no column in the name
    (LONG, "FOREIGN KEY (a, b) REFERENCES p (id, k)", ("a", "b"), "fkey"),
    (LONG, f"FOREIGN KEY ({LONG}_col, b) REFERENCES p (id, k)", (f"{LONG}_col", "b"), "fkey"),
    ("tablé_" + "é" * 30, "CHECK (a > b)", (), "check"),
]


@pytest.mark.parametrize(("table", "constraint", "columns", "label"), NAMED_BY_POSTGRES)
def test_an_unnamed_constraint_gets_the_name_postgres_would_give_it(
    pg_db: str, table: str, constraint: str, columns: tuple[str, ...], label: str
) -> None:
    # lemmy 2026-04-22-005541 drops `modlog_check` by the name PostgreSQL gave the
    # unnamed CHECK of 2026-02-03-235249; named otherwise by fix, it stayed, and the
    # later ADD CHECK clashed with it
    from linter.writers.fixer import default_constraint_name

    long_col = f"{LONG}_col"
    run_sql(
        pg_db,
        "CREATE TABLE p (id int UNIQUE, k int, UNIQUE (id, k));\n"
        f'CREATE TABLE "{table}" (a int, b int, "{long_col}" int);\n'
        f'ALTER TABLE "{table}" ADD {constraint};\n',
    )
    sql = "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass"
    rows = query(pg_db, sql, f'"{table}"')
    assert rows == [(default_constraint_name(table, columns, label),)]


def test_fix_names_an_unnamed_check_as_postgres_does() -> None:
    text = "ALTER TABLE accounts ADD CHECK (id > user_id);\n"
    assert "ADD CONSTRAINT accounts_check CHECK" in run_fix(text, "plain", False).fixed
