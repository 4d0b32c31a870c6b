"""Laying out a Python migration's SQL on the lines of the file that wrote it."""

from __future__ import annotations

from linter.inputs.frameworks.rendered import Chunk, RenderedMigration, flatten, order, place

PY = '''def upgrade():
    # sqlsafe: ignore non-concurrent-index -- small table
    op.create_index("ix", "t", ["a"])
    op.add_column("t", sa.Column("b", sa.Integer(), nullable=False))
    op.execute("""
        UPDATE t SET b = 1;
        ALTER TABLE t ALTER b SET NOT NULL;
    """)
'''


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_chunks_start_on_their_python_lines_and_comments_carry_over() -> None:
    chunks = [
        Chunk("CREATE INDEX ix ON t (a)", 3),
        Chunk(flatten("ALTER TABLE t\n    ADD COLUMN b integer NOT NULL"), 4),
        Chunk(
            "\n        UPDATE t SET b = 1;\n        ALTER TABLE t ALTER b SET NOT NULL;\n    ", 5
        ),
    ]
    text = place(chunks, PY)
    assert _line_of(text, "-- sqlsafe: ignore non-concurrent-index -- small table") == 2
    assert _line_of(text, "CREATE INDEX") == 3
    assert _line_of(text, "ADD COLUMN b") == 4
    assert _line_of(text, "UPDATE t") == 6
    assert _line_of(text, "SET NOT NULL") == 7


def test_a_chunk_that_overruns_the_next_line_pushes_it_down_not_over_it() -> None:
    text = place([Chunk("SELECT 1,\n2,\n3", 1), Chunk("SELECT 4", 2)])
    assert text.splitlines() == ["SELECT 1,", "2,", "3;", "SELECT 4;"]


def test_flatten_keeps_newlines_inside_literals_and_dollar_quotes() -> None:
    sql = "CREATE FUNCTION f() RETURNS int AS $b$\nSELECT 1\n$b$ LANGUAGE sql;\nCOMMENT ON t IS 'a\nb'"
    flat = flatten(sql)
    assert "$b$\nSELECT 1\n$b$" in flat
    assert "'a\nb'" in flat
    assert "sql; COMMENT" in flat


def test_order_follows_the_graph_not_the_file_names() -> None:
    def m(ident: str, *parents: str, path: str = "") -> RenderedMigration:
        return RenderedMigration(path or f"{ident}.py", ident, parents, ())

    migrations = [m("z1"), m("a2", "z1"), m("b3", "z1"), m("a0", "a2", "b3")]
    assert [x.ident for x in order(migrations)] == ["z1", "a2", "b3", "a0"]
    # run_before: b3 must run before a2
    before = RenderedMigration("b3.py", "b3", ("z1",), (), children_first=("a2",))
    assert [x.ident for x in order([m("z1"), m("a2", "z1"), before])] == ["z1", "b3", "a2"]
    # a cycle does not hang or drop anything
    assert len(order([m("p", "q"), m("q", "p")])) == 2
