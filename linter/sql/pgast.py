"""Typed helpers over pglast's JSON parse tree.

All raw field access of parse-tree nodes that more than one rule needs lives here, so a
pglast upgrade touches this module and little else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..util.records import record

Node = Mapping[str, Any]

DEFAULT_SCHEMA = "public"


def kind(node: Node) -> str:
    """The node's type name (``"AlterTableStmt"``...) for a wrapped node."""
    return next(iter(node)) if node else ""


def unwrap(node: Node, expected: str | None = None) -> Node:
    """Fields of a wrapped node ``{"Kind": {...}}``; ``{}`` when it is not *expected*."""
    if not node:
        return {}
    name = next(iter(node))
    if expected is not None and name != expected:
        return {}
    value: Node = node[name]
    return value


def strings(items: Sequence[Node] | None) -> tuple[str, ...]:
    """``[{"String": {"sval": "a"}}, ...]`` -> ``("a", ...)``."""
    out: list[str] = []
    for item in items or ():
        value = item.get("String")
        if value is not None:
            out.append(value.get("sval", ""))
        elif "A_Star" in item:
            out.append("*")
    return tuple(out)


def qualify(schema: str | None, name: str) -> str:
    return f"{schema or DEFAULT_SCHEMA}.{name}"


def relation_name(rangevar: Node | None) -> str:
    """Schema-qualified name of a RangeVar (fields, not wrapped)."""
    if not rangevar:
        return ""
    schema, name = rangevar.get("schemaname"), rangevar.get("relname", "")
    if schema is None and name.startswith("pg_"):
        schema = "pg_catalog"  # searched before the search_path: pg_index is the catalog
    return qualify(schema, name)


def is_catalog(name: str) -> bool:
    """A system catalog or view (``pg_catalog.pg_index``): not application data."""
    return name.startswith(("pg_catalog.", "information_schema."))


def object_name(items: Sequence[Node] | Node) -> str:
    """Schema-qualified name from a ``List`` of ``String`` nodes (DROP objects)."""
    if isinstance(items, Mapping):
        if "List" in items:
            items = items["List"].get("items", [])
        elif "String" in items:
            items = [items]
        elif "TypeName" in items:
            return qualified_type_name(items["TypeName"])
        elif "ObjectWithArgs" in items:  # DROP FUNCTION f(int): the name, not the signature
            items = items["ObjectWithArgs"].get("objname", [])
        else:
            return ""
    names = strings(items)  # type: ignore[arg-type]
    if not names:
        return ""
    if len(names) == 1:
        return qualify(None, names[0])
    return qualify(names[-2], names[-1])


@record
class TypeRef:
    """A column type as written: base name (catalog spelling), modifiers, array depth."""

    name: str
    mods: tuple[int | None, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({','.join('?' if m is None else str(m) for m in self.mods)})" if self.mods else ""
        name = _DISPLAY_NAMES.get(self.name, self.name)
        return f"{name}{mods}{'[]' if self.array else ''}"


_DISPLAY_NAMES = {
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "float4": "real",
    "float8": "double precision",
    "bpchar": "char",
}


_TYPE_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "decimal": "numeric",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "boolean": "bool",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time with time zone": "timetz",
    "time without time zone": "time",
    "bit varying": "varbit",
    "serial4": "serial",
    "serial8": "bigserial",
    "serial2": "smallserial",
}


def type_ref(type_name: Node | None) -> TypeRef | None:
    """TypeName fields -> :class:`TypeRef` (``pg_catalog.varchar(10)`` -> ``varchar(10)``)."""
    if not type_name:
        return None
    names = strings(type_name.get("names"))
    if not names:
        return None
    # (the parser already folds unquoted names to lower case: a quoted "Mood" is not mood)
    base = names[-1] if len(names) == 1 or names[0] == "pg_catalog" else ".".join(names)
    base = _TYPE_ALIASES.get(base, base)
    mods: list[int | None] = []
    for mod in type_name.get("typmods") or ():
        const = unwrap(mod, "A_Const")
        ival = const.get("ival")
        mods.append(ival.get("ival", 0) if isinstance(ival, Mapping) else None)
    return TypeRef(base, tuple(mods), bool(type_name.get("arrayBounds")))


def qualified_type_name(type_name: Node) -> str:
    names = strings(type_name.get("names"))
    if not names:
        return ""
    return qualify(names[-2] if len(names) > 1 else None, names[-1])


@record
class ColumnType:
    """A column type written by CREATE TABLE, ADD COLUMN or ALTER COLUMN ... TYPE."""

    table: str
    column: str
    type_name: Node  # TypeName fields
    action: str  # "CREATE TABLE" | "ADD COLUMN" | "ALTER COLUMN TYPE"


