"""Migration layouts: detection, runner order, up/down units, transaction flags, sections."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from linter.api import gather, lint_paths
from linter.inputs.config import Config, ConfigError, load_config
from linter.inputs.layouts import (
    LAYOUTS,
    MigrationUnit,
    blank_outside,
    detect_layout,
    migration_units,
)
from linter.inputs.source import SourceError
from linter.state.context import Settings

CREATE = "CREATE TABLE t (id int, a varchar(10));\n"
# the rules these tests look at (other rules keep being added)
SELECT = (
    "non-concurrent-index",
    "drop-table",
    "alter-column-type",
    "concurrently-in-transaction",
)


def cfg(root: Path, **kwargs: str) -> Config:
    return Config(root=root, settings=Settings(select=SELECT), **kwargs)


INDEX = "CREATE INDEX t_a ON t (a);\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def units(root: Path, layout: str | None = None) -> list[MigrationUnit]:
    found = migration_units([str(root)], layout)
    assert not [u for u in found if isinstance(u, SourceError)]
    return [u for u in found if isinstance(u, MigrationUnit)]


def names(found: list[MigrationUnit], root: Path) -> list[tuple[str, str]]:
    return [(str(Path(u.path).relative_to(root)), u.direction) for u in found]


def rules_by_file(root: Path, config: Config | None = None) -> dict[str, list[str]]:
    result = lint_paths([str(root)], config or cfg(root))
    out: dict[str, list[str]] = {}
    for f in result.findings:
        out.setdefault(str(Path(f.path).relative_to(root)), []).append(f.rule)
    return out


# ------------------------------------------------------------------------------ detection
@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"0001_init.sql": CREATE}, "plain"),
        ({"1_init.up.sql": CREATE, "1_init.down.sql": "DROP TABLE t;"}, "golang-migrate"),
        ({"001_init.sql": "-- +goose Up\n" + CREATE + "-- +goose Down\nDROP TABLE t;"}, "goose"),
        ({"20240101_init.sql": "-- migrate:up\n" + CREATE + "-- migrate:down\n"}, "dbmate"),
        (
            {"2024-01-01-000000_init/up.sql": CREATE, "2024-01-01-000000_init/down.sql": ""},
            "diesel",
        ),
        ({"20240101000000_init/migration.sql": CREATE}, "prisma"),
        ({"V1__init.sql": CREATE, "R__views.sql": ""}, "flyway"),
        ({"20240101000000_init.sql": CREATE}, "sqlx"),
        ({"20240101000000000000_init.postgres.up.sql": CREATE}, "popx"),
    ],
)
def test_detect_layout(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert expected in LAYOUTS
    assert detect_layout(write(tmp_path, files)) == expected


def test_detect_layout_without_sql(tmp_path: Path) -> None:
    assert detect_layout(tmp_path) is None
    assert detect_layout(tmp_path / "missing") is None


# ------------------------------------------------------------------------------ ordering
def test_golang_migrate_orders_by_version_number(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "10_idx.up.sql": INDEX,
            "10_idx.down.sql": "DROP INDEX t_a;",
            "9_init.up.sql": CREATE,
            "9_init.down.sql": "DROP TABLE t;",
        },
    )
    found = units(root)
    assert names(found, root) == [
        ("9_init.up.sql", "up"),
        ("9_init.down.sql", "down"),
        ("10_idx.up.sql", "up"),
        ("10_idx.down.sql", "down"),
    ]
    assert [u.applies for u in found] == [True, False, True, False]
    # the down migration dropped t, but was never applied: 10 still sees an existing t
    assert rules_by_file(root)["10_idx.up.sql"] == ["non-concurrent-index"]


def test_diesel_versions_compare_as_strings(tmp_path: Path) -> None:
    # diesel strips dashes and compares strings: the 18-digit version is the earlier one
    root = write(
        tmp_path,
        {
            "2026-03-09-000000_b/up.sql": INDEX,
            "2026-03-08-202630-0000_a/up.sql": CREATE,
            "2026-03-08-202630-0000_a/down.sql": "DROP TABLE t;",
        },
    )
    assert names(units(root), root) == [
        ("2026-03-08-202630-0000_a/up.sql", "up"),
        ("2026-03-08-202630-0000_a/down.sql", "down"),
        ("2026-03-09-000000_b/up.sql", "up"),
    ]


def test_flyway_versions_repeatables_and_undo(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1;",
            "V1_10__idx.sql": INDEX,
            "V1_9__init.sql": CREATE,
            "U1_10__idx.sql": "DROP INDEX t_a;",
        },
    )
    assert names(units(root), root) == [
        ("V1_9__init.sql", "up"),
        ("V1_10__idx.sql", "up"),
        ("U1_10__idx.sql", "down"),
        ("R__views.sql", "repeatable"),
    ]


def test_popx_dialects(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "20200101000000000000_init.up.sql": "CREATE TABLE generic (id int);",
            "20200101000000000000_init.postgres.up.sql": CREATE,
            "20200101000000000000_init.mysql.up.sql": "CREATE TABLE mysql_only (id int);",
            "20200101000000000000_init.down.sql": "DROP TABLE t;",
            "20200102000000000000_idx.autocommit.up.sql": "CREATE INDEX CONCURRENTLY i ON t (a);",
        },
    )
    found = units(root)
    assert names(found, root) == [
        ("20200101000000000000_init.postgres.up.sql", "up"),
        ("20200101000000000000_init.down.sql", "down"),
        ("20200102000000000000_idx.autocommit.up.sql", "up"),
    ]
    assert [u.in_transaction for u in found] == [True, True, False]


def test_prisma_and_sqlx(tmp_path: Path) -> None:
    prisma = write(
        tmp_path / "prisma",
        {
            "20240102000000_idx/migration.sql": INDEX,
            "20240101000000_init/migration.sql": CREATE + "CREATE INDEX t_id ON t (id);\n",
        },
    )
    found = units(prisma)
    assert names(found, prisma) == [
        ("20240101000000_init/migration.sql", "up"),
        ("20240102000000_idx/migration.sql", "up"),
    ]
    # one multi-statement query: an implicit transaction, except for a single statement
    assert [u.in_transaction for u in found] == [True, False]
    sqlx = write(
        tmp_path / "sqlx",
        {
            "20240101000000_init.sql": CREATE,
            "20240102000000_idx.sql": "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
        },
    )
    assert [u.in_transaction for u in units(sqlx)] == [True, False]


# ------------------------------------------------------------------------------ sections
GOOSE = """-- +goose Up
CREATE TABLE t (id int, a text);
CREATE INDEX t_a ON t (a);

