"""SS007 volatile-default: ADD COLUMN with a volatile default rewrites the table."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, listing
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class VolatileDefault(Rule):
    code = "SS007"
    name = "volatile-default"
    summary = "ADD COLUMN with a volatile DEFAULT rewrites the whole table"
    why = (
        "A volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()...) "
        "must be evaluated for every existing row, so PostgreSQL rewrites the table and its "
        "indexes under an AccessExclusiveLock. Constants and stable functions such as now() "
        "are stored in the catalog instead (PostgreSQL 11+); before 11 any default rewrites."
    )
    safe_alternative = (
        "Add the column without a default, SET DEFAULT in a second statement (it applies to "
        "new rows only), then backfill existing rows in batches (`sqlsafe backfill`)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    rewrites = True
    aliases = ("adding-field-with-default", "add_column_default", "PG302")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn",)
    examples = (
        Bad("ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();"),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';",
            settings={"target_version": 10},
            note="before PostgreSQL 11 every default rewrites",
        ),
        Good("ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';"),
        Good("ALTER TABLE accounts ADD COLUMN created_at timestamptz DEFAULT now();"),
        Good(
            "CREATE TABLE accounts (id bigint);\n"
            "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        # the columns of one ALTER TABLE are filled in one rewrite: one finding
        rewritten: list[tuple[str, str, str, Node]] = []
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub != "AT_AddColumn":
                continue
            coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
            default = pgast.column_default(coldef)
            if default is None:
                continue
            volatile = pgast.volatile_call(default)
            null_default = pgast.is_null_const(default)
            if volatile:
                reason = f"its default calls {volatile}, which is volatile"
            elif ctx.target < 11 and not null_default:
                reason = f"PostgreSQL {ctx.target} rewrites for any non-NULL default"
            else:
                continue
            rewritten.append((table, str(coldef.get("colname")), reason, cmd))
        if not rewritten:
            return
        table, _column, _reason, cmd = rewritten[0]
        parts = and_partitions(ctx.schema, table)
        by_reason: dict[str, list[str]] = {}
        for _t, column, reason, _cmd in rewritten:
            by_reason.setdefault(reason, []).append(f"`{column}`")
        once = " once" if len(rewritten) > 1 else ""
        if len(by_reason) == 1:
            ((reason, columns),) = by_reason.items()
            what = f"ADD COLUMN {listing(columns)} rewrites `{table}`{parts}{once} because {reason}"
        else:
            parts = listing([f"{listing(cols)} ({r})" for r, cols in by_reason.items()])
            what = f"ADD COLUMN {parts} rewrites `{table}`{parts} once"
        yield self.report(
            f"{what}; the rewrite holds {LockMode.ACCESS_EXCLUSIVE.describe()}",
            help="add the column without a default, SET DEFAULT separately, backfill in batches",
            at=cmd,
        )
