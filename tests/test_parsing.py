from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.sql import parsing
from linter.sql.parsing import parse


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


# -- long constant VALUES lists are thinned before parsing -----------------------------------

# row elements: the forms thinning blanks, and forms it must stop at (kept as written)
_ELEMENTS = st.sampled_from(
    [
        "1",
        "-2",
        "+3",
        "4.5",
        ".5",
        "6.",
        "7e3",
        "8E-2",
        "'a'",
        "''",
        "'it''s'",
        "'a\\'",
        "'--x'",
        "'/*'",
        "'*/'",
        "';'",
        "'VALUES (1), (2)'",
        "'$$'",
        "NULL",
        "null",
        "True",
        "FALSE",
        "'{}'::jsonb",
        "1 :: int",
        "'x'::text",
        # not thinned
        "now()",
        "E'a\\'b'",
        "$$d$$",
        "'a'\n'b'",
        "0x1F",
        "1_000",
        "'x'::text[]",
        "ARRAY[1]",
        "DEFAULT",
        "1e",
        "-- c\n1",
        "/* c */ 1",
        "$1",
        "U&'x'",
        "B'101'",
        "(1)",
        "1::numeric(3, 1)",
    ]
)
_SPACES = st.sampled_from(["", " ", "\n", "  \t", "\r\n"])


@st.composite
def _values_statement(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 3))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        items = [draw(_ELEMENTS) for _ in range(width)]
        rows.append("(" + draw(_SPACES) + ", ".join(items) + draw(_SPACES) + ")")
    head = draw(st.sampled_from(["INSERT INTO t VALUES", "insert into t (a) values", "VALUES"]))
    tail = draw(st.sampled_from(["", " ON CONFLICT DO NOTHING", " RETURNING id", " -- VALUES"]))
    return head + draw(_SPACES) + (draw(_SPACES) + "," + draw(_SPACES)).join(rows) + tail


@st.composite
def _in_statement(draw: st.DrawFn) -> str:
    items = [draw(_ELEMENTS) for _ in range(draw(st.integers(1, 12)))]
    head = draw(
        st.sampled_from(
            ["DELETE FROM t WHERE a", "SELECT 1 WHERE a NOT", "select * from t where (a)"]
        )
    )
    joined = (draw(_SPACES) + "," + draw(_SPACES)).join(items)
    tail = draw(st.sampled_from(["", " AND b IN (1, 2)", " -- IN (1, 2)", " OR a IN (SELECT 1)"]))
    return f"{head} {draw(st.sampled_from(['IN', 'in']))}{draw(_SPACES)}({joined}){tail}"


@st.composite
def _case_statement(draw: st.DrawFn) -> str:
    spaces = st.sampled_from([" ", "\n", "  \t", "\r\n", ""])
    branches = [
        f"{draw(st.sampled_from(['WHEN', 'when']))}{draw(spaces)}{draw(_ELEMENTS)}{draw(spaces)}"
        f"{draw(st.sampled_from(['THEN', 'then']))}{draw(spaces)}{draw(_ELEMENTS)}"
        for _ in range(draw(st.integers(1, 12)))
    ]
    operand = draw(st.sampled_from(["a ", "", "lower(a) "]))
    tail = draw(
        st.sampled_from(["", " ELSE b", " WHEN a > 1 THEN 2", " ELSE CASE WHEN 1 THEN 2 END"])
    )
    body = "".join(draw(spaces) + branch for branch in branches)
    return f"UPDATE t SET b = CASE {operand}{body}{tail} END"


_OTHER = st.sampled_from(
    [
        "CREATE TABLE t (a int)",
        "-- INSERT INTO t VALUES (1), (2), (3)\nSELECT 1",
        "SELECT 'VALUES (1), (2), (3)'",
        "/* VALUES (1), (2) */ CREATE INDEX i ON t (a)",
        "SELECT $$ VALUES (1), (2), (3) $$",
        "ALTER TABLE t ADD COLUMN b int",
        "INSERT INTO t VALUES (1), (2",
        "SELECT 'a IN (1, 2, 3)', $$ CASE a WHEN 1 THEN 2 WHEN 3 THEN 4 END $$",
        "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1, 2, 3, 4)",
        "CREATE TRIGGER t BEFORE UPDATE ON t FOR EACH ROW WHEN (1 = 1) EXECUTE FUNCTION f()",
        "SELECT CASE WHEN a IN (1, 2, 3) THEN 1 WHEN 1 THEN 2 END",
    ]
)


