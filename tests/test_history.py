"""Files linted together form one history: earlier files' objects exist, later ones know them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORE_RULES

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.api import lint_paths
from linter.inputs.config import Config
from linter.state.context import Settings

RULES = tuple(r for r in load_rules(plugins=False) if r.name in CORE_RULES)


def write(tmp: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def rules_at(result_findings: list, path_part: str) -> list[str]:  # type: ignore[type-arg]
    return [f.rule for f in result_findings if path_part in f.path]


def test_table_from_earlier_file_is_existing(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "1_create.sql": "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);",
            "2_index.sql": "CREATE INDEX t_id2 ON t (id);",
        },
    )
    result = lint_paths([str(tmp_path)], Config(root=tmp_path), rules=RULES)
    assert rules_at(result.findings, "1_create") == []
    assert rules_at(result.findings, "2_index") == ["non-concurrent-index"]


def test_natural_sort_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "10_index.sql": "CREATE INDEX t_a ON t (a);",
            "9_create.sql": "CREATE TABLE t (a int);",
        },
    )
    result = lint_paths([str(tmp_path)], Config(root=tmp_path), rules=RULES)
    # 9 runs before 10: the table exists by then, so the index is flagged
    assert [f.rule for f in result.findings] == ["non-concurrent-index"]
    assert "10_index" in result.findings[0].path


def test_column_types_cross_files() -> None:
    history = ["CREATE TABLE e (id int, title varchar(50), n numeric(8,2));"]
    ok = "ALTER TABLE e ALTER COLUMN title TYPE varchar(80);\nALTER TABLE e ALTER n TYPE numeric(9,2);"
    assert lint_sql(ok, RULES, history=history) == []
    bad = "ALTER TABLE e ALTER COLUMN n TYPE numeric(9,3);"
    assert [f.rule for f in lint_sql(bad, RULES, history=history)] == ["alter-column-type"]


def test_unknown_table_is_judged_conservatively() -> None:
    sql = "ALTER TABLE never_seen ALTER COLUMN title TYPE varchar(500);"
    assert [f.rule for f in lint_sql(sql, RULES)] == ["alter-column-type"]


def test_not_null_known_from_history() -> None:
    history = ["CREATE TABLE t (a text NOT NULL);"]
    assert lint_sql("ALTER TABLE t ALTER a SET NOT NULL;", RULES, history=history) == []


def test_validated_check_from_history_but_not_version_11() -> None:
    history = [
        "CREATE TABLE t (a text);",
        "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;",
        "ALTER TABLE t VALIDATE CONSTRAINT a_nn;",
    ]
    sql = "ALTER TABLE t ALTER a SET NOT NULL;"
    assert lint_sql(sql, RULES, Settings(target_version=12), history=history) == []
    old = lint_sql(sql, RULES, Settings(target_version=11), history=history)
    assert [f.rule for f in old] == ["set-not-null"]


def test_search_path_and_quoting() -> None:
    # t and public.t are one table; "T" is another one
    sql = 'CREATE TABLE public.t (a int);\nCREATE INDEX i ON t (a);\nCREATE INDEX j ON "T" (a);'
    findings = lint_sql(sql, RULES)
    assert [(f.rule, f.line) for f in findings] == [("non-concurrent-index", 3)]
    assert "public.T" in findings[0].message


def test_schema_qualified_other_schema_is_distinct() -> None:
    sql = "CREATE TABLE app.t (a int);\nCREATE INDEX i ON t (a);\nCREATE INDEX j ON app.t (a);"
    assert [f.line for f in lint_sql(sql, RULES)] == [2]


def test_drop_and_recreate_in_same_file_is_new() -> None:
    history = ["CREATE TABLE t (a int);"]
    sql = "DROP TABLE t;\nCREATE TABLE t (a int);\nCREATE INDEX i ON t (a);"
    assert [f.rule for f in lint_sql(sql, RULES, history=history)] == ["drop-table"]


def test_rename_keeps_knowledge() -> None:
    history = ["CREATE TABLE t (a varchar(10));", "ALTER TABLE t RENAME TO u;"]
    sql = "ALTER TABLE u ALTER COLUMN a TYPE varchar(20);"
    assert lint_sql(sql, RULES, history=history) == []


def test_history_config_for_pre_commit(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "migrations/001_create.sql": "CREATE TABLE t (a varchar(10));",
            "migrations/002_widen.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);",
            "migrations/003_later.sql": "DROP TABLE t;",
        },
    )
    config = Config(root=tmp_path, history="migrations")
    only = str(tmp_path / "migrations/002_widen.sql")
    result = lint_paths([only], config, rules=RULES)
    assert result.findings == []  # knows the type from 001, and 003 is not reported
    assert result.files == 1


# -- findings a later migration answers (linter.state.deferred) --------------------------------
FK = "CREATE TABLE accounts (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n"


def _fk_findings(root: Path, *, cache: object = None) -> list[str]:
    from linter.output.cache import ResultCache

    result = lint_paths(
        [str(root)],
        Config(root=root, settings=Settings(select=("foreign-key-without-index",))),
        cache=cache if isinstance(cache, ResultCache) else None,
    )
    return [Path(f.path).name for f in result.findings]


def test_an_index_in_a_later_migration_answers_the_foreign_key(tmp_path: Path) -> None:
    write(tmp_path, {"001_orders.sql": FK})
    assert _fk_findings(tmp_path) == ["001_orders.sql"]  # the new migration alone: reported
    write(tmp_path, {"002_noise.sql": "CREATE INDEX orders_id ON orders (id);\n"})
    assert _fk_findings(tmp_path) == ["001_orders.sql"]  # an index on other columns
    write(
        tmp_path,
        {"003_partial.sql": "CREATE INDEX orders_p ON orders (account_id) WHERE id > 0;\n"},
    )
    assert _fk_findings(tmp_path) == ["001_orders.sql"]  # a partial index does not serve it
    write(
        tmp_path,
        {"004_index.sql": "CREATE INDEX CONCURRENTLY orders_a ON orders (account_id, id);\n"},
    )
    assert _fk_findings(tmp_path) == []
    write(tmp_path, {"005_drop.sql": "DROP INDEX CONCURRENTLY orders_a;\n"})
    assert _fk_findings(tmp_path) == ["001_orders.sql"]  # gone again by the end


def test_later_index_with_the_cache_and_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.analysis.engine
    from linter.output.cache import ResultCache

    cache = ResultCache(tmp_path / "cache")
    root = tmp_path / "m"
    write(root, {"001_orders.sql": FK, "002_index.sql": "CREATE INDEX o ON orders (account_id);\n"})
    assert _fk_findings(root, cache=cache) == []  # cold
    assert _fk_findings(root, cache=cache) == []  # the stored run
    (root / "002_index.sql").unlink()
    assert _fk_findings(root, cache=cache) == ["001_orders.sql"]  # per-file entries are raw
    write(root, {"002_index.sql": "CREATE INDEX o ON orders (account_id);\n"})
    assert _fk_findings(root, cache=cache) == []
    # a history split between two processes resolves like one
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_CHARS", 10)
    monkeypatch.setattr(linter.analysis.engine, "PARALLEL_MIN_SOURCES", 2)
    write(root, {f"00{i}_pad.sql": "SELECT 1;\n" for i in range(3, 9)})
    assert (
        linter.analysis.engine._split_point(
            [linter.analysis.engine.Source(p.name, p.read_text()) for p in sorted(root.iterdir())], False, 2
        )
        is not None
    )
    assert _fk_findings(root) == []
    (root / "002_index.sql").unlink()
    assert _fk_findings(root) == ["001_orders.sql"]


# -- history without configuration: a file named alone reads its directory's history -----
WIDEN = {
    "migrations/001_users.sql": "CREATE TABLE users (id bigint, email varchar(255));\n",
    "migrations/002_widen.sql": "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n",
    "migrations/003_later.sql": "DROP TABLE users;\n",
}


def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the command line in *tmp_path*, with a cache of its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))


def _cli(
    capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
) -> tuple[int, str]:
    import io
    import sys

    from linter.cli import main

    if stdin is not None:
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        code = main(list(args))
    finally:
        if stdin is not None:
            sys.stdin = old
    return code, capsys.readouterr().out


def test_a_file_named_alone_reads_its_directorys_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What pre-commit and editors do: one file named, no `history` configured. The
    widening is judged with 001's varchar(255): no rewrite; 003 is not reported."""
    write(tmp_path, WIDEN)
    in_project(tmp_path, monkeypatch)
    only = "migrations/002_widen.sql"
    assert lint_paths([only], Config(root=tmp_path), rules=RULES).findings == []
    for cache in ((), ("--no-cache",), ()):  # cold, uncached, warm
        code, out = _cli(capsys, "lint", "--select", "alter-column-type", *cache, only)
        assert (code, out) == (0, "All clear: 1 file checked, no findings.\n")
    # explain reads the same history: the statement rewrites nothing
    code, out = _cli(capsys, "explain", "--format", "json", only)
    assert json.loads(out)["statements"][0]["rewrites"] == []
    # --no-history: the file alone, the column's type unknown
    for cache in ((), ("--no-cache",)):
        code, out = _cli(
            capsys, "lint", "--select", "alter-column-type", "--no-history", *cache, only
        )
        assert code == 1 and "002_widen.sql:1:1: error alter-column-type" in out


