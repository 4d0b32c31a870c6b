"""Migration directory layouts: how each migration tool finds, orders and runs its files.

A *layout* names a migration runner's conventions.  :func:`detect_layout` guesses it from a
directory; :func:`migration_units` turns files into the ordered *migration units* the
runner would apply: which part of each file is applied (``applies``), which part is only
linted (down migrations), whether the runner wraps it in a transaction, and the version key
the runner orders by.  Sections of a file (goose / dbmate ``Up`` and ``Down``) keep their
line numbers: everything outside the section is blanked, never cut.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..util.lazyre import LazyPattern
from ..util.records import record
from .source import Source, SourceError, is_excluded, natural_key, read_source
from .tree import read_regular, scan_tree

if TYPE_CHECKING:
    from .frameworks.rendered import RenderedMigration
    from .frameworks.store import OpenStore

LAYOUTS: tuple[str, ...] = (
    "plain",
    "golang-migrate",
    "goose",
    "dbmate",
    "diesel",
    "prisma",
    "flyway",
    "sqlx",
    "popx",
    "postgres-migrations",
    "up-down",
    "alembic",
    "django",
)

# layouts whose migrations are Python files, rendered to SQL by ``linter.inputs.frameworks``
PYTHON_LAYOUTS = frozenset({"alembic", "django"})
# directories below a linted directory whose ``*.py`` files are never migrations
_NOT_MIGRATIONS = frozenset({"site-packages", "node_modules", "__pycache__"})

# Whether each runner wraps a migration file in a transaction by default (None: the
# ``assume-in-transaction`` setting decides).  "single" means: the file is sent as one
# multi-statement query, which PostgreSQL runs as one implicit transaction block, except
# that a file holding a single statement runs outside any transaction block.
TRANSACTION_DEFAULTS: dict[str, bool | str | None] = {
    "plain": None,
    "golang-migrate": "single",
    "goose": True,
    "dbmate": True,
    "diesel": True,
    "prisma": "single",
    "flyway": True,
    "sqlx": True,
    "popx": True,
    "postgres-migrations": True,
    "up-down": None,
    "alembic": True,
    "django": True,
}

# Runners that send a migration file to PostgreSQL as ONE query string (a multi-statement
# query runs as one implicit transaction block): golang-migrate and Prisma always, dbmate
# and diesel too (inside their own transaction, or outside one when the file says so).
ONE_QUERY_LAYOUTS = frozenset({"golang-migrate", "prisma", "dbmate", "diesel"})
ALWAYS_ONE_QUERY = frozenset({"golang-migrate", "prisma"})  # no marker: one statement a file

# How to make one file run outside a transaction, per layout (for the docs and messages).
NO_TRANSACTION_MARKERS: dict[str, str] = {
    "goose": "-- +goose NO TRANSACTION",
    "dbmate": "-- migrate:up transaction:false",
    "diesel": "run_in_transaction = false in the migration's metadata.toml",
    "flyway": "executeInTransaction=false in V<n>__name.sql.conf (or a "
    "-- flyway:executeInTransaction=false comment)",
    "sqlx": "-- no-transaction on the first line",
    "popx": ".autocommit. in the file name (<version>_<name>.postgres.autocommit.up.sql)",
    "golang-migrate": "one statement per file",
    "prisma": "one statement per migration.sql",
    "postgres-migrations": "-- postgres-migrations disable-transaction anywhere in the file",
    "alembic": "with op.get_context().autocommit_block(): around the operation",
    "django": "atomic = False on the Migration class",
}

Key = tuple[tuple[int, int | str], ...]

_GOOSE = LazyPattern(r"^[ \t]*--[ \t]*\+goose[ \t]+up\b", re.IGNORECASE | re.MULTILINE)
_GOOSE_MARK = LazyPattern(
    r"^[ \t]*--[ \t]*\+goose[ \t]+(?P<dir>up|down)\b[^\n]*", re.IGNORECASE | re.MULTILINE
)
_GOOSE_NO_TX = LazyPattern(
    r"^[ \t]*--[ \t]*\+goose[ \t]+no[ \t]+transaction\b", re.IGNORECASE | re.MULTILINE
)
_DBMATE = LazyPattern(r"^[ \t]*--[ \t]*migrate:up\b", re.IGNORECASE | re.MULTILINE)
_DBMATE_MARK = LazyPattern(
    r"^[ \t]*--[ \t]*migrate:(?P<dir>up|down)\b(?P<opts>[^\n]*)", re.IGNORECASE | re.MULTILINE
)
_FLYWAY = LazyPattern(r"^(?P<prefix>[VU])(?P<version>\d+(?:[._]\d+)*)__(?P<desc>.+)\.sql$")
_FLYWAY_REPEATABLE = LazyPattern(r"^R__(?P<desc>.+)\.sql$")
_FLYWAY_NO_TX = LazyPattern(r"executeInTransaction[ \t]*=[ \t]*false", re.IGNORECASE)
_FLYWAY_TX = LazyPattern(r"executeInTransaction[ \t]*=[ \t]*true", re.IGNORECASE)
_POPX = LazyPattern(
    r"^(?P<version>\d+)_(?P<name>[^.]+)(?:\.(?!autocommit\.)(?P<dialect>[a-z0-9]+))?"
    r"(?P<autocommit>\.autocommit)?\.(?P<dir>up|down)\.sql$",
    re.IGNORECASE,
)
_POPX_DIALECT = LazyPattern(
    r"\.(postgres|cockroach|mysql|sqlite3?|mssql)(\.autocommit)?\.(?:up|down)\.sql$",
    re.IGNORECASE,
)
_POPX_DIALECTS = frozenset({"postgres", "cockroach", "mysql", "sqlite3", "sqlite", "mssql"})
_UPDOWN = LazyPattern(r"^(?P<version>\d+)_(?P<name>.+)\.(?P<dir>up|down)\.sql$", re.IGNORECASE)
_VERSIONED = LazyPattern(r"^(?P<version>\d+)(?:_(?P<name>.*))?\.sql$", re.IGNORECASE)
# any versioned pair of up/down files: ``V1.CreateUsers.up.sql``, ``1-init.down.sql``
_ANY_UPDOWN = LazyPattern(
    r"^[A-Za-z]*(?P<version>\d+(?:[._]\d+)*)(?:[._-].*)?\.(?P<dir>up|down)\.sql$", re.IGNORECASE
)
# postgres-migrations (node): ``<id>_<name>.sql`` or ``<id>-<name>.sql``, ordered by id
_PG_MIGRATIONS = LazyPattern(r"^(?P<version>\d+)[-_].*\.sql$", re.IGNORECASE)
_PG_MIGRATIONS_NO_TX = "-- postgres-migrations disable-transaction"
_DIESEL_DIR = LazyPattern(r"^(?P<version>[0-9][0-9-]*)(?:_.*)?$")
_SQLX_NO_TX = LazyPattern(r"\A\s*--[ \t]*no-transaction\b", re.IGNORECASE)
_SQLSAFE_TX = LazyPattern(
    r"^[ \t]*--[ \t]*sqlsafe:[ \t]*(?P<value>no-transaction|transaction)\b",
    re.IGNORECASE | re.MULTILINE,
)

# unit groups: versioned migrations, then repeatables, then files the layout does not name
_VERSIONED_GROUP, _REPEATABLE_GROUP, _OTHER_GROUP = 0, 1, 2


@record
class MigrationUnit:
    """One part of a migration file, as its runner would run it."""

    path: str
    text: str  # the whole file, with everything outside this unit's section blanked
    applies: bool = True  # folded into the schema (False: down/undo migrations)
    in_transaction: bool | None = None  # None: the assume-in-transaction setting decides
    key: tuple[int, Key, Key] = (0, (), ())  # (group, version, path) ordering key
    direction: str = "up"  # up | down | repeatable | other
    layout: str = "plain"
    tx_from_comment: bool = False  # in_transaction was set by a comment in the file
    single_query: bool = False  # sent as one multi-statement query (see Source)
    history: str = ""  # the migrations directory whose history this unit belongs to
    undoes: str = ""  # a down migration: the path of its up migration (``link_downs``)
    static_reason: str = ""  # a Python migration read statically: why (said once a run)
    # a Python migration's data steps (Django ``RunPython``): (line, what runs), see Source
    data_steps: tuple[tuple[int, str], ...] = ()
    generated_lines: frozenset[int] = frozenset()  # see Source

    def source(self) -> Source:
        return Source(
            self.path,
            self.text,
            self.in_transaction,
            self.applies,
            self.single_query,
            self.history,
            self.layout,
            self.undoes,
            data_steps=self.data_steps,
            generated_lines=self.generated_lines,
        )


# ---------------------------------------------------------------------------- detection
def _sql_files(
    directory: Path,
    unreadable: list[tuple[str, str]] | None = None,
    python: list[Path] | None = None,
) -> list[Path]:
    """Every ``*.sql`` entry below *directory* but directories, sorted: regular files, and
    FIFOs, devices and sockets (reading refuses them: they are reported, not skipped).

    Links to directories are not followed, nor broken links (an editor's lock file);
    directories that cannot be listed go to *unreadable* with the reason when given.
    The ``*.py`` files go to *python* when given (sorted; see :func:`python_histories`).
    """
    found: list[Path] = []
    for entry in scan_tree(str(directory), unreadable=unreadable):
        try:
            name = entry.name
            if name.endswith(".sql") and (entry.is_file() or (not entry.is_dir() and entry.stat())):
                found.append(Path(entry.path))
            elif python is not None and name.endswith(".py") and entry.is_file():
                python.append(Path(entry.path))
        except OSError:
            continue
    found.sort(key=str)  # (``str`` is cached on each path: cheaper than Path comparisons)
    if python:
        python.sort(key=str)
    return found


def python_histories(
    top: Path, files: Sequence[Path], layout: str | None
) -> dict[Path, tuple[str, list[Path]]]:
    """The directories below *top* (or *top*) whose ``*.py`` *files* are migrations of a
    Python framework (:data:`PYTHON_LAYOUTS`): directory -> (layout, its ``.py`` files).

    Only *layout*'s framework is tried when it is one, none when it names a SQL layout;
    hidden directories, ``site-packages``, ``node_modules`` and ``__pycache__`` are not
    looked at.  The frameworks' modules are imported only when there are ``.py`` files.
    """
    if not files or (layout is not None and layout not in PYTHON_LAYOUTS):
        return {}
    groups: dict[Path, list[Path]] = {}
    for path in files:
        if path.name == "__init__.py":
            continue
        groups.setdefault(path.parent, []).append(path)
    from .frameworks import detect_framework

    found: dict[Path, tuple[str, list[Path]]] = {}
    for directory in sorted(groups, key=lambda d: natural_key(str(d))):
        try:
            parts = directory.relative_to(top).parts
        except ValueError:
            parts = ()
        if any(p.startswith(".") or p in _NOT_MIGRATIONS for p in parts):
            continue
        chosen = detect_framework(directory, layout)
        if chosen is not None:
            found[directory] = (chosen, groups[directory])
    return found


# a directory holding one migration (diesel, Prisma, versioned schema directories):
# its name starts with a version (``2019-10-10-083032_x``, ``20230101_init``, ``v0.1``)
_VERSION_DIR = LazyPattern(r"^v?\d")
PER_DIRECTORY_NAMES = frozenset({"migration.sql", "up.sql", "down.sql"})


def history_root(path: Path, top: Path | None = None) -> Path:
    """The migrations directory whose history the file *path* belongs to.

    That is the file's directory, or, when the directory holds one migration (its name
    starts with a version, or the file is a diesel ``up.sql`` / ``down.sql`` or a Prisma
    ``migration.sql``), the directory above, repeatedly; never above *top*.
    """
    current = path.parent
    if path.name in PER_DIRECTORY_NAMES and current != top and current.parent != current:
        current = current.parent
    while current != top and _VERSION_DIR.match(current.name) and current.parent != current:
        current = current.parent
    return current


def history_root_name(absolute: str) -> str:
    """:func:`history_root` of the file *absolute* (an absolute, normalized path), on
    strings (a file list names thousands of files)."""
    current, base = os.path.split(absolute)
    if base in PER_DIRECTORY_NAMES and os.path.dirname(current) != current:
        current = os.path.dirname(current)
    while _VERSION_DIR.match(os.path.basename(current)) and os.path.dirname(current) != current:
        current = os.path.dirname(current)
    return current


def split_histories(top: Path, files: Sequence[Path]) -> dict[Path, list[Path]]:
    """*files* (below *top*) grouped by :func:`history_root`, roots in path order."""
    groups: dict[Path, list[Path]] = {}
    roots: dict[tuple[str, bool], Path] = {}  # (directory, per-directory name) -> root
    for path in files:
        directory, _, name = str(path).rpartition(os.sep)
        key = (directory, name in PER_DIRECTORY_NAMES)
        root = roots.get(key)
        if root is None:
            root = roots[key] = history_root(path, top)
        groups.setdefault(root, []).append(path)
    return {root: groups[root] for root in sorted(groups, key=lambda r: natural_key(str(r)))}


def _read_text(path: str | Path, limit: int = -1) -> str | None:
    """The text of the regular file *path* (undecodable bytes replaced, newlines made
    ``\n``), the first *limit* bytes when given; ``None`` when it cannot be read (a
    FIFO or a device is not opened)."""
    try:
        data = read_regular(str(path), limit)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _head(path: Path, limit: int = 4096) -> str:
    return (_read_text(path, 4 * limit) or "")[:limit]


def detect_layout(directory: Path, files: Sequence[Path] | None = None) -> str | None:
    """Guess which migration tool *directory* is laid out for; ``None`` without ``.sql`` files.

    The evidence, strongest first: Prisma's ``<dir>/migration.sql`` (or
    ``migration_lock.toml``), diesel's ``<dir>/up.sql``, Flyway's ``V1__name.sql``, popx's
    ``<version>_<name>.<dialect>.up.sql``, a ``-- +goose Up`` or ``-- migrate:up``
    annotation, golang-migrate's ``<version>_<name>.up.sql``, any other versioned
    ``.up.sql`` / ``.down.sql`` names (``up-down``), postgres-migrations' ``<id>_<name>.sql``
    or ``<id>-<name>.sql`` below a ``package.json`` that depends on ``postgres-migrations``,
    sqlx's ``<timestamp>_<name>.sql``; anything else is ``plain``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    if files is None:
        files = _sql_files(directory)
    if not files:
        return None
    names = [p.name for p in files]
    if "migration.sql" in names or (directory / "migration_lock.toml").is_file():
        return "prisma"
    if "up.sql" in names or "down.sql" in names:
        return "diesel"
    if _mostly_flyway(names):
        return "flyway"
    if any(_POPX_DIALECT.search(n) or ".autocommit." in n for n in names):
        return "popx"
    heads = [_head(p) for p in files[:200]]
    if any(_GOOSE.search(h) for h in heads):
        return "goose"
    if any(_DBMATE.search(h) for h in heads):
        return "dbmate"
    if any(_UPDOWN.match(n) for n in names):
        return "golang-migrate"
    if any(_ANY_UPDOWN.match(n) for n in names):
        return "up-down"
    if all(_PG_MIGRATIONS.match(n) for n in names) and uses_postgres_migrations(directory):
        return "postgres-migrations"
    if all(re.match(r"^\d{8,}_.+\.sql$", n) for n in names):
        return "sqlx"
    return "plain"