_OFFSETS = {
    "location",
    "list_start",
    "list_end",
    "rexpr_list_start",
    "rexpr_list_end",
    "stmt_location",
    "stmt_len",
}


def _strip(node: Any) -> Any:
    """*node* without its offsets into the text."""
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _OFFSETS}
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(_values_statement(), _in_statement(), _case_statement(), _OTHER),
        min_size=1,
        max_size=5,
    )
)
def test_thinning_lists_changes_nothing_a_rule_reads(statements: list[str]) -> None:
    sql = ";\n".join(statements) + ";\n"
    with patch.object(parsing, "THIN_FROM", 0), patch.object(parsing, "_THIN_RUN", 1):
        thinned = parsing._thin_lists(sql)
        assert len(thinned) == len(sql)
        for was, now in zip(sql, thinned, strict=True):
            assert now == was or (now == " " and was != "\n")
        after = parse(sql)
    before = parse(sql)  # (THIN_FROM is far above the size of the example: no thinning)

    assert [(s.lead, s.start, s.end, s.node is None) for s in after.statements] == [
        (s.lead, s.start, s.end, s.node is None) for s in before.statements
    ]
    # the trees are those of the SQL without the blanked rows
    without = parse("".join(was for was, now in zip(sql, thinned, strict=True) if now == was))
    assert [_strip(s.node) for s in after.statements] == [
        _strip(s.node) for s in without.statements
    ]
    if thinned != sql:  # only constant lists (or statements that do not parse) were thinned
        assert any(
            s.node is None
            or any(k in str(s.node) for k in ("valuesLists", "AEXPR_IN", "CaseExpr", "listdatums"))
            for s in before.statements
        )


def test_a_seed_data_file_is_parsed_without_its_rows() -> None:
    rows = ", ".join(f"({i}, 'name {i}', NULL)" for i in range(20_000))
    sql = f"CREATE TABLE t (a int);\nINSERT INTO t VALUES {rows} ON CONFLICT DO NOTHING;\nSELECT 1;"
    parsed = parse(sql)
    insert = parsed.statements[1]
    assert insert.kind == "InsertStmt" and sql[insert.start : insert.end].endswith("NOTHING")
    select = insert.fields["selectStmt"]["SelectStmt"]
    assert len(select["valuesLists"]) == 2  # the first and last rows: the others were not decoded
    assert "onConflictClause" in insert.fields
    assert [s.kind for s in parsed.statements] == ["CreateStmt", "InsertStmt", "SelectStmt"]


def test_long_in_lists_and_case_branches_are_parsed_without_their_middle() -> None:
    items = ", ".join(str(i) for i in range(1, 30_000))
    branches = "\n".join(f"  WHEN {i} THEN 'plan {i}'" for i in range(10_000))
    sql = (
        f"DELETE FROM t WHERE id IN ({items}) AND b IS NULL;\n"
        f"UPDATE t SET plan = CASE id\n{branches}\n  ELSE plan END WHERE a NOT IN ({items});\n"
        "CREATE INDEX i ON t (a);"
    )
    parsed = parse(sql)
    assert [s.kind for s in parsed.statements] == ["DeleteStmt", "UpdateStmt", "IndexStmt"]
    delete, update = parsed.statements[0], parsed.statements[1]
    assert sql[delete.start : delete.end].endswith("b IS NULL")
    assert sql[update.start : update.end].endswith(f"NOT IN ({items})")
    in_list = delete.fields["whereClause"]["BoolExpr"]["args"][0]["A_Expr"]["rexpr"]["List"]
    assert [item["A_Const"]["ival"]["ival"] for item in in_list["items"]] == [1, 29_999]
    case = update.fields["targetList"][0]["ResTarget"]["val"]["CaseExpr"]
    assert len(case["args"]) == 2 and "defresult" in case  # first and last WHEN, and ELSE


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # pglast's scanner split returned nothing or dropped pieces on these
        (
            "ALTER TABLE a ADD COLUMN n text);\nCREATE INDEX i ON a (n);\nDROP TABLE u;",
            ["error", "CREATE INDEX i ON a (n)", "DROP TABLE u"],
        ),
        ("SELEC 1;\nDROP TABLE x;", ["error", "DROP TABLE x"]),
        ("hello world", ["error"]),
        ("CREATE INDEX ON t (a;\nDROP TABLE y;", ["error", "DROP TABLE y"]),
        ("UPDATE t SET a = (1;\nDROP TABLE y", ["error", "DROP TABLE y"]),
        (
            "SELEC 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
            "SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\nDROP TABLE z;\nSELECT 'abc",
            [
                "error",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
                "SELECT CASE WHEN true THEN 1 END; SELECT 2; END",
                "DROP TABLE z",
                "error",
            ],
        ),
    ],
)
def test_every_piece_of_a_file_with_a_syntax_error_is_kept(sql: str, expected: list[str]) -> None:
    statements = parse(sql).statements
    assert ["error" if s.node is None else sql[s.start : s.end] for s in statements] == expected


