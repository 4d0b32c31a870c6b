"""A Django project's migrations read with :mod:`ast`, without importing Django.

A history is a *project*: the directory with ``manage.py`` (or the directory given, when
none is above it) and every app below it that has a ``migrations`` package of
``NNNN_name.py`` files defining ``class Migration``.  Django's graph spans apps
(``dependencies`` cross them), so one project is one history.  Each file is read for what
the graph needs (``dependencies``, ``replaces``, ``run_before``, ``atomic``) and for the
line of each element of ``operations = [...]``, where its SQL is reported.

Squashed migrations are taken as Django's loader takes them for a database that has
applied none of the replaced migrations (a fresh database, and what ``sqlmigrate``
renders there): a squashed migration whose replaced migrations are present replaces them,
the replaced files are left out of the history, and dependencies on them point at it.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

from ...util.records import record
from .detect import is_django_migration
from .pyast import Arguments, assignments, dotted, literal, parse

_SKIP_DIRS = frozenset(
    {"node_modules", "site-packages", "__pycache__", "venv", "env", "build", "dist"}
)
# labels of Django's own apps, which a project's migrations may depend on
CONTRIB_APPS: dict[str, str] = {
    "admin": "django.contrib.admin",
    "auth": "django.contrib.auth",
    "contenttypes": "django.contrib.contenttypes",
    "sessions": "django.contrib.sessions",
    "sites": "django.contrib.sites",
    "flatpages": "django.contrib.flatpages",
    "redirects": "django.contrib.redirects",
}

Node = tuple[str, str]  # (app label, migration name)


@record
class Operation:
    """One element of ``operations``: its call name (``AddField``) and where it is."""

    name: str  # the called name's last part ("" when not a call)
    line: int
    call: ast.Call | None

    @property
    def label(self) -> str:
        """``RunPython(fill_sku)``: the operation and the function it runs, when named."""
        if self.call is None:
            return self.name
        code = Arguments.of(self.call).node(0, "code")
        name = dotted(code) if code is not None else ""
        return f"{self.name}({name})" if name else self.name


@record
class MigrationFile:
    """One migration file as the graph sees it."""

    path: Path
    app: str  # app label
    name: str  # file name without .py
    text: str
    dependencies: tuple[Node, ...]
    replaces: tuple[Node, ...]
    run_before: tuple[Node, ...]
    atomic: bool
    operations: tuple[Operation, ...]
    problem: str = ""  # why it could not be read (not valid Python, no Migration class)

    @property
    def node(self) -> Node:
        return (self.app, self.name)

    @property
    def ident(self) -> str:
        return f"{self.app}.{self.name}"

    @property
    def digest(self) -> str:
        return hashlib.blake2b(self.text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


@record
class App:
    """An app with a migrations package."""

    label: str
    module: str  # dotted module of the app, relative to the project directory
    path: Path


@record
class Project:
    root: Path
    apps: tuple[App, ...]
    migrations: tuple[MigrationFile, ...]  # after squash replacement, in path order
    replaced: tuple[Path, ...]  # files a squashed migration replaces (not in the history)
    settings_module: str  # from manage.py's DJANGO_SETTINGS_MODULE ("" when unknown)


def project_root(directory: Path) -> Path:
    """The directory with ``manage.py`` at or above *directory*, else *directory*."""
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        if (candidate / "manage.py").is_file():
            return candidate
    return directory


def migration_packages(root: Path) -> list[Path]:
    """Every ``migrations`` package below *root* holding at least one migration file."""
    found: list[Path] = []
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir() or entry.is_symlink():
                continue
            if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                continue
            if entry.name == "migrations" and (entry / "__init__.py").is_file():
                if any(is_django_migration(f) for f in entry.glob("*.py")):
                    found.append(entry)
                continue
            stack.append(entry)
    return sorted(found)


def _app_label(app_dir: Path) -> str:
    """The label in the app's ``apps.py`` (``label = "..."``), else its directory's name."""
    tree = parse(_read(app_dir / "apps.py"))
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                value = assignments(ast.Module(body=node.body, type_ignores=[])).get("label")
                label = literal(value) if value is not None else None
                if isinstance(label, str):
                    return label
    return app_dir.name


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _nodes(value: ast.expr | None, app: str) -> tuple[Node, ...]:
    """``[("app", "0001_x"), ...]`` read statically; ``swappable_dependency(...)`` calls
    and anything else not literal are skipped (the renderer resolves them)."""
    if not isinstance(value, (ast.List, ast.Tuple)):
        return ()
    out: list[Node] = []
    for element in value.elts:
        item = literal(element)
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(i, str) for i in item):
            out.append((item[0], item[1]))
    return tuple(out)


def read_migration(path: Path, app: str) -> MigrationFile:
    text = _read(path)
    tree = parse(text, str(path))
    empty = MigrationFile(path, app, path.stem, text, (), (), (), True, ())
    if tree is None:
        return _with_problem(empty, "not valid Python")
    cls = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
    )
    if cls is None:
        return _with_problem(empty, "no `class Migration`")
    body = assignments(ast.Module(body=cls.body, type_ignores=[]))
    atomic = literal(body["atomic"]) if "atomic" in body else True
    operations: list[Operation] = []
    ops = body.get("operations")
    if isinstance(ops, (ast.List, ast.Tuple)):
        for element in ops.elts:
            call = element if isinstance(element, ast.Call) else None
            name = dotted(call.func).rsplit(".", 1)[-1] if call is not None else ""
            operations.append(Operation(name, element.lineno, call))
    return MigrationFile(
        path,
        app,
        path.stem,
        text,
        _nodes(body.get("dependencies"), app),
        _nodes(body.get("replaces"), app),
        _nodes(body.get("run_before"), app),
        atomic is not False,
        tuple(operations),
    )


def _with_problem(m: MigrationFile, problem: str) -> MigrationFile:
    return MigrationFile(m.path, m.app, m.name, m.text, (), (), (), True, (), problem)


def settings_module(root: Path) -> str:
    """``DJANGO_SETTINGS_MODULE`` as ``manage.py`` sets it (``os.environ.setdefault``)."""
    tree = parse(_read(root / "manage.py"))
    if tree is None:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and dotted(node.func).endswith("setdefault"):
            args = Arguments.of(node)
            if args.value(0, "key") == "DJANGO_SETTINGS_MODULE":
                value = args.value(1, "value")
                if isinstance(value, str):
                    return value
    return ""


def read_project(directory: Path) -> Project:
    root = project_root(directory)
    apps: list[App] = []
    files: list[MigrationFile] = []
    for package in migration_packages(root):
        app_dir = package.parent
        label = _app_label(app_dir)
        module = ".".join(app_dir.relative_to(root).parts)
        apps.append(App(label, module, app_dir))
        for path in sorted(package.glob("*.py")):
            if is_django_migration(path):
                files.append(read_migration(path, label))
    kept, replaced = squash(files)
    return Project(root, tuple(apps), tuple(kept), replaced, settings_module(root))


def squash(files: Iterable[MigrationFile]) -> tuple[list[MigrationFile], tuple[Path, ...]]:
    """Squashed migrations in place of the ones they replace (as for a fresh database):
    the migrations kept (dependencies on a replaced one point at its replacement) and the
    replaced files."""
    files = list(files)
    by_node = {m.node: m for m in files}
    replacement: dict[Node, Node] = {}
    for m in files:
        for node in m.replaces:
            replacement[node] = m.node
    replaced = {node for node in replacement if node in by_node}
    kept: list[MigrationFile] = []
    for m in files:
        if m.node in replaced:
            continue
        deps = tuple(dict.fromkeys(replacement.get(d, d) for d in m.dependencies))
        before = tuple(dict.fromkeys(replacement.get(d, d) for d in m.run_before))
        deps = tuple(d for d in deps if d != m.node)
        kept.append(
            MigrationFile(
                m.path,
                m.app,
                m.name,
                m.text,
                deps,
                m.replaces,
                before,
                m.atomic,
                m.operations,
                m.problem,
            )
        )
    return kept, tuple(sorted(by_node[n].path for n in replaced))


def parents(m: MigrationFile, known: set[Node]) -> tuple[str, ...]:
    """The idents of the migrations of the project that *m* depends on."""
    return tuple(f"{a}.{n}" for a, n in m.dependencies if (a, n) in known)


def graph_order(project: Project) -> list[MigrationFile]:
    """The project's migrations in an order ``migrate`` may apply them (parents first,
    ``run_before`` honoured)."""
    from .rendered import RenderedMigration, order

    known = {m.node for m in project.migrations}
    shells = [
        RenderedMigration(
            str(m.path),
            m.ident,
            parents(m, known),
            (),
            children_first=tuple(f"{a}.{n}" for a, n in m.run_before),
        )
        for m in project.migrations
    ]
    by_ident = {m.ident: m for m in project.migrations}
    return [by_ident[s.ident] for s in order(shells)]