def test_the_history_key_still_wins(tmp_path: Path) -> None:
    write(tmp_path, {**WIDEN, "other/001_x.sql": "CREATE TABLE x (id int);\n"})
    only = str(tmp_path / "migrations/002_widen.sql")
    result = lint_paths([only], Config(root=tmp_path, history="other"), rules=RULES)
    # the configured history does not create users: its type is unknown, a rewrite
    assert [f.rule for f in result.findings] == ["alter-column-type"]
    off = Config(root=tmp_path, implicit_history=False)
    assert [f.rule for f in lint_paths([only], off, rules=RULES).findings] == ["alter-column-type"]


def test_only_a_migrations_directory_is_a_history(tmp_path: Path) -> None:
    """A lone `schema.sql` (no version in its name) beside other SQL files reads none of
    them: they are not its history."""
    write(
        tmp_path,
        {
            "db/seed.sql": "CREATE TABLE users (id bigint, email varchar(255));\n",
            "db/schema.sql": "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n",
        },
    )
    only = str(tmp_path / "db/schema.sql")
    result = lint_paths([only], Config(root=tmp_path), rules=RULES)
    assert [f.rule for f in result.findings] == ["alter-column-type"]


def test_each_named_file_reads_its_own_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            **WIDEN,
            "api/0001_t.sql": "CREATE TABLE t (a varchar(10));\n",
            "api/0002_t.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);\n",
            "worker/0002_t.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);\n",
        },
    )
    named = [
        str(tmp_path / p)
        for p in ("api/0002_t.sql", "worker/0002_t.sql", "migrations/002_widen.sql")
    ]
    result = lint_paths(named, Config(root=tmp_path), rules=RULES)
    assert [(Path(f.path).parent.name, f.rule) for f in result.findings] == [
        ("worker", "alter-column-type")
    ]
    assert result.files == 3


