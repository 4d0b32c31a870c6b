"""SS008 drop-column: an immediate DROP COLUMN of an existing table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from linter import pgast
from linter.context import Context, Report
from linter.effects import binary_coercible
from linter.fold import apply_schema
from linter.locks import LockMode
from linter.pgast import Node, TypeRef
from linter.rule import Bad, Good, Rule
from linter.schema import Column

# the type a serial column has (its default and NOT NULL aside)
_SERIAL_TYPES = {"serial": "int4", "bigserial": "int8", "smallserial": "int2"}


def _same_values(old: TypeRef, new: TypeRef, target: int) -> bool:
    """Running code sees the same values in a column of type *new* as in one of *old*: the
    same type (``serial`` is ``integer``, ``public.t`` is ``t``), or one that only widens it
    without a conversion (``varchar(150)`` -> ``text``)."""

    def plain(ref: TypeRef) -> TypeRef:
        name = ref.name.removeprefix("public.")
        return replace(ref, name=_SERIAL_TYPES.get(name, name))

    return plain(old) == plain(new) or binary_coercible(plain(old), plain(new), target)


def _renamed_into(ctx: Context, node: Node) -> dict[tuple[str, str], int]:
    """``(table, new name) -> position`` in ``same_transaction`` of the later statements of
    the same transaction that rename a column (the last step of a copy-and-swap); once per
    statement."""
    key = ("renamed_into", id(node))
    found: dict[tuple[str, str], int] | None = ctx.memo.get(key)
    if found is None:
        found = {}
        later = ctx.file.ahead.same_transaction(ctx.statement.index, ctx.tx.in_transaction)
        for position, stmt in enumerate(later):
            fields = stmt.fields
            if stmt.kind == "RenameStmt" and fields.get("renameType") == "OBJECT_COLUMN":
                target = (pgast.relation_name(fields.get("relation")), fields.get("newname", ""))
                found.setdefault(target, position)
        ctx.memo[key] = found
    return found


def _renamed_column(ctx: Context, position: int, table: str) -> Column | None:
    """The column the rename at *position* in ``same_transaction`` renames, as the model
    knows it just before (added by this statement or a later one, usually)."""
    later = ctx.file.ahead.same_transaction(ctx.statement.index, ctx.tx.in_transaction)
    schema = ctx.schema_after()
    for stmt in later[:position]:
        schema = apply_schema(schema, stmt.node)
    model = schema.table(table)
    source = later[position].fields.get("subname", "")
    return model.columns.get(source) if model is not None else None


class DropColumn(Rule):
    code = "SS008"
    name = "drop-column"
    summary = "Dropping a column breaks the application version that still uses it"
    why = (
        "The drop itself is quick (the column is only hidden), but the application that is "
        "still running selects, inserts or maps that column and fails from the moment the "
        "migration commits; the data is gone for good. A copy-and-swap inside one transaction "
        "(add `x_new`, copy the data, drop `x`, rename `x_new` to `x`) is not a drop: the "
        "column is back before the commit. It is reported only when the new column has "
        "another type, which running code then reads and writes (a wider one that needs no "
        "conversion, such as `varchar(n)` to `text`, is not reported)."
    )
    safe_alternative = (
        "Stop reading and writing the column in the code (ORMs: mark it ignored), deploy that "
        "release, then drop the column in a later migration."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    aliases = ("ban-drop-column", "remove_column", "DS103")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_DropColumn",)
    examples = (
        Bad("ALTER TABLE accounts DROP COLUMN legacy_plan;"),
        Good(
            "CREATE TABLE scratch (id bigint, tmp text);\nALTER TABLE scratch DROP COLUMN tmp;",
        ),
        Good(
            "BEGIN;\n"
            "ALTER TABLE accounts ADD COLUMN plan_new text DEFAULT 'free';\n"
            "UPDATE accounts SET plan_new = plan;\n"
            "ALTER TABLE accounts DROP COLUMN plan;\n"
            "ALTER TABLE accounts RENAME COLUMN plan_new TO plan;\n"
            "COMMIT;",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
            note="a copy-and-swap in one transaction (to move the column or change its "
            "default): the column is back, same type and data, before anyone sees it gone",
        ),
        Bad(
            "BEGIN;\n"
            "UPDATE accounts SET balance_new = balance / 100.0;\n"
            "ALTER TABLE accounts DROP COLUMN balance;\n"
            "ALTER TABLE accounts RENAME COLUMN balance_new TO balance;\n"
            "COMMIT;",
            history=(
                "CREATE TABLE accounts (id bigint, balance integer);",
                "ALTER TABLE accounts ADD COLUMN balance_new numeric(12, 2);",
            ),
            note="the swap changes the type: running code that expects integers gets "
            "numeric values",
        ),
        Bad(
            "BEGIN;\n"
            "ALTER TABLE accounts DROP COLUMN plan CASCADE;\n"
            "ALTER TABLE accounts RENAME COLUMN plan_new TO plan;\n"
            "COMMIT;",
            history=(
                "CREATE TABLE accounts (id bigint, plan text);",
                "ALTER TABLE accounts ADD COLUMN plan_new text DEFAULT 'free';",
            ),
            note="CASCADE drops the views on the old column for good",
        ),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan_new text DEFAULT 'free';\n"
            "UPDATE accounts SET plan_new = plan;\n"
            "ALTER TABLE accounts DROP COLUMN plan;\n"
            "ALTER TABLE accounts RENAME COLUMN plan_new TO plan;",
            history=("CREATE TABLE accounts (id bigint, plan text);",),
            note="the same swap in autocommit: running code finds no column between the "
            "DROP and the RENAME",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_DropColumn":
                column = cmd.get("name", "")
                model = ctx.schema.table(table)
                absent = model is not None and model.known and column not in model.columns
                if absent and cmd.get("missing_ok"):
                    continue  # DROP COLUMN IF EXISTS of a column the history never had
                swap = _renamed_into(ctx, node).get((table, column))
                if swap is not None and cmd.get("behavior") == "DROP_CASCADE":
                    yield self.report(
                        f"`{table}.{column}` is swapped for a new column, but CASCADE drops "
                        "the views and constraints that use it, and the new column does not "
                        "bring them back",
                        help="drop and re-create the dependent objects explicitly, without CASCADE",
                    )
                    continue
                if swap is not None:  # a copy-and-swap: the column is back at commit
                    old = model.columns.get(column) if model is not None else None
                    new = _renamed_column(ctx, swap, table)
                    if (
                        old is None
                        or new is None
                        or old.type is None
                        or new.type is None
                        or _same_values(old.type, new.type, ctx.target)
                    ):
                        continue
                    yield self.report(
                        f"`{table}.{column}` is replaced by a column of another type, "
                        f"{new.type} (was {old.type}): running code that still reads or writes "
                        f"it as {old.type} may fail, or get its values converted",
                        help="deploy code that handles both types first, or keep the type",
                    )
                    continue
                yield self.report(
                    f"dropping `{table}.{column}` breaks any running code that still uses it, "
                    "and its data is lost",
                    help="stop using the column in the application, deploy, then drop it in a "
                    "later migration",
                )
