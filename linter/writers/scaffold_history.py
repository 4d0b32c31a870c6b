"""What the writers read from the history they add to: whether a table is created there,
and the primary key a batched backfill walks."""

from __future__ import annotations

import difflib

from ..lockmodel.schema import Schema, Table
from ..sql import pgast
from .scaffold_sql import InvalidInput, Name, column_name


def _qualified(table: Name) -> str:
    return pgast.qualify(table.schema, table.name)


def table_model(schema: Schema, table: Name) -> Table | None:
    """The history's model of *table* (None: no migration creates it)."""
    model = schema.table(_qualified(table))
    return model if model is not None and model.known else None


def _unknown(schema: Schema, table: Name, where: str) -> str:
    name = _qualified(table)
    known = [key for key, model in schema.tables.items() if model.known]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        hint = close[0].removeprefix("public.") if table.schema is None else close[0]
        guess = f" (did you mean {hint}?)"
    else:
        guess = ""
    return f"{name} is not created by the migrations in {where}{guess}"


def require_table(schema: Schema, table: Name, where: str, flag: str) -> None:
    """Refuse a table no migration in *where* creates (a misspelt name), unless *flag*."""
    if table_model(schema, table) is None:
        raise InvalidInput(
            f"{_unknown(schema, table, where)}: check the name, or pass {flag} if the "
            "table is created outside these migrations"
        )


def batch_key(schema: Schema, table: Name, given: str | None, where: str) -> str:
    """The column a batched backfill of *table* walks: *given* (``--key``), else the
    table's single-column primary key in the history; refused otherwise."""
    if given is not None:
        return column_name(given)
    ask = "pass --key COLUMN (a NOT NULL column with a unique index, walked in order in batches)"
    model = table_model(schema, table)
    if model is None:
        raise InvalidInput(
            f"{_unknown(schema, table, where)}, so its primary key is unknown: {ask}"
        )
    keys = [c for c in model.constraints.values() if c.kind == "primary"]
    if not keys:
        raise InvalidInput(
            f"{_qualified(table)} has no primary key in the migrations in {where}: {ask}"
        )
    columns = keys[0].columns
    if len(columns) != 1:
        shown = ", ".join(columns) if columns else "an expression"
        raise InvalidInput(
            f"the primary key of {_qualified(table)} is ({shown}); a backfill walks one "
            f"column: {ask}"
        )
    return columns[0]