def test_prisma_migration_named_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "prisma/migrations/20240101000000_init/migration.sql": 'CREATE TABLE "User" (id int, name varchar(50));\n',
            "prisma/migrations/20240102000000_widen/migration.sql": 'ALTER TABLE "User" ALTER COLUMN name TYPE varchar(80);\n',
            "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
        },
    )
    only = str(tmp_path / "prisma/migrations/20240102000000_widen/migration.sql")
    assert lint_paths([only], Config(root=tmp_path), rules=RULES).findings == []


def test_stdin_with_a_file_name_reads_that_files_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An editor pipes its unsaved buffer: the history is the directory's, and the lines
    shown are the buffer's (the file on disk says something else)."""
    write(tmp_path, WIDEN)
    in_project(tmp_path, monkeypatch)
    buffer = (
        "-- widen the address\n"
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n"
        "\n"
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n"
    )
    name = "migrations/002_widen.sql"
    args = ("lint", "--select", "alter-column-type", "--stdin-filename", name, "-")
    code, out = _cli(capsys, *args, stdin=buffer)
    # the widening is known to be safe (001's varchar(255)); the narrowing rewrites, at
    # line 4 of the buffer, shown from the buffer
    assert code == 1
    assert out.startswith(f"{name}:4:1: error alter-column-type:")
    assert "    4 | ALTER TABLE users ALTER COLUMN email TYPE varchar(100);\n" in out
    assert "Found 1 error in 1 file." in out
    # a new file not saved yet is placed in the history too: after 003 dropped the table
    # (unknown, judged as existing), or between 002 and 003
    for new, expected in (("004_new.sql", 1), ("002a_new.sql", 0)):
        widen = WIDEN["migrations/002_widen.sql"]
        code, out = _cli(capsys, *args[:-2], f"migrations/{new}", "-", stdin=widen)
        assert code == expected, out
    # without a name, or with --no-history, standard input has no history
    code, out = _cli(
        capsys,
        "lint",
        "--select",
        "alter-column-type",
        "--no-history",
        "--stdin-filename",
        name,
        "-",
        stdin=buffer,
    )
    assert code == 1 and out.count("alter-column-type") == 2
    assert (
        f"{name}:2:1:" in out
        and "    2 | ALTER TABLE users ALTER COLUMN email TYPE varchar(320);" in out
    )


