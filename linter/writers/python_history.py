"""What the writers read from an Alembic or Django history, statically (``ast``, no import).

Alembic: the versions directory, its revisions and the head a new revision chains to, and
the tables ``op.create_table`` creates (with their primary key, for batched backfills).
Django: the app's ``migrations`` package, its latest migration (the one a new migration
depends on) and the models its migrations build (table, fields, indexes), so that a
``RunSQL`` can carry the ``state_operations`` that keep Django's model state right.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.frameworks.detect import is_alembic_revision, is_django_migration
from ..util.records import record


class HistoryError(ValueError):
    """The history cannot be written to as asked (a message for the user)."""


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def _literal(node: ast.AST | None) -> object:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _module_values(tree: ast.Module) -> dict[str, ast.AST | None]:
    out: dict[str, ast.AST | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            out[stmt.target.id] = stmt.value
    return out


# ------------------------------------------------------------------------------ Alembic
def alembic_versions_dir(directory: Path) -> Path:
    """The directory new revisions go to, from a project root (``alembic.ini``'s
    ``script_location``), an Alembic script directory, or the versions directory itself."""
    ini = directory / "alembic.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except configparser.Error as exc:
            raise HistoryError(f"{ini}: cannot read it: {exc}") from None
        location = parser.get("alembic", "script_location", fallback=None)
        if not location:
            raise HistoryError(f"{ini}: no script_location in its [alembic] section")
        location = location.replace("%(here)s", str(directory))
        if ":" in location and not Path(location).exists():
            raise HistoryError(
                f"{ini}: script_location {location!r} is a package resource: pass --dir "
                "with the versions directory"
            )
        script = Path(location)
        if not script.is_absolute():
            script = directory / script
        return script / "versions"
    if (directory / "env.py").is_file() and (directory / "versions").is_dir():
        return directory / "versions"
    return directory


@record
class Revision:
    path: Path
    revision: str
    down: tuple[str, ...]


def alembic_revisions(versions: Path) -> list[Revision]:
    out: list[Revision] = []
    if not versions.is_dir():
        return out
    for path in sorted(versions.glob("*.py")):
        if not is_alembic_revision(path):
            continue
        tree = _parse(path)
        if tree is None:
            raise HistoryError(f"{path}: not valid Python, so its revision cannot be read")
        values = _module_values(tree)
        rev = _literal(values.get("revision"))
        if not isinstance(rev, str):
            raise HistoryError(f"{path}: `revision` is not a string literal")
        down = _literal(values.get("down_revision"))
        if down is None:
            parents: tuple[str, ...] = ()
        elif isinstance(down, str):
            parents = (down,)
        elif isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
            parents = tuple(down)
        else:
            raise HistoryError(f"{path}: `down_revision` is not a string, a tuple or None")
        out.append(Revision(path, rev, parents))
    return out


def alembic_head(versions: Path, given: str | None) -> str | None:
    """The revision a new revision chains to: the single head (None for an empty
    history), or *given* (``--head``) when it is a known revision."""
    revisions = alembic_revisions(versions)
    known = {r.revision: r for r in revisions}
    if given is not None:
        matches = [r for r in known if r == given or r.startswith(given)]
        if len(matches) != 1:
            raise HistoryError(
                f"--head {given}: "
                + ("no revision" if not matches else "several revisions")
                + f" in {versions} match{'es' if len(matches) == 1 else ''} it"
            )
        return matches[0]
    pointed = {d for r in revisions for d in r.down}
    heads = sorted(r.revision for r in revisions if r.revision not in pointed)
    if len(heads) > 1:
        shown = ", ".join(f"{h} ({known[h].path.name})" for h in heads)
        raise HistoryError(
            f"{versions} has {len(heads)} heads ({shown}): merge them first "
            "(alembic merge heads), or pass --head REV to chain to one of them"
        )
    return heads[0] if heads else None


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def alembic_tables(versions: Path) -> dict[str, tuple[str, ...]]:
    """Table -> primary key columns, for every ``op.create_table`` in the revisions."""
    out: dict[str, tuple[str, ...]] = {}
    for revision in alembic_revisions(versions):
        tree = _parse(revision.path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _call_name(node) == "create_table"):
                continue
            name = _literal(node.args[0]) if node.args else _literal(_kw(node, "table_name"))
            if not isinstance(name, str):
                continue
            keys: list[str] = []
            for arg in node.args[1:]:
                if not isinstance(arg, ast.Call):
                    continue
                kind = _call_name(arg)
                if kind == "Column" and arg.args and _literal(_kw(arg, "primary_key")) is True:
                    column = _literal(arg.args[0])
                    if isinstance(column, str):
                        keys.append(column)
                elif kind == "PrimaryKeyConstraint":
                    keys.extend(c for c in (_literal(a) for a in arg.args) if isinstance(c, str))
            out[name] = tuple(keys)
    return out


def alembic_sql(versions: Path) -> list[str]:
    """The SQL string literals ``op.execute`` runs in the revisions' ``upgrade()``, in
    chain order (the tables they create count as the history's too)."""
    revisions = {r.revision: r for r in alembic_revisions(versions)}
    done: set[str] = set()
    ordered: list[Revision] = []

    def visit(rev: str) -> None:
        if rev in done or rev not in revisions:
            return
        done.add(rev)
        for parent in revisions[rev].down:
            visit(parent)
        ordered.append(revisions[rev])

    for rev in sorted(revisions):
        visit(rev)
    out: list[str] = []
    for revision in ordered:
        tree = _parse(revision.path)
        for stmt in tree.body if tree is not None else ():
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "upgrade":
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Call) and _call_name(node) == "execute" and node.args:
                        sql = _literal(node.args[0])
                        if isinstance(sql, str):
                            out.append(sql)
    return out


