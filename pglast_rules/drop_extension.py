"""SS052 drop-extension: DROP EXTENSION of an installed extension."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import dropped_existing


class DropExtension(Rule):
    code = "SS052"
    name = "drop-extension"
    summary = "Dropping an extension removes the functions, types and operators it provides"
    why = (
        "DROP EXTENSION drops everything the extension installed. Code calling its functions "
        "fails; without CASCADE the drop fails while a column, index or default uses one of "
        "its objects, and with CASCADE those columns and indexes are dropped, with their data."
    )
    safe_alternative = (
        "Move columns, indexes and code off the extension's types and functions and deploy "
        "first; drop it later without CASCADE. To move or upgrade it, use ALTER EXTENSION "
        "... UPDATE / SET SCHEMA."
    )
    severity = Severity.WARNING
    aliases = ("ban-drop-extension",)
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP EXTENSION pg_trgm;"),
        Bad("DROP EXTENSION citext CASCADE;", note="drops every citext column with its data"),
        Good(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nDROP EXTENSION pg_trgm;",
            note="installed in the same file: nothing uses it yet",
        ),
        Good(
            "DROP EXTENSION IF EXISTS pgcrypto;\nCREATE EXTENSION pgcrypto SCHEMA extensions;",
            note="re-created in the same file (without CASCADE, so nothing depended on it)",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for drop in dropped_existing(node, ctx, {"OBJECT_EXTENSION": "extension"}):
            if drop.redefined and not drop.cascade:
                continue
            name, cascade = drop.name, drop.cascade
            effect = (
                "CASCADE also drops the columns, indexes and defaults that use its types and "
                "functions, with their data"
                if cascade
                else "code that calls its functions or uses its types fails"
            )
            yield self.report(
                f"dropping extension `{name}` removes everything it installed: {effect}",
                help="move columns, indexes and code off it and deploy first; drop it later",
                at=drop.node,
            )
