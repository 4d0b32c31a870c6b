"""SS019 add-primary-key: ADD PRIMARY KEY builds an index (and may scan) under a full lock."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.lockmodel.schema import Table
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.advice import own_migration
from linter.state.context import Context, Report

from .set_not_null import recipe


def _nullable(table: Table | None, columns: tuple[str, ...], target: int) -> list[str]:
    """Columns the model knows are nullable (with no validated proof on PG 12+)."""
    if table is None:
        return []
    out = []
    for name in columns:
        col = table.columns.get(name)
        if col is None or col.not_null:
            continue
        if target >= 12 and table.has_validated_not_null_check(name):
            continue
        out.append(name)
    return out


class AddPrimaryKey(Rule):
    code = "SS019"
    name = "add-primary-key"
    summary = "Adding a primary key builds its index, and scans nullable columns, under a full lock"
    why = (
        "ADD PRIMARY KEY (and ADD COLUMN ... PRIMARY KEY) builds a unique index inside ALTER "
        "TABLE, holding an AccessExclusiveLock: all reads and writes wait for the whole build. "
        "`USING INDEX` attaches an index built beforehand, but a primary key also makes its "
        "columns NOT NULL: on a column that may hold NULLs PostgreSQL scans the whole table "
        "under the same lock (from PostgreSQL 12 a validated CHECK (col IS NOT NULL) spares "
        "the scan)."
    )
    safe_alternative = (
        "Make the columns NOT NULL without a long lock first (see set-not-null), then "
        "`CREATE UNIQUE INDEX CONCURRENTLY t_pkey ON t (id);` and `ALTER TABLE t ADD CONSTRAINT "
        "t_pkey PRIMARY KEY USING INDEX t_pkey;`."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("adding-serial-primary-key-field", "E7", "W14", "PG104", "PG304")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn", "AT_AddConstraint")
    examples = (
        Bad(
            "ALTER TABLE events ADD PRIMARY KEY (id);",
            history=("CREATE TABLE events (id bigint, payload text);",),
        ),
        Bad(
            "ALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;",
            history=("CREATE TABLE events (payload text, created date);",),
        ),
        Bad(
            "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
            history=(
                "CREATE TABLE events (id bigint, payload text);",
                "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);",
            ),
            note="`id` is nullable: the primary key makes it NOT NULL with a full scan",
        ),
        Good(
            "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
            history=(
                "CREATE TABLE events (id bigint NOT NULL, payload text);",
                "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);",
            ),
        ),
        Good(
            "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
            history=(
                "CREATE TABLE events (id bigint, payload text);",
                "ALTER TABLE events ADD CONSTRAINT events_id_nn CHECK (id IS NOT NULL) NOT VALID;",
                "ALTER TABLE events VALIDATE CONSTRAINT events_id_nn;",
                "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);",
            ),
            note="PostgreSQL 12+: the validated check proves the column has no NULL",
        ),
        Good(
            "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
            note="nothing is known about the columns: only a proven hazard is reported",
        ),
        Good(
            "CREATE TABLE events (id bigint, payload text);\n"
            "ALTER TABLE events ADD PRIMARY KEY (id);",
            note="a table created in the same file is empty",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        lock = LockMode.ACCESS_EXCLUSIVE.describe()
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                if pgast.has_constraint(coldef, "CONSTR_PRIMARY"):
                    parts = and_partitions(ctx.schema, table)
                    yield self.report(
                        f"adding column `{coldef.get('colname', '')}` as PRIMARY KEY builds a "
                        f"unique index on `{table}`{parts} while holding {lock}",
                        help="add the column, fill it, make it NOT NULL, CREATE UNIQUE INDEX "
                        f"CONCURRENTLY ({own_migration(ctx.file.layout)}), then ADD PRIMARY "
                        "KEY USING INDEX",
                        at=cmd,
                    )
                continue
            if sub != "AT_AddConstraint":
                continue
            con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
            if con.get("contype") != "CONSTR_PRIMARY":
                continue
            index_name = con.get("indexname")
            if not index_name:
                columns = ", ".join(pgast.strings(con.get("keys")))
                parts = and_partitions(ctx.schema, table)
                yield self.report(
                    f"ADD PRIMARY KEY ({columns}) builds a unique index on `{table}`{parts} while "
                    f"holding {lock}",
                    help=f"CREATE UNIQUE INDEX CONCURRENTLY ... ON {table} ({columns}), "
                    f"{own_migration(ctx.file.layout)}; then, in the next migration, ADD "
                    "CONSTRAINT ... PRIMARY KEY USING INDEX ...",
                    at=cmd,
                )
                continue
            index = ctx.schema.indexes.get(pgast.qualify(table.split(".", 1)[0], index_name))
            if index is None:
                continue
            nullable = _nullable(ctx.schema.table(table), index.columns, ctx.target)
            if nullable:
                cols = ", ".join(f"`{c}`" for c in nullable)
                parts = and_partitions(ctx.schema, table)
                yield self.report(
                    f"PRIMARY KEY USING INDEX `{index_name}` makes {cols} NOT NULL: PostgreSQL "
                    f"scans all of `{table}`{parts} for NULLs while holding {lock}",
                    help="make the column NOT NULL first without a long lock: "
                    + recipe(ctx.target, table, nullable[0]),
                    at=cmd,
                )
