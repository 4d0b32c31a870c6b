"""SS054 index-on-partitioned-table: CREATE INDEX on a partitioned table in use."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report

_HISTORY = (
    "CREATE TABLE events (id bigint, account_id bigint, created date) "
    "PARTITION BY RANGE (created);\n"
    "CREATE TABLE events_2024 PARTITION OF events "
    "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
)


class IndexOnPartitionedTable(Rule):
    code = "SS054"
    name = "index-on-partitioned-table"
    summary = "CREATE INDEX on a partitioned table locks every partition; CONCURRENTLY fails"
    why = (
        "CREATE INDEX on a partitioned table builds the index on every partition, each under a "
        "ShareLock held until the transaction ends: writes to the whole table stop for the sum "
        "of all the builds. CREATE INDEX CONCURRENTLY is not supported on a partitioned table: "
        "PostgreSQL rejects it."
    )
    safe_alternative = (
        "`CREATE INDEX parent_idx ON ONLY parent (...)` (creates an invalid index on the parent "
        "alone, instantly); then for each partition `CREATE INDEX CONCURRENTLY part_idx ON "
        "part (...)` and `ALTER INDEX parent_idx ATTACH PARTITION part_idx`; the parent index "
        "becomes valid when every partition has one."
    )
    lock = LockMode.SHARE
    scans = True
    node_types = ("IndexStmt",)
    examples = (
        Bad("CREATE INDEX events_account_idx ON events (account_id);", history=_HISTORY),
        Bad(
            "CREATE INDEX CONCURRENTLY events_account_idx ON events (account_id);",
            history=_HISTORY,
            note="PostgreSQL refuses CONCURRENTLY on a partitioned table",
        ),
        Good("CREATE INDEX events_account_idx ON ONLY events (account_id);", history=_HISTORY),
        Good(
            "CREATE INDEX CONCURRENTLY events_2024_account_idx ON events_2024 (account_id);",
            history=_HISTORY,
            note="a partition is an ordinary table",
        ),
        Good(
            _HISTORY[0] + "\nCREATE INDEX events_account_idx ON events (account_id);",
            note="created in the same file: empty and unused",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        relation = fields.get("relation") or {}
        table = pgast.relation_name(relation)
        known = ctx.schema.table(table)
        if known is None or not known.partitioned or ctx.is_new(table):
            return
        if not relation.get("inh"):
            return  # ON ONLY: the parent's index alone, no build
        recipe = (
            f"CREATE INDEX ... ON ONLY {table}; CREATE INDEX CONCURRENTLY on each partition "
            f"(each {own_migration(ctx.file.layout)}); ALTER INDEX <parent index> ATTACH "
            "PARTITION <partition index>"
        )
        if fields.get("concurrent"):
            yield self.report(
                f"CREATE INDEX CONCURRENTLY on partitioned table `{table}` is rejected by "
                "PostgreSQL: the migration fails",
                help=recipe,
            )
            return
        yield self.report(
            f"CREATE INDEX on partitioned table `{table}` builds it on every partition, each "
            f"under {LockMode.SHARE.describe()} until the transaction ends",
            help=recipe,
        )
