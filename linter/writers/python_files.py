"""Scaffold steps written as Alembic revisions or Django migrations.

The SQL of each step is the one the SQL layouts write (rendered from
``templates/scaffold/*.sql.j2`` by :mod:`linter.scaffold`); this module only wraps it in the
framework's file, one file per step, chained to the history's head (Alembic) or to the app's
latest migration (Django):

- Alembic: ``op.execute`` per statement; a step that must run outside a transaction runs
  in ``op.get_context().autocommit_block()``; a transactional step starts with an empty
  autocommit block, which commits what ran before, so it gets a transaction of its own
  even when ``env.py`` does not set ``transaction_per_migration``. ``downgrade()``
  reverses the step where a reverse exists.
- Django: ``RunSQL(sql, reverse_sql, state_operations=[...])`` so the model state follows
  the SQL, ``AddIndexConcurrently`` / ``RemoveIndexConcurrently`` where Django's operations
  say the same as the step, ``atomic = False`` for a step outside a transaction.
"""

from __future__ import annotations

import ast
import datetime as _dt
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from ..util.records import record
from ..util.templating import environment
from .python_history import (
    DjangoApp,
    HistoryError,
    Model,
    alembic_head,
    django_app,
)
from .scaffold_layouts import Change, FileStep, OutFile, lock_timeout_sql, split_statements
from .scaffold_sql import InvalidInput, derived_name, parse_name, quote_ident, quote_literal

PYTHON_LAYOUTS = ("alembic", "django")

# SQLAlchemy's text() reads ":name" as a bind parameter (sqlalchemy.sql.elements)
_BIND = re.compile(r"(?<![:\w\\]):(?=\w+(?!:))")


@record
class Target:
    """Where and against what a framework's files are written."""

    framework: str  # "alembic" | "django"
    directory: Path  # the versions directory / the app's migrations package
    head: str | None = None  # --head (Alembic)


def next_versions(target: Target, count: int) -> list[str]:
    """*count* new revision ids (Alembic's 12 hex digits) or migration numbers (Django)."""
    if target.framework == "alembic":
        return [uuid.uuid4().hex[-12:] for _ in range(count)]
    first = django_app(target.directory).next_number
    return [f"{first + i:04d}" for i in range(count)]


def _slug(text: str, limit: int) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return (cleaned or "step")[:limit].rstrip("_")


def py_string(sql: str) -> str:
    """*sql* as a Python string literal (triple-quoted when it spans lines)."""
    if "\n" not in sql:
        return repr(sql)
    body = sql.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').replace("\r", "\\r")
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return '"""' + body + '"""'


