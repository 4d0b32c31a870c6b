"""SS005 set-not-null: SET NOT NULL scans the table under an AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions, rows_rewritten
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, listing
from linter.sql.pgast import Node
from linter.state.context import Context, Report


def recipe(target: int, table: str, column: str) -> str:
    if target >= 18:
        return (
            f"ALTER TABLE {table} ADD CONSTRAINT {column}_not_null NOT NULL {column} NOT VALID; "
            f"then, in a later transaction, ALTER TABLE {table} VALIDATE CONSTRAINT "
            f"{column}_not_null"
        )
    return (
        f"ADD CONSTRAINT ... CHECK ({column} IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT in a "
        "later transaction; then SET NOT NULL (no scan from PostgreSQL 12) and drop the check"
    )


class SetNotNull(Rule):
    code = "SS005"
    name = "set-not-null"
    summary = "SET NOT NULL scans the whole table while holding an AccessExclusiveLock"
    why = (
        "To prove there is no NULL, PostgreSQL reads every row while it holds an "
        "AccessExclusiveLock: reads and writes stop for the length of a full table scan. "
        "From PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) exists. "
        "The columns of one ALTER TABLE share one scan (one finding); an ALTER TABLE that "
        "rewrites the table checks them as it copies the rows (the rewrite's finding says it)."
    )
    safe_alternative = (
        "PostgreSQL 12-17: add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in another "
        "transaction (ShareUpdateExclusiveLock: reads and writes go on), then SET NOT NULL and "
        "drop the check. PostgreSQL 18: `ADD CONSTRAINT name NOT NULL col NOT VALID`, then "
        "`VALIDATE CONSTRAINT name`."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("adding-not-nullable-field", "E2", "change_column_null", "PG303")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_SetNotNull",)
    examples = (
        Bad("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;"),
        Good(
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            history=(
                "CREATE TABLE accounts (id bigint, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn "
                "CHECK (email IS NOT NULL) NOT VALID;",
                "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_nn;",
            ),
            note="PostgreSQL 12+ uses the validated check instead of scanning",
        ),
        Bad(
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            history=(
                "CREATE TABLE accounts (id bigint, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn "
                "CHECK (email IS NOT NULL) NOT VALID;",
            ),
            note="a check that is still NOT VALID proves nothing",
        ),
        Bad(
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            settings={"target_version": 11},
            history=(
                "CREATE TABLE accounts (id bigint, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn "
                "CHECK (email IS NOT NULL) NOT VALID;",
                "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_nn;",
            ),
            note="before PostgreSQL 12 the check does not spare the scan",
        ),
        Good(
            "CREATE TABLE accounts (id bigint, email text);\n"
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        # one ALTER TABLE checks all its new NOT NULL columns in one scan: one finding
        scanned: list[tuple[str, str, Node]] = []
        for table, sub, cmd in ctx.existing_alter_commands(node):
            known = ctx.schema.table(table)
            if sub != "AT_SetNotNull":
                continue
            column = cmd.get("name", "")
            if known is not None:
                if ctx.target >= 12 and known.has_validated_not_null_check(column):
                    continue
                col = known.columns.get(column)
                if col is not None and col.not_null:
                    continue
            scanned.append((table, column, cmd))
        if not scanned:
            return
        table, column, cmd = scanned[0]
        if rows_rewritten(ctx.effects, ctx.schema, table):
            return  # the statement's rewrite checks each row as it copies it: no scan of its own
        if len(scanned) == 1:
            columns, once = f"`{table}.{column}`", ""
        else:
            named = listing([f"`{c}`" for _t, c, _cmd in scanned])
            columns, once = f"{named} of `{table}`", " once for all of them"
        yield self.report(
            f"SET NOT NULL on {columns} scans the whole table"
            f"{and_partitions(ctx.schema, table)}{once} under "
            f"{LockMode.ACCESS_EXCLUSIVE.describe()}",
            help=recipe(ctx.target, table, column)
            + ("" if len(scanned) == 1 else " (likewise for each column)"),
            at=cmd,
        )
