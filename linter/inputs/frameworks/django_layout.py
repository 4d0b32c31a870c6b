"""Django migrations: the SQL ``migrate`` runs, on the lines of the operations that wrote it.

Detection reads files only (``manage.py``, ``migrations`` packages of ``NNNN_name.py``
files with ``class Migration``); Django is imported only to render, in a process of its
own (:mod:`linter.server.django_render`), never in sqlsafe's.  The history is the project
(:mod:`.django_graph`): every app's migrations, ordered by the graph.

Each statement is placed on the line of its operation in ``operations = [...]``; the SQL
of ``RunSQL`` on the line of its string literal (so a multi-line statement lines up with
the file), ``reverse_sql`` likewise in the down migration.  A migration Django cannot
render (Django or a module the migration imports is missing, the project's settings are
unusable) is read statically (:mod:`.django_static`), and ``static_reason`` says why.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .detect import is_django_migration
from .django_graph import (
    CONTRIB_APPS,
    MigrationFile,
    Node,
    Operation,
    Project,
    graph_order,
    migration_packages,
    parents,
    project_root,
    read_project,
)
from .django_static import static_migrations
from .pyast import Arguments, assignments, literal, parse
from .rendered import Chunk, RenderedMigration, flatten, indented
from .store import RenderStore, render_key

# run in a process of its own, never imported here (it imports Django, and the server)
RENDER_MODULE = "linter.server.django_render"
RENDER_TIMEOUT = 600.0  # seconds for the whole project (a replay starts a server)


def detect(directory: Path) -> bool:
    """A Django project (``manage.py`` beside migrations packages) or a ``migrations``
    package (or an app holding one) of Django migration files."""
    directory = Path(directory)
    if not directory.is_dir():
        return False
    if directory.name == "migrations":
        return any(is_django_migration(f) for f in directory.glob("*.py"))
    if (directory / "migrations").is_dir():
        return any(is_django_migration(f) for f in (directory / "migrations").glob("*.py"))
    if (directory / "manage.py").is_file():
        return bool(migration_packages(directory))
    return False


# ----------------------------------------------------------------------------- settings
def _settings_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolve(node: ast.expr | None, names: dict[str, ast.expr], depth: int = 0) -> Any:
    """A literal, where names of the module's other assignments and ``+`` of lists count."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Name):
        return _resolve(names.get(node.id), names, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _resolve(node.left, names, depth + 1), _resolve(node.right, names, depth + 1)
        if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            return [*left, *right]
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_resolve(e, names, depth + 1) for e in node.elts]
        return None if any(i is None for i in items) else items
    value = literal(node)
    return value if isinstance(value, (str, int, bool)) else None


def static_settings(root: Path, module: str) -> dict[str, Any]:
    """``INSTALLED_APPS`` and ``AUTH_USER_MODEL`` read from the settings file without
    running it (for settings that need secrets to import)."""
    path = _settings_file(root, module) if module else None
    tree = parse(path.read_text(encoding="utf-8", errors="replace")) if path else None
    if tree is None:
        return {}
    names = assignments(tree)
    out: dict[str, Any] = {}
    apps = _resolve(names.get("INSTALLED_APPS"), names)
    if isinstance(apps, list) and all(isinstance(a, str) for a in apps):
        out["INSTALLED_APPS"] = apps
    user = _resolve(names.get("AUTH_USER_MODEL"), names)
    if isinstance(user, str):
        out["AUTH_USER_MODEL"] = user
    return out


def derived_apps(project: Project) -> list[str]:
    """INSTALLED_APPS when the settings cannot be read: Django's own apps the migrations
    depend on, then the project's apps."""
    labels = {a for m in project.migrations for a, _ in m.dependencies}
    if any("swappable_dependency" in m.text for m in project.migrations):
        labels.add("auth")
    if labels & {"auth", "admin"}:
        labels.add("contenttypes")
    contrib = [CONTRIB_APPS[label] for label in CONTRIB_APPS if label in labels]
    order = ["django.contrib.contenttypes", "django.contrib.auth"]
    contrib.sort(key=lambda name: order.index(name) if name in order else len(order))
    return [*contrib, *(app.module for app in project.apps)]