-- +goose Down
DROP INDEX t_a;
DROP TABLE t;
"""


def test_goose_sections_keep_line_numbers(tmp_path: Path) -> None:
    text = GOOSE + "DROP TABLE legacy;\n"  # (not created by the Up section: reported)
    root = write(
        tmp_path,
        {"001_init.sql": text, "002_idx.sql": "-- +goose Up\n\n" + INDEX + "-- +goose Down\n"},
    )
    found = units(root)
    assert names(found, root) == [
        ("001_init.sql", "up"),
        ("001_init.sql", "down"),
        ("002_idx.sql", "up"),
        ("002_idx.sql", "down"),
    ]
    up, down = found[0], found[1]
    assert len(up.text) == len(down.text) == len(text)
    assert up.text.count("\n") == text.count("\n")
    assert "DROP TABLE" not in up.text and "CREATE TABLE" not in down.text
    assert down.applies is False and up.in_transaction is True
    by_file = lint_paths([str(root)], cfg(root)).findings
    # the down section is linted at its lines: its DROP TABLE legacy at line 8 (its DROP
    # TABLE t at line 7 undoes the Up section); the later index still sees t: the down
    # section was never applied
    lines = {(Path(f.path).name, f.rule, f.line) for f in by_file}
    assert ("001_init.sql", "drop-table", 8) in lines
    assert ("001_init.sql", "drop-table", 7) not in lines
    assert ("002_idx.sql", "non-concurrent-index", 3) in lines


def test_goose_no_transaction(tmp_path: Path) -> None:
    text = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
    root = write(tmp_path, {"001_x.sql": text})
    assert [u.in_transaction for u in units(root)] == [False]
    assert rules_by_file(root) == {}


def test_dbmate_sections_and_transaction_false(tmp_path: Path) -> None:
    text = (
        "-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "-- migrate:down\n"
        "DROP INDEX i;\n"
    )
    root = write(tmp_path, {"20240101000000_idx.sql": text})
    up, down = units(root)
    assert (up.direction, up.in_transaction, up.applies) == ("up", False, True)
    assert (down.direction, down.in_transaction, down.applies) == ("down", True, False)
    assert blank_outside("ab\ncd\nef", 3, 5) == "  \ncd\n  "


def test_golang_migrate_single_statement_runs_outside_transaction(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "1_a.up.sql": "CREATE INDEX CONCURRENTLY i ON t (a);",
            "2_b.up.sql": "SELECT 1;\nCREATE INDEX CONCURRENTLY j ON t (a);",
        },
    )
    assert [u.in_transaction for u in units(root)] == [False, True]
    found = rules_by_file(root)
    assert "1_a.up.sql" not in found
    assert found["2_b.up.sql"] == ["concurrently-in-transaction"]


def test_overrides_flyway_diesel_and_sqlsafe_comment(tmp_path: Path) -> None:
    fly = write(
        tmp_path / "fly",
        {
            "V1__a.sql": CREATE,
            "V2__b.sql": "CREATE INDEX CONCURRENTLY i ON t (a);",
            "V2__b.sql.conf": "executeInTransaction=false\n",
            "V3__c.sql": "-- sqlsafe: no-transaction\nSELECT 1;",
        },
    )
    assert [u.in_transaction for u in units(fly)] == [True, False, False]
    diesel = write(
        tmp_path / "diesel",
        {
            "2024-01-01-000000_a/up.sql": CREATE,
            "2024-01-02-000000_b/up.sql": "CREATE INDEX CONCURRENTLY i ON t (a);",
            "2024-01-02-000000_b/metadata.toml": "run_in_transaction = false\n",
        },
    )
    assert [u.in_transaction for u in units(diesel)] == [True, False]
    plain = write(tmp_path / "plain", {"1.sql": "-- sqlsafe: transaction\nSELECT 1;", "2.sql": ""})
    assert [u.in_transaction for u in units(plain)] == [True, None]


def test_forced_layout_and_explicit_transaction_setting(tmp_path: Path) -> None:
    root = write(tmp_path, {"1_a.up.sql": CREATE + INDEX})
    assert units(root, "plain")[0].in_transaction is None
    config = load_config(write(tmp_path, {"c.toml": "assume-in-transaction = false\n"}) / "c.toml")
    inputs = gather([str(root / "1_a.up.sql")], config)
    assert [u.in_transaction for u in inputs.units if isinstance(u, MigrationUnit)] == [False]
    bad = write(tmp_path, {"bad.toml": 'layout = "rails"\n'}) / "bad.toml"
    with pytest.raises(ConfigError, match="unknown layout 'rails'"):
        load_config(bad)


# ------------------------------------------------------------------------------ pre-commit
def test_history_with_only_the_newest_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "migrations/2024-01-01-000000_init/up.sql": CREATE,
            "migrations/2024-01-01-000000_init/down.sql": "DROP TABLE t;",
            "migrations/2024-01-02-000000_widen/up.sql": "ALTER TABLE t ALTER a TYPE varchar(20);",
            "migrations/2024-01-03-000000_idx/up.sql": INDEX,
        },
    )
    config = cfg(root, history="migrations")
    newest = str(root / "migrations/2024-01-03-000000_idx/up.sql")
    result = lint_paths([newest], config)
    assert [(f.rule, Path(f.path).parent.name) for f in result.findings] == [
        ("non-concurrent-index", "2024-01-03-000000_idx")
    ]
    assert result.files == 1
    # the widening is safe only because the history says a is varchar(10)
    middle = str(root / "migrations/2024-01-02-000000_widen/up.sql")
    assert lint_paths([middle], config).findings == []
    # named alone without a configured history, it reads the same one (its directory's)
    assert lint_paths([middle], cfg(root)).findings == []
    alone = replace(cfg(root), implicit_history=False)  # --no-history
    assert [f.rule for f in lint_paths([middle], alone).findings] == ["alter-column-type"]


def test_drizzle_files_run_in_a_transaction(tmp_path: Path) -> None:
    from linter.analysis.registry import load_rules
    from linter.api import lint_paths
    from linter.inputs.config import Config

    root = tmp_path / "prisma"
    (root / "20240101000000_init").mkdir(parents=True)
    (root / "20240101000000_init" / "migration.sql").write_text("CREATE TABLE t (a int);\n")
    drizzle = root / "drizzle"
    drizzle.mkdir()
    (drizzle / "0001_x.sql").write_text(
        "ALTER TABLE t ADD COLUMN b int;--> statement-breakpoint\nALTER TABLE t ADD COLUMN c int;"
    )
    rules = tuple(r for r in load_rules(plugins=False) if r.name == "prefer-robust-statements")
    result = lint_paths([str(root)], Config(root=tmp_path), rules=rules)
    assert result.findings == []


# ------------------------------------------------------------------------------ histories
WIDEN = "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);\n"  # safe only if `a` is varchar(10)


def test_each_migrations_directory_is_its_own_history(tmp_path: Path) -> None:
    # a monorepo: two services, two databases; `t` of one is not `t` of the other
    write(
        tmp_path,
        {
            "svc_a/migrations/001_init.sql": CREATE,
            "svc_a/migrations/002_widen.sql": WIDEN,
            "svc_b/db/0001_widen.sql": WIDEN,
        },
    )
    found = units(tmp_path)
    assert {u.history for u in found} == {
        str(tmp_path / "svc_a/migrations"),
        str(tmp_path / "svc_b/db"),
    }
    # svc_b does not know svc_a's table: the type change is judged without it
    assert rules_by_file(tmp_path) == {"svc_b/db/0001_widen.sql": ["alter-column-type"]}


def test_each_history_gets_its_own_layout(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "api/prisma/migrations/20240101000000_init/migration.sql": CREATE,
            "worker/migrations/2024-01-01-000000_init/up.sql": CREATE,
            "worker/migrations/2024-01-01-000000_init/down.sql": "DROP TABLE t;",
        },
    )
    layouts = {
        (str(Path(u.path).relative_to(tmp_path)), u.layout, u.direction) for u in units(tmp_path)
    }
    assert layouts == {
        ("api/prisma/migrations/20240101000000_init/migration.sql", "prisma", "up"),
        ("worker/migrations/2024-01-01-000000_init/up.sql", "diesel", "up"),
        ("worker/migrations/2024-01-01-000000_init/down.sql", "diesel", "down"),
    }


@pytest.mark.parametrize(
    "files",
    [
        # one directory per version (diesel, Prisma, versioned schema directories)
        {"v0.1/base.sql": CREATE, "v0.2/widen.sql": WIDEN},
        {"2023/001_init.sql": CREATE, "2024/002_widen.sql": WIDEN},
        # Flyway reads its locations recursively
        {"core/V1__init.sql": CREATE, "later/V2__widen.sql": WIDEN},
    ],
)
def test_one_history_across_subdirectories(tmp_path: Path, files: dict[str, str]) -> None:
    write(tmp_path, files)
    assert len({u.history for u in units(tmp_path)}) == 1
    assert rules_by_file(tmp_path) == {}


def test_history_setting_makes_one_history(tmp_path: Path) -> None:
    write(tmp_path, {"a/001_init.sql": CREATE, "b/002_widen.sql": WIDEN})
    assert set(rules_by_file(tmp_path)) == {"b/002_widen.sql"}
    config = cfg(tmp_path, history=str(tmp_path))
    assert rules_by_file(tmp_path, config) == {}


def test_a_named_file_does_not_take_a_sibling_projects_layout(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "other/prisma/migrations/20240101000000_init/migration.sql": CREATE,
            "mine/0001_init.sql": CREATE,
        },
    )
    found = migration_units([str(tmp_path / "mine/0001_init.sql")])
    assert [u.layout for u in found if isinstance(u, MigrationUnit)] == ["plain"]


# ------------------------------------------------------------------------------ sqlsafe histories
def test_histories_command_shows_each_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from linter.cli import main

    write(
        tmp_path,
        {
            "services/api/prisma/migrations/20240101000000_init/migration.sql": CREATE + CREATE,
            "services/api/prisma/migrations/20240301000000_more/migration.sql": INDEX,
            "services/worker/migrations/2024-01-01-000000_init/up.sql": CREATE,
            "services/worker/migrations/2024-01-01-000000_init/down.sql": "DROP TABLE t;",
            "services/jobs/001_init.sql": "-- +goose Up\n" + CREATE + "-- +goose Down\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    assert main(["histories", "services"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "services/api/prisma/migrations: prisma, 2 files",
        "  20240101000000_init/migration.sql  up, transaction: one query",
        "  20240301000000_more/migration.sql  up, transaction: no",
        "services/jobs: goose, 1 file, 2 sections",
        "  001_init.sql  up, transaction: yes",
        "  001_init.sql  down, not applied, transaction: yes",
        "services/worker/migrations: diesel, 2 files",
        "  2024-01-01-000000_init/up.sql    up, transaction: yes",
        "  2024-01-01-000000_init/down.sql  down, not applied, transaction: yes",
    ]
    assert main(["histories", "services/jobs", "--layout", "plain", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "histories": [
            {
                "root": "services/jobs",
                "layouts": ["plain"],
                "units": [
                    {
                        "path": "services/jobs/001_init.sql",
                        "direction": "up",
                        "applied": True,
                        "transaction": "no",
                        "transaction_from_comment": False,
                    }
                ],
                "skipped": [],
            }
        ],
        "errors": [],
    }


def test_histories_command_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linter.cli import main

    write(tmp_path, {"m/001_init.sql": CREATE})
    (tmp_path / "m/002_bad.sql").write_bytes(b"\xff\xfe SELECT 1;")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["histories", "m"]) == 1
    out, err = capsys.readouterr()
    assert "m: plain, 1 file" in out and "m/002_bad.sql: error not valid UTF-8" in err
    assert main(["histories", "empty"]) == 1  # a named path that gives nothing: an error
    assert capsys.readouterr().err.startswith("empty: error no migration files found")
    assert main(["histories"]) == 2  # PATH is required


def test_a_tree_lints_as_its_histories_would_alone(tmp_path: Path) -> None:
    # without the corpus too: the same tables in three services, three layouts
    files = {
        "svc/a/migrations/001_init.sql": CREATE,
        "svc/a/migrations/002_widen.sql": WIDEN + INDEX,
        "svc/b/prisma/migrations/20240101000000_init/migration.sql": CREATE,
        "svc/b/prisma/migrations/20240201000000_more/migration.sql": WIDEN + "DROP TABLE t;\n",
        "svc/c/2024-01-01-000000_init/up.sql": CREATE,
        "svc/c/2024-01-01-000000_init/down.sql": "DROP TABLE t;\n",
        "svc/c/2024-02-01-000000_widen/up.sql": WIDEN + INDEX,
        "svc/c/2024-02-01-000000_widen/down.sql": "SELECT 1;\n",
    }
    write(tmp_path, files)

    def found(path: Path) -> list[tuple[str, int, str]]:
        result = lint_paths([str(path)], cfg(tmp_path))
        return sorted((f.path, f.line, f.rule) for f in result.findings)

    together = found(tmp_path / "svc")
    alone = sorted(
        f
        for name in ("a/migrations", "b/prisma/migrations", "c")
        for f in found(tmp_path / "svc" / name)
    )
    assert together == alone and together


def test_reading_in_each_process_gives_what_gathering_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a cache, each history's files are read by the process that lints it; with
    one, everything is gathered first. Same findings, errors and counts either way."""
    import linter.analysis.engine
    from linter.output.cache import ResultCache

    files = {
        f"svc{n}/migrations/{i:03d}_step.sql": CREATE if i == 1 else WIDEN + INDEX
        for n in range(4)
        for i in range(1, 6)
    }
    write(tmp_path, files)
    (tmp_path / "svc2/migrations/004_bad.sql").write_bytes(b"\xff\xfeSELECT 1;")
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_CHARS", 10)  # two processes
    named = [str(tmp_path), str(tmp_path / "missing.sql")]
    config = cfg(tmp_path)
    only = {os.path.abspath(tmp_path / "svc1/migrations/003_step.sql")}
    for kwargs in ({}, {"only": only, "edited": only}):
        lazy = lint_paths(named, config, **kwargs)  # type: ignore[arg-type]
        gathered = lint_paths(named, config, cache=ResultCache(tmp_path / "c"), **kwargs)  # type: ignore[arg-type]
        assert lazy.findings == gathered.findings and lazy.findings
        assert lazy.errors == gathered.errors
        assert len(lazy.errors) == (0 if kwargs else 2)  # --diff reports its files only
        assert lazy.files == gathered.files


