"""SS031 prefer-robust-statements: a CREATE INDEX CONCURRENTLY that cannot be retried."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report


class PreferRobustStatements(Rule):
    code = "SS031"
    name = "prefer-robust-statements"
    summary = "CREATE INDEX CONCURRENTLY without IF NOT EXISTS cannot be retried after a failure"
    why = (
        "CREATE INDEX CONCURRENTLY commits in several steps. When it fails (a deadlock, a "
        "lock_timeout, a unique violation, a cancelled deploy) it leaves an INVALID index "
        'under the same name, so running the migration again fails with "relation already '
        "exists\" and the broken index stays, still slowing every write. (squawk's "
        "prefer-robust-stmts also asks for IF [NOT] EXISTS on every statement of a file that "
        "runs outside a transaction; sqlsafe reports only this case, where a failure is "
        "routine and the leftover is invisible, to stay quiet on ordinary DDL.)"
    )
    safe_alternative = (
        "`CREATE INDEX CONCURRENTLY IF NOT EXISTS name ...`, and before retrying after a "
        "failure check `pg_index.indisvalid` and `DROP INDEX CONCURRENTLY` an INVALID "
        "leftover (`sqlsafe new-index` writes both)."
    )
    severity = Severity.WARNING
    aliases = ("prefer-robust-stmts",)
    node_types = ("IndexStmt",)
    examples = (
        Bad("CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"),
        Good("CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx ON accounts (email);"),
        Good(
            "CREATE TABLE accounts (id bigint, email text);\n"
            "CREATE INDEX accounts_email_idx ON accounts (email);",
            note="a plain CREATE INDEX fails without leaving anything behind",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if not fields.get("concurrent") or fields.get("if_not_exists"):
            return
        name = fields.get("idxname")
        if not name:
            return  # an unnamed index gets a fresh name on every run
        yield self.report(
            f"if this build fails it leaves an INVALID index `{name}` behind, and running the "
            "migration again fails on that name",
            help="use CREATE INDEX CONCURRENTLY IF NOT EXISTS, and drop an INVALID leftover "
            "before retrying",
        )