def _doc(text: str) -> str:
    """*text* safe inside a docstring."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _timeouts(step: FileStep, lock_timeout: str, statement_timeout: str) -> list[str]:
    local = step.transactional
    out = [lock_timeout_sql(lock_timeout, local=local)]
    if step.quick:
        prefix = "LOCAL " if local else ""
        out.append(f"SET {prefix}statement_timeout = {quote_literal(statement_timeout)};")
    return out


def _resets(step: FileStep) -> list[str]:
    """A session setting made outside a transaction would outlive the step."""
    if step.transactional:
        return []
    return ["RESET lock_timeout;"] + (["RESET statement_timeout;"] if step.quick else [])


# ----------------------------------------------------------------------------- reverses
def _reverse_statements(change: Change) -> list[str] | None:
    """The SQL that undoes *change* (None: it cannot be undone)."""
    table = change.table
    if change.kind == "add_column":
        return [f"ALTER TABLE {table} DROP COLUMN IF EXISTS {quote_ident(change.column)};"]
    if change.kind == "set_not_null":
        return [f"ALTER TABLE {table} ALTER COLUMN {quote_ident(change.column)} DROP NOT NULL;"]
    if change.kind == "drop_not_null":
        return [f"ALTER TABLE {table} ALTER COLUMN {quote_ident(change.column)} SET NOT NULL;"]
    if change.kind == "add_index":
        if change.partitioned:
            return [f"DROP INDEX IF EXISTS {change.name};"]
        return [f"DROP INDEX CONCURRENTLY IF EXISTS {change.name};"]
    if change.kind == "add_constraint":
        return [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {quote_ident(change.name)};"]
    if change.kind in ("create_table", "scratch_table"):
        return [f"DROP TABLE IF EXISTS {table};"]
    if change.kind == "trigger":
        return [
            f"DROP TRIGGER IF EXISTS {change.name} ON {table};",
            f"DROP FUNCTION IF EXISTS {change.function}();",
        ]
    if change.kind == "data":
        return []
    return None  # drop_index, drop_column, irreversible


def reverse_of(step: FileStep) -> list[str] | None:
    """The statements that undo *step*, last change first (None: irreversible)."""
    out: list[str] = []
    for change in reversed(step.changes):
        statements = _reverse_statements(change)
        if statements is None:
            return None
        out.extend(statements)
    return out


# ------------------------------------------------------------------------------ Alembic
def _execute_lines(statements: Sequence[str], indent: str) -> list[str]:
    lines: list[str] = []
    for statement in statements:
        literal = py_string(_BIND.sub(r"\\:", statement))
        lines.append(f"{indent}op.execute({literal})")
    return lines


_BOUNDARY = [
    "    # commits what ran before, so this revision runs in a transaction of its own",
    "    with op.get_context().autocommit_block():",
    "        pass",
]


def _alembic_body(step: FileStep, statements: list[str], timeouts: list[str]) -> list[str]:
    if step.transactional:
        return [*_BOUNDARY, *_execute_lines([*timeouts, *statements], "    ")]
    return [
        "    with op.get_context().autocommit_block():",
        *_execute_lines([*timeouts, *statements, *_resets(step)], "        "),
    ]


def alembic_files(
    steps: Sequence[FileStep],
    target: Target,
    versions: Sequence[str],
    lock_timeout: str,
    statement_timeout: str,
    now: _dt.datetime | None = None,
) -> list[OutFile]:
    """One revision per step, chained from the head of the versions directory."""
    down = alembic_head(target.directory, target.head)
    created = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0)
    template = environment().get_template("scaffold/alembic_revision.py.j2")
    out: list[OutFile] = []
    for index, (step, rev) in enumerate(zip(steps, versions, strict=False), 1):
        statements = split_statements(step.body)
        timeouts = _timeouts(step, lock_timeout, statement_timeout)
        reverse = reverse_of(step)
        if reverse is None:
            undo = [
                "    raise RuntimeError(",
                f"        {'irreversible: ' + _first_line(step.summary)!r}",
                "    )",
            ]
        elif not reverse:
            undo = ["    pass  # nothing to undo"]
        else:
            undo = _alembic_body(step, reverse, timeouts)
        text = template.render(
            **_header(step, index, len(steps)),
            revision=rev,
            down_revision=down,
            created=created.strftime("%Y-%m-%d %H:%M:%S"),
            upgrade=_alembic_body(step, statements, timeouts),
            downgrade=undo,
        )
        out.append(
            OutFile(f"{rev}_{_slug(step.slug, 40)}.py", text, step.transactional, len(statements))
        )
        down = rev
    return out


def _header(step: FileStep, index: int, total: int) -> dict[str, object]:
    """What the file's docstring says about *step* (both templates)."""
    return {
        "summary": _doc(_first_line(step.summary)),
        "tool": _doc(step.tool),
        "index": index,
        "total": total,
        "locks": _doc(step.locks),
        "before": _doc(step.before) if step.before else None,
        "transactional": step.transactional,
    }


def _first_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------- Django
_FIELDS = {
    "int2": "models.SmallIntegerField",
    "int4": "models.IntegerField",
    "int8": "models.BigIntegerField",
    "text": "models.TextField",
    "bool": "models.BooleanField",
    "date": "models.DateField",
    "time": "models.TimeField",
    "timestamp": "models.DateTimeField",
    "timestamptz": "models.DateTimeField",
    "interval": "models.DurationField",
    "jsonb": "models.JSONField",
    "uuid": "models.UUIDField",
    "float8": "models.FloatField",
    "bytea": "models.BinaryField",
    "inet": "models.GenericIPAddressField",
}


