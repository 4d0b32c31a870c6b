"""SS053 create-trigger-on-existing-table: CREATE TRIGGER on a table already in use."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import and_partitions
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_FUNC = (
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;"
)


class CreateTriggerOnExistingTable(Rule):
    code = "SS053"
    name = "create-trigger-on-existing-table"
    summary = "CREATE TRIGGER blocks writes to the table and changes how every write behaves"
    why = (
        "CREATE TRIGGER takes a ShareRowExclusiveLock on the table: INSERT, UPDATE and DELETE "
        "wait for it, and it waits for every running write transaction first, while the writes "
        "queued behind it pile up. From then on the trigger function runs inside every "
        "matching write of the running application: extra work per row, new failure modes, "
        "and different results for code that was not written with the trigger in mind."
    )
    safe_alternative = (
        "Set a short lock_timeout before the statement and retry on timeout; make sure the "
        "trigger function is cheap, cannot fail on existing data and is correct for the code "
        "currently deployed; add the trigger in its own small transaction."
    )
    lock = LockMode.SHARE_ROW_EXCLUSIVE
    severity = Severity.WARNING
    node_types = ("CreateTrigStmt",)
    examples = (
        Bad(
            f"{_FUNC}\nCREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION touch();"
        ),
        Bad(
            "CREATE OR REPLACE TRIGGER accounts_touch BEFORE UPDATE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION touch();",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, updated_at timestamptz);",
                _FUNC,
            ),
            note="replacing a trigger changes write behaviour just the same",
        ),
        Good(
            f"CREATE TABLE accounts (id bigint, updated_at timestamptz);\n{_FUNC}\n"
            "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts "
            "FOR EACH ROW EXECUTE FUNCTION touch();",
            note="a table created in the same file has no writers yet",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        table = pgast.relation_name(fields.get("relation"))
        if not table or ctx.is_new(table):
            return
        mode = ctx.effects.locks.get(table, LockMode.SHARE_ROW_EXCLUSIVE)
        trigger = fields.get("trigname", "")
        # a row trigger is cloned onto each partition; a statement trigger stays on the parent
        parts = and_partitions(ctx.schema, table) if fields.get("row") else ""
        yield self.report(
            f"CREATE TRIGGER `{trigger}` takes {mode.describe()} on existing table "
            f"`{table}`{parts}, and from then on runs inside every matching write of the "
            "running code",
            help=(
                "set a short lock_timeout and retry; keep the trigger function cheap and "
                "correct for the code already deployed"
            ),
        )
