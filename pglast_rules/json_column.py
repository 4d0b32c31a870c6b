"""SS023 json-column: a column of type json (prefer jsonb)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class JsonColumn(Rule):
    code = "SS023"
    name = "json-column"
    summary = "A column uses json; jsonb is almost always what is wanted"
    why = (
        "`json` stores the text as written and reparses it on every access. It has no "
        "equality operator, so SELECT DISTINCT, GROUP BY, UNION and unique indexes on it "
        "fail, and it cannot be indexed with GIN. `jsonb` is stored parsed, compares, and "
        "indexes. Keep json only to preserve key order, duplicate keys or exact formatting."
    )
    safe_alternative = "Declare the column `jsonb`."
    severity = Severity.NOTE
    group = "style"
    aliases = ("add_column_json", "E3")
    node_types = ("CreateStmt", "AlterTableStmt")
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("CREATE TABLE events (id bigint, payload json);"),
        Bad("ALTER TABLE events ADD COLUMN payload json;"),
        Good("CREATE TABLE events (id bigint, payload jsonb);"),
        Good("ALTER TABLE events ADD COLUMN payload jsonb;"),
        Good(
            "ALTER TABLE events ALTER COLUMN payload TYPE json;",
            note="an existing column's type change is not a new declaration "
            "(see alter-column-type)",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for col, tref in ctx.declared_columns(node):
            if tref is None or tref.name != "json":
                continue
            table, column = col.table, col.column
            yield self.report(
                f"column `{column}` of `{table}` is json: it has no equality operator (DISTINCT, "
                "GROUP BY and UNION fail) and cannot be GIN-indexed",
                help=f"declare it `jsonb{'[]' if tref.array else ''}`",
                at=col.type_name,
            )