def django_field(type_: str, null: bool, column: str | None = None) -> str:
    """The Django model field for a column of the printed SQL type *type_*."""
    from ..sql import pgast
    from ..sql.parsing import parse

    parsed = parse(f"CREATE TABLE _f (_c {type_})")
    coldef = pgast.unwrap(parsed.statements[0].fields["tableElts"][0], "ColumnDef")
    ref = pgast.type_ref(coldef.get("typeName"))
    if ref is None or ref.array:
        raise InvalidInput(f"type {type_} has no Django model field sqlsafe can write")
    args: list[str] = []
    mods = [m for m in ref.mods if m is not None]
    if ref.name == "varchar" and mods:
        call = "models.CharField"
        args.append(f"max_length={mods[0]}")
    elif ref.name == "varchar":
        call = "models.TextField"
    elif ref.name == "numeric" and len(mods) == 2:
        call = "models.DecimalField"
        args += [f"max_digits={mods[0]}", f"decimal_places={mods[1]}"]
    elif ref.name in _FIELDS:
        call = _FIELDS[ref.name]
    else:
        raise InvalidInput(
            f"type {type_} has no Django model field sqlsafe can write "
            f"(it knows {', '.join(sorted(_FIELDS))}, varchar(n) and numeric(p, s))"
        )
    if null:
        args.append("null=True")
    if column is not None:
        args.append(f"db_column={column!r}")
    return f"{call}({', '.join(args)})"


def _with_null(source: str, null: bool) -> str:
    """The field *source* with ``null=`` set."""
    call = ast.parse(source, mode="eval").body
    if not isinstance(call, ast.Call):
        raise InvalidInput(f"cannot change the field {source}")
    call.keywords = [k for k in call.keywords if k.arg != "null"]
    if null:
        call.keywords.append(ast.keyword("null", ast.Constant(True)))
    return ast.unparse(call)


def _field_name(column: str) -> tuple[str, str | None]:
    """(field name, db_column or None) for a column."""
    if column.isidentifier() and column.isascii() and not column.startswith("_"):
        return column, None
    name = _slug(column, 60) or "field"
    if name[0].isdigit():
        name = f"f_{name}"
    return name, column


def _model_name(app: str, table: str) -> str:
    base = table.removeprefix(f"{app}_")
    return (
        "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", base) if part) or "Model"
    )


