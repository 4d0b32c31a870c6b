"""Reading an Alembic revision without alembic: the SQL plain from its source.

When alembic cannot be imported or a revision cannot run offline, ``upgrade()`` and
``downgrade()`` are read with :mod:`ast`: the SQL string literals of ``op.execute(...)``
(also inside ``sa.text(...)``), and the operations whose SQL follows from literal
arguments: ``create_table``, ``create_index`` (``postgresql_concurrently``),
``drop_index``, ``add_column`` (type, ``nullable``, a literal ``server_default``),
``drop_column``, ``alter_column`` (``new_column_name``, ``type_``, ``nullable``),
``create_foreign_key``, ``create_unique_constraint``, ``create_check_constraint``,
``drop_constraint``, ``drop_table`` and ``rename_table``, also on a ``batch_op`` of
``op.batch_alter_table(...)``.  An operation whose arguments are not literals is left out
(sqlsafe says the revision was read statically; it does not guess).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from . import pyast
from .pyast import UNKNOWN, Arguments
from .rendered import Chunk

_SIMPLE = re.compile(r"^[a-z_][a-z0-9_$]*$")

# SQLAlchemy type names -> PostgreSQL types (what the PostgreSQL dialect renders)
_TYPES: dict[str, str] = {
    "Integer": "INTEGER",
    "INTEGER": "INTEGER",
    "SmallInteger": "SMALLINT",
    "SMALLINT": "SMALLINT",
    "BigInteger": "BIGINT",
    "BIGINT": "BIGINT",
    "Boolean": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "Text": "TEXT",
    "TEXT": "TEXT",
    "UnicodeText": "TEXT",
    "Date": "DATE",
    "DATE": "DATE",
    "Time": "TIME WITHOUT TIME ZONE",
    "Interval": "INTERVAL",
    "Float": "FLOAT",
    "Double": "DOUBLE PRECISION",
    "DOUBLE_PRECISION": "DOUBLE PRECISION",
    "REAL": "REAL",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "UUID": "UUID",
    "Uuid": "UUID",
    "LargeBinary": "BYTEA",
    "BYTEA": "BYTEA",
    "INET": "INET",
    "CIDR": "CIDR",
    "TSVECTOR": "TSVECTOR",
}


_SERIAL = {"INTEGER": "SERIAL", "BIGINT": "BIGSERIAL", "SMALLINT": "SMALLSERIAL"}


def _quote(name: str) -> str:
    from pglast.keywords import RESERVED_KEYWORDS

    if _SIMPLE.match(name) and name not in RESERVED_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _table(name: str, schema: Any = None) -> str:
    if isinstance(schema, str) and schema:
        return f"{_quote(schema)}.{_quote(name)}"
    return _quote(name)


def _literal_sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _type(node: ast.AST | None) -> str | None:
    """The PostgreSQL type of a SQLAlchemy type expression (``sa.String(50)``), or None."""
    if node is None:
        return None
    call = node if isinstance(node, ast.Call) else None
    name = pyast.dotted(call.func if call is not None else node).split(".")[-1]
    args = Arguments.of(call) if call is not None else Arguments((), {})
    if name in ("String", "VARCHAR", "Unicode"):
        length = args.value(0, "length")
        return f"VARCHAR({length})" if isinstance(length, int) else "VARCHAR"
    if name in ("CHAR",):
        length = args.value(0, "length")
        return f"CHAR({length})" if isinstance(length, int) else "CHAR"
    if name in ("Numeric", "NUMERIC", "DECIMAL"):
        precision, scale = args.value(0, "precision"), args.value(1, "scale")
        if isinstance(precision, int) and isinstance(scale, int):
            return f"NUMERIC({precision}, {scale})"
        return f"NUMERIC({precision})" if isinstance(precision, int) else "NUMERIC"
    if name in ("DateTime", "TIMESTAMP"):
        zone = args.value(0, "timezone", False) is True
        return "TIMESTAMP WITH TIME ZONE" if zone else "TIMESTAMP WITHOUT TIME ZONE"
    if name == "ARRAY":
        inner = _type(args.node(0, "item_type"))
        return f"{inner}[]" if inner else None
    return _TYPES.get(name)


def _default(node: ast.AST | None) -> str | None:
    """A ``server_default`` as SQL: a string is quoted (as SQLAlchemy does), ``text()`` is
    taken as is, ``sa.func.now()`` called; None when it cannot be read."""
    if node is None:
        return None
    value = pyast.literal(node)
    if isinstance(value, str):
        return _literal_sql(value)
    if isinstance(node, ast.Call):
        name = pyast.dotted(node.func)
        if name.split(".")[-1] == "text" and node.args:
            text = pyast.literal(node.args[0])
            return text if isinstance(text, str) else None
        if ".func." in f".{name}" and not node.args:
            return f"{name.split('.')[-1]}()"
    return None


class _Column:
    """An ``sa.Column(...)`` read from literals."""

    def __init__(self, call: ast.Call) -> None:
        args = Arguments.of(call)
        positional = list(call.args)
        name = pyast.literal(positional[0]) if positional else args.value(-1, "name")
        self.name: str | None = name if isinstance(name, str) else None
        type_node = positional[1] if len(positional) > 1 else args.keywords.get("type_")
        # (a type sqlsafe does not know, an Enum, a custom type: read as text, so that the
        # table exists for the model; no rule judges a text column's type)
        self.type = _type(type_node) or ("TEXT" if type_node is not None else None)
        self.primary_key = args.value(-1, "primary_key", False) is True
        self.autoincrement = args.value(-1, "autoincrement", "auto") is not False
        nullable = args.value(-1, "nullable", not self.primary_key)
        self.nullable: bool | None = nullable if isinstance(nullable, bool) else None
        default = args.keywords.get("server_default")
        self.has_default = default is not None and pyast.literal(default) is not None
        self.default = _default(default) if self.has_default else None
        self.references: str | None = None
        for extra in positional[2:]:
            if isinstance(extra, ast.Call) and pyast.dotted(extra.func).endswith("ForeignKey"):
                target = pyast.literal(extra.args[0]) if extra.args else UNKNOWN
                if isinstance(target, str) and "." in target:
                    table, column = target.rsplit(".", 1)
                    self.references = f"{_quote(table)} ({_quote(column)})"

    @property
    def readable(self) -> bool:
        return bool(self.name and self.type and self.nullable is not None) and not (
            self.has_default and self.default is None
        )

    def sql(self) -> str:
        assert self.name is not None and self.type is not None
        parts = [_quote(self.name), self.type]
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if not self.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)


def _columns(node: ast.AST | None) -> list[str] | None:
    value = pyast.literal(node)
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, tuple) or not value or not all(isinstance(v, str) for v in value):
        return None
    return [_quote(v) for v in value]


def _index_columns(node: ast.AST | None) -> str | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = []
        for item in node.elts:
            value = pyast.literal(item)
            if isinstance(value, str):
                parts.append(_quote(value))
            elif isinstance(item, ast.Call) and pyast.dotted(item.func).endswith("text"):
                text = pyast.literal(item.args[0]) if item.args else UNKNOWN
                if not isinstance(text, str):
                    return None
                parts.append(text)
            else:
                return None
        return ", ".join(parts) or None
    cols = _columns(node)
    return ", ".join(cols) if cols else None


# ------------------------------------------------------------------------- operations
Op = Callable[[Arguments, "str | None", Any], "str | None"]


def _create_index(a: Arguments, table: str | None, schema: Any) -> str | None:
    offset = 0 if table is None else -1  # batch_op.create_index(name, columns)
    name = a.value(0, "index_name")
    table = table if table is not None else a.value(1, "table_name")
    cols = _index_columns(a.node(2 + offset, "columns"))
    if not isinstance(table, str) or cols is None:
        return None
    schema = a.value(-1, "schema", schema)
    unique = "UNIQUE " if a.value(-1, "unique", False) is True else ""
    concurrently = " CONCURRENTLY" if a.value(-1, "postgresql_concurrently") is True else ""
    named = f" {_quote(name)}" if isinstance(name, str) else ""
    return f"CREATE {unique}INDEX{concurrently}{named} ON {_table(table, schema)} ({cols})"


def _drop_index(a: Arguments, table: str | None, schema: Any) -> str | None:
    name = a.value(0, "index_name")
    if not isinstance(name, str):
        return None
    schema = a.value(-1, "schema", schema)
    concurrently = " CONCURRENTLY" if a.value(-1, "postgresql_concurrently") is True else ""
    return f"DROP INDEX{concurrently} {_table(name, schema)}"


def _add_column(a: Arguments, table: str | None, schema: Any) -> str | None:
    offset = 0 if table is None else -1
    table = table if table is not None else a.value(0, "table_name")
    column = a.node(1 + offset, "column")
    if not isinstance(table, str) or not isinstance(column, ast.Call):
        return None
    col = _Column(column)
    if not col.readable:
        return None
    sql = f"ALTER TABLE {_table(table, a.value(-1, 'schema', schema))} ADD COLUMN {col.sql()}"
    if col.references:
        sql += f" REFERENCES {col.references}"
    return sql


def _column_target(a: Arguments, table: str | None, schema: Any) -> tuple[str, str] | None:
    """("ALTER TABLE t", column) of ``drop_column`` / ``alter_column`` (``table_name``,
    ``column_name``; no table name on a ``batch_op``)."""
    offset = 0 if table is None else -1
    table = table if table is not None else a.value(0, "table_name")
    column = a.value(1 + offset, "column_name")
    if not isinstance(table, str) or not isinstance(column, str):
        return None
    return f"ALTER TABLE {_table(table, a.value(-1, 'schema', schema))}", column


def _drop_column(a: Arguments, table: str | None, schema: Any) -> str | None:
    found = _column_target(a, table, schema)
    return None if found is None else f"{found[0]} DROP COLUMN {_quote(found[1])}"


def _alter_column(a: Arguments, table: str | None, schema: Any) -> str | None:
    found = _column_target(a, table, schema)
    if found is None:
        return None
    target, column = found
    out: list[str] = []
    nullable = a.value(-1, "nullable")
    if nullable is False:
        out.append(f"{target} ALTER COLUMN {_quote(column)} SET NOT NULL")
    elif nullable is True:
        out.append(f"{target} ALTER COLUMN {_quote(column)} DROP NOT NULL")
    if "server_default" in a.keywords:
        default = _default(a.keywords["server_default"])
        if pyast.literal(a.keywords["server_default"]) is None:
            out.append(f"{target} ALTER COLUMN {_quote(column)} DROP DEFAULT")
        elif default is not None:
            out.append(f"{target} ALTER COLUMN {_quote(column)} SET DEFAULT {default}")
    if "type_" in a.keywords:
        new_type = _type(a.keywords["type_"])
        if new_type is not None:
            out.append(f"{target} ALTER COLUMN {_quote(column)} TYPE {new_type}")
    new_name = a.value(-1, "new_column_name")
    if isinstance(new_name, str):
        out.append(f"{target} RENAME COLUMN {_quote(column)} TO {_quote(new_name)}")
    return "; ".join(out) or None


def _create_foreign_key(a: Arguments, table: str | None, schema: Any) -> str | None:
    offset = 0 if table is None else -1
    name = a.value(0, "constraint_name")
    source = table if table is not None else a.value(1, "source_table")
    referent = a.value(2 + offset, "referent_table")
    local, remote = (
        _columns(a.node(3 + offset, "local_cols")),
        _columns(a.node(4 + offset, "remote_cols")),
    )
    if not (isinstance(source, str) and isinstance(referent, str) and local and remote):
        return None
    named = f"CONSTRAINT {_quote(name)} " if isinstance(name, str) else ""
    referent_schema = a.value(-1, "referent_schema")
    return (
        f"ALTER TABLE {_table(source, a.value(-1, 'source_schema', schema))} ADD {named}"
        f"FOREIGN KEY ({', '.join(local)}) REFERENCES {_table(referent, referent_schema)} "
        f"({', '.join(remote)})"
    )


def _constrained(a: Arguments, table: str | None, schema: Any) -> tuple[str, str] | None:
    """("ALTER TABLE t", "CONSTRAINT name " or "") for the constraint operations
    (``constraint_name``, ``table_name``, ...; no table name on a ``batch_op``)."""
    name = a.value(0, "constraint_name")
    table = table if table is not None else a.value(1, "table_name")
    if not isinstance(table, str):
        return None
    named = f"CONSTRAINT {_quote(name)} " if isinstance(name, str) else ""
    target = f"ALTER TABLE {_table(table, a.value(-1, 'schema', schema))}"
    return target, named


def _create_unique(a: Arguments, table: str | None, schema: Any) -> str | None:
    found = _constrained(a, table, schema)
    cols = _columns(a.node(2 if table is None else 1, "columns"))
    if found is None or not cols:
        return None
    return f"{found[0]} ADD {found[1]}UNIQUE ({', '.join(cols)})"


def _create_check(a: Arguments, table: str | None, schema: Any) -> str | None:
    found = _constrained(a, table, schema)
    condition = a.value(2 if table is None else 1, "condition")
    if found is None or not isinstance(condition, str):
        return None
    return f"{found[0]} ADD {found[1]}CHECK ({condition})"


def _drop_constraint(a: Arguments, table: str | None, schema: Any) -> str | None:
    found = _constrained(a, table, schema)
    if found is None or not found[1]:
        return None
    return f"{found[0]} DROP {found[1].rstrip()}"


def _create_table(a: Arguments, table: str | None, schema: Any) -> str | None:
    name = a.value(0, "table_name")
    if not isinstance(name, str):
        return None
    parts: list[str] = []
    keys: list[str] = []
    integers: dict[str, tuple[int, str]] = {}  # integer column -> (its part, its type)
    for item in a.positional[1:]:
        if not isinstance(item, ast.Call):
            return None
        kind = pyast.dotted(item.func).split(".")[-1]
        if kind == "Column":
            col = _Column(item)
            if not col.readable or col.name is None:
                return None
            if col.type in _SERIAL and col.autoincrement:
                integers[_quote(col.name)] = (len(parts), col.type)
            parts.append(col.sql())
            if col.primary_key:
                keys.append(_quote(col.name))
            if col.references:
                parts.append(f"FOREIGN KEY ({_quote(col.name)}) REFERENCES {col.references}")
        elif kind == "ForeignKeyConstraint":
            local = _columns(item.args[0] if item.args else None)
            remote = pyast.literal(item.args[1]) if len(item.args) > 1 else None
            if not local or not isinstance(remote, tuple) or len(remote) != len(local):
                return None
            if not all(isinstance(r, str) and "." in r for r in remote):
                return None
            referent = _quote(remote[0].rsplit(".", 1)[0])
            targets = ", ".join(_quote(r.rsplit(".", 1)[1]) for r in remote)
            parts.append(f"FOREIGN KEY ({', '.join(local)}) REFERENCES {referent} ({targets})")
        elif kind == "PrimaryKeyConstraint":
            named = [pyast.literal(c) for c in item.args]
            if not all(isinstance(c, str) for c in named):
                return None
            keys = [_quote(str(c)) for c in named]
        # (other constraints: left out; they do not make a new table's creation unsafe)
    if len(keys) == 1 and keys[0] in integers:  # (SQLAlchemy's autoincrement="auto")
        index, kind = integers[keys[0]]
        parts[index] = parts[index].replace(f"{keys[0]} {kind}", f"{keys[0]} {_SERIAL[kind]}", 1)
    if keys:
        parts.append(f"PRIMARY KEY ({', '.join(keys)})")
    if not parts:
        return None
    target = _table(name, a.value(-1, "schema", schema))
    return f"CREATE TABLE {target} ({', '.join(parts)})"


def _drop_table(a: Arguments, table: str | None, schema: Any) -> str | None:
    name = a.value(0, "table_name")
    if not isinstance(name, str):
        return None
    return f"DROP TABLE {_table(name, a.value(-1, 'schema', schema))}"


def _rename_table(a: Arguments, table: str | None, schema: Any) -> str | None:
    old, new = a.value(0, "old_table_name"), a.value(1, "new_table_name")
    if not isinstance(old, str) or not isinstance(new, str):
        return None
    return f"ALTER TABLE {_table(old, a.value(-1, 'schema', schema))} RENAME TO {_quote(new)}"


OPERATIONS: dict[str, Op] = {
    "create_table": _create_table,
    "create_index": _create_index,
    "drop_index": _drop_index,
    "add_column": _add_column,
    "drop_column": _drop_column,
    "alter_column": _alter_column,
    "create_foreign_key": _create_foreign_key,
    "create_unique_constraint": _create_unique,
    "create_check_constraint": _create_check,
    "drop_constraint": _drop_constraint,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
}


def _names_unwrapped(args: Arguments) -> Arguments:
    """*args* with ``op.f("name")`` (a name not to be converted by a naming convention)
    read as ``"name"``."""

    def unwrap(node: ast.expr) -> ast.expr:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "f"
            and len(node.args) == 1
            and isinstance(pyast.literal(node.args[0]), str)
        ):
            return node.args[0]
        return node

    return Arguments(
        tuple(unwrap(n) for n in args.positional),
        {k: unwrap(v) for k, v in args.keywords.items()},
    )


def _batches(function: ast.FunctionDef) -> dict[str, tuple[str, Any]]:
    """``with op.batch_alter_table("t") as batch_op:`` aliases -> (table, schema)."""
    found: dict[str, tuple[str, Any]] = {}
    for node in ast.walk(function):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call = item.context_expr
            if (
                isinstance(call, ast.Call)
                and pyast.dotted(call.func).endswith("batch_alter_table")
                and isinstance(item.optional_vars, ast.Name)
            ):
                args = Arguments.of(call)
                table = args.value(0, "table_name")
                if isinstance(table, str):
                    found[item.optional_vars.id] = (table, args.value(1, "schema"))
    return found


def _autocommit(function: ast.FunctionDef) -> list[tuple[int, int]]:
    """(first, last line) of each ``with ...autocommit_block():`` body."""
    spans = []
    for node in ast.walk(function):
        if isinstance(node, ast.With) and any(
            isinstance(i.context_expr, ast.Call)
            and isinstance(i.context_expr.func, ast.Attribute)
            and i.context_expr.func.attr == "autocommit_block"
            for i in node.items
        ):
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return spans


def read_function(function: ast.FunctionDef) -> tuple[Chunk, ...]:
    """The SQL of the ``op.*`` calls of *function* that can be read from literals."""
    batches = _batches(function)
    blocks = _autocommit(function)
    out: list[Chunk] = []
    opened: set[tuple[int, int]] = set()
    last_block: tuple[int, int] | None = None
    for call in pyast.calls(function):
        if not isinstance(call.func, ast.Attribute):
            continue
        receiver = pyast.dotted(call.func.value)
        method = call.func.attr
        batch = batches.get(receiver)
        if receiver.split(".")[-1] != "op" and batch is None:
            continue
        block = next((b for b in blocks if b[0] <= call.lineno <= b[1]), None)
        if block != last_block:
            if last_block is not None:
                out.append(Chunk("BEGIN", last_block[1]))
            if block is not None and block not in opened:
                opened.add(block)
                out.append(Chunk("COMMIT", block[0]))
            last_block = block
        args = _names_unwrapped(Arguments.of(call))
        if method == "execute":
            arg = args.node(0, "sqltext")
            if isinstance(arg, ast.Call) and pyast.dotted(arg.func).split(".")[-1] == "text":
                arg = arg.args[0] if arg.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(Chunk(arg.value.strip(), pyast.text_line(arg)))
            continue
        operation = OPERATIONS.get(method)
        if operation is None:
            continue
        table, schema = batch if batch is not None else (None, None)
        sql = operation(args, table, schema)
        if sql is not None:
            out.append(Chunk(sql, call.lineno))
    if last_block is not None:
        out.append(Chunk("BEGIN", last_block[1]))
    return tuple(out)


def static_chunks(
    tree: ast.Module | None, text: str
) -> tuple[tuple[Chunk, ...], tuple[Chunk, ...] | None]:
    """The (upgrade, downgrade) chunks of a revision read statically."""
    if tree is None:
        tree = pyast.parse(text)
    if tree is None:
        return (), None
    up = pyast.function(tree, "upgrade")
    down = pyast.function(tree, "downgrade")
    down_chunks = read_function(down) if down is not None else None
    return (read_function(up) if up is not None else ()), (down_chunks or None)
