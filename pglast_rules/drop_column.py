"""SS008 drop-column: an immediate DROP COLUMN of an existing table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from linter.lockmodel.effects import binary_coercible, commands_other_end
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Column, Schema
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.parsing import Statement
from linter.sql.pgast import Node, TypeRef
from linter.state.context import Context, Report
from linter.state.fold import apply_schema

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


def _column_renames(statements: Sequence[Statement]) -> dict[tuple[str, str], list[int]]:
    """``(table, new name)`` -> the statements of the file whose RENAME COLUMN gives it, in
    file order (once per file: a walk of the rest of the transaction for each DROP COLUMN
    was quadratic in a transaction of many)."""
    out: dict[tuple[str, str], list[int]] = {}
    for stmt in statements:
        if stmt.kind == "RenameStmt" and stmt.fields.get("renameType") == "OBJECT_COLUMN":
            key = (pgast.relation_name(stmt.fields.get("relation")), stmt.fields.get("newname", ""))
            out.setdefault(key, []).append(stmt.index)
    return out


def _renamed_into(ctx: Context, table: str, column: str) -> bool:
    """A later statement of the same transaction renames a column of *table* to *column*
    (the last step of a copy-and-swap)."""
    ahead = ctx.file.ahead
    found = ahead.indexed("drop-column", _column_renames).get((table, column), [])
    return ahead.in_same_transaction(found, ctx.statement.index, ctx.tx.in_transaction)


def _at_commit(ctx: Context) -> Schema:
    """The model once the rest of the statement's transaction has run (what other
    sessions see after its commit)."""
    key = ("at_commit", 0)
    found: Schema | None = ctx.memo.get(key)
    if found is None:
        found = ctx.schema_after()
        for stmt in ctx.file.ahead.same_transaction(ctx.statement.index, ctx.tx.in_transaction):
            found = apply_schema(found, stmt.node)
        ctx.memo[key] = found
    return found


def _attached(schema: Schema, table: str, column: str) -> tuple[list[str], set[str]]:
    """The indexes on *column* and the kinds of constraint that name it: what DROP COLUMN
    drops with it."""
    model = schema.table(table)
    constraints = [c for c in model.constraints.values() if column in c.columns] if model else []
    backing = {c.name for c in constraints}  # a unique constraint's index is said with it
    indexes = [
        ix.name
        for ix in schema.indexes_of(table)
        if column in ix.columns and ix.name.split(".", 1)[-1] not in backing
    ]
    return indexes, {c.kind for c in constraints} - {"notnull"}


_KIND_NAMES = {"primary": "its primary key", "foreign": "its foreign key"}


def _lost_in_swap(ctx: Context, table: str, old: Column, new: Column, final: Schema) -> list[str]:
    """What the old column had that its replacement lacks once the transaction commits."""
    lost = []
    if old.not_null and not new.not_null:
        lost.append("NOT NULL")
    if old.has_default and not new.has_default:
        lost.append("its default")
    old_indexes, old_kinds = _attached(ctx.schema, table, old.name)
    new_indexes, new_kinds = _attached(final, table, new.name)
    if len(new_indexes) < len(old_indexes):
        lost.append("its indexes (" + ", ".join(f"`{name}`" for name in old_indexes) + ")")
    for kind in sorted(old_kinds - new_kinds):
        lost.append(_KIND_NAMES.get(kind, f"its {kind} constraint"))
    return lost


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

    def _swap_report(self, ctx: Context, table: str, column: str) -> Report | None:
        """What a copy-and-swap of *column* changes for running code once its transaction
        commits: another type, or what DROP COLUMN took with the old column."""
        old = ctx.schema.column(table, column)
        final = _at_commit(ctx)
        new = final.column(table, column)  # the swapped-in one, renamed
        if old is None or new is None:
            return None
        retyped = (
            old.type is not None
            and new.type is not None
            and not _same_values(old.type, new.type, ctx.target)
        )
        lost = _lost_in_swap(ctx, table, old, new, final)
        if not retyped and not lost:
            return None
        parts = [f"of another type, {new.type} (was {old.type})"] if retyped else []
        if lost:
            parts.append(f"without {', '.join(lost)} (DROP COLUMN drops them with the old one)")
        return self.report(
            f"`{table}.{column}` is swapped for a new column {' and '.join(parts)}: running "
            "code that relies on the old column's type, constraints or default may fail or "
            "get other values",
            help="give the new column the old one's constraints, indexes and default before "
            "the swap, and deploy code that handles a new type first",
        )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_DropColumn":
                column = cmd.get("name", "")
                model = ctx.schema.table(table)
                absent = model is not None and model.known and column not in model.columns
                if absent and cmd.get("missing_ok"):
                    continue  # DROP COLUMN IF EXISTS of a column the history never had
                if ctx.reverses("column", table, column):
                    continue  # a down migration dropping the column its up added
                swap = _renamed_into(ctx, table, column)
                if swap and cmd.get("behavior") == "DROP_CASCADE":
                    yield self.report(
                        f"`{table}.{column}` is swapped for a new column, but CASCADE drops "
                        "the views and constraints that use it, and the new column does not "
                        "bring them back",
                        help="drop and re-create the dependent objects explicitly, without CASCADE",
                        at=cmd,
                    )
                    continue
                if swap:  # a copy-and-swap: the column is back at commit
                    report = self._swap_report(ctx, table, column)
                    if report is not None:
                        yield replace(report, at=cmd)
                    continue
                yield self.report(
                    f"dropping `{table}.{column}` breaks any running code that still uses it, "
                    "and its data is lost"
                    + commands_other_end(pgast.unwrap(node), [cmd], ctx.schema, ctx.target, table),
                    help="stop using the column in the application, deploy, then drop it in a "
                    "later migration",
                    at=cmd,
                )