_PACKAGE_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def uses_postgres_migrations(directory: Path) -> bool:
    """A ``package.json`` in *directory* or above it (up to the repository root, the
    directory holding ``.git``) names ``postgres-migrations`` among its dependencies."""
    for current in (directory, *directory.absolute().parents):
        text = (
            _read_text(current / "package.json") if (current / "package.json").is_file() else None
        )
        if text is not None and "postgres-migrations" in text:
            try:
                package = json.loads(text)
            except ValueError:
                package = None
            if isinstance(package, dict) and any(
                isinstance(package.get(k), dict) and "postgres-migrations" in package[k]
                for k in _PACKAGE_SECTIONS
            ):
                return True
        if (current / ".git").exists():
            return False
    return False


def _mostly_flyway(names: Sequence[str]) -> bool:
    """At least half of the files have Flyway names (``V1__x.sql``, ``R__x.sql``)."""
    flyway = sum(bool(_FLYWAY.match(n) or _FLYWAY_REPEATABLE.match(n)) for n in names)
    return bool(flyway) and flyway * 2 >= len(names)


def _histories(top: Path, files: Sequence[Path], layout: str | None) -> dict[Path, list[Path]]:
    """The histories below the directory *top*: Flyway reads its locations recursively
    (one history); other tools run one directory each (see :func:`history_root`)."""
    if layout == "flyway" or (layout is None and _mostly_flyway([p.name for p in files])):
        return {top: list(files)} if files else {}
    return split_histories(top, files)


