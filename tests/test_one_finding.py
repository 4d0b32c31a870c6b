"""One hazard, one finding, at the place that causes it (issue 12 §5).

A statement that causes one hazard (one rewrite, one scan) gets one finding naming every
column involved; several hazards of one statement (three `timestamp` columns, two dropped
columns) get a finding each, at its own column definition, command or object.
"""

from __future__ import annotations

import io
import json

import pytest

from linter.analysis.engine import Finding, LintResult, lint_sql
from linter.analysis.registry import load_rules
from linter.output.reporters.sarif import SarifReporter
from linter.output.reporters.text import TextReporter
from linter.state.context import Settings

RULES = load_rules(plugins=False)
TABLE = "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int, c text, d text);"


def lint(sql: str, rule: str, history: tuple[str, ...] = (TABLE,)) -> list[Finding]:
    return [f for f in lint_sql(sql, RULES, Settings(), history) if f.rule == rule]


def at(sql: str, finding: Finding) -> str:
    """The text of *sql* from the finding's start to its end."""
    starts = [0] + [i + 1 for i, c in enumerate(sql) if c == "\n"]
    start = starts[finding.line - 1] + finding.column - 1
    end = starts[finding.end_line - 1] + finding.end_column - 1
    return sql[start:end]


def test_three_timestamp_columns_point_at_their_own_types() -> None:
    sql = "CREATE TABLE e (\n  a timestamp,\n  b timestamp(3) NOT NULL,\n  c timestamp\n);"
    found = lint(sql, "prefer-timestamptz")
    assert [(f.line, f.column) for f in found] == [(2, 5), (3, 5), (4, 5)]
    assert [at(sql, f) for f in found] == ["timestamp", "timestamp(3) NOT NULL", "timestamp"]
    assert all(f.sql == sql.rstrip(";") for f in found)  # (what baselines fingerprint)


def test_two_dropped_columns_point_at_their_own_commands() -> None:
    sql = "ALTER TABLE t DROP COLUMN c,\n  DROP COLUMN d;"
    found = lint(sql, "drop-column")
    assert [at(sql, f) for f in found] == ["DROP COLUMN c", "DROP COLUMN d"]
    assert [(f.line, f.column) for f in found] == [(1, 15), (2, 3)]


def test_a_statement_with_one_hazard_still_points_at_its_start() -> None:
    (found,) = lint("ALTER TABLE t DROP COLUMN c;", "drop-column")
    assert (found.line, found.column) == (1, 1)


def test_dropped_objects_point_at_their_names() -> None:
    history = (TABLE, "CREATE TABLE u (id bigint);", "CREATE VIEW v AS SELECT 1 AS x;")
    sql = "DROP TABLE t, u;"
    found = lint(sql, "drop-table", history)
    assert [at(sql, f) for f in found] == ["DROP TABLE t", "u"]


def test_columns_after_non_ascii_text_are_located_in_characters() -> None:
    sql = 'CREATE TABLE é (\n  "ñame" timestamp, -- café\n  ü timestamp);'
    found = lint(sql, "prefer-timestamptz")
    assert [(f.line, f.column) for f in found] == [(2, 10), (3, 5)]


def test_identifiers_too_long_point_at_each_name() -> None:
    long_a, long_b = "a" * 70, "b" * 70
    sql = f"CREATE TABLE {long_a} ({long_b} text);"
    found = lint(sql, "identifier-too-long")
    assert [at(sql, f).split()[0] for f in found] == [long_a, long_b]


def test_generated_columns_of_one_alter_are_one_rewrite() -> None:
    columns = [f"g{i}" for i in range(27)]
    adds = ", ".join(
        f"ADD COLUMN {c} bigint GENERATED ALWAYS AS (a + {i}) STORED" for i, c in enumerate(columns)
    )
    (found,) = lint(f"ALTER TABLE t {adds};", "rewrite-column")
    assert all(f"`{c}`" in found.message for c in columns)
    assert "once" in found.message


def test_a_second_set_not_null_shares_the_first_scan() -> None:
    sql = "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET NOT NULL;"
    (found,) = lint(sql, "set-not-null")
    assert "SET NOT NULL on `a` and `b` of `public.t` scans the whole table once" in found.message
    assert at(sql, found) == "ALTER COLUMN a SET NOT NULL"
    # in two statements: two scans, two findings
    two = lint(
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nALTER TABLE t ALTER COLUMN b SET NOT NULL;",
        "set-not-null",
    )
    assert [f.line for f in two] == [1, 2]


def test_column_types_changed_by_one_alter_are_one_rewrite() -> None:
    sql = "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;"
    (found,) = lint(sql, "alter-column-type")
    assert "`public.t.a` from integer to bigint and `public.t.b`" in found.message


def test_volatile_defaults_of_one_alter_are_one_rewrite() -> None:
    sql = (
        "ALTER TABLE t ADD COLUMN x uuid DEFAULT gen_random_uuid(), "
        "ADD COLUMN y float DEFAULT random();"
    )
    (found,) = lint(sql, "volatile-default")
    assert "`x` (its default calls gen_random_uuid()" in found.message
    assert "`y` (its default calls random()" in found.message
    same = "ALTER TABLE t ADD COLUMN x float DEFAULT random(), ADD COLUMN y float DEFAULT random();"
    (found,) = lint(same, "volatile-default")
    assert "ADD COLUMN `x` and `y` rewrites `public.t` once because its default" in found.message


