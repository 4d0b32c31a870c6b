"""Scaffolding: generated migrations lint clean and run on a real PostgreSQL with rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scaffold_helpers import (
    HISTORY,
    ROWS,
    columns,
    describe,
    fresh_database,
    lint_files,
    query,
    run_files,
    setup,
)

from linter.analysis.registry import load_rules
from linter.cli import cli
from linter.inputs.source import Source
from linter.state.context import Settings
from linter.writers import scaffold
from linter.writers.fixer import FixSettings, fix_source
from linter.writers.plan import rename_column
from linter.writers.scaffold_layouts import (
    LAYOUTS,
    FileStep,
    OutFile,
    detect_layout,
    get_layout,
    next_versions,
    render_files,
    write_files,
)
from linter.writers.scaffold_sql import InvalidInput, expression, parse_name, quote_ident, sql_type

NOW = dt.datetime(2025, 1, 2, 3, 4, 5)


def files_for(steps: list[FileStep], layout_name: str, target: int = 15) -> list:
    layout = get_layout(layout_name)
    versions = next_versions(Path("/nonexistent"), layout, len(steps) * 8, now=NOW)
    return render_files(steps, layout, versions, "2s")


# --------------------------------------------------------------------- input handling
def test_identifiers_are_quoted_as_one_name() -> None:
    assert parse_name("x; DROP TABLE y").sql == '"x; DROP TABLE y"'
    assert parse_name("billing.Accounts").sql == "billing.accounts"
    assert parse_name('"Odd"."Name"').sql == '"Odd"."Name"'
    assert quote_ident("order") == '"order"'
    assert quote_ident('a"b') == '"a""b"'


@pytest.mark.parametrize("bad", ["1); DROP TABLE y; --", "1; DROP TABLE y", "1, 2", "1 FROM t"])
def test_expressions_that_are_not_one_expression_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        expression(bad)


@pytest.mark.parametrize("bad", ["int); DROP TABLE y; --", "text NOT NULL", "", "int, b int"])
def test_types_are_parsed(bad: str) -> None:
    with pytest.raises(InvalidInput):
        sql_type(bad)


def test_control_characters_in_names_are_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_name("a\nDROP TABLE y")


def test_not_null_needs_a_value_for_existing_rows() -> None:
    with pytest.raises(InvalidInput):
        scaffold.new_column("accounts", "email", "text", scaffold.Options(), not_null=True)


# ------------------------------------------------------------------------------ layouts
def test_detect_layout(tmp_path: Path) -> None:
    assert detect_layout(tmp_path) == "plain"
    (tmp_path / "000001_init.up.sql").write_text("SELECT 1;")
    assert detect_layout(tmp_path) == "golang-migrate"
    other = tmp_path / "g"
    other.mkdir()
    (other / "20240101000000_init.sql").write_text("-- +goose Up\nSELECT 1;\n")
    assert detect_layout(other) == "goose"


def test_numbering_continues_after_existing(tmp_path: Path) -> None:
    (tmp_path / "0007_init.sql").write_text("SELECT 1;")
    assert next_versions(tmp_path, get_layout("plain"), 2) == ["0008", "0009"]
    (tmp_path / "V3__x.sql").write_text("SELECT 1;")
    assert next_versions(tmp_path, get_layout("flyway"), 1) == ["4"]
    stamps = next_versions(tmp_path, get_layout("dbmate"), 2, now=NOW)
    assert stamps == ["20250102030405", "20250102030406"]


def test_cli_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint PRIMARY KEY);\n")
    runner = CliRunner()
    args = ["new-index", "accounts", "id", "--dir", str(tmp_path), "--name", "accounts_id_idx"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert (tmp_path / "0002_create_accounts_id_idx.sql").is_file()
    printed = runner.invoke(cli, [*args, "--stdout"])
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_id_idx" in printed.output
    # the next run numbers after the file written
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and (tmp_path / "0003_create_accounts_id_idx.sql").is_file()


def test_nothing_is_overwritten_without_force(tmp_path: Path) -> None:
    files = files_for(scaffold.drop_index("i", scaffold.Options()), "plain")
    (tmp_path / files[0].path).write_text("-- mine\n")
    with pytest.raises(FileExistsError, match="--force"):
        write_files(tmp_path, files, force=False)
    assert (tmp_path / files[0].path).read_text() == "-- mine\n"
    write_files(tmp_path, files, force=True)
    assert "DROP INDEX CONCURRENTLY" in (tmp_path / files[0].path).read_text()


def test_cli_refuses_bad_expression(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["new-column", "t", "c", "int", "--default", "1); DROP TABLE y; --", "--stdout"]
    )
    assert result.exit_code == 2
    assert "not valid SQL" in result.output


def test_every_file_starts_with_a_comment_and_lock_timeout() -> None:
    steps = scaffold.new_column(
        "accounts", "email", "text", scaffold.Options(), default="''", not_null=True, index=True
    )
    for layout in ("plain", "goose", "flyway"):
        for out in files_for(steps, layout):
            if not out.path.endswith(".sql"):
                continue
            lines = out.text.splitlines()
            assert lines[0].startswith("-- ")
            assert any("lock_timeout" in line for line in lines[:8]), out.text


# ----------------------------------------------------------------- lint clean + real run
def _check_clean(files: list, layout: str, target: int = 15) -> None:
    findings = lint_files(files, get_layout(layout), target=target)
    assert not findings, describe(findings)


def _indexes(url: str, table: str) -> dict[str, tuple[bool, bool]]:
    rows = query(
        url,
        "SELECT indexrelid::regclass::text, indisunique, indisvalid FROM pg_index "
        "WHERE indrelid = to_regclass(%s)",
        table,
    )
    return {str(n): (bool(u), bool(v)) for n, u, v in rows}


def _constraints(url: str, table: str) -> dict[str, tuple[str, bool]]:
    rows = query(
        url,
        "SELECT conname, contype::text, convalidated FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s)",
        table,
    )
    return {str(n): (str(t), bool(v)) for n, t, v in rows}


NAMES = st.sampled_from(
    ["email", "Email Address", "x; DROP TABLE y", "order", "naïve", 'quote"d', "a" * 63]
)
TYPES = st.sampled_from(["text", "bigint", "boolean", "timestamptz", "jsonb", "numeric(12, 2)"])
FILL = {
    "text": "'v' || id",
    "bigint": "id * 2",
    "boolean": "true",
    "timestamptz": "now()",
    "jsonb": "'{}'::jsonb",
    "numeric(12, 2)": "id / 3.0",
}
DEFAULTS = {
    "text": "''",
    "bigint": "0",
    "boolean": "false",
    "timestamptz": "now()",
    "jsonb": "'{}'",
    "numeric(12, 2)": "0",
}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    column=NAMES,
    type_=TYPES,
    layout=st.sampled_from(LAYOUTS),
    not_null=st.booleans(),
    with_default=st.booleans(),
    index=st.sampled_from(["none", "index", "unique"]),
    target=st.sampled_from([15, 18]),
    backfill=st.booleans(),
)
def test_new_column_lints_clean_and_runs(
    pg_dsn: str,
    column: str,
    type_: str,
    layout: str,
    not_null: bool,
    with_default: bool,
    index: str,
    target: int,
    backfill: bool,
) -> None:
    default = DEFAULTS[type_] if with_default else None
    fill = FILL[type_] if backfill or (not_null and not with_default) else None
    if index == "unique" and fill is not None and type_ in ("boolean", "jsonb"):
        index = "index"  # these values repeat: a unique index would fail, correctly
    if index == "unique" and (fill is None or type_ == "timestamptz"):
        index = "index"
    steps = scaffold.new_column(
        "accounts",
        column,
        type_,
        scaffold.Options(target_version=target),
        default=default,
        not_null=not_null,
        unique=index == "unique",
        index=index == "index",
        backfill_expr=fill,
        batch_size=700,
    )
    files = files_for(steps, layout, target)
    _check_clean(files, layout, target)
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, files, get_layout(layout))
        cols = columns(url, "accounts")
        assert column in cols
        assert cols[column][1] is not_null
        if not_null or fill is not None or default is not None:
            (nulls,) = query(
                url, f"SELECT count(*) FROM accounts WHERE {quote_ident(column)} IS NULL"
            )[0]
            assert nulls == 0
        if index != "none":
            valid = [
                v for n, (u, v) in _indexes(url, "accounts").items() if u == (index == "unique")
            ]
            assert valid and all(valid)
        assert not any(kind == "c" for kind, _ in _constraints(url, "accounts").values())


def test_new_column_foreign_key(pg_dsn: str) -> None:
    steps = scaffold.new_column(
        "accounts",
        "owner_id",
        "bigint",
        scaffold.Options(),
        references="users(id)",
        backfill_expr="user_id",
    )
    files = files_for(steps, "plain")
    _check_clean(files, "plain")
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, files, get_layout("plain"))
        cons = _constraints(url, "accounts")
        assert cons["accounts_owner_id_fkey"] == ("f", True)
        assert _indexes(url, "accounts")["accounts_owner_id_idx"] == (False, True)


def test_volatile_default_is_set_separately_and_backfilled(pg_dsn: str) -> None:
    steps = scaffold.new_column(
        "accounts",
        "token",
        "uuid",
        scaffold.Options(),
        default="gen_random_uuid()",
        not_null=True,
    )
    files = files_for(steps, "goose")
    text = "".join(f.text for f in files)
    assert "ADD COLUMN IF NOT EXISTS token uuid;" in text
    assert "SET DEFAULT gen_random_uuid()" in text
    _check_clean(files, "goose")
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, files, get_layout("goose"))
        assert columns(url, "accounts")["token"] == ("uuid", True)
        (distinct,) = query(url, "SELECT count(DISTINCT token) FROM accounts")[0]
        assert distinct == 2500


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(["orders", "Order Lines", "x; DROP TABLE y", "select"]),
    layout=st.sampled_from(LAYOUTS),
    grant=st.booleans(),
)
def test_new_table_lints_clean_and_runs(pg_dsn: str, table: str, layout: str, grant: bool) -> None:
    steps = scaffold.new_table(
        table,
        ["account_id bigint not null", "total numeric(12, 2) not null default 0", "note text"],
        ["account_id=accounts(id)"],
        ["note"],
        ["app_rw"] if grant else [],
        scaffold.Options(),
    )
    files = files_for(steps, layout)
    _check_clean(files, layout)
    with fresh_database(pg_dsn) as url:
        setup(url)
        if grant:
            setup(
                url,
                "DO $$ BEGIN CREATE ROLE app_rw; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
            )
        run_files(url, files, get_layout(layout))
        sql_name = parse_name(table).sql
        cols = columns(url, sql_name)
        assert set(cols) == {"id", "account_id", "total", "note", "created_at", "updated_at"}
        assert cols["created_at"] == ("timestamp with time zone", True)
        cons = _constraints(url, sql_name)
        assert all(valid for _, valid in cons.values())
        assert sorted(kind for kind, _ in cons.values()) == ["f", "n", "n", "n", "n", "n", "p"]


def test_new_table_refuses_injected_column() -> None:
    with pytest.raises(InvalidInput):
        scaffold.new_table("t", ["a int); DROP TABLE y; --"], [], [], [], scaffold.Options())
    with pytest.raises(InvalidInput):
        scaffold.new_table("t", ["a int REFERENCES users(id)"], [], [], [], scaffold.Options())


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(LAYOUTS),
    batch=st.integers(min_value=300, max_value=3000),
    where=st.sampled_from([None, "name LIKE 'a1%'", "note IS NULL"]),
)
def test_backfill_lints_clean_runs_and_resumes(
    pg_dsn: str, layout: str, batch: int, where: str | None
) -> None:
    steps = scaffold.backfill(
        "accounts", ["note = upper(name)"], where, batch, 0.0, "id", scaffold.Options()
    )
    files = files_for(steps, layout)
    _check_clean(files, layout)
    with fresh_database(pg_dsn) as url:
        setup(url, HISTORY + ROWS + "ALTER TABLE accounts ADD COLUMN note text;\n")
        run_files(url, files, get_layout(layout))
        expected_sql = "SELECT count(*) FROM accounts"
        if where:
            expected_sql += f" WHERE {where.replace('note IS NULL', 'true')}"
        (expected,) = query(url, expected_sql)[0]
        (done,) = query(url, "SELECT count(*) FROM accounts WHERE note = upper(name)")[0]
        assert done == expected
        (finished,) = query(url, "SELECT finished FROM sqlsafe_backfill")[0]
        assert finished is True


def _job(steps: list[FileStep]) -> str:
    """The job's key in sqlsafe_backfill, as the SQL literal the step writes."""
    (body,) = [s.body for s in steps if "sqlsafe_backfill (job) VALUES" in s.body]
    return body.split("sqlsafe_backfill (job) VALUES (", 1)[1].split(")", 1)[0]