def check_layout(name: str, where: str) -> str:
    """Validate a layout name; raise ``ValueError`` naming *where* it came from."""
    if name not in LAYOUTS:
        raise ValueError(f"{where}: unknown layout {name!r} (known: {', '.join(LAYOUTS)})")
    return name


# ---------------------------------------------------------------------------- sections
def blank_outside(text: str, start: int, end: int) -> str:
    """*text* with every character outside ``[start, end)`` but newlines made a space."""

    def blank(part: str) -> str:
        return re.sub(r"[^\n]", " ", part)

    return blank(text[:start]) + text[start:end] + blank(text[end:])


def _sections(text: str, marks: Iterable[re.Match[str]]) -> dict[str, tuple[int, int, str]]:
    """Direction -> (start, end, marker line) for the marked sections of *text*."""
    found: list[tuple[str, int, str]] = [(m["dir"].lower(), m.start(), m.group(0)) for m in marks]
    out: dict[str, tuple[int, int, str]] = {}
    for i, (direction, start, line) in enumerate(found):
        end = found[i + 1][1] if i + 1 < len(found) else len(text)
        if direction not in out:
            out[direction] = (start, end, line)
    return out


def _statement_count(text: str) -> int:
    from ..sql.parsing import statement_count

    return statement_count(text)


