"""SS028 drop-constraint: dropping a constraint of an existing table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from linter.lockmodel.effects import commands_other_end
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Constraint
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.parsing import Statement
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_ORDERS_FK = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY);",
    "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint "
    "CONSTRAINT orders_account_fk REFERENCES accounts (id));",
)
_ORDERS_TOTAL = (
    "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric "
    "CONSTRAINT orders_total_check CHECK (total >= 0));"
)

_CONSEQUENCE = {
    "primary": "its index goes with it (queries by key may turn into scans) and duplicate or "
    "NULL keys become possible",
    "unique": "its index goes with it (lookups may turn into scans) and duplicates become possible",
    "foreign": "rows may now reference missing rows",
    "check": "rows breaking the condition can be written",
    "exclusion": "its index goes with it and conflicting rows can be written",
    "notnull": "NULLs can be written",
}


_CONTYPES = {
    "CONSTR_PRIMARY": "primary",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_FOREIGN": "foreign",
    "CONSTR_CHECK": "check",
    "CONSTR_EXCLUSION": "exclusion",
    "CONSTR_NOTNULL": "notnull",
}


def _redundant_not_null_check(
    ctx: Context, fields: Node, table: str, known: Constraint | None
) -> bool:
    """A CHECK (col IS NOT NULL) whose column is NOT NULL now (an earlier SET NOT NULL, or one
    in the same ALTER TABLE): dropping the helper check loses no guarantee."""
    if known is None or known.kind != "check" or not known.not_null_column:
        return False
    column = known.not_null_column
    col = ctx.schema.column(table, column)
    if col is not None and col.not_null:
        return True
    return any(
        sub == "AT_SetNotNull" and cmd.get("name") == column
        for sub, cmd in pgast.alter_commands(fields)
    )


def _readded(fields: Node, name: str, known: Constraint | None) -> bool:
    """The ALTER TABLE adds the constraint back: under the same name, or (when the model
    knows the dropped one) the same kind on the same columns, or a new primary key for a
    dropped primary key. The table is never without it."""
    for sub, cmd in pgast.alter_commands(fields):
        if sub == "AT_AddColumn" and known is not None and known.kind == "primary":
            coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
            if pgast.has_constraint(coldef, "CONSTR_PRIMARY"):
                return True
        if sub != "AT_AddConstraint":
            continue
        con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
        if con.get("conname") == name:
            return True
        if known is None or _CONTYPES.get(con.get("contype", "")) != known.kind:
            continue
        keys = pgast.strings(con.get("keys")) or pgast.strings(con.get("fk_attrs"))
        if known.kind == "primary" or (keys and set(keys) == set(known.columns)):
            return True
    return False


def _later_changes(statements: Sequence[Statement]) -> dict[tuple[str, ...], int]:
    """What the statements of a file add back or drop, each with the last statement that
    does (once per file: a walk of the rest of the file for each DROP CONSTRAINT was
    quadratic in a file of many). Keys: ``("name", table, constraint)``,
    ``("primary", table)``, ``("kind", table, kind, *sorted columns)`` for what
    :func:`_readded` accepts; ``("table", name)``, ``("column", table, column)`` for drops."""
    last: dict[tuple[str, ...], int] = {}
    for stmt in statements:
        fields = stmt.fields
        if stmt.kind == "DropStmt" and fields.get("removeType") == "OBJECT_TABLE":
            for obj in fields.get("objects") or ():
                last[("table", pgast.object_name(obj))] = stmt.index
        if stmt.kind != "AlterTableStmt":
            continue
        table = pgast.relation_name(fields.get("relation"))
        for sub, cmd in pgast.alter_commands(fields):
            if sub == "AT_DropColumn" and isinstance(cmd.get("name"), str):
                last[("column", table, cmd["name"])] = stmt.index
            elif sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                if pgast.has_constraint(coldef, "CONSTR_PRIMARY"):
                    last[("primary", table)] = stmt.index
            elif sub == "AT_AddConstraint":
                con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
                if isinstance(con.get("conname"), str):
                    last[("name", table, con["conname"])] = stmt.index
                kind = _CONTYPES.get(con.get("contype", ""))
                keys = pgast.strings(con.get("keys")) or pgast.strings(con.get("fk_attrs"))
                if kind == "primary":
                    last[("primary", table)] = stmt.index
                elif kind is not None and keys:
                    key = ("kind", table, kind, *sorted(set(keys)))
                    last[key] = stmt.index
    return last


def _later(ctx: Context, *keys: tuple[str, ...]) -> bool:
    """A statement after the one under check does one of *keys* (see _later_changes)."""
    last = ctx.file.ahead.indexed("drop-constraint", _later_changes)
    return any(last.get(key, -1) > ctx.statement.index for key in keys)


def _readded_later(ctx: Context, table: str, name: str, known: Constraint | None) -> bool:
    """A later statement of the file adds it back (inside one transaction other sessions
    never see the table without it; outside, only for the moment between the statements)."""
    keys: list[tuple[str, ...]] = [("name", table, name)]
    if known is not None and known.kind == "primary":
        keys.append(("primary", table))
    elif known is not None and known.columns:
        keys.append(("kind", table, known.kind, *sorted(set(known.columns))))
    return _later(ctx, *keys)


def _dropped_later(ctx: Context, table: str, known: Constraint | None) -> bool:
    """A later statement of the file drops the table, one of the constraint's columns, or
    the table a foreign key references (drop-table / drop-column judge that)."""
    columns = known.columns if known else ()
    tables = {table, known.references} if known and known.references else {table}
    return _later(ctx, *(("table", t) for t in tables), *(("column", table, c) for c in columns))


class DropConstraint(Rule):
    code = "SS028"
    name = "drop-constraint"
    summary = "Dropping a constraint of an existing table loses integrity (and maybe an index)"
    why = (
        "The drop is a quick catalog change under an AccessExclusiveLock, but what the "
        "constraint guaranteed is gone: a dropped UNIQUE or PRIMARY KEY also drops its index "
        "(queries using it fall back to scans), a dropped FOREIGN KEY or CHECK lets bad rows "
        "in, and putting it back later needs a validating scan or an index build. A drop that "
        "the same file adds back (same name, or same kind on the same columns, or a new "
        "primary key: a redefinition) is not reported, "
        "nor one whose table, column or referenced table the same file drops afterwards."
    )
    safe_alternative = (
        "Make sure nothing relies on the constraint or its index; to change a constraint, add "
        "the new one (NOT VALID, then VALIDATE) before dropping the old one; to keep the "
        "index of a UNIQUE constraint, create an equivalent index CONCURRENTLY first."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-constraint", "CD101")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_DropConstraint",)
    examples = (
        Bad("ALTER TABLE orders DROP CONSTRAINT orders_account_fk;", history=_ORDERS_FK),
        Bad(
            "ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;",
            history=("CREATE TABLE accounts (id bigint, email text UNIQUE);",),
            note="the unique index goes too",
        ),
        Good(
            "BEGIN;\nALTER TABLE orders DROP CONSTRAINT orders_total_check;\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total > 0) NOT VALID;\n"
            "COMMIT;",
            history=(_ORDERS_TOTAL,),
            note="redefined in the same transaction",
        ),
        Good(
            'BEGIN;\nALTER TABLE orders DROP CONSTRAINT "Order_account_fkey";\n'
            "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) "
            "REFERENCES accounts (id) ON DELETE CASCADE NOT VALID;\nCOMMIT;",
            history=(
                "CREATE TABLE orders (id bigint, account_id bigint "
                'CONSTRAINT "Order_account_fkey" REFERENCES accounts (id));',
            ),
            note="replaced by an equivalent constraint under another name",
        ),
        Good(
            "ALTER TABLE orders DROP CONSTRAINT orders_account_fk;\nDROP TABLE orders;",
            history=_ORDERS_FK,
            note="the table itself goes (drop-table reports that)",
        ),
        Good(
            "ALTER TABLE orders DROP CONSTRAINT orders_account_fk;\n"
            "ALTER TABLE orders DROP COLUMN account_id;",
            history=(
                "CREATE TABLE orders (id bigint, account_id bigint "
                "CONSTRAINT orders_account_fk REFERENCES accounts (id));",
            ),
            note="its column goes (drop-column reports that)",
        ),
        Good(
            "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
            "ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null_chk;",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null_chk "
                "CHECK (email IS NOT NULL) NOT VALID;",
                "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null_chk;",
            ),
            note="the helper check that let SET NOT NULL skip its scan: the column is NOT NULL "
            "now, nothing is lost",
        ),
        Bad(
            "ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null_chk;",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",
                "ALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null_chk "
                "CHECK (email IS NOT NULL) NOT VALID;",
                "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null_chk;",
            ),
            note="without SET NOT NULL the check is the only guarantee",
        ),
        Good(
            "ALTER TABLE orders DROP CONSTRAINT orders_total_check, "
            "ADD CONSTRAINT orders_total_check CHECK (total > 0) NOT VALID;",
            history=(_ORDERS_TOTAL,),
        ),
        Good(
            "CREATE TABLE orders (id bigint, total numeric CONSTRAINT orders_total_check "
            "CHECK (total >= 0));\nALTER TABLE orders DROP CONSTRAINT orders_total_check;",
            note="a table created in the same file is not in use",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if not pgast.is_table_alter(fields):
            return
        table = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(table):
            return
        for sub, cmd in pgast.alter_commands(fields):
            if sub != "AT_DropConstraint":
                continue
            name = cmd.get("name", "")
            known = ctx.schema.constraint(table, name)
            if _readded(fields, name, known) or _readded_later(ctx, table, name, known):
                continue
            if _dropped_later(ctx, table, known):
                continue
            if known is not None and known.file == ctx.schema.file:
                continue  # added earlier in this file: never relied on
            if ctx.reverses("constraint", table, name):
                continue  # a down migration dropping the constraint its up added
            if _redundant_not_null_check(ctx, fields, table, known):
                continue
            consequence = _CONSEQUENCE.get(
                known.kind if known else "", "what it guaranteed is no longer enforced"
            )
            yield self.report(
                f"dropping constraint `{name}` of `{table}`: {consequence}"
                + commands_other_end(fields, [cmd], ctx.schema, ctx.target, table),
                help="check nothing relies on it; add any replacement (NOT VALID + VALIDATE) "
                "before dropping",
                at=cmd,
            )