class _DjangoState:
    """The app's models as the history builds them, followed through the new steps."""

    def __init__(self, app: DjangoApp) -> None:
        self.app = app

    def model(self, table_sql: str, what: str) -> Model:
        name = parse_name(table_sql)
        found = self.app.model_for_table(name.name) if name.schema is None else None
        if found is None:
            known = ", ".join(sorted(m.table for m in self.app.models.values())) or "none"
            raise InvalidInput(
                f"{what}: {table_sql} is not the table of a model of app "
                f"{self.app.label!r} (its migrations create: {known}), so Django's model "
                "state cannot follow the change; write it with a SQL layout instead"
            )
        return found

    def field_of(self, model: Model, column: str) -> str:
        name = model.columns.get(column)
        if name is None:
            raise InvalidInput(
                f"{model.table}.{column} is not a field of model {model.name} in the "
                f"migrations of app {self.app.label!r}"
            )
        return name

    def state_for(self, change: Change) -> list[str]:
        """The state operations for *change* (source lines of calls)."""
        kind = change.kind
        if kind == "add_column":
            model = self.model(change.table, "add a column")
            fname, db_column = _field_name(change.column)
            source = django_field(change.type, True, db_column)
            if change.foreign:
                fname, source = self.foreign_key(*change.foreign[0], null=True)
            model.fields[fname] = source
            model.columns[change.column] = fname
            return [
                f"migrations.AddField(model_name={model.name.lower()!r}, name={fname!r}, "
                f"field={source})"
            ]
        if kind in ("set_not_null", "drop_not_null"):
            model = self.model(change.table, "change NOT NULL")
            fname = self.field_of(model, change.column)
            source = _with_null(model.fields[fname], kind == "drop_not_null")
            model.fields[fname] = source
            return [
                f"migrations.AlterField(model_name={model.name.lower()!r}, name={fname!r}, "
                f"field={source})"
            ]
        if kind == "drop_column":
            model = self.model(change.table, "drop a column")
            fname = self.field_of(model, change.column)
            del model.fields[fname]
            del model.columns[change.column]
            return [f"migrations.RemoveField(model_name={model.name.lower()!r}, name={fname!r})"]
        if kind == "create_table":
            return [self._create_model(change)]
        if kind == "add_index" and (index := self.index_state(change)) is not None:
            return [index]
        return []

    def foreign_key(self, column: str, table: str, ref: str, null: bool) -> tuple[str, str]:
        """(field name, ``models.ForeignKey(...)`` source) for *column* referencing
        *table* (*ref*): the referenced table must be a model of this app."""
        target = self.model(table, f"a foreign key of {column}")
        if column.endswith("_id") and column[:-3].isidentifier():
            fname, db_column = column[:-3], None
        else:
            fname, db_column = _field_name(column)
            db_column = column
        args = [
            f"to={self.app.label + '.' + target.name.lower()!r}",
            "on_delete=models.DO_NOTHING",
        ]
        if ref != target.pk:
            args.append(f"to_field={self.field_of(target, ref)!r}")
        if null:
            args.append("null=True")
        if db_column is not None:
            args.append(f"db_column={db_column!r}")
        return fname, f"models.ForeignKey({', '.join(args)})"

    def _create_model(self, change: Change) -> str:
        table = parse_name(change.table)
        if table.schema is not None:
            raise InvalidInput(
                f"{change.table}: a Django model's table has no schema: name it without one"
            )
        name = _model_name(self.app.label, table.name)
        model = Model(name, table.name)
        foreign = {column: (ref_table, ref) for column, ref_table, ref in change.foreign}
        lines = [f"migrations.CreateModel(name={name!r}, fields=["]
        for column, type_, not_null in change.definitions:
            fname, db_column = _field_name(column)
            if column == "id":
                source = (
                    "models.BigAutoField(auto_created=True, primary_key=True, serialize=False, "
                    "verbose_name='ID')"
                )
            elif column == "created_at":
                source = "models.DateTimeField(auto_now_add=True)"
            elif column == "updated_at":
                source = "models.DateTimeField(auto_now=True)"
            elif column in foreign:
                fname, source = self.foreign_key(column, *foreign[column], null=not not_null)
            else:
                source = django_field(type_, not not_null, db_column)
            model.fields[fname] = source
            model.columns[column] = fname
            lines.append(f"    ({fname!r}, {source}),")
        # an index a Django Index can name (a ForeignKey's own db_index stands for its index)
        named = {
            c: derived_name(table.name, c, suffix="idx")
            for c in change.columns
            if c not in foreign and len(derived_name(table.name, c, suffix="idx")) <= 30
        }
        indexes = [
            f"models.Index(fields=[{model.columns[c]!r}], name={name!r})"
            for c, name in named.items()
        ]
        options = f"'db_table': {table.name!r}"
        if indexes:
            options += f", 'indexes': [{', '.join(indexes)}]"
            model.indexes.update(named.values())
        lines.append(f"], options={{{options}}})")
        self.app.models[name.lower()] = model
        return "\n".join(lines)

    def index_state(self, change: Change) -> str | None:
        """``AddIndex(...)`` when a Django ``Index`` says what the step builds.

        The SQL stays the step's (``IF NOT EXISTS`` and the check for an INVALID leftover
        of a failed build): ``AddIndexConcurrently`` has neither, so a build that failed
        once fails again on the name until the index is dropped by hand."""
        index = parse_name(change.name, "index")
        if not change.plain or len(index.name) > 30 or index.schema is not None:
            return None
        try:
            model = self.model(change.table, "index")
            fields = [self.field_of(model, c) for c in change.columns]
        except InvalidInput:
            return None
        if any(model.fields[f].startswith("models.ForeignKey(") for f in fields):
            return None  # the ForeignKey's db_index stands for it in the state
        model.indexes.add(index.name)
        return (
            "migrations.AddIndex(\n"
            f"    model_name={model.name.lower()!r},\n"
            f"    index=models.Index(fields={fields!r}, name={index.name!r}),\n"
            ")"
        )

    def concurrent_drop(self, change: Change) -> str | None:
        """``RemoveIndexConcurrently(...)`` when the state knows the index."""
        index = parse_name(change.name, "index")
        for model in self.app.models.values():
            if index.schema is None and index.name in model.indexes:
                model.indexes.discard(index.name)
                return (
                    "RemoveIndexConcurrently(\n"
                    f"    model_name={model.name.lower()!r},\n"
                    f"    name={index.name!r},\n"
                    ")"
                )
        return None


def _indent(text: str, by: str) -> list[str]:
    return [by + line if line else line for line in text.splitlines()]


def _sql_list(statements: Sequence[str], indent: str) -> list[str]:
    """``[`` then one literal per statement (a triple-quoted one keeps its own lines)."""
    lines = ["["]
    for statement in statements:
        parts = py_string(statement).split("\n")
        lines.append(indent + "    " + parts[0])
        lines.extend(parts[1:])
        lines[-1] += ","
    lines.append(indent + "]")
    return lines