def test_a_comment_between_begin_and_atomic_keeps_the_body_whole() -> None:
    sql = (
        "SELEC 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN /* c */ ATOMIC "
        "SELECT 1; END;\nDROP TABLE z;"
    )
    assert [s.kind or "error" for s in parse(sql).statements] == [
        "error",
        "CreateFunctionStmt",
        "DropStmt",
    ]


def _without_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_locations(v) for k, v in node.items() if k != "location"}
    if isinstance(node, list):
        return [_without_locations(v) for v in node]
    return node


_LAZY_FILES = [
    "SELECT 1 ;  /* x */ SELECT 2 /* y */ ;\n-- z\n",
    "  SELECT 1 /*a*/ ; SELECT 3",
    "select 1;;select 2;\n\n",
    ";;CREATE TABLE é (x int DEFAULT 'ü');\nSELECT 'a;b' -- c;\n",
    "ALTER TABLE t ADD COLUMN c int\n\n-- later: UPDATE t SET c = 1;\n",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
    "CREATE TABLE t (id int);\n\\set x 1\nDROP TABLE t",
]


@pytest.mark.parametrize("sql", _LAZY_FILES)
def test_a_large_file_s_statements_are_those_of_the_whole_file_parse(sql: str) -> None:
    whole = parse(sql).statements
    with patch.multiple(parsing, LAZY_FROM=0, _KEEP=0):
        lazy = parse(sql, lazy=True).statements
    assert isinstance(lazy, parsing.Statements)
    shape = [(s.index, s.lead, s.start, s.end, s.error) for s in whole]
    assert [(s.index, s.lead, s.start, s.end, s.error) for s in lazy] == shape
    assert [_without_locations(s.node) for s in lazy] == [_without_locations(s.node) for s in whole]
    assert [s.index for s in lazy[1:]] == [s.index for s in whole[1:]]
    assert lazy[-1].end == whole[-1].end and len(lazy[:0]) == 0


def test_a_large_file_keeps_few_decoded_trees() -> None:
    sql = "".join(f"ALTER TABLE t ADD COLUMN c{i} int;\n" for i in range(4_000))
    statements = parse(sql, lazy=True).statements
    assert isinstance(statements, parsing.Statements) and len(statements) == 4_000
    first = statements[0]
    assert statements[0] is first  # (decoded once while in use)
    for stmt in statements:
        assert stmt.kind == "AlterTableStmt"
    assert len(statements._decoded) <= parsing._KEEP


@pytest.mark.parametrize(
    "sql", ["SELECT 1; SELEC 2;", "SELECT 1; SELECT " + "1+" * 20_000 + "1; SELECT 2"]
)
def test_a_large_file_that_a_piece_cannot_be_read_of_is_parsed_whole(sql: str) -> None:
    with patch.multiple(parsing, LAZY_FROM=0, _KEEP=0, _CHECK_DEPTH_FROM=0):
        lazy = parse(sql, lazy=True)
    assert isinstance(lazy.statements, tuple)
    assert [(s.start, s.end, s.error) for s in lazy.statements] == [
        (s.start, s.end, s.error) for s in parse(sql).statements
    ]


def test_a_large_file_of_few_statements_is_parsed_whole() -> None:
    """Every tree of a file of at most _KEEP statements would stay decoded: reading them
    lazily only copied each statement's text and decoded it again (a 20 MB ``IN`` list)."""
    few = "".join(f"SELECT {i};\n" for i in range(parsing._KEEP))
    with patch.object(parsing, "LAZY_FROM", 0):
        assert isinstance(parse(few, lazy=True).statements, tuple)
        assert isinstance(parse(few + "SELECT 0;", lazy=True).statements, parsing.Statements)
