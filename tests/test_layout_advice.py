"""The SQL a finding advises is valid in the file's layout.

golang-migrate, Prisma, dbmate and diesel send a migration file as ONE query: PostgreSQL runs
it as one implicit transaction block, so "put `SET lock_timeout` before it" turns a lone
`CREATE INDEX CONCURRENTLY` into a statement that fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from scaffold_helpers import fresh_database, query, setup

from linter.cli import cli

INIT = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n"
CIC = "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);\n"
SET = "SET lock_timeout = '2s';\n"


def write_layout(root: Path, layout: str, body: str) -> Path:
    """A history of two migrations in *layout*: the table, then *body* (run without the
    runner's transaction where the layout has a marker for it)."""
    folder = root / layout
    folder.mkdir()
    if layout == "golang-migrate":
        (folder / "000001_init.up.sql").write_text(INIT)
        (folder / "000002_index.up.sql").write_text(body)
    elif layout == "prisma":
        for name, text in (("20250101000000_init", INIT), ("20250101000001_index", body)):
            (folder / name).mkdir()
            (folder / name / "migration.sql").write_text(text)
    elif layout == "dbmate":
        (folder / "20250101000000_init.sql").write_text(f"-- migrate:up\n{INIT}")
        (folder / "20250101000001_index.sql").write_text(f"-- migrate:up transaction:false\n{body}")
    elif layout == "diesel":
        for name, text in (("2025-01-01-000000_init", INIT), ("2025-01-01-000001_index", body)):
            (folder / name).mkdir()
            (folder / name / "up.sql").write_text(text)
        (folder / "2025-01-01-000001_index" / "metadata.toml").write_text(
            "run_in_transaction = false\n"
        )
    elif layout == "goose":
        (folder / "00001_init.sql").write_text(f"-- +goose Up\n{INIT}")
        (folder / "00002_index.sql").write_text(f"-- +goose NO TRANSACTION\n-- +goose Up\n{body}")
    else:
        (folder / "0001_init.sql").write_text(INIT)
        (folder / "0002_index.sql").write_text(body)
    return folder


def findings(folder: Path, layout: str, config: Path | None = None) -> list[dict[str, str]]:
    args = ["lint", "--no-cache", "--format", "json", "--layout", layout, str(folder)]
    if config is not None:
        args += ["--config", str(config)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, str]] = json.loads(result.output)["findings"]
    return [f for f in found if "index" in f["path"]]


ONE_QUERY = ["golang-migrate", "prisma", "dbmate", "diesel"]


@pytest.mark.parametrize("layout", ONE_QUERY)
def test_a_lone_concurrent_build_is_not_told_to_set_lock_timeout_before_it(
    tmp_path: Path, layout: str, pg_dsn: str
) -> None:
    folder = write_layout(tmp_path, layout, CIC)
    (finding,) = [f for f in findings(folder, layout) if f["rule"] == "require-lock-timeout"]
    advice = finding["help"]
    assert "before it (or" not in advice
    assert "alone in its migration" in advice and "options=-c%20lock_timeout%3D2s" in advice
    with fresh_database(pg_dsn) as url:
        setup(url, INIT)
        # what the old advice gave: the runner sends SET and the build as one query
        with (
            psycopg.connect(url, autocommit=True) as conn,
            pytest.raises(psycopg.errors.ActiveSqlTransaction),
        ):
            conn.execute((SET + CIC).encode())
        # the advice: the file unchanged, lock_timeout set on the connection
        with psycopg.connect(url, autocommit=True, options="-c lock_timeout=2s") as conn:
            assert conn.execute("SHOW lock_timeout").fetchone() == ("2s",)
            conn.execute(CIC.encode())
        assert query(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass") == [(True,)]  # fmt: skip
    # ...told to sqlsafe, the file lints clean
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.sqlsafe]\npreamble = [\"SET lock_timeout = '2s'\"]\n")
    assert not findings(folder, layout, config)


@pytest.mark.parametrize("layout", ["golang-migrate", "prisma"])
def test_the_old_advice_is_a_finding_and_its_help_says_where_the_build_goes(
    tmp_path: Path, layout: str
) -> None:
    folder = write_layout(tmp_path, layout, SET + CIC)
    (finding,) = [f for f in findings(folder, layout) if f["rule"] == "concurrently-in-transaction"]
    assert "alone in its own migration file" in finding["help"]


@pytest.mark.parametrize("layout", ["goose", "plain"])
def test_runners_that_send_statements_one_by_one_keep_the_set_advice(
    tmp_path: Path, layout: str
) -> None:
    folder = write_layout(tmp_path, layout, CIC)
    (finding,) = [f for f in findings(folder, layout) if f["rule"] == "require-lock-timeout"]
    assert "put `SET lock_timeout = '2s';` before it" in finding["help"]
    # the advised file lints clean there
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    assert not findings(write_layout(fixed, layout, SET + CIC), layout)


@pytest.mark.parametrize(
    ("layout", "where"),
    [
        ("golang-migrate", "alone in its own migration file"),
        ("dbmate", "alone in its own migration, marked `-- migrate:up transaction:false`"),
        ("goose", "marked `-- +goose NO TRANSACTION`"),
        ("plain", "in its own migration that runs without a transaction"),
    ],
)
def test_a_plain_index_build_is_told_where_the_concurrent_one_goes(
    tmp_path: Path, layout: str, where: str
) -> None:
    body = "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    folder = write_layout(tmp_path, layout, body)
    (finding,) = [f for f in findings(folder, layout) if f["rule"] == "non-concurrent-index"]
    assert where in finding["help"]


ADD_KEY = "ALTER TABLE accounts ADD COLUMN n bigint; ALTER TABLE accounts ADD PRIMARY KEY (n);\n"
ADD_UNIQUE = "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);\n"
ADD_FK = (
    "CREATE TABLE plans (id bigint PRIMARY KEY);\n"
    "ALTER TABLE accounts ADD COLUMN plan_id bigint REFERENCES plans (id);\n"
)
CONCURRENT_ADVICE = [
    ("add-primary-key", ADD_KEY),
    ("add-unique-constraint", ADD_UNIQUE),
    ("foreign-key-without-index", ADD_FK),
]


@pytest.mark.parametrize(("rule", "body"), CONCURRENT_ADVICE)
@pytest.mark.parametrize(
    ("layout", "where"),
    [
        ("golang-migrate", "alone in its own migration file"),
        ("goose", "marked `-- +goose NO TRANSACTION`"),
    ],
)
def test_advice_with_a_concurrent_build_says_where_it_runs(
    tmp_path: Path, rule: str, body: str, layout: str, where: str
) -> None:
    init = "CREATE TABLE accounts (id bigint, email text);\n"
    folder = write_layout(tmp_path, layout, body)
    first = next(p for p in sorted(folder.rglob("*.sql")))
    first.write_text(first.read_text().replace(INIT, init))
    (finding,) = [f for f in findings(folder, layout) if f["rule"] == rule]
    assert "CONCURRENTLY" in finding["help"] and where in finding["help"], finding["help"]
