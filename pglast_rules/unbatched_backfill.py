"""SS055 unbatched-backfill: UPDATE/DELETE of a whole table, or inside a DDL transaction.

"A whole table" is no WHERE, or a WHERE none of whose terms narrows the rows: it only
joins a table of FROM / USING (or a subquery / CTE that reaches every row), or tests a
column IS NULL (with a join, IS NOT NULL too)."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

_HELP = (
    "backfill in batches of a few thousand rows (e.g. WHERE id > last_id ORDER BY id LIMIT "
    "n in a loop), each batch in its own transaction, in a migration without DDL"
)


def _fields(node: Node | None, kind: str) -> Node:
    """The fields of *node*, wrapped in *kind* or not (pglast leaves some unwrapped)."""
    if not isinstance(node, dict):
        return {}
    inner = node.get(kind)
    return inner if isinstance(inner, dict) else node


def _alias(item: Node) -> str | None:
    name = _fields(item.get("alias"), "Alias").get("aliasname")
    return name if isinstance(name, str) else None


def _whole(select: Node) -> bool:
    """A joined subquery or CTE reaches (about) every row: it aggregates per key (GROUP BY)
    or its WHERE narrows nothing (absent, or only joins and IS [NOT] NULL tests)."""
    select = pgast.unwrap(select, "SelectStmt")
    if not select:
        return False
    where = select.get("whereClause")
    if select.get("groupClause") or where is None:
        return True
    for term in pgast.conjuncts(where):
        expr = pgast.unwrap(term, "A_Expr")
        columns = bool(expr) and pgast.strings(expr.get("name")) == ("=",)
        for side in ("lexpr", "rexpr") if columns else ():
            columns = columns and _qualifier(expr.get(side) or {}) is not None
        if not (pgast.unwrap(term, "NullTest") or columns):
            return False
    return True


def _from_items(items: list[Node]) -> Iterator[Node]:
    """The tables and subqueries of a FROM list, through its JOINs (not inside subqueries)."""
    for item in items:
        join = item.get("JoinExpr")
        if isinstance(join, dict):
            yield from _from_items([join.get("larg") or {}, join.get("rarg") or {}])
        else:
            yield item


def _joined(fields: Node) -> dict[str, str]:
    """Name or alias -> what to call it, for each table that ``UPDATE ... FROM`` /
    ``DELETE ... USING`` joins and that reaches about every row (a table, or a subquery /
    CTE that narrows nothing, see :func:`_whole`)."""
    ctes: dict[str, Node] = {}
    for cte in _fields(fields.get("withClause"), "WithClause").get("ctes") or ():
        body = pgast.unwrap(cte, "CommonTableExpr")
        ctes[str(body.get("ctename", ""))] = body.get("ctequery") or {}
    found: dict[str, str] = {}
    for sub in _from_items(fields.get("fromClause") or fields.get("usingClause") or []):
        table, query = sub.get("RangeVar"), sub.get("RangeSubselect")
        if isinstance(table, dict):
            name = str(table.get("relname", ""))
            if name in ctes and not _whole(ctes[name]):
                continue
            names = [name, _alias(table)]
        elif isinstance(query, dict) and _whole(query.get("subquery") or {}):
            names = [_alias(query)]
        else:
            continue
        shown = names[0] or names[-1] or ""
        found.update((n, shown) for n in names if n)
    return found


def _qualifier(expr: Node) -> str | None:
    """The table a column reference names (``""``: none), or ``None`` for anything else."""
    ref = pgast.unwrap(expr, "ColumnRef")
    if not ref:
        return None
    names = pgast.strings(ref.get("fields"))
    return names[-2] if len(names) >= 2 else ""


def _join(term: Node, joined: dict[str, str]) -> str | None:
    """The joined table when *term* is ``a.x = b.y`` between the target and a table of
    FROM / USING (see :func:`_joined`), else ``None``."""
    expr = pgast.unwrap(term, "A_Expr")
    if not expr or expr.get("kind") != "AEXPR_OP" or pgast.strings(expr.get("name")) != ("=",):
        return None
    left, right = _qualifier(expr.get("lexpr") or {}), _qualifier(expr.get("rexpr") or {})
    if left is None or right is None or left == right:
        return None
    return joined.get(left) or joined.get(right)


def broad_where(where: Node, fields: Node) -> str | None:
    """What the WHERE of the UPDATE / DELETE *fields* does when none of its terms narrows
    the rows (each only joins a table of FROM / USING that reaches every row, or tests a
    column IS [NOT] NULL), else ``None``."""
    joined = _joined(fields)
    joins: set[str] = set()
    tests: list[str] = []
    for term in pgast.conjuncts(where):
        test = pgast.unwrap(term, "NullTest")
        column = pgast.strings(pgast.unwrap(test.get("arg") or {}, "ColumnRef").get("fields"))
        table = _join(term, joined)
        if test and column:
            null = "IS NULL" if test.get("nulltesttype") == "IS_NULL" else "IS NOT NULL"
            tests.append(f"`{column[-1]}` {null}")
        elif table is not None:
            joins.add(table)
        else:
            return None
    if not joins and any(t.endswith("IS NOT NULL") for t in tests):
        return None  # rows that have a value: usually a subset (the local site, the linked rows)
    parts = [f"only joins {', '.join(f'`{t}`' for t in sorted(joins))}"] if joins else []
    if tests:
        parts.append(("and tests " if joins else "only tests ") + " and ".join(tests))
    if joins:
        return " ".join(parts) + " changes every row with a match (in a backfill, usually all)"
    set_columns = {
        str(pgast.unwrap(t, "ResTarget").get("name")) for t in fields.get("targetList") or ()
    }
    if any(t.split("`")[1] in set_columns and t.endswith(" IS NULL") for t in tests):
        return " ".join(parts) + " fills every NULL it sets (after ADD COLUMN, every row)"
    return " ".join(parts) + " changes every row that matches, with nothing to bound the batch"


class UnbatchedBackfill(Rule):
    code = "SS055"
    name = "unbatched-backfill"
    summary = "An UPDATE or DELETE of a whole table, or one run inside a DDL transaction"
    # (a WHERE that only joins or tests IS NULL counts as none: see the module docstring)
    why = (
        "An UPDATE or DELETE without WHERE, or whose WHERE only joins another table (`UPDATE "
        "t SET x = s.y FROM s WHERE t.id = s.t_id`) or only tests IS NULL (`WHERE x IS NULL` "
        "after ADD COLUMN), changes every row in one transaction: each row stays "
        "locked until commit (concurrent writes to it wait), the table bloats with dead rows, "
        "and the WAL burst delays replicas. Run in the same transaction as DDL, it also keeps "
        "the DDL's locks (often AccessExclusiveLock) for as long as the data change takes."
    )
    safe_alternative = (
        "Backfill in small batches (a few thousand rows by primary-key range), each in its "
        "own transaction, from a migration that contains no DDL (or a background job), "
        "pausing between batches."
    )
    lock = LockMode.ROW_EXCLUSIVE
    severity = Severity.WARNING
    node_types = ("UpdateStmt", "DeleteStmt")
    examples = (
        Bad(
            "UPDATE accounts SET plan = 'free';",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
        ),
        Bad("DELETE FROM sessions;"),
        Bad(
            "UPDATE orders SET plan = a.plan FROM accounts a WHERE orders.account_id = a.id;",
            history=(
                "CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",
                "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, plan text);",
            ),
            note="a join matches every order that has an account: all of them",
        ),
        Bad(
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
            note="after ADD COLUMN plan, every row is NULL",
        ),
        Bad(
            "BEGIN;\nALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;\nCOMMIT;",
            note="the AccessExclusiveLock of the ALTER is held until the UPDATE finishes",
        ),
        Bad(
            "ALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL;",
            settings={"assume_in_transaction": True},
            note="the runner wraps the file in one transaction",
        ),
        Good(
            "UPDATE accounts SET plan = 'free' WHERE id BETWEEN 1 AND 5000;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
        ),
        Good(
            "UPDATE accounts SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 5000;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
            note="one batch",
        ),
        Good(
            "CREATE TABLE plans (id bigint, name text);\nUPDATE plans SET name = lower(name);",
            note="a table created in the same file is empty",
        ),
        Good(
            "BEGIN;\nCREATE TABLE plans (id bigint, name text);\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;\nCOMMIT;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, plan text);",),
            note="the only DDL created a new table: it locks nothing anyone uses",
        ),
        Good(
            "ALTER TABLE accounts ADD COLUMN plan text;\n"
            "UPDATE accounts SET plan = 'free' WHERE id < 1000;",
            history=("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",),
            note="without a transaction the ALTER's lock is gone before the UPDATE starts",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node:
            return  # inside a rule action or a CTE: not a statement of its own
        kind = pgast.kind(node)
        fields = node[kind]
        table = pgast.relation_name(fields.get("relation"))
        if not table or ctx.is_new(table) or pgast.is_catalog(table):
            return
        verb = "UPDATE" if kind == "UpdateStmt" else "DELETE"
        held = (
            ctx.strongest_existing(ctx.tx.held, (table,))
            if ctx.tx.in_transaction and ctx.tx.ddl
            else None
        )
        if not fields.get("whereClause"):
            extra = (
                f", while the transaction holds {held[1].describe()} on `{held[0]}`" if held else ""
            )
            yield self.report(
                f"{verb} without WHERE changes every row of `{table}` in one transaction: rows "
                f"stay locked until commit, and the table bloats{extra}",
                help=_HELP,
            )
        elif (broad := broad_where(fields["whereClause"], fields)) is not None:
            extra = (
                f", while the transaction holds {held[1].describe()} on `{held[0]}`" if held else ""
            )
            yield self.report(
                f"{verb} on `{table}` whose WHERE {broad}, in one transaction: rows stay "
                f"locked until commit, and the table bloats{extra}",
                help=_HELP,
            )
        elif held:
            yield self.report(
                f"{verb} on `{table}` runs in the same transaction as DDL: "
                f"{held[1].describe()} on `{held[0]}` stays held until it finishes",
                help=_HELP,
            )
