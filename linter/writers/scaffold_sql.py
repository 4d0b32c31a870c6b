"""Turning command-line names, types and expressions into SQL that is safe to paste.

Nothing from the command line reaches a template as raw text: identifiers are validated
and double-quoted when needed; types, expressions and conditions are parsed with the
PostgreSQL grammar (pglast), must be exactly one of what they claim to be, and are printed
back from the parse tree. ``x; DROP TABLE y`` becomes the single identifier
``"x; DROP TABLE y"``, and ``1); DROP TABLE y; --`` is refused as an expression.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pglast import keywords, parse_sql
from pglast.parser import ParseError, parse_sql_json
from pglast.stream import RawStream

from ..sql import pgast
from ..util.records import record

MAX_IDENT_BYTES = 63  # NAMEDATALEN - 1
_SIMPLE = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = frozenset(
    keywords.RESERVED_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS | keywords.COL_NAME_KEYWORDS
)
_QUOTED_PART = r'"(?:[^"]|"")+"'
_BARE_PART = r"[A-Za-z_][A-Za-z0-9_$]*"
_QUALIFIED = re.compile(
    rf"^(?P<schema>{_QUOTED_PART}|{_BARE_PART})\.(?P<name>{_QUOTED_PART}|{_BARE_PART})$"
)
_ONE_QUOTED = re.compile(rf"^{_QUOTED_PART}$")


class InvalidInput(ValueError):
    """A name, type or expression given on the command line is not acceptable."""


def check_identifier(name: str, what: str = "name") -> str:
    if not name:
        raise InvalidInput(f"{what} is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput(f"{what} {name!r} contains a control character (newline, tab...)")
    if len(name.encode("utf-8")) > MAX_IDENT_BYTES:
        raise InvalidInput(
            f"{what} {name!r} is longer than PostgreSQL's {MAX_IDENT_BYTES}-byte identifier limit"
        )
    return name


def quote_ident(name: str, what: str = "name") -> str:
    """*name* as one SQL identifier: bare when that reads back the same, else double-quoted."""
    check_identifier(name, what)
    if _SIMPLE.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    if "\x00" in value:
        raise InvalidInput(f"{value!r} contains a NUL character")
    return "'" + value.replace("'", "''") + "'"


def _unquote(part: str) -> str:
    if part.startswith('"'):
        return part[1:-1].replace('""', '"')
    return part.lower()


@record
class Name:
    """A possibly schema-qualified object name from the command line."""

    schema: str | None
    name: str

    @property
    def sql(self) -> str:
        tail = quote_ident(self.name)
        return f"{quote_ident(self.schema)}.{tail}" if self.schema else tail

    def sibling(self, name: str) -> Name:
        """Another object (index, constraint...) in the same schema."""
        return Name(self.schema, name)

    @property
    def literal(self) -> str:
        """The name as a string literal for ``to_regclass`` and friends."""
        return quote_literal(self.sql)

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


def parse_name(text: str, what: str = "table") -> Name:
    """``accounts``, ``billing.accounts``, ``"Odd Name"``; anything else is one identifier."""
    text = text.strip() if text.strip() else text
    match = _QUALIFIED.match(text)
    if match:
        schema = check_identifier(_unquote(match.group("schema")), f"{what} schema")
        return Name(schema, check_identifier(_unquote(match.group("name")), what))
    if _ONE_QUOTED.match(text):
        return Name(None, check_identifier(_unquote(text), what))
    if re.fullmatch(_BARE_PART, text):
        return Name(None, check_identifier(text.lower(), what))
    return Name(None, check_identifier(text, what))


def column_name(text: str) -> str:
    """A column name: quoted forms unquoted, bare names folded to lower case like SQL does."""
    text = text.strip() if text.strip() else text
    if _ONE_QUOTED.match(text):
        return check_identifier(_unquote(text), "column")
    if re.fullmatch(_BARE_PART, text):
        return check_identifier(text.lower(), "column")
    return check_identifier(text, "column")


def derived_name(*parts: str, suffix: str) -> str:
    """``table_col_suffix``, shortened with a hash to fit PostgreSQL's identifier limit."""
    base = "_".join(p for p in parts if p) + f"_{suffix}"
    if len(base.encode("utf-8")) <= MAX_IDENT_BYTES:
        return base
    digest = hashlib.sha1(base.encode("utf-8")).hexdigest()[:8]
    keep = base.encode("utf-8")[: MAX_IDENT_BYTES - len(suffix) - 10].decode("utf-8", "ignore")
    return f"{keep}_{digest}_{suffix}"


def not_null_constraint_name(table: str, column: str, target_version: int) -> str:
    """The constraint added NOT VALID, then validated, to make *column* NOT NULL.

    From PostgreSQL 18 it is the NOT NULL constraint itself, named the way PostgreSQL 18
    names it: ``table_col_not_null``. Before, it is a helper ``CHECK (col IS NOT NULL)`` that
    lets SET NOT NULL skip its scan; it must never hold that name, since PostgreSQL 18 gives
    it to the NOT NULL constraint SET NOT NULL creates while the check still exists (the real
    constraint would become ``..._not_null1``). ``chk`` is none of the labels PostgreSQL ends
    a generated name with (``pkey``, ``key``, ``excl``, ``fkey``, ``check``, ``not_null``),
    nor another sqlsafe suffix, so no generated name can be the helper's.
    """
    suffix = "not_null" if target_version >= 18 else "not_null_chk"
    return derived_name(table, column, suffix=suffix)