# drizzle-kit separates a migration's statements with this comment
_DRIZZLE_MARK = LazyPattern(r"--> statement-breakpoint")


def _comment_tx(text: str) -> bool | None:
    """The generic ``-- sqlsafe: no-transaction`` / ``-- sqlsafe: transaction`` override."""
    match = _SQLSAFE_TX.search(text)
    if match is None:
        return None
    return match["value"].lower() == "transaction"


# ---------------------------------------------------------------------------- version keys
def _int_key(version: str) -> Key:
    return ((0, int(version)),) if version.isdigit() else ((1, version),)


def _str_key(version: str) -> Key:
    return ((1, version),)


def _flyway_key(version: str) -> Key:
    return tuple((0, int(p)) for p in re.split(r"[._]", version) if p != "")


@record
class _Role:
    """What a layout says about one file name."""

    group: int
    version: Key
    direction: str  # up | down | repeatable | other | skip
    autocommit: bool = False
    why_skipped: str = ""  # for direction "skip": why the runner does not run the file


def _role(path: Path, layout: str, popx_specific: frozenset[tuple[str, str]]) -> _Role:
    name = path.name
    other = _Role(_OTHER_GROUP, (), "other")
    if layout in ("golang-migrate", "sqlx"):
        m = _UPDOWN.match(name)
        if m:
            return _Role(_VERSIONED_GROUP, _int_key(m["version"]), m["dir"].lower())
        m = _VERSIONED.match(name)
        if m and layout == "sqlx":
            return _Role(_VERSIONED_GROUP, _int_key(m["version"]), "up")
        return other
    if layout == "up-down":
        m = _ANY_UPDOWN.match(name)
        if m:
            return _Role(_VERSIONED_GROUP, _flyway_key(m["version"]), m["dir"].lower())
        return other
    if layout == "postgres-migrations":
        m = _PG_MIGRATIONS.match(name)
        if m:
            return _Role(_VERSIONED_GROUP, _int_key(m["version"]), "up")
        return other
    if layout in ("goose", "dbmate"):
        m = _VERSIONED.match(name)
        if m:
            key = _int_key(m["version"]) if layout == "goose" else _str_key(m["version"])
            return _Role(_VERSIONED_GROUP, key, "up")
        return other
    if layout == "diesel":
        if name not in ("up.sql", "down.sql"):
            return other
        m = _DIESEL_DIR.match(path.parent.name)
        if not m:
            return other
        version = m["version"].replace("-", "")
        return _Role(_VERSIONED_GROUP, _str_key(version), name[:-4])
    if layout == "prisma":
        if name != "migration.sql":
            return other
        return _Role(_VERSIONED_GROUP, _str_key(path.parent.name), "up")
    if layout == "flyway":
        m = _FLYWAY.match(name)
        if m:
            direction = "up" if m["prefix"] == "V" else "down"
            return _Role(_VERSIONED_GROUP, _flyway_key(m["version"]), direction)
        m = _FLYWAY_REPEATABLE.match(name)
        if m:
            return _Role(_REPEATABLE_GROUP, _str_key(m["desc"]), "repeatable")
        return other
    if layout == "popx":
        m = _POPX.match(name)
        if not m:
            return other
        dialect = (m["dialect"] or "all").lower()
        if dialect not in _POPX_DIALECTS:
            dialect = "all"  # a dot in the name, not a dialect
        direction = m["dir"].lower()
        if dialect not in ("postgres", "all"):
            return _Role(_OTHER_GROUP, (), "skip", why_skipped=f"a {dialect} migration")
        if dialect == "all" and (m["version"], direction) in popx_specific:
            # a postgres-specific file replaces it
            return _Role(_OTHER_GROUP, (), "skip", why_skipped="replaced by its postgres file")
        # a dialect-specific file sorts before "all" of the same version
        version = ((1, m["version"]), (0, 1 if dialect == "all" else 0))
        return _Role(_VERSIONED_GROUP, version, direction, bool(m["autocommit"]))
    return _Role(_VERSIONED_GROUP, (), "up")  # plain: every file, in path order


def _popx_specific(paths: Iterable[Path]) -> frozenset[tuple[str, str]]:
    out = set()
    for path in paths:
        m = _POPX.match(path.name)
        if m and (m["dialect"] or "").lower() == "postgres":
            out.add((m["version"], m["dir"].lower()))
    return frozenset(out)


# ---------------------------------------------------------------------------- transactions
def _layout_tx(layout: str, text: str, default: bool | None) -> bool | None:
    """The runner's default for a whole file (*default* overrides the layout's)."""
    rule = TRANSACTION_DEFAULTS.get(layout)
    if default is not None and layout != "plain":
        return default
    if rule == "single":
        return _statement_count(text) > 1
    if isinstance(rule, bool):
        return rule
    return default


def _flyway_tx(path: Path, text: str) -> bool | None:
    conf = _read_text(path.with_name(path.name + ".conf"))
    sources = [text[:2048]] if conf is None else [text[:2048], conf]
    for part in sources:
        if _FLYWAY_NO_TX.search(part):
            return False
        if _FLYWAY_TX.search(part):
            return True
    return None