def test_a_materialized_view_created_earlier_in_the_file_is_new() -> None:
    sql = (
        "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS id;\n"
        "CREATE UNIQUE INDEX totals_id ON totals (id);\n"
        "REFRESH MATERIALIZED VIEW totals;\n"
    )
    assert lint_sql(sql, RULES) == []
    # created by an earlier file, it is existing: its index blocks the refreshes' readers
    found = lint_sql(sql.split("\n", 1)[1], RULES, history=[sql.split("\n", 1)[0]])
    assert [f.rule for f in found] == ["non-concurrent-index"]


def test_stdin_in_a_goose_directory_is_run_as_goose_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its Up and Down sections are two units, each with the other blanked: the lines
    shown for both are those of the whole text read."""
    write(
        tmp_path,
        {
            "db/00001_a.sql": "-- +goose Up\nCREATE TABLE a (id int, n varchar(10));\n"
            "-- +goose Down\nDROP TABLE a;\n"
        },
    )
    in_project(tmp_path, monkeypatch)
    buffer = (
        "-- +goose Up\n-- +goose NO TRANSACTION\n"
        "ALTER TABLE a ALTER COLUMN n TYPE varchar(20);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON a (n);\n"
        "-- +goose Down\nCREATE INDEX j ON a (id);\n"
    )
    select = "alter-column-type,require-lock-timeout,non-concurrent-index"
    code, out = _cli(
        capsys, "lint", "--select", select, "--stdin-filename", "db/00002_b.sql", "-", stdin=buffer
    )
    assert code == 1
    # a widening known from 00001: no rewrite; the ALTER and the DROP still want a timeout
    assert "alter-column-type" not in out
    assert "db/00002_b.sql:3:1: error require-lock-timeout" in out
    assert "    3 | ALTER TABLE a ALTER COLUMN n TYPE varchar(20);\n" in out
    assert "db/00002_b.sql:6:1: error non-concurrent-index" in out
    assert "    6 | CREATE INDEX j ON a (id);\n" in out