def _one_statement(sql: str, what: str, text: str) -> Any:
    try:
        stmts = parse_sql(sql)
    except ParseError as exc:
        raise InvalidInput(f"{what} {text!r} is not valid SQL: {exc.args[0]}") from None
    if len(stmts) != 1:
        raise InvalidInput(f"{what} {text!r} must be a single {what}, not several statements")
    return stmts[0].stmt


def sql_type(text: str) -> str:
    """A column type (``text``, ``numeric(12,2)``, ``varchar(20)[]``), printed back."""
    if not text.strip():
        raise InvalidInput("the column type is empty")
    stmt = _one_statement(f"CREATE TABLE _sqlsafe_probe (_c {text})", "type", text)
    elts: list[Any] = list(getattr(stmt, "tableElts", None) or ())
    if type(stmt).__name__ != "CreateStmt" or len(elts) != 1:
        raise InvalidInput(f"type {text!r} is not a single column type")
    coldef = elts[0]
    if type(coldef).__name__ != "ColumnDef" or coldef.constraints or coldef.collClause:
        raise InvalidInput(f"type {text!r} is not a plain type (constraints go in options)")
    return str(RawStream()(coldef.typeName))


def _select_target(text: str, what: str) -> Any:
    if not text.strip():
        raise InvalidInput(f"the {what} is empty")
    stmt = _one_statement(f"SELECT {text}", what, text)
    if type(stmt).__name__ != "SelectStmt":
        raise InvalidInput(f"{what} {text!r} is not an expression")
    extra = ("fromClause", "whereClause", "groupClause", "havingClause", "sortClause")
    targets: list[Any] = list(stmt.targetList or ())
    if len(targets) != 1 or any(getattr(stmt, f, None) for f in extra):
        raise InvalidInput(f"{what} {text!r} must be one expression")
    if targets[0].name or getattr(stmt, "limitCount", None) or stmt.intoClause:
        raise InvalidInput(f"{what} {text!r} must be one expression")
    return targets[0].val


def expression(text: str, what: str = "expression") -> str:
    """One SQL expression, printed back from its parse tree."""
    return str(RawStream()(_select_target(text, what)))


def expression_node(text: str, what: str = "expression") -> Any:
    return _select_target(text, what)


def condition(text: str) -> str:
    return expression(text, "condition")


def assignments(text: str) -> list[tuple[str, str]]:
    """``col = expr[, col2 = expr2]`` as (column, expression) pairs, printed back."""
    if not text.strip():
        raise InvalidInput("the assignment is empty")
    stmt = _one_statement(f"UPDATE _sqlsafe_probe SET {text}", "assignment", text)
    if type(stmt).__name__ != "UpdateStmt" or stmt.whereClause or stmt.fromClause:
        raise InvalidInput(f"assignment {text!r} must look like `column = expression`")
    if getattr(stmt, "returningClause", None) or getattr(stmt, "returningList", None):
        raise InvalidInput(f"assignment {text!r} must look like `column = expression`")
    out: list[tuple[str, str]] = []
    for target in stmt.targetList or ():
        if getattr(target, "indirection", None):
            raise InvalidInput(f"assignment {text!r}: assign whole columns only")
        if type(target.val).__name__ == "MultiAssignRef":
            raise InvalidInput(f"assignment {text!r}: assign one column at a time")
        out.append((check_identifier(target.name, "column"), str(RawStream()(target.val))))
    return out


def volatile_call(text: str) -> str | None:
    """The call that makes a default volatile (as the linter judges it), else None."""
    expression_node(text, "default")  # validates
    tree = json.loads(parse_sql_json(f"SELECT {text}"))
    select = pgast.unwrap(tree["stmts"][0]["stmt"], "SelectStmt")
    target = pgast.unwrap(select["targetList"][0], "ResTarget")
    return pgast.volatile_call(target.get("val"))


_REF = re.compile(r"^(?P<table>.+?)\s*\(\s*(?P<column>[^()]+?)\s*\)$")


def reference(text: str) -> tuple[Name, str]:
    """``TABLE(COLUMN)`` for a foreign key target."""
    match = _REF.match(text.strip())
    if not match:
        raise InvalidInput(f"reference {text!r} must look like TABLE(COLUMN)")
    return parse_name(match.group("table"), "referenced table"), column_name(match.group("column"))


def dollar_quote(body: str, tag: str = "sqlsafe") -> tuple[str, str]:
    """An opening/closing ``$tag$`` pair that does not occur in *body*."""
    n = 0
    while True:
        candidate = f"${tag}{n or ''}$"
        if candidate not in body:
            return candidate, candidate
        n += 1


def lock_timeout_value(text: str) -> str:
    """Validate a timeout such as ``2s``, ``500ms``, ``1min`` or ``2000``."""
    from ..inputs.config import duration_problem

    value = str(text).strip()
    problem = duration_problem(value)
    if problem is not None:
        raise InvalidInput(f"timeout {text!r} {problem}")
    return value
