"""The names PostgreSQL chooses itself for the indexes it creates unasked.

A partitioned table's index is cloned onto every partition (at CREATE INDEX, CREATE TABLE
... PARTITION OF and ATTACH PARTITION), each clone named by ``ChooseIndexName`` from the
partition's name and the index's column names (``p1_a_idx``, ``p1_pkey``, ``p1_a_key``,
``p1_lower_idx``, ``p1_expr_idx``), with a number on a collision and truncated to 63 bytes
(``makeObjectName``). Verified on PostgreSQL 18 and 15 (tests/test_partition_indexes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..sql import pgast
from ..sql.pgast import Node

NAME_BYTES = 63  # NAMEDATALEN - 1


def _clip(name: str, limit: int) -> str:
    """*name* cut to at most *limit* bytes of UTF-8, on a character boundary (pg_mbcliplen)."""
    data = name.encode()
    if len(data) <= limit:
        return name
    return data[:limit].decode(errors="ignore")


def make_object_name(name1: str, name2: str | None, label: str) -> str:
    """``makeObjectName``: ``name1_name2_label`` within 63 bytes, the longer name cut first."""
    one, two = len(name1.encode()), len((name2 or "").encode())
    overhead = (1 if name2 is not None else 0) + (len(label.encode()) + 1 if label else 0)
    available = NAME_BYTES - overhead
    while one + two > available:
        if one > two:
            one -= 1
        else:
            two -= 1
    parts = [_clip(name1, one)]
    if name2 is not None:
        parts.append(_clip(name2, two))
    if label:
        parts.append(label)
    return "_".join(parts)


def choose_relation_name(
    name1: str, name2: str | None, label: str, taken: Callable[[str], bool]
) -> str:
    """``ChooseRelationName``: the first of ``..._label``, ``..._label1``, ``..._label2``...
    that *taken* (a relation, or for a constraint's index a constraint, of that name in the
    schema) does not refuse."""
    attempt, tries = label, 0
    while True:
        name = make_object_name(name1, name2, attempt)
        if not taken(name):
            return name
        tries += 1
        attempt = f"{label}{tries}"


def _figure_colname(expr: Node) -> tuple[int, str | None]:
    """``FigureColnameInternal``: how sure (2, 1, 0) and which name PostgreSQL gives an
    expression's column (a column's or function's name, a cast's type, "case"...)."""
    kind = pgast.kind(expr) if expr else ""
    fields = (expr.get(kind) or {}) if kind else {}
    if kind in ("ColumnRef", "FuncCall"):
        names = pgast.strings(fields.get("fields" if kind == "ColumnRef" else "funcname"))
        return (2, names[-1]) if names else (0, None)
    if kind == "TypeCast":
        strength, name = _figure_colname(fields.get("arg") or {})
        names = pgast.strings((fields.get("typeName") or {}).get("names"))
        if strength <= 1 and names:
            return 1, names[-1]
        return strength, name
    if kind == "CollateClause":
        return _figure_colname(fields.get("arg") or {})
    if kind == "A_Expr" and fields.get("kind") == "AEXPR_NULLIF":
        return 2, "nullif"
    if kind == "CaseExpr":
        return 1, "case"
    simple = {"A_ArrayExpr": "array", "RowExpr": "row", "CoalesceExpr": "coalesce"}
    if kind in simple:
        return 2, simple[kind]
    if kind == "MinMaxExpr":
        return 2, "greatest" if fields.get("op") == "IS_GREATEST" else "least"
    return 0, None


def element_name(elem: Node) -> str:
    """The preliminary name of one index element (an ``IndexElem``'s fields)."""
    if elem.get("indexcolname"):
        return str(elem["indexcolname"])
    if elem.get("name"):
        return str(elem["name"])
    return _figure_colname(elem.get("expr") or {})[1] or "expr"


def index_column_names(names: Sequence[str]) -> tuple[str, ...]:
    """``ChooseIndexColumnNames``: a repeated name gets a number (``a``, ``a1``)."""
    out: list[str] = []
    for original in names:
        current, tries = original, 0
        while current in out:
            tries += 1
            suffix = str(tries)
            current = _clip(original, NAME_BYTES - len(suffix)) + suffix
        out.append(current)
    return tuple(out)


def index_elements(params: Sequence[Node] | None) -> list[Node]:
    """The ``IndexElem`` fields of an index's parameters (an EXCLUDE's pairs too)."""
    out = []
    for param in params or ():
        elem = pgast.unwrap(param, "IndexElem")
        if not elem:  # EXCLUDE (elem WITH op): a List of the element and the operator
            items = pgast.unwrap(param, "List").get("items") or ()
            elem = pgast.unwrap(items[0], "IndexElem") if items else {}
        if elem:
            out.append(elem)
    return out


def name_addition(colnames: Sequence[str]) -> str:
    """``ChooseIndexNameAddition``: the column names joined by ``_`` (cut near 63 bytes)."""
    text = ""
    for name in colnames:
        if text:
            text += "_"
        text += _clip(name, NAME_BYTES)
        if len(text.encode()) >= NAME_BYTES:
            break
    return text


def choose_index_name(
    table: str, colnames: Sequence[str], constraint: str, taken: Callable[[str], bool]
) -> str:
    """``ChooseIndexName`` for an index of the table named *table* (unqualified):
    *constraint* is ``primary``, ``unique``, ``exclusion`` or empty for a plain index."""
    if constraint == "primary":
        return choose_relation_name(table, None, "pkey", taken)
    label = {"exclusion": "excl", "unique": "key"}.get(constraint, "idx")
    return choose_relation_name(table, name_addition(colnames), label, taken)
