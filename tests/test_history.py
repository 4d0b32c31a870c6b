"""Files linted together form one history: earlier files' objects exist, later ones know them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORE_RULES

from linter.api import lint_paths
from linter.config import Config
from linter.context import Settings
from linter.engine import lint_sql
from linter.registry import load_rules

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


# -- findings a later migration answers (linter.deferred) --------------------------------
FK = "CREATE TABLE accounts (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n"


def _fk_findings(root: Path, *, cache: object = None) -> list[str]:
    from linter.cache import ResultCache

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
    import linter.engine
    from linter.cache import ResultCache

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
    monkeypatch.setattr(linter.engine, "PARALLEL_MIN_CHARS", 10)
    monkeypatch.setattr(linter.engine, "PARALLEL_MIN_SOURCES", 2)
    write(root, {f"00{i}_pad.sql": "SELECT 1;\n" for i in range(3, 9)})
    assert (
        linter.engine._split_point(
            [linter.engine.Source(p.name, p.read_text()) for p in sorted(root.iterdir())], False, 2
        )
        is not None
    )
    assert _fk_findings(root) == []
    (root / "002_index.sql").unlink()
    assert _fk_findings(root) == ["001_orders.sql"]
