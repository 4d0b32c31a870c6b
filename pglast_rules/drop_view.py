"""SS048 drop-view: DROP VIEW / DROP MATERIALIZED VIEW of an existing view."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import dropped_existing

_ACCOUNTS = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, active boolean);"
_ACTIVE = "CREATE VIEW active_accounts AS SELECT * FROM accounts WHERE active;"
_KINDS = {"OBJECT_VIEW": "view", "OBJECT_MATVIEW": "materialized view"}


class DropView(Rule):
    code = "SS048"
    name = "drop-view"
    summary = "Dropping a view breaks the queries that still read it"
    why = (
        "DROP VIEW takes an AccessExclusiveLock on the view, and once it commits every query of "
        "the running application that reads the view fails. CASCADE silently drops the views "
        "built on top of it as well. A materialized view's data is lost too."
    )
    safe_alternative = (
        "Stop reading the view in the code and deploy that first, then drop it in a later "
        "migration. To change a definition, use CREATE OR REPLACE VIEW, or drop and create it "
        "again in the same transaction (without CASCADE)."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-view",)
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP VIEW active_accounts;", history=(_ACCOUNTS, _ACTIVE)),
        Bad(
            "DROP MATERIALIZED VIEW daily_totals;",
            history=(
                "CREATE TABLE orders (id bigint PRIMARY KEY, created date, total numeric);",
                "CREATE MATERIALIZED VIEW daily_totals AS "
                "SELECT created AS day, sum(total) AS total FROM orders GROUP BY created;",
            ),
        ),
        Bad(
            "DROP VIEW active_accounts CASCADE;\n"
            "CREATE VIEW active_accounts AS SELECT * FROM accounts WHERE active;",
            history=(_ACCOUNTS, _ACTIVE),
            note="CASCADE also drops dependent views, which may not be created again",
        ),
        Good(
            "CREATE VIEW active_accounts AS SELECT * FROM accounts WHERE active;\n"
            "DROP VIEW active_accounts;",
            history=(_ACCOUNTS,),
            note="a view created in the same file is not used yet",
        ),
        Good(
            "DROP VIEW active_accounts;\n"
            "CREATE VIEW active_accounts AS SELECT id, email FROM accounts WHERE active;",
            history=(_ACCOUNTS, _ACTIVE),
            note="dropped and created again: the definition changes, the name stays",
        ),
        Good(
            "ALTER VIEW active_accounts RENAME TO active_accounts_old;\n"
            "CREATE VIEW active_accounts AS SELECT id FROM accounts WHERE active;\n"
            "DROP VIEW active_accounts_old;",
            history=(_ACCOUNTS, _ACTIVE),
            note="the old definition, renamed out of the way and replaced",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        for drop in dropped_existing(node, ctx, _KINDS):
            if drop.undone or (drop.redefined and not drop.cascade):
                continue
            what, name, cascade = drop.kind, drop.name, drop.cascade
            if drop.redefined:
                yield self.report(
                    f"DROP {what.upper()} `{name}` CASCADE also drops every view built on it; "
                    "the file creates the view again, but not necessarily what depended on it",
                    help="drop the dependent views explicitly (and re-create them), without "
                    "CASCADE",
                    at=drop.node,
                )
                continue
            extra = "; CASCADE also drops every view built on it" if cascade else ""
            yield self.report(
                f"dropping {what} `{name}` takes {LockMode.ACCESS_EXCLUSIVE.describe()} and "
                f"breaks every query that still reads it{extra}",
                help=(
                    "stop using it in the code and deploy first; to change its definition use "
                    "CREATE OR REPLACE VIEW or drop and re-create it in one transaction"
                ),
                at=drop.node,
            )
