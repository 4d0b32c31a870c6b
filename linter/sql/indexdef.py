"""An index's definition as PostgreSQL compares it: ATTACH PARTITION, CREATE TABLE ...
PARTITION OF and CREATE INDEX on a partitioned table attach a partition's index of the same
definition (``CompareIndexInfo``) rather than create one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import pgast
from .names import element_name, index_column_names, index_elements
from .pgast import Node

_DEFAULTS = {
    "ordering": "SORTBY_DEFAULT",
    "nulls_ordering": "SORTBY_NULLS_DEFAULT",
}


def _plain(node: Any) -> Any:
    """*node* without source locations (two spellings of one definition compare equal)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if k != "location"}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _element(elem: Node) -> Node:
    return {k: _plain(v) for k, v in elem.items() if _DEFAULTS.get(k) != v and k != "location"}


def signature(
    method: str,
    unique: bool,
    elements: Sequence[Node],
    including: Sequence[Node],
    where: Node | None,
    nulls_not_distinct: bool = False,
) -> str:
    """An index's definition as text: what PostgreSQL compares (``CompareIndexInfo``) to
    attach a partition's index to a partitioned one."""
    return json.dumps(
        [
            method or "btree",
            unique,
            [_element(e) for e in elements],
            [_element(e) for e in including],
            _plain(where) if where else None,
            nulls_not_distinct,
        ],
        sort_keys=True,
    )


def statement_index(fields: Node) -> tuple[tuple[str, ...], str]:
    """``(column names, signature)`` of the index a CREATE INDEX creates."""
    keys = index_elements(fields.get("indexParams"))
    including = index_elements(fields.get("indexIncludingParams"))
    names = index_column_names([element_name(e) for e in (*keys, *including)])
    sig = signature(
        fields.get("accessMethod") or "btree",
        bool(fields.get("unique")),
        keys,
        including,
        fields.get("whereClause"),
        bool(fields.get("nulls_not_distinct")),
    )
    return names, sig


def constraint_index(con: Node, columns: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """``(column names, signature)`` of the index behind a PRIMARY KEY, UNIQUE or EXCLUDE
    constraint on *columns*."""
    if con.get("contype") == "CONSTR_EXCLUSION":
        keys = index_elements(con.get("exclusions"))
        method = con.get("access_method") or "gist"
    else:
        keys = [{"name": c} for c in columns]
        method = "btree"
    including = [{"name": c} for c in pgast.strings(con.get("including"))]
    names = index_column_names([element_name(e) for e in (*keys, *including)])
    unique = con.get("contype") != "CONSTR_EXCLUSION"
    where = con.get("where_clause")
    sig = signature(method, unique, keys, including, where, bool(con.get("nulls_not_distinct")))
    return names, sig