def test_histories_command_lists_the_files_a_layout_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linter.cli import main

    v1, v2 = "20240101000000000000_init", "20240201000000000000_more"
    write(
        tmp_path,
        {
            f"m/{v1}.postgres.up.sql": CREATE,
            f"m/{v1}.up.sql": CREATE,
            f"m/{v1}.mysql.up.sql": CREATE,
            f"m/{v2}.up.sql": INDEX,
            f"other/{v1}.mysql.up.sql": CREATE,
        },
    )
    monkeypatch.chdir(tmp_path)
    assert main(["histories", "m", "other"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "m: popx, 2 files",
        f"  {v1}.postgres.up.sql  up, transaction: yes",
        f"  {v2}.up.sql           up, transaction: yes",
        f"  {v1}.mysql.up.sql     skipped: a mysql migration",
        f"  {v1}.up.sql           skipped: replaced by its postgres file",
        "other: popx, 0 files",
        f"  {v1}.mysql.up.sql  skipped: a mysql migration",
    ]


# ------------------------------------------------------------------------------ up/down pairs
def test_versioned_up_down_pairs_are_an_up_down_layout(tmp_path: Path) -> None:
    # ``V<version>.<Name>.up.sql`` is no golang-migrate name, but the same idea: ups in
    # version order (V10 after V9), downs linted and never applied
    files = {
        "V1.CreateT.up.sql": CREATE,
        "V1.CreateT.down.sql": "DROP TABLE t;",
        "V10.Index.up.sql": INDEX,
        "V10.Index.down.sql": "DROP INDEX t_a;",
    }
    files.update({f"V{n}.Step{n}.up.sql": "SELECT 1;" for n in range(2, 10)})
    root = write(tmp_path, files)
    assert detect_layout(root) == "up-down"
    found = units(root)
    ups = [name for name, direction in names(found, root) if direction == "up"]
    assert ups == [
        "V1.CreateT.up.sql",
        *[f"V{n}.Step{n}.up.sql" for n in range(2, 10)],
        "V10.Index.up.sql",
    ]
    assert names(found, root)[:2] == [("V1.CreateT.up.sql", "up"), ("V1.CreateT.down.sql", "down")]
    assert {u.applies for u in found if u.direction == "down"} == {False}
    # the down dropped t but was never applied: V10 sees an existing t
    assert rules_by_file(root)["V10.Index.up.sql"] == ["non-concurrent-index"]
    assert "V1.CreateT.up.sql" not in rules_by_file(root)


def test_up_down_pairs_with_other_names(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "2-index.up.sql": INDEX,
            "2-index.down.sql": "DROP INDEX t_a;",
            "1-init.up.sql": CREATE,
            "1-init.down.sql": "DROP TABLE t;",
            "1.1.seed.up.sql": "INSERT INTO t VALUES (1);",
        },
    )
    assert detect_layout(root) == "up-down"
    assert names(units(root), root) == [
        ("1-init.up.sql", "up"),
        ("1-init.down.sql", "down"),
        ("1.1.seed.up.sql", "up"),
        ("2-index.up.sql", "up"),
        ("2-index.down.sql", "down"),
    ]
    # the runner is not known: the assume-in-transaction setting decides
    assert {u.in_transaction for u in units(root)} == {None}


