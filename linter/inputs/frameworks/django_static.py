"""Django migrations read statically with :mod:`ast`, when Django cannot render them.

What is read: the SQL string literals of ``RunSQL`` (``sql``, and ``reverse_sql`` as the
down migration), ``database_operations`` of ``SeparateDatabaseAndState``, and the
operations whose hazard is plain from their arguments, rendered as Django's PostgreSQL
schema editor writes them:

* ``CreateModel`` (so later operations know the table existed before them),
  ``DeleteModel``, ``RenameModel``, ``AlterModelTable``;
* ``AddField``: ``ADD COLUMN ... NOT NULL`` for ``null=False`` (Django's default) without
  a default; with ``default=`` Django adds the column with the default and drops it in
  the same migration (``DEFAULT x NOT NULL`` then ``DROP DEFAULT``); with ``db_default=``
  it keeps it.  A foreign key adds its constraint and index, ``db_index``/``unique`` an
  index or a constraint;
* ``RemoveField`` (``DROP COLUMN``), ``RenameField`` (``RENAME COLUMN``);
* ``AlterField``: a change of column type between types read from the field classes
  below (``ALTER COLUMN ... TYPE``), and ``null`` changes (``SET`` / ``DROP NOT NULL``);
* ``AddIndex`` / ``RemoveIndex`` (and their ``Concurrently`` forms), ``AddConstraint``
  (``CHECK``, whose condition is Python and is not rendered, and ``UNIQUE``) and
  ``RemoveConstraint``.

Table names are ``<app_label>_<model>`` unless the model's ``db_table`` option says
otherwise (tracked through the graph).  A default that is not a literal (a callable) is
rendered as a constant of the column's type: Django, too, sends the value it computes.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .django_graph import MigrationFile, Node, Operation, Project, graph_order, parents
from .pyast import UNKNOWN, Arguments, dotted, literal
from .rendered import Chunk, RenderedMigration, indented

# Django's PostgreSQL column types (django/db/backends/postgresql/base.py data_types)
TYPES: dict[str, str] = {
    "AutoField": "integer",
    "BigAutoField": "bigint",
    "SmallAutoField": "smallint",
    "BigIntegerField": "bigint",
    "IntegerField": "integer",
    "SmallIntegerField": "smallint",
    "PositiveBigIntegerField": "bigint",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "smallint",
    "BooleanField": "boolean",
    "NullBooleanField": "boolean",
    "TextField": "text",
    "DateField": "date",
    "DateTimeField": "timestamp with time zone",
    "TimeField": "time",
    "DurationField": "interval",
    "FloatField": "double precision",
    "UUIDField": "uuid",
    "JSONField": "jsonb",
    "BinaryField": "bytea",
    "GenericIPAddressField": "inet",
    "IPAddressField": "inet",
}
_VARCHAR: dict[str, int | None] = {
    "CharField": None,
    "SlugField": 50,
    "EmailField": 254,
    "URLField": 200,
    "FileField": 100,
    "ImageField": 100,
    "FilePathField": 100,
}
_CONSTANT = {"boolean": "false", "text": "''", "uuid": "'00000000-0000-0000-0000-000000000000'"}
_RELATIONS = ("ForeignKey", "OneToOneField")


@dataclass(slots=True)
class Model:
    table: str
    columns: dict[str, str] = field(default_factory=dict)  # field name -> column
    types: dict[str, str] = field(default_factory=dict)  # field name -> SQL type ("" unknown)
    nulls: dict[str, bool] = field(default_factory=dict)
    pk_type: str = "bigint"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


@dataclass(slots=True)
class Field:
    """A ``models.X(...)`` field call, as far as it can be read."""

    kind: str
    args: Arguments

    @classmethod
    def of(cls, node: ast.expr | None) -> Field | None:
        if not isinstance(node, ast.Call):
            return None
        return cls(dotted(node.func).rsplit(".", 1)[-1], Arguments.of(node))

    def kw(self, name: str, default: Any = None) -> Any:
        node = self.args.keywords.get(name)
        return default if node is None else literal(node)

    @property
    def relation(self) -> bool:
        return self.kind in _RELATIONS

    @property
    def null(self) -> bool:
        return self.kw("null", False) is True

    def column(self, name: str) -> str:
        column = self.kw("db_column")
        if isinstance(column, str):
            return column
        return f"{name}_id" if self.relation else name

    def sql_type(self, target_pk: str = "bigint") -> str:
        if self.relation:
            return target_pk
        if self.kind in TYPES:
            return TYPES[self.kind]
        if self.kind in _VARCHAR:
            length = self.kw("max_length", _VARCHAR[self.kind])
            return f"varchar({length})" if isinstance(length, int) else "varchar"
        if self.kind == "DecimalField":
            digits, places = self.kw("max_digits"), self.kw("decimal_places")
            if isinstance(digits, int) and isinstance(places, int):
                return f"numeric({digits}, {places})"
            return "numeric"
        return ""

    def default_sql(self, sql_type: str, key: str) -> str | None:
        """The default of *key* (``default`` / ``db_default``) as SQL, None when absent."""
        node = self.args.keywords.get(key)
        if node is None:
            return None
        value = literal(node)
        text = _sql_literal(value) if value is not UNKNOWN else None
        if text is not None:
            return text
        if sql_type in _CONSTANT:
            return _CONSTANT[sql_type]
        if "time" in sql_type or sql_type == "date":
            return "'2000-01-01'"
        return "0" if sql_type and "char" not in sql_type else "''"


@dataclass(slots=True)
class StaticState:
    """The models the migrations read so far created, by (app label, model name lower)."""

    models: dict[tuple[str, str], Model] = field(default_factory=dict)

    def model(self, app: str, name: str) -> Model:
        key = (app, name.lower())
        if key not in self.models:
            self.models[key] = Model(f"{app}_{name.lower()}")
        return self.models[key]

    def target(self, app: str, to: Any) -> Model | None:
        if not isinstance(to, str):
            return None
        label, _, name = to.rpartition(".")
        return self.model(label or app, name) if name else None


def _name(args: Arguments, index: int, key: str) -> str:
    value = args.value(index, key)
    return value if isinstance(value, str) else ""


def _index_columns(state: StaticState, app: str, model: Model, node: ast.expr | None) -> str:
    """``"a", "b"`` for the ``fields=`` of an Index/UniqueConstraint call ("" unknown)."""
    index = Field.of(node)
    fields = index.kw("fields") if index is not None else None
    if not isinstance(fields, tuple) or not fields:
        return ""
    cols = []
    for name in fields:
        if not isinstance(name, str):
            return ""
        name = name.lstrip("-")
        cols.append(q(model.columns.get(name, name)))
    return ", ".join(cols)


class _Reader:
    def __init__(self, state: StaticState, app: str) -> None:
        self.state = state
        self.app = app

    def up(self, operation: Operation) -> list[Chunk]:
        call = operation.call
        if call is None:
            return []
        return [Chunk(sql, line) for sql, line in self._operation(operation.name, call)]

    def _operation(self, kind: str, call: ast.Call) -> list[tuple[str, int]]:
        args = Arguments.of(call)
        line = call.lineno
        handler = getattr(self, f"_op_{kind}", None)
        if kind == "RunSQL":
            return _literals(args, 0, "sql") or []
        if kind == "SeparateDatabaseAndState":
            inner = args.node(1, "database_operations")
            out: list[tuple[str, int]] = []
            for element in inner.elts if isinstance(inner, (ast.List, ast.Tuple)) else []:
                if isinstance(element, ast.Call):
                    sub = dotted(element.func).rsplit(".", 1)[-1]
                    out.extend(self._operation(sub, element))
            return out
        if handler is None:
            return []
        statements = handler(args)  # generated: all on the operation's line, like rendered SQL
        return [("; ".join(statements), line)] if statements else []

    # models -------------------------------------------------------------------------
    def _op_CreateModel(self, args: Arguments) -> list[str]:
        name = _name(args, 0, "name")
        if not name:
            return []
        model = self.state.model(self.app, name)
        table = _option(args.node(2, "options"), "db_table")
        if table:
            model.table = table
        columns: list[str] = []
        deferred: list[str] = []
        fields = args.node(1, "fields")
        for element in fields.elts if isinstance(fields, (ast.List, ast.Tuple)) else []:
            if not (isinstance(element, ast.Tuple) and len(element.elts) == 2):
                continue
            fname = literal(element.elts[0])
            spec = Field.of(element.elts[1])
            if not isinstance(fname, str) or spec is None or spec.kind == "ManyToManyField":
                continue
            target = self.state.target(self.app, spec.kw("to")) if spec.relation else None
            sql_type = spec.sql_type(target.pk_type if target else "bigint")
            column = spec.column(fname)
            model.columns[fname], model.types[fname] = column, sql_type
            model.nulls[fname] = spec.null
            if spec.kw("primary_key") is True:
                model.pk_type = sql_type or model.pk_type
                identity = " GENERATED BY DEFAULT AS IDENTITY" if "Auto" in spec.kind else ""
                columns.append(f"{q(column)} {sql_type or 'bigint'} NOT NULL PRIMARY KEY{identity}")
            elif sql_type:
                columns.append(f"{q(column)} {sql_type} {'NULL' if spec.null else 'NOT NULL'}")
            if spec.relation and target is not None:
                deferred.extend(_foreign_key(model, column, target, spec))
        if not columns:
            return []
        return [f"CREATE TABLE {q(model.table)} ({', '.join(columns)})", *deferred]

    def _op_DeleteModel(self, args: Arguments) -> list[str]:
        name = _name(args, 0, "name")
        if not name:
            return []
        model = self.state.models.pop((self.app, name.lower()), None)
        table = model.table if model else f"{self.app}_{name.lower()}"
        return [f"DROP TABLE {q(table)} CASCADE"]

    def _op_RenameModel(self, args: Arguments) -> list[str]:
        old, new = _name(args, 0, "old_name"), _name(args, 1, "new_name")
        if not (old and new):
            return []
        model = self.state.models.pop((self.app, old.lower()), None) or Model(
            f"{self.app}_{old.lower()}"
        )
        before = model.table
        if before == f"{self.app}_{old.lower()}":
            model.table = f"{self.app}_{new.lower()}"
        self.state.models[(self.app, new.lower())] = model
        if model.table == before:
            return []
        return [f"ALTER TABLE {q(before)} RENAME TO {q(model.table)}"]

    def _op_AlterModelTable(self, args: Arguments) -> list[str]:
        name, table = _name(args, 0, "name"), args.value(1, "table")
        if not name:
            return []
        model = self.state.model(self.app, name)
        before = model.table
        model.table = table if isinstance(table, str) else f"{self.app}_{name.lower()}"
        return (
            [] if before == model.table else [f"ALTER TABLE {q(before)} RENAME TO {q(model.table)}"]
        )

    # fields -------------------------------------------------------------------------
    def _op_AddField(self, args: Arguments) -> list[str]:
        model_name, name = _name(args, 0, "model_name"), _name(args, 1, "name")
        spec = Field.of(args.node(2, "field"))
        if not (model_name and name) or spec is None or spec.kind == "ManyToManyField":
            return []
        model = self.state.model(self.app, model_name)
        target = self.state.target(self.app, spec.kw("to")) if spec.relation else None
        sql_type = spec.sql_type(target.pk_type if target else "bigint")
        column = spec.column(name)
        model.columns[name], model.types[name], model.nulls[name] = column, sql_type, spec.null
        if not sql_type:
            return []
        table, col = q(model.table), q(column)
        db_default = spec.default_sql(sql_type, "db_default")
        default = None if db_default is not None else spec.default_sql(sql_type, "default")
        null = "NULL" if spec.null else "NOT NULL"
        out: list[str] = []
        if db_default is not None:
            out.append(
                f"ALTER TABLE {table} ADD COLUMN {col} {sql_type} DEFAULT {db_default} {null}"
            )
        elif default is not None and not spec.null:
            out.append(f"ALTER TABLE {table} ADD COLUMN {col} {sql_type} DEFAULT {default} {null}")
            out.append(f"ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT")
        else:
            out.append(f"ALTER TABLE {table} ADD COLUMN {col} {sql_type} {null}")
        if spec.relation and target is not None:
            out.extend(_foreign_key(model, column, target, spec))
        elif spec.kw("unique") is True:
            name = q(f"{model.table}_{column}_uniq")
            out.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE ({col})")
        elif spec.kw("db_index") is True:
            out.append(f"CREATE INDEX {q(f'{model.table}_{column}')} ON {table} ({col})")
        return out

    def _op_RemoveField(self, args: Arguments) -> list[str]:
        model_name, name = _name(args, 0, "model_name"), _name(args, 1, "name")
        if not (model_name and name):
            return []
        model = self.state.model(self.app, model_name)
        column = model.columns.pop(name, name)
        model.types.pop(name, None)
        return [f"ALTER TABLE {q(model.table)} DROP COLUMN {q(column)} CASCADE"]

    def _op_RenameField(self, args: Arguments) -> list[str]:
        model_name = _name(args, 0, "model_name")
        old, new = _name(args, 1, "old_name"), _name(args, 2, "new_name")
        if not (model_name and old and new):
            return []
        model = self.state.model(self.app, model_name)
        column = model.columns.pop(old, old)
        model.types[new] = model.types.pop(old, "")
        new_column = new + ("_id" if column == f"{old}_id" else "")
        model.columns[new] = new_column
        if column == new_column:
            return []
        return [f"ALTER TABLE {q(model.table)} RENAME COLUMN {q(column)} TO {q(new_column)}"]

    def _op_AlterField(self, args: Arguments) -> list[str]:
        model_name, name = _name(args, 0, "model_name"), _name(args, 1, "name")
        spec = Field.of(args.node(2, "field"))
        if not (model_name and name) or spec is None:
            return []
        model = self.state.model(self.app, model_name)
        old_type, old_null = model.types.get(name, ""), model.nulls.get(name)
        target = self.state.target(self.app, spec.kw("to")) if spec.relation else None
        new_type = spec.sql_type(target.pk_type if target else "bigint")
        column = q(model.columns.get(name, spec.column(name)))
        model.types[name], model.nulls[name] = new_type, spec.null
        table = q(model.table)
        out: list[str] = []
        if old_type and new_type and old_type != new_type:
            # Django adds USING when the base type changes (not for varchar(n) -> varchar(m))
            base_changed = old_type.split("(")[0] != new_type.split("(")[0]
            using = f" USING {column}::{new_type}" if base_changed else ""
            out.append(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new_type}{using}")
        if old_null is True and not spec.null:
            out.append(f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL")
        elif old_null is False and spec.null:
            out.append(f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL")
        return out

    # indexes and constraints --------------------------------------------------------
    def _index(self, args: Arguments, concurrently: bool) -> list[str]:
        model = self.state.model(self.app, _name(args, 0, "model_name"))
        node = args.node(1, "index")
        spec = Field.of(node)
        name = spec.kw("name") if spec else None
        columns = _index_columns(self.state, self.app, model, node)
        if not (isinstance(name, str) and columns):
            return []
        how = "CONCURRENTLY " if concurrently else ""
        return [f"CREATE INDEX {how}{q(name)} ON {q(model.table)} ({columns})"]

    def _op_AddIndex(self, args: Arguments) -> list[str]:
        return self._index(args, False)

    def _op_AddIndexConcurrently(self, args: Arguments) -> list[str]:
        return self._index(args, True)

    def _drop_index(self, args: Arguments, concurrently: bool) -> list[str]:
        name = _name(args, 1, "name")
        how = "CONCURRENTLY " if concurrently else ""
        return [f"DROP INDEX {how}IF EXISTS {q(name)}"] if name else []

    def _op_RemoveIndex(self, args: Arguments) -> list[str]:
        return self._drop_index(args, False)

    def _op_RemoveIndexConcurrently(self, args: Arguments) -> list[str]:
        return self._drop_index(args, True)

    def _op_AddConstraint(self, args: Arguments) -> list[str]:
        model = self.state.model(self.app, _name(args, 0, "model_name"))
        node = args.node(1, "constraint")
        spec = Field.of(node)
        name = spec.kw("name") if spec else None
        if spec is None or not isinstance(name, str):
            return []
        table = q(model.table)
        if spec.kind == "CheckConstraint":  # the condition is a Q object: not rendered
            return [f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} CHECK (true)"]
        if spec.kind == "UniqueConstraint":
            columns = _index_columns(self.state, self.app, model, node)
            return (
                [f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} UNIQUE ({columns})"]
                if columns
                else []
            )
        return []

    def _op_RemoveConstraint(self, args: Arguments) -> list[str]:
        model = self.state.model(self.app, _name(args, 0, "model_name"))
        name = _name(args, 1, "name")
        return [f"ALTER TABLE {q(model.table)} DROP CONSTRAINT {q(name)}"] if name else []


def _foreign_key(model: Model, column: str, target: Model, spec: Field) -> list[str]:
    """The constraint and index Django adds for a foreign key column (its names differ:
    Django's end in a hash of the names)."""
    table, col = q(model.table), q(column)
    out: list[str] = []
    if spec.kw("db_constraint", True) is not False:
        out.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {q(f'{model.table}_{column}_fk')} "
            f'FOREIGN KEY ({col}) REFERENCES {q(target.table)} ("id") '
            "DEFERRABLE INITIALLY DEFERRED"
        )
    if spec.kind == "OneToOneField" or spec.kw("unique") is True:
        out.append(
            f"ALTER TABLE {table} ADD CONSTRAINT {q(f'{model.table}_{column}_uniq')} UNIQUE ({col})"
        )
    elif spec.kw("db_index", True) is not False:
        out.append(f"CREATE INDEX {q(f'{model.table}_{column}')} ON {table} ({col})")
    return out


