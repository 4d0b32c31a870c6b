"""SS020 add-exclusion-constraint: ADD EXCLUDE has no online form."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class AddExclusionConstraint(Rule):
    code = "SS020"
    name = "add-exclusion-constraint"
    summary = "Adding an exclusion constraint builds its index while blocking all reads and writes"
    why = (
        "ADD CONSTRAINT ... EXCLUDE builds its index and checks every row inside ALTER TABLE, "
        "holding an AccessExclusiveLock for the whole build. Unlike UNIQUE it cannot use a "
        "concurrently built index (`USING INDEX` is refused for exclusion constraints) and it "
        "cannot be added NOT VALID, so there is no online way to add one to a large table."
    )
    safe_alternative = (
        "On a small table, accept the lock with a short lock_timeout and statement_timeout. "
        "On a large one, create a new table with the constraint, copy the rows in batches "
        "while writes go to both (trigger), then swap the tables; or enforce the rule in the "
        "application or with a trigger."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    scans = True
    aliases = ("add_exclusion_constraint", "E8")
    node_types = ("AlterTableStmt",)
    alter_subtypes = ("AT_AddConstraint",)
    examples = (
        Bad(
            "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap "
            "EXCLUDE USING gist (room_id WITH =, during WITH &&);",
            history=(
                "CREATE EXTENSION btree_gist;",
                "CREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint, during tstzrange);",
            ),
        ),
        Good(
            "CREATE TABLE bookings (room_id bigint, during tstzrange);\n"
            "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap "
            "EXCLUDE USING gist (room_id WITH =, during WITH &&);",
            history=("CREATE EXTENSION btree_gist;",),
            note="a table created in the same file is empty",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for table, sub, cmd in ctx.existing_alter_commands(node):
            if sub != "AT_AddConstraint":
                continue
            con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
            if con.get("contype") != "CONSTR_EXCLUSION":
                continue
            name = f" `{con['conname']}`" if con.get("conname") else ""
            parts = and_partitions(ctx.schema, table)
            yield self.report(
                f"adding exclusion constraint{name} builds its index and checks every row of "
                f"`{table}`{parts} while holding {LockMode.ACCESS_EXCLUSIVE.describe()}; it has no "
                "NOT VALID or USING INDEX form",
                help="only on a small table with a short lock_timeout; otherwise build a new "
                "table with the constraint and swap",
                at=cmd,
            )
