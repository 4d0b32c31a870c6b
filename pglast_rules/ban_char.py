"""SS104 ban-char: char(n) / character / bpchar column types."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class BanChar(Rule):
    code = "SS104"
    name = "ban-char"
    summary = "Use text rather than char(n)"
    why = (
        "char(n) pads every value with spaces to n characters, and the padding is ignored in "
        "some comparisons and kept in others (LIKE, concatenation, casts to text), which "
        "surprises code. It is not faster or smaller than text in PostgreSQL; its length is "
        "the only limit it adds, and changing it later rewrites the table."
    )
    safe_alternative = "Declare the column text, plus `CHECK (length(col) = n)` if needed."
    severity = Severity.NOTE
    group = "style"
    aliases = ("ban-char-field",)
    node_types = ("CreateStmt", "AlterTableStmt")
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("CREATE TABLE countries (code char(2));"),
        Bad("ALTER TABLE countries ADD COLUMN flag character;"),
        Bad("CREATE TABLE countries (code bpchar);"),
        Good("CREATE TABLE countries (code text CHECK (length(code) = 2));"),
        Good(
            "ALTER TABLE countries ALTER COLUMN code TYPE char(3);",
            note="an existing column's type change is not a new declaration "
            "(see alter-column-type)",
        ),
        Good(
            'CREATE TABLE flags (kind "char");',
            note='the one-byte internal type "char" is not char(n)',
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for col, tref in ctx.declared_columns(node):
            if tref is None or tref.name != "bpchar":
                continue
            if pgast.strings(col.type_name.get("names")) == ("char",):
                continue  # quoted "char": the single-byte internal type
            length = tref.mods[0] if tref.mods else None
            check = f" CHECK (length({col.column}) = {length})" if length and not tref.array else ""
            yield self.report(
                f"{col.action} declares `{col.table}.{col.column}` as {tref}: values are "
                "blank-padded, and trailing spaces count in some comparisons and not in others",
                help=f"declare it `text{'[]' if tref.array else ''}{check}`",
                at=col.type_name,
            )
