"""SS045 truncate: TRUNCATE of an existing table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions, other_tables_locked
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class Truncate(Rule):
    code = "SS045"
    name = "truncate"
    summary = "TRUNCATE deletes every row under an AccessExclusiveLock"
    why = (
        "TRUNCATE takes an AccessExclusiveLock on each table (reads and writes wait, and the "
        "request queues behind running queries) and removes all rows at once; there is no undo "
        "after commit. With CASCADE it also empties every table that references these through "
        "a foreign key, which the statement does not name."
    )
    safe_alternative = (
        "If the data must go, make sure nothing uses the table any more and take a backup; to "
        "empty a table in use, DELETE in small batches. Never use CASCADE in a migration: list "
        "every table to empty explicitly."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("ban-truncate-cascade",)
    node_types = ("TruncateStmt",)
    examples = (
        Bad("TRUNCATE sessions;"),
        Bad("TRUNCATE accounts CASCADE;", note="also empties every table referencing accounts"),
        Good(
            "CREATE TABLE import_staging (id bigint);\nTRUNCATE import_staging;",
            note="a table created in the same file holds nothing anyone relies on",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        cascade = fields.get("behavior") == "DROP_CASCADE"
        named = [
            pgast.relation_name(pgast.unwrap(i, "RangeVar")) for i in fields.get("relations") or ()
        ]
        for item, table in zip(fields.get("relations") or (), named, strict=True):
            if ctx.is_new(table):
                continue
            extra = "; CASCADE also empties every table with a foreign key to it" if cascade else ""
            if cascade:
                extra += other_tables_locked(ctx.effects, *named, schema=ctx.schema)
            yield self.report(
                f"TRUNCATE `{table}`{and_partitions(ctx.schema, table)} deletes all its rows "
                "under "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()}{extra}",
                help=(
                    "make sure nothing uses the data; to empty a table in use, DELETE in "
                    "batches; list tables explicitly instead of CASCADE"
                ),
                at=item,
            )