def test_backfill_resumes_without_rereading(pg_dsn: str) -> None:
    steps = scaffold.backfill(
        "accounts", ["name = name || '!'"], None, 100, 0.0, "id", scaffold.Options()
    )
    files = files_for(steps, "plain")
    with fresh_database(pg_dsn) as url:
        setup(url)
        # an interrupted earlier run got as far as id 1000
        setup(
            url,
            "CREATE TABLE sqlsafe_backfill (job text PRIMARY KEY, last_key text, "
            "rows_done bigint NOT NULL DEFAULT 0, finished boolean NOT NULL DEFAULT false, "
            "updated_at timestamptz NOT NULL DEFAULT now()); "
            "INSERT INTO sqlsafe_backfill (job, last_key, rows_done) "
            f"VALUES ({_job(steps)}, '1000', 1000); "
            "UPDATE accounts SET name = name || '!' WHERE id <= 1000;",
        )
        run_files(url, files, get_layout("plain"))
        (twice,) = query(url, "SELECT count(*) FROM accounts WHERE name LIKE '%!!'")[0]
        (once,) = query(url, "SELECT count(*) FROM accounts WHERE name LIKE '%!'")[0]
        assert twice == 0 and once == 2500
        assert query(url, "SELECT rows_done FROM sqlsafe_backfill")[0][0] == 2500