def _run_sql(
    statements: Sequence[str], reverse: Sequence[str] | None, state: Sequence[str]
) -> list[str]:
    pad = "            "
    body = _sql_list(statements, pad)
    lines = ["        migrations.RunSQL(", pad + "sql=" + body[0], *body[1:]]
    lines[-1] += ","
    if reverse is None:
        lines.append(pad + "# no reverse_sql: this step cannot be undone")
    elif not reverse:
        lines.append(pad + "reverse_sql=migrations.RunSQL.noop,")
    else:
        back = _sql_list(reverse, pad)
        lines += [pad + "reverse_sql=" + back[0], *back[1:]]
        lines[-1] += ","
    if state:
        lines.append(pad + "state_operations=[")
        for op in state:
            lines.extend(_indent(op + ",", pad + "    "))
        lines.append(pad + "],")
    lines.append("        ),")
    return lines


def _concurrent_ops(call: str, timeouts: list[str]) -> list[str]:
    """A Django concurrent-index operation between a lock_timeout and its reset."""
    resets = ["RESET lock_timeout;"]
    return [
        *_run_sql(timeouts, resets, []),
        *_indent(call + ",", "        "),
        *_run_sql(resets, timeouts, []),
    ]


def django_files(
    steps: Sequence[FileStep],
    target: Target,
    versions: Sequence[str],
    lock_timeout: str,
    statement_timeout: str,
) -> list[OutFile]:
    """One migration per step, each depending on the one before it."""
    app = django_app(target.directory)
    state = _DjangoState(app)
    previous = app.latest
    template = environment().get_template("scaffold/django_migration.py.j2")
    out: list[OutFile] = []
    for index, (step, number) in enumerate(zip(steps, versions, strict=False), 1):
        statements = split_statements(step.body)
        timeouts = _timeouts(step, lock_timeout, statement_timeout)
        notes: list[str] = []
        imports = ["from django.db import migrations, models"]
        operations: list[str] = []
        single = step.changes[0] if len(step.changes) == 1 else None
        concurrent = None
        if single is not None and single.kind == "drop_index":
            concurrent = state.concurrent_drop(single)
        if concurrent is not None:
            imports.append(
                "from django.contrib.postgres.operations import " + concurrent.split("(", 1)[0]
            )
            operations = _concurrent_ops(
                concurrent, _timeouts(step, lock_timeout, statement_timeout)
            )
        else:
            ops_state: list[str] = []
            for change in step.changes:
                ops_state.extend(state.state_for(change))
            reverse = reverse_of(step)
            if any(c.kind == "add_index" for c in step.changes) and not any(
                "AddIndex(" in op for op in ops_state
            ):
                notes.append(
                    "The index is not in the model state's Meta.indexes: it is a ForeignKey's "
                    "own index (db_index), or one a Django Index cannot say (UNIQUE, WHERE, "
                    "USING, an expression, a name over 30 characters). makemigrations neither "
                    "creates nor drops it."
                )
            if any(c.kind == "create_table" for c in step.changes):
                notes.append(
                    "Model state: created_at and updated_at are auto_now_add / auto_now "
                    "fields; the table's DEFAULT now() serves other writers."
                )
            if any(c.kind == "add_column" for c in step.changes) and "DEFAULT" in step.body:
                notes.append(
                    "The column's default is the database's: give the model field the same "
                    "default (or db_default), or the ORM inserts NULL for it."
                )
            operations = _run_sql(
                [*timeouts, *statements, *_resets(step)],
                None
                if reverse is None
                else ([*timeouts, *reverse, *_resets(step)] if reverse else []),
                ops_state,
            )
        if not any("models." in line for line in operations):
            imports[0] = "from django.db import migrations"
        name = f"{number}_{_slug(step.slug, 60)}"
        text = template.render(
            **_header(step, index, len(steps)),
            notes=[_doc(n) for n in notes],
            imports=imports,
            app=app.label,
            dependency=previous,
            operations=operations,
        )
        out.append(OutFile(f"{name}.py", text, step.transactional, len(statements)))
        previous = name
    return out


def render(
    steps: Sequence[FileStep],
    target: Target,
    versions: Sequence[str],
    lock_timeout: str,
    statement_timeout: str,
) -> list[OutFile]:
    """The framework's files for *steps* (refusals as :class:`InvalidInput`)."""
    try:
        if target.framework == "alembic":
            return alembic_files(steps, target, versions, lock_timeout, statement_timeout)
        return django_files(steps, target, versions, lock_timeout, statement_timeout)
    except HistoryError as exc:
        raise InvalidInput(str(exc)) from None
