from __future__ import annotations

from conftest import CORE_RULES

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules

RULES = tuple(r for r in load_rules(plugins=False) if r.name in CORE_RULES)


def names(sql: str) -> list[str]:
    return [f.rule for f in lint_sql(sql, RULES)]


def test_comment_before_statement_silences_only_that_statement() -> None:
    sql = (
        "-- sqlsafe: ignore non-concurrent-index\n"
        "CREATE INDEX a_idx ON accounts (a);\n"
        "CREATE INDEX b_idx ON accounts (b);\n"
    )
    findings = lint_sql(sql, RULES)
    assert [(f.rule, f.line) for f in findings] == [("non-concurrent-index", 3)]


def test_several_names_codes_and_aliases() -> None:
    sql = (
        "-- sqlsafe: ignore SS001, drop-table\n"
        "CREATE INDEX a_idx ON accounts (a);\n"
        "-- sqlsafe: ignore changing-column-type\n"
        "ALTER TABLE accounts ALTER COLUMN id TYPE bigint;\n"
    )
    assert names(sql) == []


def test_other_rules_still_apply_to_the_suppressed_statement() -> None:
    sql = (
        "-- sqlsafe: ignore drop-table\n"
        "BEGIN;\nCREATE INDEX CONCURRENTLY a_idx ON accounts (a);\nCOMMIT;\n"
    )
    assert "concurrently-in-transaction" in names(sql)


def test_trailing_comment_on_the_statement_line() -> None:
    sql = (
        "CREATE INDEX a_idx ON accounts (a); -- sqlsafe: ignore non-concurrent-index\n"
        "CREATE INDEX b_idx ON accounts (b);\n"
    )
    findings = lint_sql(sql, RULES)
    assert [(f.rule, f.line) for f in findings] == [("non-concurrent-index", 2)]


def test_ignore_without_names_silences_everything_for_the_statement() -> None:
    sql = "-- sqlsafe: ignore\nDROP TABLE accounts;\nDROP TABLE users;\n"
    assert [f.line for f in lint_sql(sql, RULES)] == [3]


def test_ignore_file() -> None:
    sql = "CREATE INDEX a ON t (a);\n-- sqlsafe: ignore-file non-concurrent-index\nDROP TABLE t;"
    assert names(sql) == ["drop-table"]
    assert names("-- sqlsafe: ignore-file\nCREATE INDEX a ON t (a);\nDROP TABLE t;") == []


def test_unknown_rule_in_suppression_is_reported() -> None:
    sql = "-- sqlsafe: ignore no-such-rule\nCREATE INDEX a ON t (a);"
    findings = lint_sql(sql, RULES)
    assert sorted(f.rule for f in findings) == ["invalid-suppression", "non-concurrent-index"]
    bad = next(f for f in findings if f.rule == "invalid-suppression")
    assert bad.line == 1 and "no-such-rule" in bad.message


def test_misspelt_rule_in_suppression_suggests_the_closest() -> None:
    sql = "-- sqlsafe: ignore non-concurent-index\nCREATE INDEX a ON t (a);"
    bad = next(f for f in lint_sql(sql, RULES) if f.rule == "invalid-suppression")
    assert "did you mean `non-concurrent-index`?" in bad.message
    sql = "-- sqlsafe: ignore drop-tabel\nCREATE INDEX a ON t (a);"
    bad = next(f for f in lint_sql(sql, RULES) if f.rule == "invalid-suppression")
    assert "did you mean `drop-table`?" in bad.message
    # nothing close: no guess
    sql = "-- sqlsafe: ignore zzz\nCREATE INDEX a ON t (a);"
    bad = next(f for f in lint_sql(sql, RULES) if f.rule == "invalid-suppression")
    assert "did you mean" not in bad.message


def test_reason_after_second_dash_dash() -> None:
    sql = "-- sqlsafe: ignore non-concurrent-index -- tiny table\nCREATE INDEX a ON t (a);"
    assert names(sql) == []


def test_suppression_in_a_separate_earlier_comment_block_still_applies() -> None:
    sql = "SELECT 1;\n-- sqlsafe: ignore drop-table\n-- reviewed by ops\nDROP TABLE t;"
    assert names(sql) == []
