"""The names PostgreSQL makes up for objects a statement creates without naming them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import pgast
from .pgast import Node

NAMEDATALEN = 64  # PostgreSQL's: identifiers are cut to NAMEDATALEN - 1 bytes
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def make_object_name(first: str, second: str | None, label: str) -> str:
    """``first_second_label`` cut to 63 bytes the way ``makeObjectName`` cuts it: the
    longer of *first* and *second* loses a byte first, and neither ends inside a
    multibyte character."""
    one = first.encode("utf-8")
    two = (second or "").encode("utf-8")
    overhead = len(label) + 1 + (1 if second is not None else 0)
    available = NAMEDATALEN - 1 - overhead
    n1, n2 = len(one), len(two)
    while n1 + n2 > available:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    parts = [one[:n1].decode("utf-8", "ignore")]
    if second is not None:
        parts.append(two[:n2].decode("utf-8", "ignore"))
    return "_".join([*parts, label])


def regclass_name(text: str) -> tuple[str | None, str] | None:
    """``(schema, name)`` of a ``'regclass'`` literal (``'s'``, ``'public.s'``,
    ``'"Odd"'``), folded as PostgreSQL folds it; None when it is not a name."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            end = i + 1
            quoted: list[str] = []
            while end < n:
                if text[end] == '"':
                    if end + 1 < n and text[end + 1] == '"':
                        quoted.append('"')
                        end += 2
                        continue
                    break
                quoted.append(text[end])
                end += 1
            if end >= n:
                return None
            parts.append("".join(quoted))
            i = end + 1
        else:
            end = text.find(".", i)
            end = n if end < 0 else end
            word = text[i:end].strip()
            if not word:
                return None
            parts.append(word.translate(_ASCII_LOWER))  # (downcase_identifier)
            i = end
        if i < n:
            if text[i] != ".":
                return None
            i += 1
            if i >= n:
                return None
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    return None


def nextval_sequences(expr: Node | None) -> list[str]:
    """The sequences an expression calls ``nextval`` on with a literal name (``nextval('s')``,
    ``nextval('public.s'::regclass)``), schema-qualified as the search path finds them
    (unqualified: ``public``)."""
    found: list[str] = []
    for node in pgast.walk(expr or {}):
        call = node.get("FuncCall") if isinstance(node, dict) else None
        if not isinstance(call, dict):
            continue
        if pgast.strings(call.get("funcname"))[-1:] != ("nextval",):
            continue
        args = call.get("args") or ()
        arg = pgast.unwrap(args[0], "TypeCast").get("arg", args[0]) if args else {}
        text = pgast.unwrap(arg, "A_Const").get("sval")
        literal = text.get("sval") if isinstance(text, dict) else None
        name = regclass_name(literal) if isinstance(literal, str) else None
        if name is not None:
            qualified = pgast.qualify(name[0], name[1])
            if qualified not in found:
                found.append(qualified)
    return found


# -- indexes: the names of a partitioned index's clones on each partition (ChooseIndexName)
def _clip(name: str, limit: int) -> str:
    """*name* cut to at most *limit* bytes of UTF-8, on a character boundary (pg_mbcliplen)."""
    data = name.encode()
    if len(data) <= limit:
        return name
    return data[:limit].decode(errors="ignore")


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
            current = _clip(original, (NAMEDATALEN - 1) - len(suffix)) + suffix
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
        text += _clip(name, (NAMEDATALEN - 1))
        if len(text.encode()) >= (NAMEDATALEN - 1):
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
