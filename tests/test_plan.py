"""`sqlsafe plan`: every release's files lint clean and run, in order, on a table with rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scaffold_helpers import (
    HISTORY,
    columns,
    describe,
    fresh_database,
    lint_files,
    query,
    run_files,
    setup,
)

from linter.cli import cli
from linter.writers import plan as plans
from linter.writers.plan import Plan, history_schema, render_plan
from linter.writers.scaffold import Options
from linter.writers.scaffold_layouts import LAYOUTS, OutFile, get_layout, next_versions, step_units
from linter.writers.scaffold_sql import InvalidInput, parse_name, quote_ident

NOW = dt.datetime(2025, 1, 2, 3, 4, 5)
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def files_for(plan: Plan, layout_name: str) -> list[OutFile]:
    layout = get_layout(layout_name)
    count = sum(len(step_units(s, layout)) for s in plan.steps)
    versions = next_versions(Path("/nonexistent"), layout, count, now=NOW)
    return render_plan(plan, layout, versions, "2s", "5s", "sqlsafe plan test")


def sql_files(files: list[OutFile]) -> list[OutFile]:
    return [f for f in files if f.path.endswith(".sql")]


def check_clean(
    files: list[OutFile], layout: str, history: str = HISTORY, target: int = 15
) -> None:
    findings = lint_files(files, get_layout(layout), history=history, target=target)
    assert not findings, describe(findings)


def triggers(url: str, table: str) -> list[str]:
    rows = query(
        url,
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
        table,
    )
    return [str(r[0]) for r in rows]


def split_at(files: list[OutFile], marker: str) -> tuple[list[OutFile], list[OutFile]]:
    """The files before the first whose path contains *marker*, and the rest."""
    for i, out in enumerate(files):
        if marker in out.path:
            return files[:i], files[i:]
    raise AssertionError(f"no file with {marker!r}")


# ------------------------------------------------------------------------- input handling
def test_names_from_the_command_line_are_quoted_or_refused() -> None:
    plan = plans.rename_column(
        "x; DROP TABLE y", "name", "full_name", Options(), type_="text", not_null=False
    )
    text = "".join(f.text for f in files_for(plan, "plain"))
    assert 'ALTER TABLE "x; DROP TABLE y" ADD COLUMN' in text
    assert "\nDROP TABLE y" not in text
    with pytest.raises(InvalidInput):
        plans.rename_column("accounts", "name", "n", Options(), type_="text); DROP TABLE y; --")
    with pytest.raises(InvalidInput):
        plans.change_type("accounts", "name", "int", Options(), using="1; DROP TABLE y")
    with pytest.raises(InvalidInput, match="only use the column"):
        plans.change_type("accounts", "name", "int", Options(), using="length(other)")
    with pytest.raises(InvalidInput):
        plans.shadow_table("accounts", Options(), changes=["DROP COLUMN name"])
    with pytest.raises(InvalidInput):
        plans.shadow_table("accounts", Options(), changes=["ADD COLUMN a int; DROP TABLE y"])
    with pytest.raises(InvalidInput, match="--type"):
        plans.rename_column("accounts", "name", "full_name", Options())


def test_type_and_not_null_come_from_the_history(tmp_path: Path) -> None:
    (tmp_path / "0001_init.sql").write_text(HISTORY)
    schema = history_schema(tmp_path, None)
    plan = plans.rename_column("accounts", "name", "full_name", Options(), schema=schema)
    text = "".join(f.text for f in files_for(plan, "plain"))
    assert "ADD COLUMN IF NOT EXISTS full_name text;" in text
    assert "SET NOT NULL" in text  # name is NOT NULL in the history


def test_cli_writes_files_and_readme(tmp_path: Path) -> None:
    (tmp_path / "0001_init.sql").write_text(HISTORY)
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "drop-column", "accounts", "name", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "0001_init.sql",
        "0002_drop_column_accounts_name.README.md",
        "0002_drop_not_null_accounts_name.sql",
    ]
    # the contract release waits outside the migrations directory
    held = tmp_path.parent / "sqlsafe-plan-0002_drop_column_accounts_name"
    assert (held / "release-2/0003_drop_accounts_name.sql").is_file()
    readme = (tmp_path / "0002_drop_column_accounts_name.README.md").read_text()
    assert "Then deploy: application code that neither reads nor writes name" in readme
    assert readme.index("0002_drop_not_null") < readme.index("Then deploy") < readme.index("0003")
    lint = runner.invoke(cli, ["lint", str(tmp_path)])
    assert lint.exit_code == 0, lint.output
    again = runner.invoke(cli, ["plan", "drop-column", "x; DROP TABLE y", "c", "--stdout"])
    assert again.exit_code == 0 and '"x; DROP TABLE y"' in again.output
    bad = runner.invoke(
        cli, ["plan", "change-type", "t", "c", "int); DROP TABLE y; --", "--key", "id"]
    )
    assert bad.exit_code == 2 and "single type" in bad.output


# ------------------------------------------------------------------- lint clean + real run
NAMES = st.sampled_from(["full_name", "Display Name", "x; DROP TABLE y", "order", 'quo"te'])


@SLOW
@given(new=NAMES, layout=st.sampled_from(LAYOUTS), target=st.sampled_from([15, 18]))
def test_rename_column_keeps_both_in_step_and_runs(
    pg_dsn: str, new: str, layout: str, target: int
) -> None:
    plan = plans.rename_column(
        "accounts",
        "name",
        new,
        Options(target_version=target),
        type_="text",
        not_null=True,
        batch_size=700,
    )
    files = files_for(plan, layout)
    check_clean(files, layout, target=target)
    qnew = quote_ident(new)
    lay = get_layout(layout)
    expand, contract = split_at(sql_files(files), "drop_accounts_name")
    before_backfill, rest = split_at(expand, "backfill")
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, before_backfill, lay)
        # old code writes only name; new code writes only the new column
        setup(url, "INSERT INTO accounts (name) VALUES ('old-code');")
        setup(url, f"INSERT INTO accounts (name, {qnew}) VALUES ('x', 'x');")
        setup(url, "UPDATE accounts SET name = 'renamed' WHERE id = 3;")
        run_files(url, rest, lay)
        setup(url, f"INSERT INTO accounts ({qnew}) VALUES ('new-code');")
        setup(url, f"UPDATE accounts SET {qnew} = 'changed' WHERE id = 4;")
        differ = query(url, f"SELECT count(*) FROM accounts WHERE name IS DISTINCT FROM {qnew}")
        assert differ[0][0] == 0
        assert query(url, "SELECT name FROM accounts WHERE id = 4")[0][0] == "changed"
        run_files(url, contract, lay)
        cols = columns(url, "accounts")
        assert "name" not in cols and cols[new] == ("text", True)
        assert triggers(url, "accounts") == []
        assert query(url, "SELECT count(*) FROM accounts")[0][0] == 2503


@SLOW
@given(
    layout=st.sampled_from(LAYOUTS),
    using=st.sampled_from([None, "user_id * 10"]),
    new_name=st.sampled_from([None, "Owner Id"]),
)
def test_change_type_converts_both_ways_and_runs(
    pg_dsn: str, layout: str, using: str | None, new_name: str | None
) -> None:
    plan = plans.change_type(
        "accounts", "user_id", "text", Options(), using=using, new_name=new_name, not_null=False
    )
    files = files_for(plan, layout)
    check_clean(files, layout)
    target = new_name or "user_id_new"
    qnew = quote_ident(target)
    lay = get_layout(layout)
    expand, contract = split_at(sql_files(files), "drop_accounts_user_id")
    factor = 10 if using else 1
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, expand, lay)
        (bad,) = query(
            url, f"SELECT count(*) FROM accounts WHERE {qnew} <> (user_id * {factor})::text"
        )[0]
        assert bad == 0
        setup(url, "INSERT INTO accounts (name, user_id) VALUES ('old', 7);")
        setup(url, f"INSERT INTO accounts (name, {qnew}) VALUES ('new', '42');")
        rows = query(url, f"SELECT user_id, {qnew} FROM accounts WHERE id > 2500 ORDER BY id")
        assert rows == [(7, str(7 * factor)), (42, "42")]
        run_files(url, contract, lay)
        cols = columns(url, "accounts")
        assert "user_id" not in cols and cols[target] == ("text", False)


def test_drop_column_runs(pg_dsn: str) -> None:
    plan = plans.drop_column("accounts", "name", Options(), not_null=True)
    files = files_for(plan, "goose")
    check_clean(files, "goose")
    first, contract = split_at(sql_files(files), "drop_accounts_name")
    with fresh_database(pg_dsn) as url:
        setup(url)
        run_files(url, first, get_layout("goose"))
        setup(url, "INSERT INTO accounts (user_id) VALUES (1);")  # the new code
        run_files(url, contract, get_layout("goose"))
        assert set(columns(url, "accounts")) == {"id", "user_id"}


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(["accounts", "Big Table", "x; DROP TABLE y"]),
    layout=st.sampled_from(LAYOUTS),
)
def test_shadow_table_swaps_in_a_changed_copy(pg_dsn: str, table: str, layout: str) -> None:
    qt = parse_name(table).sql if table == "accounts" else quote_ident(table)
    history = (
        f"CREATE TABLE {qt} (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "name text NOT NULL, user_id bigint);\n"
    )
    rows = f"INSERT INTO {qt} (name, user_id) SELECT 'a' || g, g FROM generate_series(1, 2000) g;"
    plan = plans.shadow_table(
        table,
        Options(),
        changes=["ALTER COLUMN id TYPE bigint", "ADD COLUMN note text"],
        batch_size=600,
    )
    files = files_for(plan, layout)
    check_clean(files, layout, history=history)
    lay = get_layout(layout)
    before_copy, rest = split_at(sql_files(files), "copy_")
    fill, after = split_at(rest, "swap_")
    swap, drop = split_at(after, "drop_")
    with fresh_database(pg_dsn) as url:
        setup(url, history + rows)
        run_files(url, before_copy, lay)
        setup(url, f"UPDATE {qt} SET name = 'changed' WHERE id = 5;")
        setup(url, f"DELETE FROM {qt} WHERE id = 6;")
        setup(url, f"INSERT INTO {qt} (name) VALUES ('during');")
        run_files(url, fill, lay)
        setup(url, f"UPDATE {qt} SET name = 'later' WHERE id = 7;")
        run_files(url, swap, lay)
        setup(url, f"INSERT INTO {qt} (name) VALUES ('after swap');")
        run_files(url, drop, lay)
        cols = columns(url, qt)
        assert cols["id"] == ("bigint", True) and "note" in cols
        names = dict(query(url, f"SELECT id, name FROM {qt} WHERE id IN (5, 6, 7, 2001, 2002)"))
        assert names == {5: "changed", 7: "later", 2001: "during", 2002: "after swap"}
        assert query(url, f"SELECT count(*) FROM {qt}")[0][0] == 2001
        assert query(url, "SELECT count(*) FROM pg_class WHERE relname LIKE '%\\_old'")[0][0] == 0
