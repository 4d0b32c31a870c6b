"""SS106 domain-constraint: ALTER DOMAIN checks every column of the domain, blocking writes."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.effects import domain_check
from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_EMAIL = "CREATE DOMAIN email AS text;\nCREATE TABLE users (id bigint PRIMARY KEY, address email);"


class DomainConstraint(Rule):
    code = "SS106"
    name = "domain-constraint"
    summary = "A new domain constraint is checked against every column of the domain"
    why = (
        "ALTER DOMAIN ... ADD CONSTRAINT (without NOT VALID), SET NOT NULL and VALIDATE "
        "CONSTRAINT read every row of every table with a column of the domain, holding a "
        "ShareLock on each: writes to all of them wait for the scans. Unlike a table's "
        "VALIDATE CONSTRAINT, a domain's takes that ShareLock too."
    )
    safe_alternative = (
        "Add the constraint NOT VALID (new values are checked at once) and run VALIDATE "
        "CONSTRAINT when writes to those tables can wait, or add a CHECK NOT VALID + VALIDATE "
        "on each table instead."
    )
    aliases = ("ban-alter-domain-with-add-constraint",)
    lock = LockMode.SHARE
    scans = True
    node_types = ("AlterDomainStmt",)
    examples = (
        Bad(
            "ALTER DOMAIN email ADD CONSTRAINT email_short CHECK (length(VALUE) < 320);",
            history=(_EMAIL,),
        ),
        Bad(
            "ALTER DOMAIN email SET NOT NULL;",
            history=(_EMAIL, "INSERT INTO users VALUES (1, 'a@b');"),
        ),
        Good(
            "ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%') NOT VALID;",
            history=(_EMAIL,),
            note="NOT VALID: only new values are checked",
        ),
        Good(
            "ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%');",
            history=("CREATE DOMAIN email AS text;",),
            note="no table has a column of the domain",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        what = domain_check(fields)
        if what is None:
            return
        tables = [t for t in ctx.effects.scans if not ctx.is_new(t)]
        if not tables:
            return
        domain = pgast.object_name(fields.get("typeName") or [])
        named = ", ".join(f"`{t}`" for t in tables)
        yield self.report(
            f"{what} on domain `{domain}` scans {named} under "
            f"{LockMode.SHARE.describe()} to check every stored value",
            help="add the constraint NOT VALID and VALIDATE it when writes can wait",
        )
