"""SS041 detach-partition-non-concurrent: DETACH PARTITION without CONCURRENTLY."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report

_HISTORY = (
    "CREATE TABLE events (id bigint, created date) PARTITION BY RANGE (created);\n"
    "CREATE TABLE events_2023 PARTITION OF events "
    "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');",
)


class DetachPartitionNonConcurrent(Rule):
    code = "SS041"
    name = "detach-partition-non-concurrent"
    summary = "DETACH PARTITION without CONCURRENTLY locks the whole partitioned table"
    why = (
        "A plain DETACH PARTITION takes an AccessExclusiveLock on the partitioned (parent) "
        "table and on the partition: every read and write that goes through the parent waits, "
        "and the request itself queues behind running queries while blocking the ones that arrive."
    )
    safe_alternative = (
        "PostgreSQL 14+: `ALTER TABLE parent DETACH PARTITION part CONCURRENTLY` (only a "
        "ShareUpdateExclusiveLock on the parent), in a migration that runs outside a "
        "transaction block. It is refused when the parent has a default partition; if it is "
        "interrupted, finish it with `DETACH PARTITION part FINALIZE`."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    min_version = 14
    aliases = ("require-concurrent-partition-detach",)
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_DetachPartition",)
    examples = (
        Bad("ALTER TABLE events DETACH PARTITION events_2023;", history=_HISTORY),
        Good("ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;", history=_HISTORY),
        Good(
            "ALTER TABLE events DETACH PARTITION events_2023 FINALIZE;",
            history=_HISTORY,
            note="FINALIZE completes an interrupted concurrent detach",
        ),
        Good(
            _HISTORY[0] + "\nALTER TABLE events DETACH PARTITION events_2023;",
            note="a partitioned table created in the same file is not in use yet",
        ),
        Good(
            "ALTER TABLE events DETACH PARTITION events_2023;",
            history=_HISTORY,
            settings={"target_version": 13},
            note="CONCURRENTLY does not exist before PostgreSQL 14",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if not pgast.is_table_alter(fields):
            return
        parent = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(parent):
            return
        for sub, cmd in pgast.alter_commands(fields):
            if sub != "AT_DetachPartition":
                continue
            part = pgast.unwrap(cmd.get("def") or {}, "PartitionCmd")
            if part.get("concurrent"):
                continue
            child = pgast.relation_name(part.get("name"))
            mode = ctx.effects.locks.get(parent, LockMode.ACCESS_EXCLUSIVE)
            yield self.report(
                f"DETACH PARTITION `{child}` takes {mode.describe()} on `{parent}`: every "
                "query through the partitioned table waits until the transaction ends",
                help=(
                    f"ALTER TABLE {parent} DETACH PARTITION {child} CONCURRENTLY, "
                    f"{own_migration(ctx.file.layout)} (not possible while the table has a "
                    "default partition)"
                ),
                at=cmd,
            )
