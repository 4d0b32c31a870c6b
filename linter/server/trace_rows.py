"""Generated rows for ``sqlsafe trace``: every empty user table gets N rows, so rewrites and
scans are observable. Values are made per column type; foreign keys pick referenced rows;
tables are filled in dependency order. What cannot be generated is skipped and said."""

from __future__ import annotations

from typing import Any

from ..util.records import record
from .trace_db import error_text

_TABLES = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
ORDER BY 3
"""

_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typtype,
       a.atttypid, a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
       t.typelem <> 0 AND t.typcategory = 'A'
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# single-column foreign keys: column -> (referenced table oid, referenced column)
_FKEYS = """
SELECT a.attname, con.confrelid, format('%%I.%%I', n.nspname, r.relname), ra.attname,
       array_length(con.conkey, 1)
FROM pg_constraint con
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE con.contype = 'f' AND con.conrelid = %s
"""


@record
class FillReport:
    filled: tuple[tuple[str, int], ...]  # (table, rows inserted)
    skipped: tuple[tuple[str, str], ...]  # (table, reason)


def _value(name: str, fmt: str, category: str, typtype: str, typoid: int) -> str | None:
    """A SQL expression of ``g`` (the row number) for a column, or None when unknown."""
    base = fmt.split("(")[0].strip()
    if typtype == "e":
        return (
            f"(SELECT enumlabel FROM pg_enum WHERE enumtypid = {typoid} "
            f"ORDER BY enumsortorder LIMIT 1)::{fmt}"
        )
    if base in ("smallint",):
        return "(g % 32000)::smallint"
    if category == "N":
        return f"g::{fmt}"
    if base in ("uuid",):
        return "gen_random_uuid()"
    if base in ("json", "jsonb"):
        return f"json_build_object('n', g)::{fmt}"
    if base in ("boolean",):
        return "(g % 2 = 0)"
    if category == "D":
        return f"(timestamp '2024-01-01' + g * interval '1 minute')::{fmt}"
    if base == "interval":
        return "g * interval '1 second'"
    if category == "S":
        return f"('v' || g)::{fmt}"
    if base == "bytea":
        return "convert_to('v' || g, 'UTF8')"
    if base in ("inet", "cidr"):
        return f"('10.0.0.0'::inet + g)::{fmt}"
    return None


def fill_tables(conn: Any, rows: int, only_empty: bool = True) -> FillReport:
    """Insert *rows* generated rows into every (empty) user table, each in a savepoint."""
    if rows <= 0:
        return FillReport((), ())
    tables = conn.execute(_TABLES).fetchall()
    deps: dict[int, set[int]] = {}
    info: dict[int, tuple[str, str]] = {}
    for oid, quoted, plain in tables:
        info[oid] = (quoted, plain)
        deps[oid] = {ref for _, ref, *_ in conn.execute(_FKEYS, (oid,)).fetchall() if ref != oid}
    order: list[int] = []
    seen: set[int] = set()

    def visit(oid: int, stack: frozenset[int]) -> None:
        if oid in seen or oid in stack or oid not in info:
            return
        for ref in sorted(deps.get(oid, ())):
            visit(ref, stack | {oid})
        seen.add(oid)
        order.append(oid)

    for oid in sorted(info, key=lambda o: info[o][1]):
        visit(oid, frozenset())
    filled: list[tuple[str, int]] = []
    skipped: list[tuple[str, str]] = []
    for oid in order:
        quoted, plain = info[oid]
        if only_empty and conn.execute(f"SELECT EXISTS (SELECT FROM {quoted})").fetchone()[0]:
            continue
        sql, reason = _insert_sql(conn, oid, quoted, rows)
        if sql is None:
            skipped.append((plain, reason))
            continue
        try:
            with conn.transaction():
                cur = conn.execute(sql)
                filled.append((plain, cur.rowcount))
        except Exception as exc:  # a check, unique or partition bound the values miss
            skipped.append((plain, error_text(exc)))
    return FillReport(tuple(filled), tuple(skipped))


def _insert_sql(conn: Any, oid: int, quoted: str, rows: int) -> tuple[str | None, str]:
    fkeys = {
        col: (refq, refcol, ncols)
        for col, _, refq, refcol, ncols in conn.execute(_FKEYS, (oid,)).fetchall()
    }
    names: list[str] = []
    values: list[str] = []
    sources = [f"generate_series(1, {int(rows)}) g"]
    for name, fmt, category, typtype, typoid, notnull, has_default, is_array in conn.execute(
        _COLUMNS, (oid,)
    ).fetchall():
        qname = '"' + name.replace('"', '""') + '"'
        if has_default:
            continue
        expr: str | None
        if name in fkeys:
            refq, refcol, ncols = fkeys[name]
            if ncols != 1 or refq == quoted:
                expr = None
            else:
                qref = '"' + refcol.replace('"', '""') + '"'
                alias = f"f{len(sources)}"
                sources.append(f"(SELECT array_agg({qref}) AS ids FROM {refq}) {alias}")
                expr = f"{alias}.ids[1 + g % NULLIF(cardinality({alias}.ids), 0)]"
        elif is_array:
            expr = f"'{{}}'::{fmt}"
        else:
            expr = _value(name, fmt, category, typtype, typoid)
        if expr is None:
            if notnull:
                return None, f"cannot generate values for column {name} ({fmt})"
            continue
        names.append(qname)
        values.append(expr)
    if not names:
        return f"INSERT INTO {quoted} SELECT FROM {sources[0]}", ""
    return (
        f"INSERT INTO {quoted} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM {', '.join(sources)}"
    ), ""