ITEMS = (
    "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b int);\n"
    "INSERT INTO items (b) SELECT NULL FROM generate_series(1, 3000);\n"
)
# makes the batch that reaches id 1501 fail, after the batches before it committed
INTERRUPT = (
    "CREATE FUNCTION stop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF NEW.id > 1500 THEN RAISE EXCEPTION 'interrupted'; END IF; RETURN NEW; END $$;\n"
    "CREATE TRIGGER stop BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stop();\n"
)


def _run_backfill(url: str, set_: str) -> None:
    steps = scaffold.backfill("items", [set_], None, 100, 0.0, "id", scaffold.Options())
    run_files(url, files_for(steps, "plain"), get_layout("plain"))


def test_a_backfill_with_another_set_is_another_job(pg_dsn: str) -> None:
    """The job is what it computes: a second --set on the same column starts from the
    first row, and rerunning an interrupted job resumes where it stopped."""
    import psycopg

    with fresh_database(pg_dsn) as url:
        setup(url, ITEMS + INTERRUPT)
        with pytest.raises(psycopg.errors.RaiseException, match="interrupted"):
            _run_backfill(url, "b = coalesce(b, 0) + 1")
        assert query(url, "SELECT count(*) FROM items WHERE b = 1")[0][0] == 1500
        setup(url, "DROP TRIGGER stop ON items;")
        _run_backfill(url, "b = coalesce(b, 0) + 1")  # the same job: resumes after id 1500
        assert query(url, "SELECT count(*) FROM items WHERE b = 1")[0][0] == 3000
        _run_backfill(url, "b = coalesce(b, 0) + 10")  # another job: every row again
        assert query(url, "SELECT count(*) FROM items WHERE b = 11")[0][0] == 3000
        jobs = query(url, "SELECT rows_done, finished FROM sqlsafe_backfill ORDER BY job")
        assert sorted(jobs) == [(3000, True), (3000, True)]