def _option(node: ast.expr | None, key: str) -> str:
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=False):
            if literal(k) == key:
                value = literal(v)
                return value if isinstance(value, str) else ""
    return ""


def _literals(args: Arguments, index: int, key: str) -> list[tuple[str, int]] | None:
    """The SQL literals of a RunSQL argument with their lines; None when not literal."""
    node = args.node(index, key)
    if node is None:
        return []
    elements = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    out: list[tuple[str, int]] = []
    for element in elements:
        if isinstance(element, (ast.Tuple, ast.List)) and element.elts:
            element = element.elts[0]
        value = literal(element)
        if not isinstance(value, str):
            return None
        out.append((value, element.lineno))
    return out


def _down(m: MigrationFile) -> tuple[Chunk, ...] | None:
    """The down migration, when every operation is a ``RunSQL`` with a literal reverse."""
    chunks: list[Chunk] = []
    for operation in m.operations:  # in file order, as rendered downs (django_layout)
        if operation.name != "RunSQL" or operation.call is None:
            return None
        found = _literals(Arguments.of(operation.call), 1, "reverse_sql")
        if not found:
            return None
        chunks.extend(Chunk(sql, line) for sql, line in found)
    return tuple(chunks) if chunks else None


def static_migrations(
    project: Project,
    wanted: Sequence[MigrationFile],
    path_of: Mapping[Node, str],
    reasons: Mapping[Node, str],
) -> list[RenderedMigration]:
    """*wanted* read statically (each for its reason in *reasons*), the models tracked
    through every migration before them."""
    state = StaticState()
    known = {m.node for m in project.migrations}
    targets = {m.node for m in wanted}
    out: dict[Node, RenderedMigration] = {}
    for m in graph_order(project):
        reader = _Reader(state, m.app)
        up: list[Chunk] = []
        steps: list[Chunk] = []
        for operation in m.operations:
            up.extend(reader.up(operation))
            if operation.name == "RunPython":
                steps.append(Chunk(operation.label, operation.line))
        if m.node in targets:
            reason = reasons.get(m.node, "")
            why = f"{reason}; {m.problem}" if m.problem else reason
            source = m.text.split("\n")
            down = _down(m)
            out[m.node] = RenderedMigration(
                path_of.get(m.node, str(m.path)),
                m.ident,
                parents(m, known),
                indented(up, source),
                indented(down, source) if down is not None else None,
                m.atomic,
                static_reason=why,
                children_first=tuple(f"{a}.{n}" for a, n in m.run_before),
                data_steps=tuple(steps),
            )
    return [out[m.node] for m in wanted]
