"""Render Django migrations to SQL with Django's own PostgreSQL schema editor.

Run as ``python -m linter.server.django_render REQUEST RESULT`` in a process of its own
(Django's settings and app registry are process-global):
:mod:`linter.inputs.frameworks.django_layout` writes the request (JSON) and reads the
result (JSON), and never imports this module.  This module imports Django (the rest of
sqlsafe never does) and, when Django asks the database, starts the embedded server
(:mod:`.pgserver`): that is why it lives with the server.

How, per migration of the whole graph in the order ``migrate`` applies it (the state
carried forward, as ``migrate`` carries it):

* **offline** (the default): ``connection.schema_editor(collect_sql=True)`` and
  ``migration.apply(state, editor, collect_sql=True)``, as ``sqlmigrate`` does, one
  operation at a time (so each statement is known to come from its operation), with no
  database at all: the configured database is a socket that does not exist, and
  statements with parameters (column defaults) are composed by Django's generic
  ``collect_sql`` path (``sql % quote_value(param)``) instead of psycopg's ``mogrify``,
  which needs a connection.
* **replay**: the first time an operation needs the database (Django introspects the
  table for the names of constraints it drops: ``RemoveField`` of a foreign key,
  ``AlterField``, ``AlterUniqueTogether`` ...), a throwaway embedded PostgreSQL starts,
  every migration before it is applied to it for real (``RunPython`` left out: data
  migrations are not run), and from there on each migration is rendered against the
  database its predecessors left, then applied.

The user's settings are never used to connect: ``settings.configure()`` gets sqlsafe's own
``DATABASES``.  ``INSTALLED_APPS`` (and ``AUTH_USER_MODEL``, ``MIGRATION_MODULES``) come
from the user's settings module when it imports, else from what the request read
statically.  Apps are installed without importing their models (only their migrations
are needed), so a models module that cannot be imported does not stop the rendering.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sys
import time
import traceback
import types
from collections.abc import Iterator
from typing import Any

MARKER_NOT_SQL = "-- THIS OPERATION CANNOT BE WRITTEN AS SQL"
MARKER_NOOP = "-- (no-op)"
NO_SERVER = "/nonexistent-sqlsafe-no-database"


def _user_settings(name: str) -> dict[str, Any] | None:
    """The settings sqlsafe takes from the user's settings module, or None when it does
    not import (a secret from the environment that is not set, a missing package)."""
    if not name:
        return None
    try:
        module = __import__(name, fromlist=["_"])
    except BaseException:  # user code: anything can be raised, SystemExit included
        return None
    out: dict[str, Any] = {}
    for key in ("INSTALLED_APPS", "AUTH_USER_MODEL", "MIGRATION_MODULES", "DEFAULT_AUTO_FIELD"):
        if hasattr(module, key):
            out[key] = getattr(module, key)
    return out if "INSTALLED_APPS" in out else None


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _bare_apps(entries: list[str], labels: dict[str, str], skipped: list[str]) -> list[str]:
    """App configs for *entries* that do not import the app's models nor run ``ready()``:
    installed through a module of this process's own, by dotted path as Django takes them.
    Apps that are not installed go to *skipped* (a migration depending on one fails to
    load, and says so)."""
    from django.apps import AppConfig

    module = types.ModuleType("sqlsafe_bare_apps")
    paths: list[str] = []
    for i, entry in enumerate(entries):
        if not _importable(entry.split(".apps.", 1)[0] if ".apps." in entry else entry):
            if not _importable(entry.rsplit(".", 1)[0]):
                skipped.append(entry)
                continue
        name, label = entry, labels.get(entry, entry.rsplit(".", 1)[-1])
        try:
            real = AppConfig.create(entry)
            name, label = real.name, real.label
        except BaseException:
            if ".apps." in entry:
                name = entry.split(".apps.", 1)[0]
                label = labels.get(name, name.rsplit(".", 1)[-1])
        attrs = {
            "name": name,
            "label": label,
            "import_models": lambda self: setattr(self, "models", self.apps.all_models[self.label]),
            "ready": lambda self: None,
        }
        setattr(module, f"App{i}", type(f"App{i}", (AppConfig,), attrs))
        paths.append(f"{module.__name__}.App{i}")
    sys.modules[module.__name__] = module
    return paths


def configure(request: dict[str, Any], skipped: list[str]) -> str:
    """Configure Django for rendering; where INSTALLED_APPS came from (apps that are not
    installed go to *skipped*)."""
    import django
    from django.conf import settings

    user = _user_settings(request.get("settings_module", ""))
    source = "settings"
    if user is None:
        user = dict(request.get("static_settings") or {})
        source = "static" if "INSTALLED_APPS" in user else "derived"
        if source == "derived":
            user["INSTALLED_APPS"] = request["derived_apps"]
    labels = {module: label for label, module in request.get("apps", [])}
    installed = _bare_apps(list(user["INSTALLED_APPS"]), labels, skipped)
    options: dict[str, Any] = {
        "INSTALLED_APPS": installed,
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "sqlsafe",
                "HOST": NO_SERVER,
                "USER": "postgres",
                "CONN_MAX_AGE": None,
            }
        },
        "USE_TZ": True,
        "DEFAULT_AUTO_FIELD": user.get("DEFAULT_AUTO_FIELD", "django.db.models.AutoField"),
        "MIGRATION_MODULES": user.get("MIGRATION_MODULES") or {},
    }
    if user.get("AUTH_USER_MODEL"):
        options["AUTH_USER_MODEL"] = user["AUTH_USER_MODEL"]
    settings.configure(**options)
    django.setup()
    return source


def _needs_database(exc: BaseException) -> bool:
    from django.db.utils import Error

    return isinstance(exc, Error)


class Renderer:
    """Renders migrations one operation at a time; switches to replay on first need."""

    def __init__(self, pg_version: int | None) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections

        self.connection = connections[DEFAULT_DB_ALIAS]
        self.replaying = False
        self.server_seconds = 0.0
        self.stack = contextlib.ExitStack()
        self.pg_version = pg_version
        self._offline_editor()

    def _offline_editor(self) -> None:
        from django.db.backends.base.schema import BaseDatabaseSchemaEditor

        base = type(self.connection).SchemaEditorClass
        renderer = self

        class OfflineEditor(base):  # type: ignore[misc,valid-type]
            def execute(self, sql: Any, params: Any = ()) -> Any:
                if params is None or not self.collect_sql or renderer.replaying:
                    return super().execute(sql, params)
                # Django's generic collect_sql path: params quoted by quote_value
                return BaseDatabaseSchemaEditor.execute(self, sql, params)

        self.connection.SchemaEditorClass = OfflineEditor
        if self.pg_version:  # what the server would report (UniqueConstraint NULLS ...)
            self.connection.__dict__["pg_version"] = self.pg_version * 10000

    def start_replay(self) -> None:
        from .pgserver import embedded_server

        started = time.monotonic()
        uri = self.stack.enter_context(embedded_server())
        self.server_seconds = time.monotonic() - started
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(uri)
        host = parse_qs(parts.query).get("host", [parts.hostname or ""])[0]
        self.connection.close()
        self.connection.settings_dict.update(
            {
                "HOST": host,
                "PORT": str(parts.port or ""),
                "NAME": parts.path.lstrip("/") or "postgres",
                "USER": parts.username or "postgres",
            }
        )
        self.connection.__dict__.pop("pg_version", None)
        self.replaying = True

    # ------------------------------------------------------------------ one migration
    def render(self, migration: Any, state: Any) -> tuple[dict[str, Any], Any]:
        """The SQL of each operation of *migration* (up, and down when reversible) and
        the state after it. Raises what Django raises."""
        start = state.clone() if self.replaying else None
        ops, after, befores = self._forwards(migration, state)
        if self.replaying:
            after = self.apply(migration, start)
        downs = self._backwards(migration, befores)
        for op, down in zip(ops, downs, strict=False):
            op["down"] = down
        return {"atomic": bool(migration.atomic), "ops": ops}, after

    def _single(self, migration: Any, operation: Any) -> Any:
        single = copy.copy(migration)
        single.operations = [operation]
        single.atomic = False  # SQL is only collected: no transaction, no connection
        return single

    def _forwards(self, migration: Any, state: Any) -> tuple[list[dict[str, Any]], Any, list[Any]]:
        ops: list[dict[str, Any]] = []
        befores: list[Any] = []
        with _Collector(self.connection) as collect:
            for operation in migration.operations:
                befores.append(state.clone())
                with collect.operation(len(ops)):
                    single = self._single(migration, operation)
                    state = single.apply(state, collect.editor, collect_sql=True)
                ops.append(
                    {"kind": type(operation).__name__, "python": not operation.reduces_to_sql}
                )
        for op, statements in zip(ops, collect.statements, strict=False):
            op["up"] = statements
        return ops, state, befores

    def _backwards(self, migration: Any, befores: list[Any]) -> list[list[str] | None]:
        from django.db.migrations.exceptions import IrreversibleError

        count = len(befores)
        if not all(op.reversible for op in migration.operations):
            return [None] * count
        order = list(reversed(range(count)))
        with _Collector(self.connection) as collect:
            for index in order:
                with collect.operation(index):
                    single = self._single(migration, migration.operations[index])
                    try:
                        single.unapply(befores[index], collect.editor, collect_sql=True)
                    except IrreversibleError:
                        return [None] * count
        by_index = dict(zip(order, collect.statements, strict=False))
        return [by_index[i] for i in range(count)]

    # ------------------------------------------------------------------ replay
    def apply(self, migration: Any, state: Any) -> Any:
        """Apply *migration* to the embedded server for real (``RunPython`` left out);
        the state after it (also when the database refused it)."""
        from django.db.migrations.operations.special import RunPython

        before = state.clone()
        real = copy.copy(migration)
        real.operations = [op for op in migration.operations if not isinstance(op, RunPython)]
        for atomic in dict.fromkeys((bool(migration.atomic), False)):
            try:
                real.atomic = atomic
                with self.connection.schema_editor(atomic=atomic) as editor:
                    return real.apply(state, editor)
            except Exception:
                state = before.clone()
        return migration.mutate_state(before, preserve=False)

    def advance(self, migration: Any, state: Any) -> Any:
        """The state after a migration that is not rendered (applied when replaying)."""
        if self.replaying:
            return self.apply(migration, state)
        return migration.mutate_state(state, preserve=False)


class _Collector:
    """A collecting schema editor that tells which operation each statement comes from,
    the deferred ones too (foreign keys and indexes Django runs at the end of the
    migration are given to the operation that deferred them)."""

    def __init__(self, connection: Any) -> None:
        self.editor = connection.schema_editor(collect_sql=True, atomic=False)
        self.statements: list[list[str]] = []
        self._owner: list[tuple[Any, int]] = []
        self._order: list[int] = []  # the operation index of each entry of statements

    def __enter__(self) -> _Collector:
        self.editor.__enter__()
        return self

    @contextlib.contextmanager
    def operation(self, index: int) -> Iterator[None]:
        mark = len(self.editor.collected_sql)
        known = {id(s) for s in self.editor.deferred_sql}
        yield
        self.statements.append(_statements(self.editor.collected_sql[mark:]))
        self._order.append(index)
        self._owner.extend((s, index) for s in self.editor.deferred_sql if id(s) not in known)

    def __exit__(self, *exc: Any) -> None:
        pending = list(self.editor.deferred_sql)
        mark = len(self.editor.collected_sql)
        self.editor.__exit__(*exc)
        if exc[0] is not None:
            return
        position = {index: k for k, index in enumerate(self._order)}
        owner = {id(s): i for s, i in self._owner}
        for sql, statement in zip(pending, self.editor.collected_sql[mark:], strict=False):
            k = position.get(owner.get(id(sql), -1), len(self.statements) - 1)
            self.statements[k].append(statement)


def _statements(collected: list[str]) -> list[str]:
    """The SQL of one operation's collected lines, without Django's comment markers."""
    body = collected[3:]  # "--", "-- <describe>", "--"
    return [s for s in body if s not in (MARKER_NOT_SQL, MARKER_NOOP)]


def full_plan(graph: Any) -> list[tuple[str, str]]:
    """Every node of *graph* in the order ``migrate`` applies them (leaves by name)."""
    plan: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for leaf in sorted(graph.leaf_nodes()):
        for node in graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return plan


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """User code printing on stdout must not garble anything: send it to stderr."""
    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved


def run(request: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, request["root"])
    os.chdir(request["root"])
    result: dict[str, Any] = {"migrations": {}, "errors": {}}
    try:
        import django

        result["django"] = django.get_version()
        result["skipped_apps"] = []
        result["settings"] = configure(request, result["skipped_apps"])
        from django.db.migrations.loader import MigrationLoader
        from django.db.migrations.state import ProjectState

        loader = MigrationLoader(None, ignore_no_migrations=True)
    except BaseException as exc:
        result["error"] = _describe(exc)
        return result
    wanted = {tuple(node) for node in request["render"]}
    renderer = Renderer(request.get("pg_version"))
    plan = full_plan(loader.graph)
    state = ProjectState(real_apps=loader.unmigrated_apps)
    no_server = ""  # why the embedded server could not be used, once it failed
    try:
        index = 0
        while index < len(plan):
            node = plan[index]
            migration = loader.graph.nodes[node]
            if node not in wanted:
                state = renderer.advance(migration, state)
                index += 1
                continue
            before = state.clone()
            try:
                rendered, state = renderer.render(migration, state)
            except BaseException as exc:
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                problem = _describe(exc)
                if _needs_database(exc) and not renderer.replaying and not no_server:
                    try:
                        renderer.start_replay()
                    except Exception as server:  # not installed, or did not start
                        no_server = _no_server(server)
                    else:
                        state = ProjectState(real_apps=loader.unmigrated_apps)
                        for earlier in plan[:index]:
                            state = renderer.apply(loader.graph.nodes[earlier], state)
                        continue
                if _needs_database(exc) and no_server:
                    problem = no_server
                result["errors"][f"{node[0]}.{node[1]}"] = problem
                state = renderer.advance(migration, before)
                index += 1
                continue
            rendered["how"] = "replay" if renderer.replaying else "offline"
            result["migrations"][f"{node[0]}.{node[1]}"] = rendered
            index += 1
    finally:
        renderer.stack.close()
    result["server_seconds"] = renderer.server_seconds
    return result


def _no_server(exc: Exception) -> str:
    why = (
        "is not installed (pip install 'sqlsafe[trace]')"
        if isinstance(exc.__cause__, ImportError)
        else f"did not start ({exc})"
    )
    return (
        "Django asks the database to render it (the names of what it drops), and the "
        f"embedded PostgreSQL {why}"
    )


def _describe(exc: BaseException) -> str:
    """One line: the exception and the migration file line it came from, if any."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if "/migrations/" in frame.filename and "site-packages" not in frame.filename:
            where = f" ({frame.filename}:{frame.lineno})"
            break
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}{where}"


def main(argv: list[str]) -> int:
    request_file, result_file = argv
    with open(request_file, encoding="utf-8") as handle:
        request = json.load(handle)
    with _quiet():
        result = run(request)
    with open(result_file, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