def test_backfill_jobs_are_named_by_what_they_compute() -> None:
    options = scaffold.Options()

    def job(set_: str, where: str | None = None, key: str = "id", batch: int = 100) -> str:
        return _job(scaffold.backfill("accounts", [set_], where, batch, 0.0, key, options))

    assert job("note = upper(name)") == job("note=UPPER( name )", batch=7)  # same computation
    assert job("note = upper(name)") != job("note = lower(name)")
    assert job("note = upper(name)") != job("note = upper(name)", "id > 5")
    assert job("note = upper(name)") != job("note = upper(name)", key="code")
    # new-column --backfill (and plan, which uses it) names its job the same way
    added = scaffold.new_column("accounts", "note", "text", options, backfill_expr="upper(name)")
    assert _job(added) == job("note = upper(name)", "note IS NULL")


def test_backfill_refuses_injection() -> None:
    with pytest.raises(InvalidInput):
        scaffold.backfill(
            "accounts", ["a = 1; DROP TABLE y"], None, 10, 0, "id", scaffold.Options()
        )
    with pytest.raises(InvalidInput):
        scaffold.backfill(
            "accounts", ["a = 1"], "true; DROP TABLE y", 10, 0, "id", scaffold.Options()
        )


def test_dollar_quote_in_expression_does_not_end_the_block(pg_dsn: str) -> None:
    steps = scaffold.backfill(
        "accounts", ["note = '$sqlsafe$'"], None, 1000, 0.0, "id", scaffold.Options()
    )
    files = files_for(steps, "plain")
    with fresh_database(pg_dsn) as url:
        setup(url, HISTORY + ROWS + "ALTER TABLE accounts ADD COLUMN note text;\n")
        run_files(url, files, get_layout("plain"))
        assert query(url, "SELECT count(*) FROM accounts WHERE note = '$sqlsafe$'")[0][0] == 2500


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(LAYOUTS),
    columns=st.sampled_from([["name"], ["user_id", "name"], ["(lower(name))"]]),
    unique=st.booleans(),
    where=st.sampled_from([None, "user_id IS NOT NULL"]),
    using=st.sampled_from([None, "btree"]),
)
def test_new_index_and_drop_index(
    pg_dsn: str,
    layout: str,
    columns: list[str],
    unique: bool,
    where: str | None,
    using: str | None,
) -> None:
    steps = scaffold.new_index(
        "accounts", columns, unique, where, using, None, (), scaffold.Options()
    )
    name = "accounts_" + "_".join("expr" if c.startswith("(") else c for c in columns)
    name += "_key" if unique else "_idx"
    steps += scaffold.drop_index(name, scaffold.Options())
    files = files_for(steps, layout)
    _check_clean(files, layout)
    with fresh_database(pg_dsn) as url:
        setup(url)
        lay = get_layout(layout)
        create = [f for f in files if "drop_" not in f.path]
        run_files(url, create, lay)
        assert _indexes(url, "accounts")[name] == (unique, True)
        run_files(url, [f for f in files if "drop_" in f.path], lay)
        assert name not in _indexes(url, "accounts")


