"""SS043 vacuum-full-or-cluster: VACUUM FULL and CLUSTER rewrite under an exclusive lock."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_HELP = (
    "use pg_repack or pg_squeeze, which rebuild the table online and take an exclusive lock "
    "only for a short swap at the end; or schedule a maintenance window"
)
REPACK_VERSION = 19  # the first release with REPACK (CONCURRENTLY)
_REPACK_HELP = (
    "on PostgreSQL 19 use `{sql}`, which rebuilds {what} while reads and writes go on and "
    "takes an AccessExclusiveLock only for a short swap at the end (it cannot run inside a "
    "transaction block, needs a primary key or replica identity index on the table, a free "
    "replication slot and wal_level replica or higher, and only one runs at a time)"
)


def _help(target: int, table: str | None, cluster: bool, index: str | None) -> str:
    """The advice for *target*: REPACK (CONCURRENTLY) from PostgreSQL 19 on; for CLUSTER,
    ``USING INDEX`` keeps its order (without a name: the index the table is clustered on)."""
    if target < REPACK_VERSION:
        return _HELP
    if table is None:
        return _REPACK_HELP.format(sql="REPACK (CONCURRENTLY) <table>", what="each table")
    using = (f" USING INDEX {index}" if index else " USING INDEX") if cluster else ""
    return _REPACK_HELP.format(sql=f"REPACK (CONCURRENTLY) {table}{using}", what="the table")


class VacuumFullOrCluster(Rule):
    code = "SS043"
    name = "vacuum-full-or-cluster"
    summary = "VACUUM FULL and CLUSTER rewrite the table under an AccessExclusiveLock"
    why = (
        "VACUUM FULL and CLUSTER write a complete new copy of the table and its indexes while "
        "holding an AccessExclusiveLock: no query can read or write the table until the copy "
        "is done, and the disk needs room for both copies. Without a table name they do this "
        "to every table (CLUSTER: every table clustered before)."
    )
    safe_alternative = (
        "On PostgreSQL 19, `REPACK (CONCURRENTLY) table` (`... USING INDEX index` for "
        "CLUSTER's order) rebuilds the table online and locks it only briefly to swap the "
        "files. Before 19, use the pg_repack or pg_squeeze extension, which do the same. "
        "Plain VACUUM (no FULL) never blocks reads or writes."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    rewrites = True
    aliases = ("prefer-repack",)
    node_types = ("VacuumStmt", "ClusterStmt")
    examples = (
        Bad("VACUUM FULL accounts;"),
        Bad("VACUUM (FULL, ANALYZE) accounts;"),
        Bad("CLUSTER accounts USING accounts_pkey;"),
        Bad("CLUSTER;", note="every table clustered before"),
        Bad(
            "CLUSTER accounts USING accounts_pkey;",
            settings={"target_version": 19},
            note="on PostgreSQL 19 the advice is `REPACK (CONCURRENTLY) accounts USING INDEX "
            "accounts_pkey`",
        ),
        Good("VACUUM ANALYZE accounts;"),
        Good("VACUUM (FULL false) accounts;"),
        Good(
            "CREATE TABLE accounts (id bigint PRIMARY KEY);\nCLUSTER accounts USING accounts_pkey;",
            note="a table created in the same file is empty and unused",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        kind = pgast.kind(node)
        fields = node[kind]
        if kind == "VacuumStmt":
            if not fields.get("is_vacuumcmd") or not pgast.option_enabled(
                fields.get("options"), "full"
            ):
                return
            what = "VACUUM FULL"
            relations = [
                pgast.unwrap(item, "VacuumRelation").get("relation") or {}
                for item in fields.get("rels") or ()
            ]
            index = None
        else:
            what = "CLUSTER"
            rel = fields.get("relation")
            relations = [rel] if rel else []
            index = fields.get("indexname") or None
        tables = [pgast.relation_name(rel) for rel in relations]
        if not tables:
            yield self.report(
                f"{what} without a table rewrites every "
                f"{'table' if what == 'VACUUM FULL' else 'previously clustered table'}, each "
                f"under {LockMode.ACCESS_EXCLUSIVE.describe()}",
                help=_help(ctx.target, None, what == "CLUSTER", None),
            )
            return
        for table, relation in zip(tables, relations, strict=True):
            if ctx.is_new(table):
                continue
            parts = and_partitions(ctx.schema, table)
            yield self.report(
                f"{what} rewrites `{table}`{parts} and {'their' if parts else 'its'} indexes under "
                f"{LockMode.ACCESS_EXCLUSIVE.describe()} until the copy is done",
                help=_help(ctx.target, table, what == "CLUSTER", index),
                at=relation,
            )