def column_types(node: Node) -> Iterator[ColumnType]:
    """The column types a CreateStmt or a table AlterTableStmt (wrapped) declares."""
    name = kind(node)
    fields = node.get(name) or {}
    if name == "CreateStmt":
        table = relation_name(fields.get("relation"))
        for elt in fields.get("tableElts") or ():
            coldef = unwrap(elt, "ColumnDef")
            if coldef.get("typeName"):
                yield ColumnType(
                    table, coldef.get("colname", ""), coldef["typeName"], "CREATE TABLE"
                )
    elif name == "AlterTableStmt" and is_table_alter(fields):
        table = relation_name(fields.get("relation"))
        for sub, cmd in alter_commands(fields):
            coldef = unwrap(cmd.get("def") or {}, "ColumnDef")
            if not coldef.get("typeName"):
                continue
            if sub == "AT_AddColumn":
                yield ColumnType(table, coldef.get("colname", ""), coldef["typeName"], "ADD COLUMN")
            elif sub == "AT_AlterColumnType":
                yield ColumnType(
                    table, cmd.get("name", ""), coldef["typeName"], "ALTER COLUMN TYPE"
                )


def column_constraints(coldef: Node) -> Iterator[Node]:
    """Constraint fields of a ColumnDef."""
    for item in coldef.get("constraints") or ():
        con = unwrap(item, "Constraint")
        if con:
            yield con


def column_default(coldef: Node) -> Node | None:
    """The DEFAULT expression of a ColumnDef (wrapped), if any."""
    for con in column_constraints(coldef):
        if con.get("contype") == "CONSTR_DEFAULT":
            expr: Node | None = con.get("raw_expr")
            return expr
    raw: Node | None = coldef.get("raw_default")
    return raw


def has_constraint(coldef: Node, contype: str) -> bool:
    return any(con.get("contype") == contype for con in column_constraints(coldef))


def is_not_valid(con: Node) -> bool:
    """A constraint added with NOT VALID (the parser sets ``skip_validation``)."""
    return bool(con.get("skip_validation"))


def option_enabled(options: Sequence[Node] | None, name: str) -> bool:
    """Whether ``DefElem`` option *name* is on: ``(FULL)``, ``(FULL true)``, not ``(FULL off)``."""
    for item in options or ():
        elem = unwrap(item, "DefElem")
        if elem.get("defname") != name:
            continue
        arg = elem.get("arg")
        if arg is None:
            return True
        value = unwrap(arg, "String").get("sval")
        if value is None:
            value = unwrap(arg, "Integer").get("ival", 0)
            return bool(value)
        return str(value).lower() not in ("false", "off", "0", "no")
    return False


def written_identifiers(sql: str) -> Iterator[tuple[str, int]]:
    """``(identifier, offset)`` for every identifier token of *sql*, as written.

    The parse tree cannot be used to measure names: the scanner already cut them to 63 bytes.
    Quoted identifiers are unquoted (``"a""b"`` -> ``a"b``); unquoted ones are lower-cased.
    """
    from pglast import parser as _pg

    try:
        tokens = _pg.scan(sql)
    except Exception:  # a statement the scanner rejects has no reliable identifiers
        return
    for token in tokens:
        if token.name != "IDENT":
            continue
        text = sql[token.start : token.end + 1]
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            yield text[1:-1].replace('""', '"'), token.start
        elif not text.startswith(("U&", "u&")):
            yield text.lower(), token.start


def may_have_identifier_over(sql: str, limit: int) -> bool:
    """Whether *sql* may write an identifier longer than *limit* bytes.

    A cheap pre-check for :func:`written_identifiers` (which runs the scanner): ``False``
    only when no identifier of the (ASCII) text can be that long.
    """
    if not sql.isascii():
        return True
    pattern = _OVER_63 if limit == 63 else _long_identifier(limit)
    return pattern.search(sql) is not None


def _long_identifier(limit: int) -> re.Pattern[str]:
    n = limit + 1
    return re.compile(rf'[A-Za-z0-9_$]{{{n},}}|"(?:[^"]|""){{{n},}}')


_OVER_63 = _long_identifier(63)  # PostgreSQL's NAMEDATALEN - 1


def func_name(call: Node) -> str:
    names = strings(call.get("funcname"))
    return names[-1].lower() if names else ""


def walk(node: Any) -> Iterator[Node]:
    """Every wrapped node below (and including) *node*, depth first.

    Parse trees are decoded JSON: objects are ``dict`` and arrays ``list`` (checked as
    such: an ``isinstance`` test against ``Mapping`` costs several times more)."""
    stack = [node]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        if isinstance(item, dict):
            if len(item) == 1:
                (name, value) = next(iter(item.items()))
                if name[:1].isupper() and isinstance(value, dict):
                    yield item
                    push([v for v in value.values() if isinstance(v, (dict, list))])
                    continue
            push([v for v in item.values() if isinstance(v, (dict, list))])
        elif isinstance(item, list):
            push(reversed(item))


def column_refs(expr: Node) -> set[str]:
    """Unqualified column names referenced anywhere in *expr*."""
    out: set[str] = set()
    for sub in walk(expr):
        ref = unwrap(sub, "ColumnRef")
        if ref:
            names = strings(ref.get("fields"))
            if names:
                out.add(names[-1])
    return out


def conjuncts(expr: Node) -> list[Node]:
    """The terms of *expr* read as ``a AND b AND ...`` (nested ANDs flattened, in order)."""
    both = unwrap(expr, "BoolExpr")
    if both and both.get("boolop") == "AND_EXPR":
        return [term for arg in both.get("args") or () for term in conjuncts(arg)]
    return [expr]


