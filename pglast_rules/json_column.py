"""SS023 json-column: a column of type json (prefer jsonb)."""

from __future__ import annotations

from collections.abc import Iterator

from linter import pgast
from linter.context import Context, Report
from linter.pgast import Node
from linter.rule import Bad, Good, Rule, Severity


def _json_columns(node: Node) -> Iterator[tuple[str, str]]:
    """``(table, column)`` for each column declared or changed to ``json``."""
    kind = pgast.kind(node)
    fields = node[kind]
    table = pgast.relation_name(fields.get("relation"))
    coldefs: list[tuple[str, Node]] = []
    if kind == "CreateStmt":
        for elt in fields.get("tableElts") or ():
            coldef = pgast.unwrap(elt, "ColumnDef")
            if coldef:
                coldefs.append((coldef.get("colname", ""), coldef))
    elif kind == "AlterTableStmt" and pgast.is_table_alter(fields):
        for sub, cmd in pgast.alter_commands(fields):
            coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
            if sub == "AT_AddColumn":
                coldefs.append((coldef.get("colname", ""), coldef))
            elif sub == "AT_AlterColumnType":
                coldefs.append((cmd.get("name", ""), coldef))
    for column, coldef in coldefs:
        tref = pgast.type_ref(coldef.get("typeName"))
        if tref is not None and tref.name == "json":
            yield table, column


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
    severity = Severity.WARNING
    group = "style"
    aliases = ("add_column_json", "E3")
    node_types = ("CreateStmt", "AlterTableStmt")
    examples = (
        Bad("CREATE TABLE events (id bigint, payload json);"),
        Bad("ALTER TABLE events ADD COLUMN payload json;"),
        Bad("ALTER TABLE events ALTER COLUMN payload TYPE json;"),
        Good("CREATE TABLE events (id bigint, payload jsonb);"),
        Good("ALTER TABLE events ADD COLUMN payload jsonb;"),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, column in _json_columns(node):
            yield self.report(
                f"column `{column}` of `{table}` is json: it has no equality operator (DISTINCT, "
                "GROUP BY and UNION fail) and cannot be GIN-indexed",
                help="use jsonb",
            )
