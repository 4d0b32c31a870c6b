"""SS121 offset-batch-loop: a batch loop that pages with OFFSET over rows it changes."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.sql.plpgsql import BodyLoop, InnerStatement, control_flow, file_line
from linter.state.context import Context, Report

_ACCOUNTS = ("CREATE TABLE accounts (id bigint PRIMARY KEY, email text);",)


def _loop(where: str, page: str) -> str:
    return (
        "DO $$\nDECLARE page int := 0;\nBEGIN\n  LOOP\n"
        "    UPDATE accounts SET email = lower(email)\n"
        f"     WHERE id IN (SELECT id FROM accounts WHERE {where} ORDER BY id LIMIT 1000{page});\n"
        "    EXIT WHEN NOT FOUND;\n    page := page + 1;\n    COMMIT;\n  END LOOP;\nEND\n$$;"
    )


def _changes(loop: BodyLoop) -> list[tuple[str, frozenset[str] | None]]:
    """(table, columns it sets) for each UPDATE of the loop; ``None`` columns: a DELETE."""
    out: list[tuple[str, frozenset[str] | None]] = []
    for inner in loop.statements:
        update = pgast.unwrap(inner.node, "UpdateStmt")
        delete = pgast.unwrap(inner.node, "DeleteStmt")
        if update:
            columns = frozenset(
                str(pgast.unwrap(t, "ResTarget").get("name", ""))
                for t in update.get("targetList") or ()
            )
            out.append((pgast.relation_name(update.get("relation")), columns))
        elif delete:
            out.append((pgast.relation_name(delete.get("relation")), None))
    return out


def _offset_pages(inner: InnerStatement) -> Iterator[tuple[frozenset[str], frozenset[str]]]:
    """(tables read, columns tested in WHERE) of every SELECT in *inner* paged by an OFFSET
    computed at run time (a constant OFFSET, such as the ``OFFSET 0`` fence, pages nothing)."""
    for sub in pgast.walk(inner.node):
        select = pgast.unwrap(sub, "SelectStmt")
        offset = select.get("limitOffset") if select else None
        if offset is None or not pgast.column_refs(offset):
            continue
        tables = frozenset(
            pgast.relation_name(pgast.unwrap(rv, "RangeVar"))
            for rv in pgast.walk(select.get("fromClause") or [])
            if "RangeVar" in rv
        )
        where = select.get("whereClause")
        yield tables, frozenset(pgast.column_refs(where) if where else ())


class OffsetBatchLoop(Rule):
    code = "SS121"
    name = "offset-batch-loop"
    summary = "A batch loop that pages with OFFSET over rows the loop itself changes"
    why = (
        "A backfill loop that picks each batch with `LIMIT n OFFSET page * n` from the rows "
        "that still match a condition, then changes those rows so that they no longer "
        "match, shrinks the set it pages through: every batch moves the next unprocessed "
        "rows below the new OFFSET, and the loop ends having skipped about half of them "
        "(a DELETE does the same whatever the condition). OFFSET also re-reads every "
        "skipped row on each batch, so the loop slows down as it goes."
    )
    safe_alternative = (
        "Page by key (keyset pagination): remember the last primary key done and select "
        "`WHERE id > last_id ORDER BY id LIMIT n`, as `sqlsafe backfill` writes; or, with "
        "a condition the loop clears, take `LIMIT n` without OFFSET until no row is left."
    )
    severity = Severity.WARNING
    node_types = ("DoStmt",)
    examples = (
        Bad(_loop("email <> lower(email)", " OFFSET page * 1000"), history=_ACCOUNTS),
        Good(_loop("email <> lower(email)", ""), history=_ACCOUNTS, note="no OFFSET"),
        Good(
            _loop("id > 0", " OFFSET page * 1000"),
            history=_ACCOUNTS,
            note="the condition does not depend on what the loop changes: slow, but complete",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if node is not ctx.statement.node:
            return
        for loop in control_flow(node).loops:
            changes = _changes(loop)
            for inner in loop.statements if changes else ():
                for tables, tested in _offset_pages(inner):
                    for table, columns in changes:
                        if table not in tables:
                            continue
                        if columns is None:
                            what = f"the rows of `{table}`, which its DELETE removes"
                        elif columns & tested:
                            names = ", ".join(f"`{c}`" for c in sorted(columns & tested))
                            what = (
                                f"the rows of `{table}` picked by a condition on {names}, "
                                "which its UPDATE changes"
                            )
                        else:
                            continue
                        st = ctx.statement
                        line = file_line(ctx.file.text, st.start, st.end, inner.line)
                        at = f" (line {line})" if line is not None else ""
                        yield self.report(
                            f"this loop pages with OFFSET{at} over {what}: each batch drops "
                            "the rows it did from that set, so the next OFFSET skips as many "
                            "that were never processed",
                            help="page by key instead (keyset pagination: WHERE id > last_id "
                            "ORDER BY id LIMIT n), as `sqlsafe backfill` writes",
                        )
                        return
