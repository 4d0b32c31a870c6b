"""SS027 drop-default: inserts that omit the column change behaviour or fail (DROP DEFAULT,
and DROP EXPRESSION on a stored generated column)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.parsing import Statement
from linter.sql.pgast import Node
from linter.state.context import Context, Report

Commands = tuple[tuple[str, str, Node], ...]  # ``Context.existing_alter_commands``
_NULLABILITY = frozenset({"AT_SetNotNull", "AT_DropNotNull"})


def _sets_default(commands: Commands, table: str, column: str) -> bool:
    """One of *commands* gives the column a default again (``SET DEFAULT NULL`` does not)."""
    return any(
        t == table
        and sub == "AT_ColumnDefault"
        and cmd.get("def")
        and not pgast.is_null_const(cmd["def"])
        and cmd.get("name") == column
        for t, sub, cmd in commands
    )


def _defaults_set(statements: Sequence[Statement]) -> dict[tuple[str, str], list[int]]:
    """``(table, column)`` -> the statements of the file that give it a default again, in
    file order (once per file: a walk of the rest of the transaction for each DROP DEFAULT
    was quadratic in a transaction of many)."""
    out: dict[tuple[str, str], list[int]] = {}
    for stmt in statements:
        if stmt.kind != "AlterTableStmt" or not pgast.is_table_alter(stmt.fields):
            continue
        table = pgast.relation_name(stmt.fields.get("relation"))
        found = tuple((table, sub, cmd) for sub, cmd in pgast.alter_commands(stmt.fields))
        for _, sub, cmd in found:
            column = cmd.get("name")
            if sub == "AT_ColumnDefault" and isinstance(column, str):
                if _sets_default(found, table, column):
                    at = out.setdefault((table, column), [])
                    if not at or at[-1] != stmt.index:
                        at.append(stmt.index)
    return out


def _default_restored(ctx: Context, table: str, column: str, later: Commands) -> bool:
    """A later command of the same statement, or a later statement of the same transaction,
    sets a default on the column again: the lock the ALTER takes is held until then, so no
    other session ever inserts while the column has no default (Prisma's enum swap)."""
    if _sets_default(later, table, column):
        return True
    ahead = ctx.file.ahead
    found = ahead.indexed("drop-default", _defaults_set).get((table, column), [])
    return ahead.in_same_transaction(found, ctx.statement.index, ctx.tx.in_transaction)


def _not_null_after(commands: Commands, table: str, column: str) -> bool | None:
    """Whether the column is NOT NULL once the statement is done, when one of its *commands*
    says so (``ALTER c DROP NOT NULL, ALTER c DROP DEFAULT``: other sessions never see the
    column NOT NULL without a default, whatever the order of the commands)."""
    found = None
    for t, sub, cmd in commands:
        if t == table and sub in _NULLABILITY and cmd.get("name") == column:
            found = sub == "AT_SetNotNull"
    return found


# Prisma's enum swap, for the examples
_ENUM_SWAP = (
    "CREATE TYPE plan_new AS ENUM ('free', 'pro');\n"
    "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;\n"
    "ALTER TABLE accounts ALTER COLUMN plan TYPE plan_new USING (plan::text::plan_new);\n"
    "ALTER TYPE plan RENAME TO plan_old;\n"
    "ALTER TYPE plan_new RENAME TO plan;\n"
    "DROP TYPE plan_old;\n"
    "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';"
)
_ENUM_HISTORY = (
    "CREATE TYPE plan AS ENUM ('free', 'pro', 'legacy');\n"
    "CREATE TABLE accounts (id bigint, plan plan NOT NULL DEFAULT 'free');",
)


class DropDefault(Rule):
    code = "SS027"
    name = "drop-default"
    summary = "DROP DEFAULT breaks inserts that leave the column out"
    why = (
        "Application code (the version still running during the deploy included) that inserts "
        "without naming the column relied on the default: after DROP DEFAULT those inserts "
        "fail when the column is NOT NULL, and silently store NULL otherwise. The statement "
        "itself is a quick catalog change under an AccessExclusiveLock. A default set again "
        "later in the same transaction (Prisma's enum swap: drop the default, change the type, "
        "set the default) is not reported: the lock is held until then, so no other session "
        "inserts in between. `ALTER COLUMN ... DROP EXPRESSION` on a stored generated column "
        "is the same hazard: the column keeps its values (no rewrite, an AccessExclusiveLock) "
        "but stops being computed, so the running code's inserts store NULL and its updates "
        "leave the value stale; it is reported only for a column the history created "
        "generated."
    )
    safe_alternative = (
        "First deploy code that always writes the column, then drop the default in a later "
        "migration; or keep the default."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-default", "ban-drop-generated-expression")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_ColumnDefault", "AT_DropExpression")
    examples = (
        Bad("ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;"),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            note="the running code does not know the new NOT NULL column: its inserts fail",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
            note="the column never had a default: nothing changes",
        ),
        Good(
            "CREATE TABLE accounts (id bigint, plan text DEFAULT 'free');\n"
            "ALTER TABLE accounts ALTER COLUMN plan DROP DEFAULT;",
            note="nobody inserts into a table created in the same file yet",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN plan SET DEFAULT 'free';",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
        ),
        Good(
            f"BEGIN;\n{_ENUM_SWAP}\nCOMMIT;",
            history=_ENUM_HISTORY,
            note="Prisma's enum swap: the default is set again in the same transaction, "
            "which holds the table's lock until then: no other session inserts without it",
        ),
        Bad(
            _ENUM_SWAP,
            history=_ENUM_HISTORY,
            note="the same swap in autocommit: inserts between the statements find no default",
        ),
        Bad(
            "ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL, ALTER COLUMN plan DROP DEFAULT;",
            history=("CREATE TABLE accounts (id bigint, plan text NOT NULL DEFAULT 'free');",),
            note="inserts that leave the column out now store NULL (the same statement drops "
            "NOT NULL)",
        ),
        Bad(
            "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;",
            history=(
                "CREATE TABLE orders (id bigint, price numeric, qty int, "
                "total numeric GENERATED ALWAYS AS (price * qty) STORED);",
            ),
            note="`total` is no longer computed: the running code never writes it",
        ),
        Good(
            "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION IF EXISTS;",
            history=("CREATE TABLE orders (id bigint, total numeric);",),
            note="the history knows the column as a plain one: nothing changes",
        ),
        Good(
            "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION IF EXISTS;",
            history=(
                "CREATE TABLE orders (id bigint, total numeric GENERATED ALWAYS AS (1) STORED);",
                "ALTER TABLE orders ALTER COLUMN total DROP EXPRESSION;",
            ),
            note="an earlier migration already made it a plain column",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        commands = ctx.existing_alter_commands(node)
        for position, (table, sub, cmd) in enumerate(commands):
            if sub == "AT_DropExpression":
                yield from self._drop_expression(ctx, table, cmd)
                continue
            if sub != "AT_ColumnDefault" or (
                cmd.get("def") and not pgast.is_null_const(cmd["def"])
            ):
                continue  # (SET DEFAULT NULL drops the default too)
            column = cmd.get("name", "")
            if _default_restored(ctx, table, column, commands[position + 1 :]):
                continue
            if ctx.reverses("default", table, column):
                continue  # a down migration undoing its up's SET DEFAULT
            known = ctx.schema.table(table)
            col = known.columns.get(column) if known is not None else None
            if known is not None and known.known and col is not None and not col.has_default:
                continue  # the history created the column without a default: a no-op
            not_null = _not_null_after(commands, table, column)
            if not_null is False:
                effect = "store NULL (the same statement drops NOT NULL)"
            elif not_null or (col is not None and col.not_null):
                effect = "fail (the column is NOT NULL)"
            else:
                effect = "store NULL, or fail if the column is NOT NULL"
            yield self.report(
                f"DROP DEFAULT on `{table}.{column}`: inserts that leave the column out will "
                f"{effect}",
                help="deploy code that always writes the column first, then drop the default",
                at=cmd,
            )

    def _drop_expression(self, ctx: Context, table: str, cmd: Node) -> Iterator[Report]:
        """DROP EXPRESSION on a column the history created as a stored generated one."""
        column = cmd.get("name", "")
        known = ctx.schema.table(table)
        col = known.columns.get(column) if known is not None else None
        if col is None or not col.generated:
            return
        yield self.report(
            f"DROP EXPRESSION on `{table}.{column}`: the column is no longer computed; rows the "
            "running code inserts get NULL and rows it updates keep a stale value",
            help="deploy code that writes the column first, or keep it generated",
            at=cmd,
        )