def _diesel_tx(path: Path) -> bool | None:
    meta = os.path.join(os.path.dirname(path), "metadata.toml")
    if not os.path.exists(meta):  # (most migrations have none: cheaper than a failed open)
        return None
    content = _read_text(meta)
    if content is None:
        return None
    m = re.search(r"^\s*run_in_transaction\s*=\s*(true|false)\b", content, re.MULTILINE)
    return None if m is None else m.group(1) == "true"


# ---------------------------------------------------------------------------- units
def units_of_file(
    path: Path,
    source: Source,
    layout: str,
    role: _Role,
    default_tx: bool | None = None,
    *,
    history: str = "",
    absolute: str | None = None,
) -> list[MigrationUnit]:
    """The units of one file: one, or an Up and a Down section for goose and dbmate.

    *history* names the history the units belong to; *absolute* is the file's absolute
    path when the caller has it."""
    text = source.text
    display = source.path
    comment = _comment_tx(text) if "sqlsafe" in text else None
    key_path = natural_key(absolute or os.path.abspath(display))

    def unit(
        direction: str,
        body: str,
        tx: bool | None,
        from_comment: bool = False,
        single: bool = False,
    ) -> MigrationUnit:
        if comment is not None:
            tx, from_comment = comment, True
        return MigrationUnit(
            display,
            body,
            direction in ("up", "repeatable", "other"),
            tx,
            (role.group, role.version, key_path),
            direction,
            layout,
            from_comment,
            single,
            history,
        )

    if layout == "goose" and _GOOSE_MARK.search(text):
        sections = _sections(text, _GOOSE_MARK.finditer(text))
        no_tx = bool(_GOOSE_NO_TX.search(text))
        out = []
        for direction in ("up", "down"):
            if direction in sections:
                start, end, _ = sections[direction]
                body = blank_outside(text, start, end)
                tx = False if no_tx else _layout_tx(layout, body, default_tx)
                out.append(unit(direction, body, tx, no_tx))
        return out
    if layout == "dbmate" and _DBMATE_MARK.search(text):
        sections = _sections(text, _DBMATE_MARK.finditer(text))
        out = []
        for direction in ("up", "down"):
            if direction in sections:
                start, end, line = sections[direction]
                body = blank_outside(text, start, end)
                no_tx = bool(re.search(r"transaction:\s*false", line, re.IGNORECASE))
                tx = False if no_tx else _layout_tx(layout, body, default_tx)
                out.append(unit(direction, body, tx, no_tx))
        return out
    direction = role.direction
    if role.group == _OTHER_GROUP:
        if _DRIZZLE_MARK.search(text):  # drizzle's migrator applies migrations in a transaction
            return [unit("other", text, True)]
        return [unit("other", text, _layout_tx("plain", text, None))]
    override: bool | None = None
    if layout == "sqlx" and _SQLX_NO_TX.search(text):
        override = False
    elif layout == "popx" and role.autocommit:
        override = False
    elif layout == "flyway":
        override = _flyway_tx(path, text)
    elif layout == "diesel":
        override = _diesel_tx(path)
    elif layout == "postgres-migrations" and _PG_MIGRATIONS_NO_TX in text:
        override = False
    if override is not None:
        return [unit(direction, text, override, True)]
    tx = _layout_tx(layout, text, default_tx)
    single = TRANSACTION_DEFAULTS.get(layout) == "single" and default_tx is None
    single = single and comment is None and bool(tx)
    return [unit(direction, text, tx, single=single)]


def order_units(units: Iterable[MigrationUnit]) -> list[MigrationUnit]:
    """Histories in path order; in each, the runner's order: versioned (up before its own
    down), repeatables, then other files."""
    rank = {"up": 0, "repeatable": 0, "other": 0, "down": 1}
    units = list(units)
    roots: dict[str, Key] = {}
    for unit in units:
        if unit.history not in roots:
            roots[unit.history] = natural_key(unit.history)
    ordered = sorted(
        units,
        key=lambda u: (roots[u.history], u.key[0], u.key[1], rank.get(u.direction, 0), u.key[2]),
    )
    return link_downs(ordered)


def pair_units(units: Sequence[Any]) -> list[tuple[Any, Any | None]]:
    """(up, down or None) for each up migration, in order; pairs by version, else by file."""
    downs: dict[Any, Any] = {}
    for unit in units:
        if unit.direction == "down":
            downs[_pair_key(unit)] = unit
    return [(u, downs.get(_pair_key(u))) for u in units if u.direction == "up"]


def _pair_key(unit: Any) -> Any:
    version = unit.key[1] if unit.key else ()
    if unit.layout == "popx":  # (its dialect marker only orders: a postgres up, a generic down)
        version = version[:1]
    if version:
        return (os.path.dirname(unit.path), version)
    return unit.path


def link_downs(units: Sequence[MigrationUnit]) -> list[MigrationUnit]:
    """*units* (in the runner's order), each down migration naming the up migration it
    undoes (``MigrationUnit.undoes``, see :func:`pair_units`)."""
    undoes = {id(down): up.path for up, down in pair_units(units) if down is not None}
    if not undoes and not any(u.undoes for u in units):
        return list(units)
    return [
        u if u.undoes == undoes.get(id(u), "") else replace(u, undoes=undoes.get(id(u), ""))
        for u in units
    ]


OrderKey = tuple[int, Key, Key]


def up_order_key(path: Path, layout: str) -> OrderKey | None:
    """Where the runner of *layout* applies the file *path* among the up migrations of its
    history: the key :func:`order_units` sorts it by (None: not an up migration it runs)."""
    role = _role(path, layout, frozenset())
    if role.group != _VERSIONED_GROUP or role.direction != "up":
        return None
    return (role.group, role.version, natural_key(os.path.abspath(path)))