# ------------------------------------------------------------------------------- Django
_NUMBER = re.compile(r"^(\d{4})_")


def django_migrations_dir(directory: Path) -> Path:
    """The ``migrations`` package new migrations go to: *directory* itself, the
    ``migrations`` folder of an app, or that of the only app of a project (``manage.py``)."""
    if directory.name == "migrations" or any(
        is_django_migration(p) for p in directory.glob("*.py")
    ):
        return directory
    if (directory / "migrations").is_dir():
        return directory / "migrations"
    if (directory / "manage.py").is_file():
        found = sorted(
            p.parent
            for p in directory.glob("*/migrations/__init__.py")
            if not any(part.startswith(".") for part in p.parts)
        )
        if len(found) == 1:
            return found[0]
        shown = ", ".join(str(p) for p in found) or "none"
        raise HistoryError(
            f"{directory} is a Django project with {len(found)} apps with migrations "
            f"({shown}): pass --dir APP/migrations"
        )
    raise HistoryError(f"{directory} is not a Django app's migrations package")


@dataclass(slots=True)
class Model:
    """One model of the app, as its migrations build it."""

    name: str
    table: str
    fields: dict[str, str] = field(default_factory=dict)  # field name -> source of the field
    columns: dict[str, str] = field(default_factory=dict)  # column -> field name
    indexes: set[str] = field(default_factory=set)
    pk: str = "id"


@dataclass(slots=True)
class DjangoApp:
    label: str
    directory: Path
    latest: str | None
    next_number: int
    models: dict[str, Model]  # lower-case model name -> model

    def model_for_table(self, table: str) -> Model | None:
        for model in self.models.values():
            if model.table == table:
                return model
        return None


_FIELD_ORDER = {
    "CreateModel": ("name", "fields", "options"),
    "AddField": ("model_name", "name", "field"),
    "AlterField": ("model_name", "name", "field"),
    "RemoveField": ("model_name", "name"),
    "RenameField": ("model_name", "old_name", "new_name"),
    "AlterModelTable": ("name", "table"),
    "DeleteModel": ("name",),
    "RenameModel": ("old_name", "new_name"),
    "AddIndex": ("model_name", "index"),
    "AddIndexConcurrently": ("model_name", "index"),
    "RemoveIndex": ("model_name", "name"),
    "RemoveIndexConcurrently": ("model_name", "name"),
    "RenameIndex": ("model_name", "new_name", "old_name", "old_fields"),
}


def _args(call: ast.Call, kind: str) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = dict(zip(_FIELD_ORDER.get(kind, ()), call.args, strict=False))
    out.update({k.arg: k.value for k in call.keywords if k.arg})
    return out


def _column_of(name: str, source: ast.AST) -> str:
    if isinstance(source, ast.Call):
        column = _literal(_kw(source, "db_column"))
        if isinstance(column, str):
            return column
        if _call_name(source) in ("ForeignKey", "OneToOneField"):
            return f"{name}_id"
    return name


def _index_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Call):
        name = _literal(_kw(node, "name"))
        return name if isinstance(name, str) else None
    return None


def _add_field(model: Model, name: str, source: ast.AST) -> None:
    model.fields[name] = ast.unparse(source)
    model.columns[_column_of(name, source)] = name
    if isinstance(source, ast.Call) and _literal(_kw(source, "primary_key")) is True:
        model.pk = _column_of(name, source)


def _remove_field(model: Model, name: str) -> None:
    model.fields.pop(name, None)
    for column, owner in list(model.columns.items()):
        if owner == name:
            del model.columns[column]


