"""The names PostgreSQL makes up for objects a statement creates without naming them."""

from __future__ import annotations

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