class Detector:
    """Directory listings and layout guesses, each computed once per gathering."""

    def __init__(self, options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        # layout -> keyword arguments of its framework's ``migrations`` (``--django-settings``)
        self.options: Mapping[str, Mapping[str, Any]] = options or {}
        self.listings: dict[Path, list[Path]] = {}
        self.python: dict[Path, list[Path]] = {}  # directory -> the ``*.py`` files below it
        self.layouts: dict[Path, str | None] = {}
        # directory -> the directories below it that could not be listed, with the reason
        self.unreadable: dict[Path, list[tuple[str, str]]] = {}
        # (directory, layout) -> its Python migration histories (:func:`python_histories`)
        self.frameworks: dict[tuple[Path, str | None], dict[Path, tuple[str, list[Path]]]] = {}
        self.direct: dict[tuple[Path, str | None], str | None] = {}  # (directory's own files)
        # (layout, history) -> its Python migrations rendered (``python_units``): a file
        # named alone and its history are rendered once
        self.rendered: dict[tuple[str, str], list[RenderedMigration]] = {}

    def files(self, directory: Path) -> list[Path]:
        found = self.listings.get(directory)
        if found is None:
            unreadable = self.unreadable[directory] = []
            python = self.python[directory] = []
            found = self.listings[directory] = _sql_files(directory, unreadable, python)
        return found

    def python_histories(
        self, directory: Path, layout: str | None
    ) -> dict[Path, tuple[str, list[Path]]]:
        """The Python migration histories below *directory* (:func:`python_histories`)."""
        key = (directory, layout)
        if key not in self.frameworks:
            self.files(directory)
            self.frameworks[key] = python_histories(directory, self.python[directory], layout)
        return self.frameworks[key]

    def python_layout(self, directory: Path, layout: str | None) -> str | None:
        """The framework of the ``.py`` migrations directly in *directory*, if any."""
        if layout is not None and layout not in PYTHON_LAYOUTS:
            return None
        key = (directory, layout)
        if key not in self.direct:
            found = python_histories(directory, python_files(directory), layout).get(directory)
            self.direct[key] = found[0] if found else None
        return self.direct[key]

    def layout(self, directory: Path) -> str | None:
        if directory not in self.layouts:
            files = self.files(directory) if directory.is_dir() else None
            self.layouts[directory] = detect_layout(directory, files)
        return self.layouts[directory]


def python_files(directory: Path) -> list[Path]:
    """The ``*.py`` files directly in *directory* (not ``__init__.py``), sorted."""
    try:
        with os.scandir(directory) as entries:
            names = [e.path for e in entries if e.name.endswith(".py") and e.is_file()]
    except OSError:
        return []
    return [Path(n) for n in sorted(names) if not n.endswith(os.sep + "__init__.py")]


def layout_for(path: Path, configured: str | None, detector: Detector | None = None) -> str:
    """The layout of the directory holding *path* (a file) or of *path* (a directory)."""
    if configured:
        return configured
    detect = (detector or Detector()).layout
    directory = path if path.is_dir() else path.parent
    found = detect(directory)
    if found in ("diesel", "prisma") and not path.is_dir():
        return found
    in_migration_dir = _VERSION_DIR.match(directory.name) and directory.parent != directory
    if in_migration_dir and (found is None or (found == "plain" and not path.is_dir())):
        # a file in one migration's directory (``20240101_init/extra.sql``)
        parent = detect(directory.parent)
        if parent in ("diesel", "prisma"):
            return parent
    return found or "plain"


# a migration's path within its migrations directory: a version first (``0042_x.sql``,
# ``20240101_init/migration.sql``, ``v2/schema.sql``), or a Flyway name (``V1__x.sql``)
_MIGRATION_PATH = LazyPattern(r"^(?:v?\d|[VUR]\d|R__)")


def history_directory(
    path: Path, layout: str | None = None, detector: Detector | None = None
) -> Path | None:
    """The migrations directory whose earlier files are the history of the file *path*
    when it is named alone, or ``None``.

    That is :func:`history_root`, when the file's path in it begins with a version (or is
    a Flyway name) and layout detection finds migrations there: a lone ``schema.sql`` or
    ``query.sql`` pulls in no history (and costs no walk of the tree around it).
    """
    if path.suffix == ".py":
        found = (detector or Detector()).python_layout(path.parent, layout)
        return _history_of(found, path.parent) if found is not None else None
    root = history_root(path)
    inside = os.path.relpath(path, root).split(os.sep)[0]
    if not _MIGRATION_PATH.match(inside) or not root.is_dir():
        return None
    if (layout or (detector or Detector()).layout(root)) is None:
        return None
    return root


def history_directories(
    paths: Sequence[str], layout: str | None = None, detector: Detector | None = None
) -> list[Path | None]:
    """:func:`history_directory` of each of *paths*, each directory looked at once (a
    file list of thousands of files shares a few dozen directories)."""
    detector = detector or Detector()
    roots: dict[tuple[str, bool], tuple[str, str | None]] = {}  # -> (root, inside or None)
    usable: dict[str, Path | None] = {}
    out: list[Path | None] = []
    for name in paths:
        if name.endswith(".py"):  # (a Python migration's history is its framework's)
            out.append(history_directory(Path(name), layout, detector))
            continue
        directory, base = os.path.split(name)
        key = (directory, base in PER_DIRECTORY_NAMES)
        known = roots.get(key)
        if known is None:
            known = roots[key] = _root_and_inside(name)
        root, inside = known
        if not _MIGRATION_PATH.match(base if inside is None else inside):
            out.append(None)
            continue
        if root not in usable:
            where = Path(root)
            ok = where.is_dir() and (layout or detector.layout(where)) is not None
            usable[root] = where if ok else None
        out.append(usable[root])
    return out


def _root_and_inside(name: str) -> tuple[str, str | None]:
    """:func:`history_root` of the file *name*, and the first directory of the file's
    path below it (``None``: the file lies directly in it), on strings when *name* is
    already normal (most are: no ``Path`` per file of a list of thousands)."""
    if ".." in name or os.path.normpath(name) != name:  # (``./x``, ``a//b``: as ``Path`` does)
        path = Path(name)
        found = history_root(path)
        if os.path.normpath(found) == os.path.normpath(path.parent):
            return str(found), None
        return str(found), os.path.relpath(path.parent, found).split(os.sep)[0]
    parent = current = _parent(name)
    if os.path.basename(name) in PER_DIRECTORY_NAMES:
        current = _parent(current)
    while _VERSION_DIR.match(os.path.basename(current)) and _parent(current) != current:
        current = _parent(current)
    if current == parent:
        return current, None
    prefix = current if current.endswith(os.sep) else current + os.sep
    below = parent if current == os.curdir else parent[len(prefix) :]
    return current, below.split(os.sep)[0]


def _parent(name: str) -> str:
    """``str(Path(name).parent)`` of a normal *name*."""
    return os.path.dirname(name) or os.curdir


def units_of_text(
    source: Source,
    layout: str | None,
    history: str,
    default_tx: bool | None = None,
    detector: Detector | None = None,
) -> list[MigrationUnit]:
    """The units of *source*, text read elsewhere (standard input) under the name of a file
    that may not exist yet, as the layout of the file's directory would run it."""
    path = Path(source.path)
    chosen = layout_for(path, layout, detector) if path.parent.is_dir() else (layout or "plain")
    role = _role(path, chosen, _popx_specific([path]))
    if role.direction == "skip":
        role = _Role(_OTHER_GROUP, (), "other")
    return units_of_file(path, source, chosen, role, default_tx, history=history)


@record
class PlannedFile:
    """A file to read, and how its layout runs it (:func:`plan_files`)."""

    path: Path
    display: str  # the name it is reported under
    layout: str
    history: str  # the migrations directory whose history it belongs to
    role: _Role
    absolute: str
    problem: str = ""  # why there is nothing to read here (reported as a SourceError)


def _problems(
    directory: Path, display: str, detector: Detector, layout: str | None = None
) -> list[tuple[str, str]]:
    """(path, reason) for what a directory named to be linted gives instead of files: its
    directories that cannot be listed, or nothing at all (never "All clear")."""
    files = detector.files(directory)
    found = [(p, f"cannot read directory: {why}") for p, why in detector.unreadable[directory]]
    if not files and not found and not detector.python_histories(directory, layout):
        found.append((display, "no migration files found (no *.sql file in this directory)"))
    return found


def read_units(
    planned: Sequence[PlannedFile],
    default_tx: bool | None = None,
    render_cache: OpenStore | None = None,
    detector: Detector | None = None,
) -> list[MigrationUnit | SourceError]:
    """Read *planned* files and build their units, in the runner's order; files that
    cannot be read come back as :class:`SourceError` (ordered by path, after the units).
    Python migrations are rendered (:func:`python_units`), cached in *render_cache*, once
    per *detector*."""
    units: list[MigrationUnit] = []
    errors: list[SourceError] = []
    python: dict[tuple[str, str], list[PlannedFile]] = {}
    for item in planned:
        if item.problem:
            errors.append(SourceError(item.display, item.problem))
            continue
        if item.layout in PYTHON_LAYOUTS:
            python.setdefault((item.layout, item.history), []).append(item)
            continue
        read = read_source(item.display)
        if isinstance(read, SourceError):
            errors.append(read)
            continue
        units.extend(
            units_of_file(
                item.path,
                read,
                item.layout,
                item.role,
                default_tx,
                history=item.history,
                absolute=item.absolute,
            )
        )
    for (layout, history), items in python.items():
        for unit in python_units(layout, history, items, render_cache, detector):
            if isinstance(unit, MigrationUnit):
                units.append(unit)
            else:
                errors.append(unit)
    ordered: list[MigrationUnit | SourceError] = list(order_units(units))
    ordered.extend(sorted(errors, key=lambda e: natural_key(e.path)))
    return ordered


def _history_of(layout: str, directory: Path) -> Path:
    from .frameworks import history_of  # (the frameworks are imported only for .py files)

    return history_of(layout, directory)


def python_units(
    layout: str,
    history: str,
    items: Sequence[PlannedFile],
    render_cache: OpenStore | None = None,
    detector: Detector | None = None,
) -> list[MigrationUnit | SourceError]:
    """The units of the Python migrations *items* of the *layout* history *history*.

    The whole history is read (the order of a migration is its place in the graph of all
    of them); each migration of *items* gives an up unit (applied) and, when it has one,
    a down unit; their text is the SQL laid out on the lines of the ``.py`` file that
    wrote it (:func:`~linter.inputs.frameworks.rendered.place`).  Files that are not
    migrations (``env.py``, helpers) give nothing."""
    from .frameworks import read_history, spans_directories
    from .frameworks.rendered import generated_lines, place

    root = Path(history)
    everything: list[Path] = []  # (empty: the framework reads the whole project itself)
    if not spans_directories(layout):
        everything = [Path(os.path.join(history, p.name)) for p in python_files(root)]
        known = {os.path.normcase(os.path.abspath(p)) for p in everything}
        everything.extend(i.path for i in items if os.path.normcase(i.absolute) not in known)
    wanted = {os.path.normcase(i.absolute): i for i in items}
    rendered = detector.rendered.get((layout, history)) if detector is not None else None
    if rendered is None:
        options = detector.options.get(layout, {}) if detector is not None else {}
        rendered = read_history(layout, root, everything, render_cache, options)
        if detector is not None:
            detector.rendered[layout, history] = rendered
    out: list[MigrationUnit | SourceError] = []
    for index, migration in enumerate(rendered):
        item = wanted.get(os.path.normcase(os.path.abspath(migration.path)))
        if item is None:
            continue
        read = read_source(item.display)
        if isinstance(read, SourceError):
            out.append(read)
            continue
        key = (_VERSIONED_GROUP, ((0, index),), natural_key(item.absolute))
        tx = migration.in_transaction
        text = place(migration.up, read.text, span=migration.up_lines)
        out.append(
            MigrationUnit(
                item.display,
                text,
                True,
                tx,
                key,
                "up",
                layout,
                history=item.history,
                static_reason=migration.static_reason,
                data_steps=tuple((c.line, c.sql) for c in migration.data_steps),
                generated_lines=generated_lines(text, read.text),
            )
        )
        if migration.down is not None:
            text = place(migration.down, read.text, span=migration.down_lines)
            out.append(
                MigrationUnit(
                    item.display,
                    text,
                    False,
                    tx,
                    key,
                    "down",
                    layout,
                    history=item.history,
                    undoes=item.display,
                    generated_lines=generated_lines(text, read.text),
                )
            )
    return out


def migration_units(
    paths: Sequence[str],
    layout: str | None = None,
    *,
    exclude: Sequence[str] = (),
    default_tx: bool | None = None,
    skipped: list[PlannedFile] | None = None,
    detector: Detector | None = None,
    render_cache: OpenStore | None = None,
) -> list[MigrationUnit | SourceError]:
    """Every unit of the files and directories in *paths*, in the runner's order.

    *layout* forces a layout (otherwise each directory's is detected, and a single file
    takes its directory's).  *default_tx* replaces the layouts' transaction default (an
    explicit ``assume-in-transaction`` setting); per-file comments still win.  Files that
    cannot be read come back as :class:`SourceError` (ordered by path, after the units);
    those the layout does not run go to *skipped* when given (see :func:`plan_files`).
    """
    planned = plan_files(paths, layout, exclude=exclude, skipped=skipped, detector=detector)
    return read_units(planned, default_tx, render_cache, detector)


def plan_files(
    paths: Sequence[str],
    layout: str | None = None,
    *,
    exclude: Sequence[str] = (),
    skipped: list[PlannedFile] | None = None,
    detector: Detector | None = None,
) -> list[PlannedFile]:
    """The files of *paths* that :func:`migration_units` reads, with their layout, history
    and role, without reading them (see there for *layout* and *exclude*); the files the
    layout does not run (another popx dialect...) go to *skipped* when given.

    A directory that holds no ``*.sql`` file, or below which a directory cannot be listed,
    gives an item with a ``problem`` (an error once read, see :func:`_problems`)."""
    items: list[tuple[Path, str, str, str]] = []  # (path, display name, layout, history)
    problems: list[tuple[str, str, str]] = []  # (path, reason, history)
    detected: dict[str, str] = {}  # parent directory -> layout, for files named one by one
    detector = detector or Detector()  # (a caller's: what it detected is reused)
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            named = os.path.normpath(arg)
            problems.extend((p, why, named) for p, why in _problems(path, named, detector, layout))
            for root, (framework, files) in detector.python_histories(path, layout).items():
                history = os.path.normpath(_history_of(framework, root))
                for sub in files:
                    if not exclude or not is_excluded(str(sub), exclude):
                        items.append((sub, os.path.normpath(sub), framework, history))
            sql_layout = None if layout in PYTHON_LAYOUTS else layout
            for root, files in _histories(path, detector.files(path), sql_layout).items():
                if sql_layout:
                    chosen = sql_layout
                elif root == path and files == detector.files(path):
                    chosen = detector.layout(root) or "plain"  # (the same detection)
                else:
                    chosen = detect_layout(root, files) or "plain"
                history = os.path.normpath(root)
                # (no sorting here: ``order_units`` puts the units in the runner's order)
                for sub in files:
                    if not exclude or not is_excluded(str(sub), exclude):
                        items.append((sub, os.path.normpath(sub), chosen, history))
        elif not is_excluded(arg, exclude):
            if path.suffix == ".py" and path.exists():
                runner = detector.python_layout(path.parent, layout)
                if runner is not None:
                    home = os.path.normpath(_history_of(runner, path.parent))
                    items.append((path, os.path.normpath(arg), runner, home))
                elif skipped is not None:
                    why = "not a migration of a Python framework (Alembic, Django)"
                    skip = _Role(_OTHER_GROUP, (), "skip", why_skipped=why)
                    shown = os.path.normpath(arg)
                    skipped.append(PlannedFile(path, shown, "plain", "", skip, shown))
                continue
            if path.exists():
                key = str(path.parent)
                if key not in detected:
                    sql_layout = None if layout in PYTHON_LAYOUTS else layout
                    detected[key] = layout_for(path, sql_layout, detector)
                chosen = detected[key]
            else:
                chosen = "plain"
            history = os.path.normpath(history_root(path))
            items.append((path, os.path.normpath(arg), chosen, history))
    by_layout: dict[str, list[Path]] = {}
    for path, _, chosen, _ in items:
        by_layout.setdefault(chosen, []).append(path)
    specific = _popx_specific(by_layout.get("popx", ()))
    planned: list[PlannedFile] = []
    seen: set[str] = set()
    cwd = os.getcwd()
    for path, display, chosen, history in items:
        absolute = os.path.normpath(os.path.join(cwd, display))  # ``abspath``, one getcwd
        ident = os.path.normcase(absolute)
        if ident in seen:
            continue
        seen.add(ident)
        role = _role(path, chosen, specific)
        if role.direction != "skip":
            planned.append(PlannedFile(path, display, chosen, history, role, absolute))
        elif skipped is not None:
            skipped.append(PlannedFile(path, display, chosen, history, role, absolute))
    other = _Role(_OTHER_GROUP, (), "other")
    for where, why, history in problems:
        display = os.path.normpath(where)
        absolute = os.path.normpath(os.path.join(cwd, display))
        if os.path.normcase(absolute) not in seen:
            seen.add(os.path.normcase(absolute))
            planned.append(
                PlannedFile(Path(where), display, "plain", history, other, absolute, why)
            )
    return planned
