"""Down migrations: undoing their paired up migration is no finding; its locks still are,
and so is anything it does to objects its up did not create (issue 12 §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_layouts import write

import linter.analysis.engine
from linter.analysis.engine import Finding, lint_sources
from linter.analysis.registry import load_rules
from linter.api import lint_paths
from linter.inputs.config import Config
from linter.inputs.layouts import MigrationUnit, migration_units
from linter.inputs.source import Source
from linter.output.cache import ResultCache
from linter.state.context import Settings

RULES = load_rules(plugins=False)
# what a down migration that only undoes its up may still be told: lock and timeout hazards
LOCK_RULES = {"require-lock-timeout", "require-statement-timeout", "long-lock-hold"}

INIT = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, plan text);\n"
INIT_DOWN = "DROP TABLE accounts;\n"
UP = (
    "CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint);\n"
    "ALTER TABLE accounts ADD COLUMN nickname text;\n"
    "ALTER TABLE accounts RENAME COLUMN plan TO tier;\n"
)
DOWN = (
    "ALTER TABLE accounts RENAME COLUMN tier TO plan;\n"
    "ALTER TABLE accounts DROP COLUMN nickname;\n"
    "DROP TABLE invoices;\n"
)
# a down migration that also drops what its up did not create
BAD_DOWN = DOWN + "ALTER TABLE accounts DROP COLUMN email;\n"


def _goose(up: str, down: str) -> str:
    return f"-- +goose Up\n{up}-- +goose Down\n{down}"


def _dbmate(up: str, down: str) -> str:
    return f"-- migrate:up\n{up}-- migrate:down\n{down}"


def layout_files(layout: str, down: str) -> tuple[dict[str, str], str]:
    """The files of a two-migration history in *layout* whose second down migration is
    *down*, and the path of the file holding that down migration."""
    if layout == "diesel":
        files = {
            "2024-01-01-000000_init/up.sql": INIT,
            "2024-01-01-000000_init/down.sql": INIT_DOWN,
            "2024-02-01-000000_invoices/up.sql": UP,
            "2024-02-01-000000_invoices/down.sql": down,
        }
        return files, "2024-02-01-000000_invoices/down.sql"
    if layout == "golang-migrate":
        files = {
            "1_init.up.sql": INIT,
            "1_init.down.sql": INIT_DOWN,
            "2_invoices.up.sql": UP,
            "2_invoices.down.sql": down,
        }
        return files, "2_invoices.down.sql"
    if layout == "goose":
        files = {"001_init.sql": _goose(INIT, INIT_DOWN), "002_invoices.sql": _goose(UP, down)}
        return files, "002_invoices.sql"
    if layout == "dbmate":
        files = {
            "20240101000000_init.sql": _dbmate(INIT, INIT_DOWN),
            "20240201000000_invoices.sql": _dbmate(UP, down),
        }
        return files, "20240201000000_invoices.sql"
    if layout == "popx":
        # a postgres-specific up paired with the generic down of its version (ory/hydra)
        files = {
            "20240101000000000000_init.postgres.up.sql": INIT,
            "20240101000000000000_init.postgres.down.sql": INIT_DOWN,
            "20240201000000000000_invoices.postgres.up.sql": UP,
            "20240201000000000000_invoices.down.sql": down,
        }
        return files, "20240201000000000000_invoices.down.sql"
    assert layout == "flyway"
    files = {"V1__init.sql": INIT, "U1__init.sql": INIT_DOWN, "V2__invoices.sql": UP}
    files["U2__invoices.sql"] = down
    return files, "U2__invoices.sql"


LAYOUTS = ("diesel", "golang-migrate", "goose", "dbmate", "popx", "flyway")


def down_findings(root: Path, down: str) -> list[Finding]:
    """The findings in the down migration of the file *down* (for goose and dbmate: its
    Down section, after the Up one)."""
    result = lint_paths([str(root)], Config(root=root), rules=RULES)
    units = [u for u in migration_units([str(root)]) if isinstance(u, MigrationUnit)]
    unit = next(u for u in units if u.direction == "down" and u.path.endswith(down))
    lines = unit.text.split("\n")
    return [
        f
        for f in result.findings
        if f.path.endswith(down) and f.line <= len(lines) and lines[f.line - 1].strip()
    ]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_down_migration_undoing_its_up_is_told_only_about_locks(
    tmp_path: Path, layout: str
) -> None:
    files, down = layout_files(layout, DOWN)
    root = write(tmp_path, files)
    units = [u for u in migration_units([str(root)]) if isinstance(u, MigrationUnit)]
    downs = [u for u in units if u.direction == "down"]
    assert [u.undoes != "" for u in downs] == [True, True]  # each paired with its up
    found = down_findings(root, down)
    assert {f.rule for f in found} <= LOCK_RULES
    # the drop of a table in use waits for its lock like any other: still reported
    assert "require-lock-timeout" in {f.rule for f in found}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_down_migration_dropping_what_its_up_did_not_create_is_reported(
    tmp_path: Path, layout: str
) -> None:
    files, down = layout_files(layout, BAD_DOWN)
    root = write(tmp_path, files)
    found = [f for f in down_findings(root, down) if f.rule not in LOCK_RULES]
    assert [(f.rule, f.message.split(" breaks")[0]) for f in found] == [
        ("drop-column", "dropping `public.accounts.email`")
    ]


# ------------------------------------------------------------------- each kind of object
def lint_down(history: tuple[str, ...], up: str, down: str, *, paired: bool = True) -> set[str]:
    """The rules reported in *down*, the down migration of *up* (after *history*)."""
    sources = [Source(f"{i}.sql", text) for i, text in enumerate(history)]
    sources.append(Source("up.sql", up))
    sources.append(Source("down.sql", down, apply=False, undoes="up.sql" if paired else ""))
    result = lint_sources(sources, RULES, Settings(), report=["down.sql"])
    return {f.rule for f in result.findings} - LOCK_RULES


ACCOUNTS = ("CREATE TABLE accounts (id bigint PRIMARY KEY, email text, plan text);",)


@pytest.mark.parametrize(
    ("up", "down", "rule"),
    [
        ("CREATE TABLE invoices (id bigint);", "DROP TABLE invoices;", "drop-table"),
        (
            "ALTER TABLE accounts ADD COLUMN nickname text;",
            "ALTER TABLE accounts DROP COLUMN nickname;",
            "drop-column",
        ),
        (
            "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);",
            "DROP INDEX accounts_email_idx;",
            "non-concurrent-drop-index",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
            "ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;",
            "drop-constraint",
        ),
        (
            "CREATE TYPE mood AS ENUM ('happy');\nALTER TABLE accounts ADD COLUMN mood mood;",
            "DROP TYPE mood CASCADE;",
            "drop-type",
        ),
        ("CREATE SEQUENCE invoice_seq;", "DROP SEQUENCE invoice_seq;", "drop-sequence"),
        ("CREATE VIEW v AS SELECT id FROM accounts;", "DROP VIEW v;", "drop-view"),
        (
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
            "DROP FUNCTION f;",
            "drop-function",
        ),
        (
            "ALTER TABLE accounts RENAME COLUMN plan TO tier;",
            "ALTER TABLE accounts RENAME COLUMN tier TO plan;",
            "rename-column",
        ),
        (
            "ALTER TABLE accounts RENAME TO users;",
            "ALTER TABLE users RENAME TO accounts;",
            "rename-table",
        ),
        (
            "CREATE TYPE mood AS ENUM ('happy');\nALTER TYPE mood RENAME TO feeling;",
            "ALTER TYPE feeling RENAME TO mood;\nDROP TYPE mood;",
            "rename-object",
        ),
        (
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;",
            "drop-not-null",
        ),
        (
            "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';",
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            "drop-default",
        ),
        (
            "ALTER TABLE accounts RENAME COLUMN plan TO plan_old;\n"
            "ALTER TABLE accounts ADD COLUMN plan text;",
            "ALTER TABLE accounts RENAME COLUMN plan TO plan_new;\n"
            "ALTER TABLE accounts RENAME COLUMN plan_old TO plan;\n"
            "ALTER TABLE accounts DROP COLUMN plan_new;",
            "rename-column",
        ),
    ],
)
def test_undoing_the_up_is_no_finding(up: str, down: str, rule: str) -> None:
    # the same down migration, without its up, is reported: the test can fail
    assert rule in lint_down(ACCOUNTS, up, down, paired=False)
    assert lint_down(ACCOUNTS, up, down) == set()


@pytest.mark.parametrize(
    ("history", "up", "down", "rule"),
    [
        (ACCOUNTS, "CREATE TABLE invoices (id bigint);", "DROP TABLE accounts;", "drop-table"),
        (
            ("CREATE TABLE accounts (id bigint, email text NOT NULL, plan text);",),
            "ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;",
            "ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;",
            "drop-not-null",
        ),
        (
            ACCOUNTS,
            "ALTER TABLE accounts RENAME COLUMN plan TO tier;",
            "ALTER TABLE accounts RENAME COLUMN email TO mail;",
            "rename-column",
        ),
        (
            (*ACCOUNTS, "CREATE VIEW v AS SELECT id FROM accounts;"),
            "CREATE OR REPLACE VIEW v AS SELECT id, email FROM accounts;",
            "DROP VIEW v;",
            "drop-view",
        ),
        (
            (*ACCOUNTS, "CREATE TYPE mood AS ENUM ('happy');"),
            "ALTER TABLE accounts ADD COLUMN plan_mood text;",
            "DROP TYPE mood CASCADE;",
            "drop-type",
        ),
        (
            ACCOUNTS,
            "CREATE TYPE mood AS ENUM ('happy');\n"
            "ALTER TABLE accounts ALTER COLUMN plan TYPE mood USING plan::mood;",
            "DROP TYPE mood CASCADE;",
            "drop-type",
        ),
        (
            (),
            "ALTER TABLE legacy ALTER COLUMN note SET NOT NULL;",
            "ALTER TABLE legacy DROP COLUMN note;",
            "drop-column",
        ),
    ],
    ids=[
        "table-not-created",
        "not-null-not-set",
        "column-not-renamed",
        "replaced-view",
        "older-type",
        "cascade-drops-older-column",
        "table-outside-history",
    ],
)
def test_what_the_up_did_not_create_is_still_reported(
    history: tuple[str, ...], up: str, down: str, rule: str
) -> None:
    assert rule in lint_down(history, up, down)


def test_lock_rules_stay_on_in_a_down_migration() -> None:
    sources = [
        Source("0.sql", ACCOUNTS[0] + "\nCREATE INDEX accounts_email_idx ON accounts (email);"),
        Source("up.sql", "DROP INDEX CONCURRENTLY accounts_email_idx;"),
        Source(
            "down.sql",
            "CREATE INDEX accounts_email_idx ON accounts (email);",
            apply=False,
            undoes="up.sql",
        ),
    ]
    result = lint_sources(sources, RULES, Settings(), report=["down.sql"])
    assert {"non-concurrent-index", "require-lock-timeout"} <= {f.rule for f in result.findings}


# ------------------------------------------------------- same answer cached, split, forked
def _history() -> list[Source]:
    sources: list[Source] = [Source("0.sql", ACCOUNTS[0])]
    for n in range(1, 40):
        up = f"ALTER TABLE accounts ADD COLUMN c{n} text;\n" + "-- padding\n" * 50
        sources.append(Source(f"{n}/up.sql", up))
        sources.append(
            Source(
                f"{n}/down.sql",
                f"ALTER TABLE accounts DROP COLUMN c{n};",
                apply=False,
                undoes=f"{n}/up.sql",
            )
        )
    return sources


def test_a_history_is_never_split_between_an_up_and_its_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = _history()
    whole = lint_sources(sources, RULES, Settings(), jobs=1).findings
    assert not [f for f in whole if f.rule == "drop-column"]
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_CHARS", 100)
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_SOURCES", 2)
    for share in (0.3, 0.5, 0.6, 0.7):
        monkeypatch.setattr(linter.analysis.engine, "PARALLEL_SHARE", share)
        split = linter.analysis.engine._split_point(sources, False, 2)
        assert split is not None and sources[split].undoes == ""
        assert lint_sources(sources, RULES, Settings(), jobs=2).findings == whole


def test_the_cache_resumes_before_the_up_of_a_changed_down(tmp_path: Path) -> None:
    sources = _history()[:5]
    cache = ResultCache(tmp_path)
    cache.lint_histories([sources], RULES, Settings())
    # the down migration changes: the cache holds the model right after its up, but the
    # down needs the one before it too
    changed = [*sources[:-1], Source("2/down.sql", "ALTER TABLE accounts DROP COLUMN c2;\n")]
    changed[-1] = Source(changed[-1].path, changed[-1].text, apply=False, undoes="2/up.sql")
    warm = cache.lint_histories([changed], RULES, Settings()).findings
    cold = lint_sources(changed, RULES, Settings()).findings
    assert warm == cold
    assert not [f for f in cold if f.rule == "drop-column"]