def test_checks_of_one_alter_are_verified_in_one_scan() -> None:
    sql = "ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0), ADD COLUMN e int CHECK (e > 0);"
    (found,) = lint(sql, "add-check-constraint")
    assert "CHECK constraint `a_pos` and the CHECK on new column `e`" in found.message


def test_a_statement_in_a_loop_of_a_do_block_is_one_finding() -> None:
    sql = (
        "DO $$\nBEGIN\n  FOR i IN 1..3 LOOP\n"
        "    ALTER TABLE t DROP COLUMN c, DROP COLUMN d;\n"
        "  END LOOP;\nEND $$;"
    )
    found = lint(sql, "drop-column")
    assert [at(sql, f) for f in found] == ["DROP COLUMN c", "DROP COLUMN d"]
    assert [(f.line, f.column) for f in found] == [(4, 19), (4, 34)]


def test_located_findings_keep_valid_spans_in_every_format() -> None:
    sql = "ALTER TABLE t DROP COLUMN c,\n  DROP COLUMN d;"
    findings = lint(sql, "drop-column")
    result = LintResult(findings=findings, files=1)
    out = io.StringIO()
    SarifReporter().report(result, tuple(RULES), out)
    regions = [
        r["locations"][0]["physicalLocation"]["region"]
        for r in json.loads(out.getvalue())["runs"][0]["results"]
    ]
    assert [(r["startLine"], r["startColumn"], r["endLine"]) for r in regions] == [
        (1, 15, 1),
        (2, 3, 2),
    ]
    text = io.StringIO()
    TextReporter(color=False).report(result, tuple(RULES), text)
    assert "<sql>:2:3: error drop-column" in text.getvalue()


@pytest.mark.parametrize("rule", ["prefer-bigint", "prefer-text", "ban-char", "prefer-identity"])
def test_style_rules_point_at_each_column(rule: str) -> None:
    sql = (
        "CREATE TABLE s (i serial, j serial, v varchar(9), w varchar(9), "
        "k int, l int, m char(2), n char(2));"
    )
    found = lint(sql, rule)
    assert len(found) >= 2
    assert len({(f.line, f.column) for f in found}) == len(found)


def test_long_lock_hold_does_not_repeat_the_rewrite_finding() -> None:
    sql = (
        "BEGIN;\nALTER TABLE t ADD COLUMN e text;\nALTER TABLE t ALTER COLUMN a TYPE bigint;\n"
        "UPDATE u SET id = id + 1;\nCOMMIT;"
    )
    history = (TABLE, "CREATE TABLE u (id bigint);")
    assert [f.line for f in lint(sql, "alter-column-type", history)] == [3]
    # the rewrite blocks t by itself (alter-column-type says so); the UPDATE of another
    # table keeps t blocked for longer: that one is reported
    (found,) = lint(sql, "long-lock-hold", history)
    assert found.line == 4 and "it changes data" in found.message


def test_columns_are_located_in_a_file_with_a_syntax_error() -> None:
    # (the file is parsed piece by piece: locations count from each piece)
    sql = 'SELECT {{ x }};\nCREATE TABLE ü (a timestamp, "é" timestamp);\nSELEC 1;\n'
    found = lint(sql, "prefer-timestamptz")
    assert [(f.line, f.column) for f in found] == [(2, 19), (2, 34)]


@pytest.mark.parametrize(
    ("sql", "rule", "parts"),
    [
        ("TRUNCATE t, u;", "truncate", ["t", "u"]),
        ("VACUUM FULL t, u;", "vacuum-full-or-cluster", ["t", "u"]),
        ("DROP SEQUENCE s1, s2;", "drop-sequence", ["DROP SEQUENCE s1", "s2"]),
        (
            "ALTER TABLE t SET TABLESPACE x, SET LOGGED;",
            "table-rewrite",
            ["SET TABLESPACE x", "SET LOGGED"],
        ),
    ],
)
def test_each_object_of_one_statement_is_located(sql: str, rule: str, parts: list[str]) -> None:
    history = (TABLE, "CREATE TABLE u (id bigint);", "CREATE SEQUENCE s1;", "CREATE SEQUENCE s2;")
    assert [at(sql, f) for f in lint(sql, rule, history)] == parts


@pytest.mark.parametrize(
    ("sql", "rule", "rewrite"),
    [
        (
            "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b SET NOT NULL;",
            "set-not-null",
            "alter-column-type",
        ),
        (
            "ALTER TABLE t ADD COLUMN x uuid DEFAULT gen_random_uuid(), "
            "ADD CONSTRAINT b_pos CHECK (b > 0);",
            "add-check-constraint",
            "volatile-default",
        ),
    ],
)
def test_a_check_during_a_rewrite_is_not_a_second_scan(sql: str, rule: str, rewrite: str) -> None:
    # PostgreSQL checks the new constraints on each row the rewrite copies: the rewrite's
    # finding is the one hazard
    assert lint(sql, rule) == []
    assert len(lint(sql, rewrite)) == 1
    assert len(lint(sql.split(", ", 1)[1].join(("ALTER TABLE t ", "")), rule)) == 1