# ------------------------------------------------------------------------------ postgres-migrations
PG_MIGRATIONS_PACKAGE = '{"name": "app", "dependencies": {"postgres-migrations": "^5.3.0"}}'


def test_postgres_migrations_detected_from_package_json(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "package.json": PG_MIGRATIONS_PACKAGE,
            "db/migrations/10_index.sql": INDEX,
            "db/migrations/2-init.sql": CREATE,
            "db/migrations/1_nothing.sql": "SELECT 1;",
        },
    )
    migrations = root / "db" / "migrations"
    assert detect_layout(migrations) == "postgres-migrations"
    found = units(migrations)
    assert names(found, migrations) == [
        ("1_nothing.sql", "up"),
        ("2-init.sql", "up"),
        ("10_index.sql", "up"),
    ]
    assert [u.in_transaction for u in found] == [True, True, True]


def test_postgres_migrations_needs_its_package(tmp_path: Path) -> None:
    files = {"1_init.sql": CREATE, "2-index.sql": INDEX}
    root = write(tmp_path / "a", {**files, "package.json": '{"dependencies": {"pg": "1"}}'})
    assert detect_layout(root) == "plain"
    assert detect_layout(write(tmp_path / "b", {**files, "package.json": "{not json"})) == "plain"
    # dev dependency, package.json next to the files
    dev = '{"devDependencies": {"postgres-migrations": "5"}}'
    assert detect_layout(write(tmp_path / "c", {**files, "package.json": dev})) == (
        "postgres-migrations"
    )


