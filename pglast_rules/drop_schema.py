"""SS046 drop-schema: DROP SCHEMA of an existing schema."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import other_tables_locked
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.fold import object_key

_REPORTING = (
    "CREATE SCHEMA reporting;",
    "CREATE TABLE reporting.daily_totals (day date PRIMARY KEY, total numeric);",
)


class DropSchema(Rule):
    code = "SS046"
    name = "drop-schema"
    summary = "DROP SCHEMA ... CASCADE drops everything in the schema, data included"
    why = (
        "DROP SCHEMA ... CASCADE drops "
        "every table, view, function and type in it, taking an AccessExclusiveLock on each "
        "table, and the data cannot be recovered without a backup. Queries naming the schema "
        "fail from then on. (Without CASCADE only an empty schema can be dropped; otherwise "
        "the migration fails, loudly, and is not flagged.)"
    )
    safe_alternative = (
        "Stop using the schema in the code and deploy; drop its objects one by one in later "
        "migrations (each reviewed), then drop the empty schema without CASCADE."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("ban-drop-schema", "DS101")
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP SCHEMA reporting CASCADE;", history=_REPORTING),
        Bad(
            "DROP SCHEMA reporting CASCADE;\nCREATE SCHEMA reporting;",
            history=_REPORTING,
            note="creating it again does not bring the data back",
        ),
        Good(
            "DROP SCHEMA IF EXISTS reporting;",
            note="without CASCADE only an empty schema goes; otherwise the migration fails loudly",
        ),
        Good(
            "CREATE SCHEMA scratch;\nDROP SCHEMA scratch CASCADE;",
            note="created in the same file: holds nothing anyone uses",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("removeType") != "OBJECT_SCHEMA":
            return
        if fields.get("behavior") != "DROP_CASCADE":
            return  # an empty schema goes, a non-empty one makes the migration fail loudly
        for obj in fields.get("objects") or ():
            key = object_key("OBJECT_SCHEMA", obj)
            if key is None or ctx.schema.is_new_object(key):
                continue
            name = key.split(":", 1)[1]
            inside = [rel for rel in ctx.effects.locks if rel.startswith(f"{name}.")]
            yield self.report(
                f"DROP SCHEMA `{name}` CASCADE drops every table, view and function in it, "
                f"with their data, each table under {LockMode.ACCESS_EXCLUSIVE.describe()}"
                # the foreign keys to its tables from tables outside it go too
                f"{other_tables_locked(ctx.effects, *inside, schema=ctx.schema)}",
                help=(
                    "stop using it and deploy first; drop its objects in reviewed migrations, "
                    "then the empty schema without CASCADE"
                ),
                at=obj,
            )