def test_invalid_leftover_index_is_reported(pg_dsn: str) -> None:
    import psycopg

    steps = scaffold.new_index(
        "accounts", ["user_id"], True, None, None, None, (), scaffold.Options()
    )
    files = files_for(steps, "plain")
    with fresh_database(pg_dsn) as url:
        setup(url)
        with pytest.raises(psycopg.Error, match="INVALID"):
            # user_id repeats: the unique build fails and leaves an INVALID index; the rerun
            # (IF NOT EXISTS skips the build) must not pass silently
            try:
                run_files(url, files, get_layout("plain"))
            except psycopg.errors.UniqueViolation:
                run_files(url, files, get_layout("plain"))


def test_partitioned_index(pg_dsn: str) -> None:
    history = (
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) "
        "PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
    )
    steps = scaffold.new_index(
        "events",
        ["kind"],
        False,
        None,
        None,
        None,
        ("events_2024", "events_2025"),
        scaffold.Options(),
    )
    for layout in ("plain", "dbmate"):
        files = files_for(steps, layout)
        findings = lint_files(files, get_layout(layout), history=history)
        assert not findings, describe(findings)
        with fresh_database(pg_dsn) as url:
            setup(
                url,
                history
                + "INSERT INTO events SELECT g, date '2024-06-01' + g % 300, 'k' || g % 7 FROM generate_series(1, 2000) g;",
            )
            run_files(url, files, get_layout(layout))
            assert _indexes(url, "events")["events_kind_idx"] == (False, True)
            assert _indexes(url, "events_2025")["events_2025_kind_idx"] == (False, True)