def test_postgres_migrations_disable_transaction_marker(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "1_init.sql": CREATE,
            "2_index.sql": "-- postgres-migrations disable-transaction\n"
            "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
            "3_index.sql": "CREATE INDEX CONCURRENTLY t_b ON t (a);\n",
        },
    )
    found = units(root, "postgres-migrations")
    assert [(u.in_transaction, u.tx_from_comment) for u in found] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert rules_by_file(root, cfg(root, layout="postgres-migrations")) == {
        "3_index.sql": ["concurrently-in-transaction"]
    }


DO_BATCHES = (
    "DO $$\nBEGIN\n  LOOP\n    UPDATE t SET a = 'x' WHERE id IN "
    "(SELECT id FROM t WHERE a IS NULL ORDER BY id LIMIT 100);\n"
    "    EXIT WHEN NOT FOUND;\n    COMMIT;\n  END LOOP;\nEND\n$$;\n"
)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        # its COMMIT ends postgres-migrations' transaction early
        ("BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n", "transaction-nesting"),
        # a batched backfill that commits per batch fails inside that transaction
        (DO_BATCHES, "do-block-commit-in-transaction"),
    ],
)
def test_postgres_migrations_wrapped_or_not(tmp_path: Path, body: str, rule: str) -> None:
    # postgres-migrations wraps each file, unless the file carries its marker
    root = write(
        tmp_path,
        {
            "1_init.sql": CREATE,
            "2_wrapped.sql": body,
            "3_alone.sql": "-- postgres-migrations disable-transaction\n" + body,
        },
    )
    settings = Settings(select=(rule,))
    config = Config(root=root, settings=settings, layout="postgres-migrations")
    assert rules_by_file(root, config) == {"2_wrapped.sql": [rule]}