def django_version() -> str | None:
    """The installed Django's version (without importing it), or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("Django")
    except PackageNotFoundError:
        return None


# ----------------------------------------------------------------------------- keys
def _keys(project: Project, salt: str) -> dict[Node, str]:
    """Per migration: its content and that of everything it runs after (its dependency
    closure, ``run_before`` included), keyed like every rendering (``store.render_key``:
    the render format, sqlsafe's and Python's versions)."""
    after: dict[Node, set[Node]] = {m.node: set(m.dependencies) for m in project.migrations}
    for m in project.migrations:
        for child in m.run_before:
            if child in after:
                after[child].add(m.node)
    keys: dict[Node, str] = {}
    for m in graph_order(project):  # parents first: their keys are known
        # a parent outside the project (Django's own apps) or in a cycle: by name
        parts = sorted(keys.get(p, f"{p[0]}.{p[1]}") for p in after[m.node])
        keys[m.node] = render_key(salt, f"{m.digest}\0{parts}".encode())
    return keys


# ----------------------------------------------------------------------------- render
def _render(
    project: Project, nodes: Sequence[Node], settings_module: str, pg_version: int | None
) -> dict[str, Any]:
    """Run :mod:`linter.server.django_render` for *nodes*; its result (``error`` when it failed)."""
    request = {
        "root": str(project.root),
        "settings_module": settings_module,
        "static_settings": static_settings(project.root, settings_module),
        "derived_apps": derived_apps(project),
        "apps": [[app.label, app.module] for app in project.apps],
        "render": [list(node) for node in nodes],
        "pg_version": pg_version,
    }
    with tempfile.TemporaryDirectory(prefix="sqlsafe-django-") as tmp:
        request_file, result_file = Path(tmp, "request.json"), Path(tmp, "result.json")
        request_file.write_text(json.dumps(request), encoding="utf-8")
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[3])  # sqlsafe's own package, importable
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    RENDER_MODULE,
                    str(request_file),
                    str(result_file),
                ],
                cwd=project.root,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RENDER_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"error": f"rendering did not finish: {exc}"}
        try:
            result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = (done.stderr or "").strip().splitlines()
            return {"error": f"rendering failed: {tail[-1] if tail else done.returncode}"}
    return result


def _sql_literals(call: ast.Call | None, name: str, index: int) -> list[ast.Constant] | None:
    """The string literals of a ``RunSQL`` argument (``sql`` / ``reverse_sql``), one per
    statement Django sends; None when it is not literal."""
    if call is None:
        return None
    node = Arguments.of(call).node(index, name)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, (ast.List, ast.Tuple)):
        out: list[ast.Constant] = []
        for element in node.elts:
            if isinstance(element, (ast.Tuple, ast.List)) and element.elts:
                element = element.elts[0]  # (sql, params)
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                return None
            out.append(element)
        return out
    return None


def _runsql_calls(operation: Operation) -> list[ast.Call]:
    """The ``RunSQL`` calls whose SQL this operation sends: itself, or those among a
    ``SeparateDatabaseAndState``'s ``database_operations``."""
    call = operation.call
    if call is None:
        return []
    if operation.name == "RunSQL":
        return [call]
    if operation.name == "SeparateDatabaseAndState":
        ops = Arguments.of(call).node(1, "database_operations")
        if isinstance(ops, (ast.List, ast.Tuple)):
            inner = [e for e in ops.elts if isinstance(e, ast.Call)]
            if all(getattr(e.func, "attr", getattr(e.func, "id", "")) == "RunSQL" for e in inner):
                return inner
    return []


def _chunks(operation: Operation, statements: Sequence[str], down: bool) -> list[Chunk]:
    """*statements* of one operation placed in the file: each on its ``RunSQL`` string
    literal's line when they are those literals, else all on the operation's line."""
    literals: list[ast.Constant] = []
    for call in _runsql_calls(operation):
        found = _sql_literals(call, "reverse_sql" if down else "sql", 1 if down else 0)
        if found is None:
            literals = []
            break
        literals.extend(found)
    if literals and len(literals) == len(statements):
        same = all(
            s.strip().rstrip(";").strip() == str(lit.value).strip().rstrip(";").strip()
            for s, lit in zip(statements, literals, strict=False)
        )
        if same:
            return [Chunk(s, lit.lineno) for s, lit in zip(statements, literals, strict=False)]
    flat = " ".join(flatten(s) for s in statements if s.strip())
    return [Chunk(flat, operation.line)] if flat else []