def test_zod_field() -> None:
    assert scaffold.zod_field("email", "varchar(20)", False, False) == (
        "email: z.string().max(20).nullable(),"
    )
    assert scaffold.zod_field("n", "bigint", True, True) == "n: z.bigint().optional(),"


# ------------------------------------------------------- the NOT NULL helper check's name
def _email_not_null_files(command: str, target: int) -> list[OutFile]:
    """The migrations *command* writes to make accounts.email NOT NULL."""
    options = scaffold.Options(target_version=target)
    if command == "new-column":
        steps = scaffold.new_column(
            "accounts", "email", "text", options, not_null=True, backfill_expr="'v' || id"
        )
        return files_for(steps, "plain")
    if command == "plan":  # the new column of a rename is NOT NULL like the old one
        plan = rename_column("accounts", "name", "email", options, type_="text", not_null=True)
        return files_for(list(plan.releases[0].steps), "plain")
    result = fix_source(
        Source("0002_email.sql", "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"),
        [Source("<history>", HISTORY + "ALTER TABLE accounts ADD COLUMN email text;\n")],
        load_rules(),
        Settings(target_version=target),
        FixSettings("plain", False),
    )
    assert not result.notes, result.notes
    return [OutFile("0002_email.sql", result.fixed, False), *files_for(result.new_steps, "plain")]


@pytest.mark.parametrize("command", ["new-column", "fix", "plan"])
@pytest.mark.parametrize(("server", "target"), [(18, 15), (18, 18), (15, 15)])
def test_the_not_null_constraint_keeps_its_own_name(
    request: pytest.FixtureRequest, command: str, server: int, target: int
) -> None:
    """PostgreSQL 18 names SET NOT NULL's constraint table_col_not_null: the helper CHECK
    must not hold that name, or the real constraint becomes table_col_not_null1."""
    dsn = request.getfixturevalue("pg_dsn" if server == 18 else "pg15_dsn")
    files = _email_not_null_files(command, target)
    with fresh_database(dsn) as url:
        setup(url)
        if command == "fix":
            setup(
                url, "ALTER TABLE accounts ADD COLUMN email text; UPDATE accounts SET email = name;"
            )
        run_files(url, files, get_layout("plain"))
        assert columns(url, "accounts")["email"] == ("text", True)
        cons = _constraints(url, "accounts")
        assert not [n for n, (kind, _) in cons.items() if kind == "c"], cons  # helper dropped
        if server >= 18:
            assert cons.get("accounts_email_not_null") == ("n", True), cons


@pytest.mark.parametrize(
    "files",
    [
        {"V1.Init.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"},
        {
            "package.json": '{"dependencies": {"postgres-migrations": "5"}}',
            "1_init.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
        },
    ],
)
def test_cli_refuses_layouts_it_cannot_write(tmp_path: Path, files: dict[str, str]) -> None:
    # an up-down or postgres-migrations directory is not a plain one: writing plain files
    # there would give the runner a file it orders or wraps differently
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    args = ["new-index", "accounts", "id", "--dir", str(tmp_path), "--name", "accounts_id_idx"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "cannot be written by sqlsafe" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