def not_null_tested(term: Node) -> tuple[str, ...]:
    """The column reference's names when *term* is ``col IS NOT NULL``, else ``()``."""
    test = unwrap(term, "NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return ()
    return strings(unwrap(test.get("arg") or {}, "ColumnRef").get("fields"))


def is_null_const(expr: Node) -> bool:
    """*expr* is the constant NULL."""
    return bool(unwrap(expr, "A_Const").get("isnull"))


def not_null_check_column(expr: Node | None) -> str | None:
    """``col IS NOT NULL`` (possibly ANDed with more) -> ``col``: the proof PG12 accepts
    (a conjunction implies each of its terms)."""
    for term in conjuncts(expr) if expr else ():
        names = not_null_tested(term)
        if names:
            return names[-1]
    return None


def index_columns(index_params: Sequence[Node] | None) -> tuple[str, ...]:
    """Leading plain-column names of an index (expressions end the usable prefix)."""
    cols: list[str] = []
    for param in index_params or ():
        elem = unwrap(param, "IndexElem")
        name = elem.get("name")
        if not name:
            break
        cols.append(name)
    return tuple(cols)


def is_concurrent_drop(node: Node) -> bool:
    """``DROP INDEX CONCURRENTLY``: it waits for the queries that use the index, blocking
    none of them, and takes its AccessExclusiveLock once no query can use the index."""
    fields = node.get("DropStmt")
    return isinstance(fields, Mapping) and bool(fields.get("concurrent"))


def null_filtered(where: Node | None) -> tuple[str, ...]:
    """The columns of a partial index's predicate made only of ``col IS NOT NULL`` tests
    joined by AND (an index the planner can use for ``col = $1``), else ``()``."""
    columns: list[str] = []
    for term in conjuncts(where) if where else ():
        names = not_null_tested(term)
        if len(names) != 1:
            return ()
        columns.append(names[0])
    return tuple(sorted(set(columns)))


def const_value(node: Node | None) -> Any:
    """The Python value of an ``A_Const`` (or a cast of one), else ``None``."""
    if not node:
        return None
    cast = unwrap(node, "TypeCast")
    if cast:
        return const_value(cast.get("arg"))
    const = unwrap(node, "A_Const")
    for key, sub in (("sval", "sval"), ("ival", "ival"), ("fval", "fval"), ("boolval", "boolval")):
        if key in const:
            return const[key].get(sub, 0 if key == "ival" else "")
    return None


# Functions PostgreSQL marks as VOLATILE that migrations use in defaults.  Everything that is
# not a function call (constants, casts, arithmetic of constants) is non-volatile; calls not
# listed here and not in NON_VOLATILE are judged volatile (unknown user functions are).
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "current_timestamp",
        "current_date",
        "current_time",
        "localtimestamp",
        "localtime",
        "transaction_timestamp",
        "statement_timestamp",
        "current_user",
        "session_user",
        "current_schema",
        "lower",
        "upper",
        "coalesce",
        "concat",
        "length",
        "to_timestamp",
        "to_date",
        "to_char",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "array",
        "make_interval",
        "timezone",
        "date_trunc",
        "abs",
        "greatest",
        "least",
        "nullif",
        "md5",
        "replace",
        "trim",
        "substring",
        "left",
        "right",
        "format",
        "current_setting",
        "pg_catalog.now",
        "inet",
        "cidr",
        "int4",
        "int8",
        "text",
        "numeric",
        "array_fill",
        "ceil",
        "floor",
        "round",
        "string_to_array",
        "regexp_replace",
        "to_jsonb",
        "to_json",
        "row",
    }
)


def volatile_call(expr: Node | None) -> str | None:
    """Name of the first function call in *expr* that may be volatile, else ``None``."""
    if not expr:
        return None
    for sub in walk(expr):
        name = kind(sub)
        if name == "FuncCall":
            fname = func_name(sub["FuncCall"])
            if fname not in NON_VOLATILE_FUNCTIONS:
                return fname + "()"
        elif name == "SQLValueFunction":
            continue
        elif name in ("SubLink", "NextValueExpr"):
            return "a subquery" if name == "SubLink" else "nextval()"
    return None


def changes_values(cmd: Node) -> bool:
    """ALTER COLUMN TYPE with a ``USING`` that computes new values (not just ``USING col``)."""
    coldef = unwrap(cmd.get("def") or {}, "ColumnDef")
    using = coldef.get("raw_default")
    if not using:
        return False
    ref = unwrap(using, "ColumnRef")
    names = strings(ref.get("fields")) if ref else ()
    return names != (cmd.get("name"),)


def alter_commands(fields: Node) -> Iterator[tuple[str, Node]]:
    """``(subtype, AlterTableCmd fields)`` of an AlterTableStmt's fields."""
    for item in fields.get("cmds") or ():
        cmd = unwrap(item, "AlterTableCmd")
        if cmd:
            yield cmd.get("subtype", ""), cmd


def is_table_alter(fields: Node) -> bool:
    return fields.get("objtype", "OBJECT_TABLE") in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE")