def _apply(app: str, models: dict[str, Model], kind: str, args: dict[str, ast.AST]) -> None:
    def text(key: str) -> str | None:
        value = _literal(args.get(key))
        return value if isinstance(value, str) else None

    if kind == "CreateModel" and (name := text("name")):
        options = _literal(args.get("options")) if "options" in args else {}
        table = options.get("db_table") if isinstance(options, dict) else None
        model = Model(name, table if isinstance(table, str) else f"{app}_{name.lower()}")
        fields = args.get("fields")
        for item in fields.elts if isinstance(fields, (ast.List, ast.Tuple)) else ():
            if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                fname = _literal(item.elts[0])
                if isinstance(fname, str):
                    _add_field(model, fname, item.elts[1])
        option_node = args.get("options")
        if isinstance(option_node, ast.Dict):
            for key, value in zip(option_node.keys, option_node.values, strict=True):
                if _literal(key) == "indexes" and isinstance(value, (ast.List, ast.Tuple)):
                    model.indexes.update(n for n in map(_index_name, value.elts) if n)
        models[name.lower()] = model
        return
    target = text("model_name") or text("name") or text("old_name")
    found = models.get(target.lower()) if target else None
    if found is None:
        return
    model = found
    if kind in ("AddField", "AlterField") and (fname := text("name")) and "field" in args:
        _remove_field(model, fname)
        _add_field(model, fname, args["field"])
    elif kind == "RemoveField" and (fname := text("name")):
        _remove_field(model, fname)
    elif kind == "RenameField" and (old := text("old_name")) and (new := text("new_name")):
        source = model.fields.get(old)
        _remove_field(model, old)
        if source is not None:
            _add_field(model, new, ast.parse(source, mode="eval").body)
    elif kind == "AlterModelTable":
        model.table = text("table") or f"{app}_{model.name.lower()}"
    elif kind == "DeleteModel":
        models.pop(model.name.lower(), None)
    elif kind == "RenameModel" and (new := text("new_name")):
        models.pop(model.name.lower(), None)
        if model.table == f"{app}_{model.name.lower()}":
            model.table = f"{app}_{new.lower()}"
        model.name = new
        models[new.lower()] = model
    elif kind in ("AddIndex", "AddIndexConcurrently") and (index := _index_name(args.get("index"))):
        model.indexes.add(index)
    elif kind in ("RemoveIndex", "RemoveIndexConcurrently") and (index := text("name")):
        model.indexes.discard(index)
    elif kind == "RenameIndex" and (new := text("new_name")):
        if old := text("old_name"):
            model.indexes.discard(old)
        model.indexes.add(new)


def _operations(tree: ast.Module) -> list[ast.Call]:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Migration":
            for item in stmt.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "operations" for t in item.targets)
                    and isinstance(item.value, (ast.List, ast.Tuple))
                ):
                    return [op for op in item.value.elts if isinstance(op, ast.Call)]
    return []


def _state_calls(calls: list[ast.Call]) -> list[ast.Call]:
    """The operations that change the state, the ``state_operations`` of ``RunSQL`` and
    ``SeparateDatabaseAndState`` in their place."""
    out: list[ast.Call] = []
    for call in calls:
        if _call_name(call) in ("RunSQL", "SeparateDatabaseAndState"):
            inner = _kw(call, "state_operations")
            if isinstance(inner, (ast.List, ast.Tuple)):
                out.extend(_state_calls([c for c in inner.elts if isinstance(c, ast.Call)]))
        else:
            out.append(call)
    return out


def _migration_value(tree: ast.Module, name: str) -> object:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Migration":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in item.targets
                ):
                    return _literal(item.value)
    return None


def _sequence(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else []


def django_app(directory: Path) -> DjangoApp:
    """The app whose ``migrations`` package is *directory*: its label (the app folder's
    name), latest migration, next number and models."""
    label = directory.resolve().parent.name
    files = sorted(p for p in directory.glob("*.py") if is_django_migration(p))
    names = [p.stem for p in files]
    depended: set[str] = set()
    replaced: set[str] = set()
    models: dict[str, Model] = {}
    for path in files:
        tree = _parse(path)
        if tree is None:
            raise HistoryError(f"{path}: not valid Python, so its migration cannot be read")
        for dependency in _sequence(_migration_value(tree, "dependencies")):
            if isinstance(dependency, (tuple, list)) and len(dependency) == 2:
                if dependency[0] == label:
                    depended.add(str(dependency[1]))
        for name in _sequence(_migration_value(tree, "replaces")):
            if isinstance(name, (tuple, list)) and len(name) == 2 and name[0] == label:
                replaced.add(str(name[1]))
        for call in _state_calls(_operations(tree)):
            kind = _call_name(call)
            _apply(label, models, kind, _args(call, kind))
    leaves = [n for n in names if n not in depended and n not in replaced]
    if len(leaves) > 1:
        raise HistoryError(
            f"{directory} has {len(leaves)} latest migrations ({', '.join(leaves)}): merge "
            "them first (manage.py makemigrations --merge)"
        )
    numbers = [int(m.group(1)) for n in names if (m := _NUMBER.match(n))]
    return DjangoApp(
        label, directory, leaves[0] if leaves else None, max(numbers, default=0) + 1, models
    )


def known_tables(framework: str, directory: Path) -> dict[str, tuple[str, ...]]:
    """Table -> primary key columns, as far as the history shows them statically."""
    if framework == "alembic":
        return alembic_tables(directory)
    return {m.table: (m.pk,) for m in django_app(directory).models.values()}
