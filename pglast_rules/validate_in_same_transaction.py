"""SS014 validate-in-same-transaction: VALIDATE in the transaction that added NOT VALID."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class ValidateInSameTransaction(Rule):
    code = "SS014"
    name = "validate-in-same-transaction"
    summary = "VALIDATE CONSTRAINT runs in the transaction that added the constraint NOT VALID"
    why = (
        "NOT VALID exists so that the table scan happens later under a weak lock: VALIDATE "
        "CONSTRAINT needs only a ShareUpdateExclusiveLock. But the ADD CONSTRAINT took an "
        "AccessExclusiveLock (ShareRowExclusiveLock on both tables for a foreign key), and "
        "locks are held until the transaction ends, so validating in the same transaction "
        "scans the whole table under that strong lock, exactly as if NOT VALID had not been "
        "written."
    )
    safe_alternative = (
        "COMMIT after `ADD CONSTRAINT ... NOT VALID` and run `ALTER TABLE ... VALIDATE "
        "CONSTRAINT ...` in a later transaction (a separate migration when the runner wraps "
        "each file in a transaction)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("constraint-missing-not-valid", "validate_foreign_key", "validate_check_constraint")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_ValidateConstraint",)
    examples = (
        Bad(
            "BEGIN;\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) "
            "REFERENCES accounts (id) NOT VALID;\n"
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_account_fk;\nCOMMIT;"
        ),
        Bad(
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
            settings={"assume_in_transaction": True},
            note="the runner wraps the file in one transaction",
        ),
        Good(
            "BEGIN;\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"
            "COMMIT;\n"
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;"
        ),
        Good(
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
            note="without a transaction each statement commits on its own",
        ),
        Good(
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
            settings={"assume_in_transaction": True},
            history=(
                "ALTER TABLE orders ADD CONSTRAINT orders_total_check "
                "CHECK (total >= 0) NOT VALID;",
            ),
            note="added NOT VALID by an earlier migration",
        ),
        Good(
            "BEGIN;\nCREATE TABLE orders (id bigint, total numeric);\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;\n"
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;\nCOMMIT;",
            note="a table created in the same file is empty",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if not pgast.is_table_alter(fields) or not ctx.tx.in_transaction:
            return
        table = pgast.relation_name(fields.get("relation"))
        if ctx.is_new(table):
            return
        for sub, cmd in pgast.alter_commands(fields):
            name = cmd.get("name", "")
            if sub != "AT_ValidateConstraint" or (table, name) not in ctx.tx.not_valid_added:
                continue
            held = ctx.tx.held.get(table) or LockMode.ACCESS_EXCLUSIVE
            yield self.report(
                f"VALIDATE CONSTRAINT `{name}` runs in the transaction that added it NOT "
                f"VALID: the scan of `{table}` happens while that transaction still holds "
                f"{held.describe()}",
                help="COMMIT after ADD CONSTRAINT ... NOT VALID and validate in a later "
                "transaction (a separate migration if the runner wraps files in one)",
                at=cmd,
            )
