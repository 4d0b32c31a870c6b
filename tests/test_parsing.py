from __future__ import annotations

from linter.parsing import parse


def spans(sql: str) -> list[tuple[int, int, str]]:
    parsed = parse(sql)
    out = []
    for stmt in parsed.statements:
        line, col = parsed.lines.position(stmt.start)
        out.append((line, col, sql[stmt.start : stmt.end]))
    return out


def test_leading_comments_are_skipped() -> None:
    sql = "-- create it\n/* block\n comment */  CREATE TABLE t (id int);\n\n-- next\nSELECT 1;"
    assert spans(sql) == [(3, 14, "CREATE TABLE t (id int)"), (6, 1, "SELECT 1")]


def test_multiline_statement_span() -> None:
    sql = "ALTER TABLE t\n  ADD COLUMN a int,\n  ADD COLUMN b int;\n"
    parsed = parse(sql)
    (stmt,) = parsed.statements
    assert parsed.lines.position(stmt.start) == (1, 1)
    assert parsed.lines.position(stmt.end) == (3, 19)


def test_dollar_quoted_body_with_semicolons() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\n"
        "END;\n$$ LANGUAGE plpgsql;\nCREATE INDEX i ON t (a);"
    )
    result = spans(sql)
    assert len(result) == 2
    assert result[1] == (7, 1, "CREATE INDEX i ON t (a)")


def test_syntax_error_keeps_other_statements() -> None:
    sql = "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUM b int;\nCREATE INDEX i ON a (id);"
    parsed = parse(sql)
    kinds = [s.kind or "error" for s in parsed.statements]
    assert kinds == ["CreateStmt", "error", "IndexStmt"]
    bad = parsed.statements[1]
    assert bad.error and "syntax error" in bad.error
    assert bad.error_offset is not None
    assert parsed.lines.position(bad.error_offset) == (2, 27)


def test_unterminated_string_is_located() -> None:
    sql = "SELECT 1;\nSELECT 'abc"
    parsed = parse(sql)
    assert parsed.statements[0].kind == "SelectStmt"
    assert parsed.statements[1].error and "unterminated" in parsed.statements[1].error
    assert parsed.lines.position(parsed.statements[1].start) == (2, 1)


def test_template_placeholder_is_explained() -> None:
    sql = 'CREATE TABLE {{ index .Options "Namespace" }}.users (id int);\nSELECT 1;'
    parsed = parse(sql)
    assert parsed.statements[0].error and "template placeholder" in parsed.statements[0].error
    assert parsed.statements[1].kind == "SelectStmt"


def test_meta_commands_are_masked_and_reported() -> None:
    sql = "\\set ON_ERROR_STOP on\n\\connect app\nCREATE TABLE t (id int);"
    parsed = parse(sql)
    assert [m.command for m in parsed.meta_commands] == ["\\set", "\\connect"]
    assert [s.kind for s in parsed.statements] == ["CreateStmt"]
    assert parsed.lines.position(parsed.statements[0].start) == (3, 1)


def test_copy_from_stdin_data_is_skipped() -> None:
    sql = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\tz\n\\.\nCREATE INDEX i ON t (a);"
    parsed = parse(sql)
    assert [s.kind for s in parsed.statements] == ["CopyStmt", "IndexStmt"]
    assert parsed.meta_commands == ()


def test_non_ascii_offsets_are_characters() -> None:
    sql = "SELECT 'ééé';\n-- ü\nCREATE INDEX i ON t (a);"
    (_, second) = spans(sql)
    assert second == (3, 1, "CREATE INDEX i ON t (a)")
    bad = "SELECT 'ééé';\nALTER TABLE ü ADD COLUM b int;"
    parsed = parse(bad)
    assert parsed.lines.position(parsed.statements[1].error_offset or 0) == (2, 27)


def test_empty_and_comment_only() -> None:
    assert parse("").statements == ()
    assert parse("-- nothing here\n/* at all */\n").statements == ()