def _rendered(
    m: MigrationFile, path: str, data: dict[str, Any], known: set[Node]
) -> RenderedMigration:
    ops: list[dict[str, Any]] = data["ops"]
    operations = list(m.operations)
    if len(operations) != len(ops):  # operations not a list literal: all on the class line
        line = next(iter(o.line for o in operations), 1)
        operations = [Operation(o["kind"], line, None) for o in ops]
    up: list[Chunk] = []
    steps: list[Chunk] = []
    for operation, op in zip(operations, ops, strict=False):
        up.extend(_chunks(operation, op["up"], down=False))
        if op.get("python"):
            steps.append(Chunk(operation.label or op["kind"], operation.line))
    # The down migration in the order of the file, each operation's reverse on its line
    # (Django runs them last operation first; a text's statements cannot go up the file,
    # and a reverse rarely depends on the one after it: lines, and suppressions, win).
    down: list[Chunk] | None = []
    for operation, op in zip(operations, ops, strict=False):
        if op.get("down") is None or down is None:
            down = None
            continue
        down.extend(_chunks(operation, op["down"], down=True))
    source = m.text.split("\n")
    return RenderedMigration(
        path,
        m.ident,
        parents(m, known),
        indented(up, source),
        indented(down, source) if down is not None else None,
        bool(data["atomic"]),
        static_reason="",
        children_first=tuple(f"{a}.{n}" for a, n in m.run_before),
        data_steps=tuple(steps),
    )


def migrations(
    directory: Path,
    files: Sequence[Path],
    cache: RenderStore | None = None,
    *,
    settings_module: str | None = None,
    target_version: int | None = None,
) -> list[RenderedMigration]:
    """The Django migrations among *files* (all of the project's when *files* is empty),
    rendered as ``migrate`` runs them; each ``path`` as given in *files*.

    *settings_module* (``--django-settings``; else ``$DJANGO_SETTINGS_MODULE``, else what
    ``manage.py`` sets) names the settings INSTALLED_APPS is read from; its database is
    never used."""
    project = read_project(Path(directory))
    given = {Path(f).resolve(): str(f) for f in files}
    wanted = [m for m in project.migrations if not given or m.path.resolve() in given]
    if not wanted:
        return []
    path_of = {m.node: given.get(m.path.resolve(), str(m.path)) for m in wanted}
    module = settings_module or os.environ.get("DJANGO_SETTINGS_MODULE") or project.settings_module
    version = django_version()
    if version is None:
        reason = "Django is not installed in the Python environment sqlsafe runs in"
        return static_migrations(project, wanted, path_of, dict.fromkeys(path_of, reason))
    settings_file = _settings_file(project.root, module) if module else None
    salt = "\0".join(
        [
            f"django {version}",
            module,
            settings_file.read_text(errors="replace") if settings_file else "",
            str(target_version),
        ]
    )
    keys = _keys(project, salt)
    known = {m.node for m in project.migrations}
    out: dict[Node, RenderedMigration] = {}
    for m in wanted:
        hit = cache.get(keys[m.node], path_of[m.node]) if cache is not None else None
        if hit is not None:
            out[m.node] = hit
    missing = [m for m in wanted if m.node not in out]
    if missing:
        result = _render(project, [m.node for m in missing], module, target_version)
        error = result.get("error")
        rendered: dict[str, Any] = result.get("migrations", {})
        errors: dict[str, str] = result.get("errors", {})
        unrendered: dict[Node, str] = {}
        for m in missing:
            data = rendered.get(m.ident)
            if data is None:
                reason = error or errors.get(m.ident) or "Django did not load this migration"
                unrendered[m.node] = _why(reason)
                continue
            out[m.node] = _rendered(m, path_of[m.node], data, known)
            if cache is not None:
                cache.put(keys[m.node], out[m.node])
        if unrendered:
            static = [m for m in missing if m.node in unrendered]
            read = static_migrations(project, static, path_of, unrendered)
            out.update((m.node, r) for m, r in zip(static, read, strict=True))
    return [out[m.node] for m in wanted]


def _why(error: str) -> str:
    return f"Django could not render it ({error})"


def history_root(directory: Path) -> Path:
    """The project a directory of Django migrations belongs to (its history)."""
    return project_root(directory)
