"""SS042 attach-partition: ATTACH PARTITION that must scan the attached table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import attach_bound_proven
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_PARENT = "CREATE TABLE events (id bigint, created date) PARTITION BY RANGE (created);"
_CHILD = "CREATE TABLE events_2024 (id bigint, created date);"
_ATTACH = (
    "ALTER TABLE events ATTACH PARTITION events_2024 "
    "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
)
_CHECK = (
    "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_bound CHECK (created IS NOT NULL "
    "AND created >= '2024-01-01' AND created < '2025-01-01') NOT VALID;"
)


class AttachPartition(Rule):
    code = "SS042"
    name = "attach-partition"
    summary = "ATTACH PARTITION scans the attached table under an AccessExclusiveLock"
    why = (
        "ATTACH PARTITION takes an AccessExclusiveLock on the table being attached (and, from "
        "PostgreSQL 12, a ShareUpdateExclusiveLock on the parent; before 12 an "
        "AccessExclusiveLock) and reads every row to prove it fits the partition bound, unless "
        "a validated CHECK constraint on the table already implies the bound. A default "
        "partition is scanned too. On a large table the lock is held for the whole scan."
    )
    safe_alternative = (
        "Before attaching, add a CHECK constraint that matches the bound with NOT VALID, "
        "VALIDATE it in a separate transaction (ShareUpdateExclusiveLock: reads and writes go "
        "on), then ATTACH PARTITION (no scan) and drop the check."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AttachPartition",)
    examples = (
        Bad(_ATTACH, history=(_PARENT, _CHILD)),
        Bad(
            _ATTACH,
            history=(_PARENT, _CHILD, _CHECK),
            note="a check that is still NOT VALID proves nothing",
        ),
        Bad(_ATTACH, note="nothing is known about the attached table: it may be large"),
        Bad(
            _ATTACH,
            history=(
                _PARENT,
                _CHILD,
                "ALTER TABLE events_2024 ADD CONSTRAINT events_2024_bound "
                "CHECK (created >= '2024-01-01' AND created < '2025-01-01');",
            ),
            note="the range bound also says `created IS NOT NULL`, which this check does not: "
            "PostgreSQL scans",
        ),
        Good(
            _ATTACH,
            history=(
                _PARENT,
                _CHILD,
                _CHECK,
                "ALTER TABLE events_2024 VALIDATE CONSTRAINT events_2024_bound;",
            ),
            note="a validated check on the partition key lets PostgreSQL skip the scan",
        ),
        Good(
            f"{_CHILD}\n{_ATTACH}",
            history=(_PARENT,),
            note="a table created in the same file is empty",
        ),
        Good(
            "ALTER INDEX events_created_idx ATTACH PARTITION events_2024_created_idx;",
            history=(
                _PARENT,
                "CREATE TABLE events_2024 PARTITION OF events "
                "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
                "CREATE INDEX CONCURRENTLY events_2024_created_idx ON events_2024 (created);",
                "CREATE INDEX events_created_idx ON ONLY events (created);",
            ),
            note="attaching an index is a catalog change",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if not pgast.is_table_alter(fields):
            return
        parent = pgast.relation_name(fields.get("relation"))
        for sub, cmd in pgast.alter_commands(fields):
            if sub != "AT_AttachPartition":
                continue
            child = pgast.relation_name(
                pgast.unwrap(cmd.get("def") or {}, "PartitionCmd").get("name")
            )
            if ctx.is_new(child) or attach_bound_proven(ctx.schema, parent, child):
                continue
            parent_mode = ctx.effects.locks.get(parent, LockMode.SHARE_UPDATE_EXCLUSIVE)
            key = ctx.schema.table(parent)
            columns = ", ".join(key.partition_key) if key and key.partition_key else "the key"
            yield self.report(
                f"ATTACH PARTITION `{child}` scans all of it under "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()} (and takes {parent_mode.value} on "
                f"`{parent}`): no validated CHECK on `{child}` covers the partition key",
                help=(
                    f"first ADD CONSTRAINT ... CHECK (bound on {columns}) NOT VALID on "
                    f"{child}, VALIDATE CONSTRAINT it in another transaction, then attach"
                ),
                at=cmd,
            )
