"""SS021 foreign-key-without-index: no index leads with a foreign key's columns."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.schema import Schema
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report
from linter.state.deferred import serves


def _foreign_keys(node: Node) -> Iterator[tuple[str, tuple[str, ...], str, str, Node]]:
    """``(table, columns, constraint name or "", referenced table, Constraint fields)`` of
    each FK added."""
    kind = pgast.kind(node)
    fields = node[kind]
    table = pgast.relation_name(fields.get("relation"))
    cons: list[tuple[Node, tuple[str, ...]]] = []
    if kind == "CreateStmt":
        for elt in fields.get("tableElts") or ():
            coldef = pgast.unwrap(elt, "ColumnDef")
            if coldef:
                cons.extend(
                    (c, (coldef.get("colname", ""),)) for c in pgast.column_constraints(coldef)
                )
            else:
                cons.append((pgast.unwrap(elt, "Constraint"), ()))
    elif kind == "AlterTableStmt" and pgast.is_table_alter(fields):
        for sub, cmd in pgast.alter_commands(fields):
            if sub == "AT_AddConstraint":
                cons.append((pgast.unwrap(cmd.get("def") or {}, "Constraint"), ()))
            elif sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                cons.extend(
                    (c, (coldef.get("colname", ""),)) for c in pgast.column_constraints(coldef)
                )
    for con, default_cols in cons:
        if con.get("contype") != "CONSTR_FOREIGN":
            continue
        columns = pgast.strings(con.get("fk_attrs")) or default_cols
        if columns:
            ref = pgast.relation_name(con.get("pktable"))
            yield table, columns, con.get("conname", ""), ref, con


def _indexed_now(schema: Schema, table: str, columns: tuple[str, ...]) -> bool:
    return any(
        serves(ix.columns, ix.partial, ix.null_filtered, columns) for ix in schema.indexes_of(table)
    )


def _indexed_later(ctx: Context, table: str, columns: tuple[str, ...]) -> bool:
    """A later statement of the file creates a covering index (or UNIQUE / PRIMARY KEY)."""
    return any(
        serves(keys, partial, null_filtered, columns)
        for _, keys, partial, null_filtered in ctx.file.ahead.indexes_after(
            table, ctx.statement.index
        )
    )


class ForeignKeyWithoutIndex(Rule):
    code = "SS021"
    name = "foreign-key-without-index"
    summary = "A foreign key's columns are not the leading columns of any index"
    why = (
        "PostgreSQL indexes the referenced side of a foreign key, not the referencing one. "
        "Without an index that starts with the referencing columns, every DELETE of a "
        "referenced row (and every UPDATE of its key) scans the whole referencing table, "
        "holding its locks meanwhile, and joins along the key are slow. The rule knows the "
        "indexes the migration history created, including those created later in the same "
        "file or by a later migration of the history (they ship together: linting only "
        "the new migration still reports it until its index is written); a foreign key on "
        "a table the history never created is not judged."
    )
    safe_alternative = (
        "`CREATE INDEX CONCURRENTLY t_col_idx ON t (col);` (outside a transaction; in the "
        "same migration for a new table, before rows arrive)."
    )
    severity = Severity.WARNING
    aliases = ("E15",)
    node_types = ("CreateStmt", "AlterTableStmt")
    alter_subtypes = ("AT_AddColumn", "AT_AddConstraint")
    examples = (
        Bad(
            "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n"
            "    account_id bigint REFERENCES accounts (id)\n);"
        ),
        Bad(
            "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) "
            "REFERENCES accounts (id) NOT VALID;",
            history=("CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);",),
        ),
        Bad(
            "CREATE TABLE orders (id bigint, account_id bigint REFERENCES accounts (id));\n"
            "CREATE INDEX orders_recent_idx ON orders (account_id) WHERE id > 1000;",
            note="a partial index does not serve the foreign key's lookups",
        ),
        Good(
            "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\n"
            "    account_id bigint REFERENCES accounts (id)\n);\n"
            "CREATE INDEX orders_account_id_idx ON orders (account_id);",
            note="an index created later in the same file counts",
        ),
        Good(
            "CREATE TABLE orders (id bigint, account_id bigint REFERENCES accounts (id));\n"
            "CREATE INDEX orders_account_id_idx ON orders (account_id)\n"
            "    WHERE account_id IS NOT NULL;",
            note="`account_id = $1` implies `account_id IS NOT NULL`: this partial index serves "
            "the lookups",
        ),
        Good(
            "CREATE TABLE order_items (\n    order_id bigint REFERENCES orders (id),\n"
            "    line int,\n    PRIMARY KEY (order_id, line)\n);",
            note="the primary key's index leads with the foreign key column",
        ),
        Good(
            "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) "
            "REFERENCES accounts (id) NOT VALID;",
            history=(
                "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);",
                "CREATE INDEX CONCURRENTLY orders_account_created_idx ON orders (account_id, id);",
            ),
        ),
        Good(
            "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) "
            "REFERENCES accounts (id) NOT VALID;",
            note="the history never created `orders`: its indexes are unknown",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        after: Schema | None = None
        for table, columns, name, ref, con in _foreign_keys(node):
            if pgast.kind(node) == "AlterTableStmt" and ctx.schema.table(table) is None:
                continue  # indexes unknown
            known = ctx.schema.table(table)
            if known is not None and not known.known:
                continue
            if after is None:
                after = ctx.schema_after()
            if _indexed_now(after, table, columns) or _indexed_later(ctx, table, columns):
                continue
            cols = ", ".join(columns)
            new = pgast.kind(node) == "CreateStmt" or ctx.is_new(table)
            concurrently = "" if new else "CONCURRENTLY "
            label = f"foreign key `{name}`" if name else "the foreign key"
            yield self.report(
                f"{label} ({cols}) on `{table}` has no index starting with those columns: "
                f"each DELETE or key UPDATE on `{ref}` scans all of `{table}`",
                help=f"CREATE INDEX {concurrently}ON {table} ({cols});"
                + ("" if new else f" ({own_migration(ctx.file.layout)})"),
                unless_indexed=(table, columns),
                at=con,
            )
