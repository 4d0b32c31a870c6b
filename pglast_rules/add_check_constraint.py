"""SS017 add-check-constraint: a CHECK added without NOT VALID scans under AccessExclusiveLock."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions, rows_rewritten
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, listing
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class AddCheckConstraint(Rule):
    code = "SS017"
    name = "add-check-constraint"
    summary = "Adding a CHECK constraint without NOT VALID scans the table under an exclusive lock"
    why = (
        "ADD CONSTRAINT ... CHECK takes an AccessExclusiveLock and reads every row to prove the "
        "condition: all reads and writes on the table wait for the whole scan. A CHECK written "
        "on a column in ADD COLUMN is verified the same way. PostgreSQL 18's NOT ENFORCED "
        "constraints are not checked, so they do not scan. All the new checks of one ALTER "
        "TABLE are verified in one scan (one finding), or while its rewrite copies the rows "
        "(the rewrite's finding says it)."
    )
    safe_alternative = (
        "`ALTER TABLE t ADD CONSTRAINT c CHECK (...) NOT VALID` (instant; new rows are "
        "checked), then `ALTER TABLE t VALIDATE CONSTRAINT c` in a later transaction: it scans "
        "under a ShareUpdateExclusiveLock, so reads and writes go on."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("constraint-missing-not-valid", "E1", "add_check_constraint", "PG305")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddColumn", "AT_AddConstraint")
    examples = (
        Bad("ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);"),
        Bad(
            "ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);",
            note="a column CHECK in ADD COLUMN is verified by a scan too (and cannot be NOT VALID)",
        ),
        Good("ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;"),
        Good(
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT ENFORCED;",
            settings={"target_version": 18},
            note="PostgreSQL 18: a NOT ENFORCED constraint is not checked against existing rows",
        ),
        Good(
            "CREATE TABLE orders (id bigint, total numeric);\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);",
            note="a table created in the same file is empty",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        # PostgreSQL verifies all the new checks of one ALTER TABLE in one scan: one finding
        checks: list[tuple[str, str, Node]] = []  # (table, label, command)
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub == "AT_AddConstraint":
                con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
                if con.get("contype") != "CONSTR_CHECK" or pgast.is_not_valid(con):
                    continue
                label = f"CHECK constraint `{con['conname']}`" if con.get("conname") else "CHECK"
                checks.append((table, label, cmd))
            elif sub == "AT_AddColumn":
                coldef = pgast.unwrap(cmd.get("def") or {}, "ColumnDef")
                if any(
                    c.get("contype") == "CONSTR_CHECK" and not pgast.is_not_valid(c)
                    for c in pgast.column_constraints(coldef)
                ):
                    checks.append((table, f"new column `{coldef.get('colname', '')}`", cmd))
        if not checks:
            return
        table, label, cmd = checks[0]
        if rows_rewritten(ctx.effects, ctx.schema, table):
            return  # the statement's rewrite checks each row as it copies it: no scan of its own
        lock = LockMode.ACCESS_EXCLUSIVE.describe()
        if len(checks) == 1 and label.startswith("new column"):
            yield self.report(
                f"the CHECK on {label} is verified by scanning all of `{table}`"
                f"{and_partitions(ctx.schema, table)} while holding "
                f"{lock}",
                help="add the column without the CHECK, then ADD CONSTRAINT ... CHECK "
                "(...) NOT VALID and VALIDATE CONSTRAINT in a later transaction",
                at=cmd,
            )
            return
        labels = [f"the CHECK on {t}" if t.startswith("new column") else t for _, t, _ in checks]
        once = " once for all of them" if len(checks) > 1 else ""
        yield self.report(
            f"adding {listing(labels)} scans all of `{table}`{and_partitions(ctx.schema, table)}"
            f"{once} while holding {lock}",
            help="add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
            at=cmd,
        )
