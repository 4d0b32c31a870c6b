"""Writing migration files the way each runner expects: names, numbering and markers.

Reading histories per framework lives in :mod:`linter.inputs.layouts`; this module only knows how
to *write* a step so that the runner executes it as intended — inside one transaction, or
outside any transaction when it holds a ``CONCURRENTLY`` statement or a ``COMMIT``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..inputs.layouts import ALWAYS_ONE_QUERY, ONE_QUERY_LAYOUTS
from ..sql.parsing import parse
from ..util.atomic import Clash, Put, write_all
from ..util.records import record

LAYOUTS = ("plain", "golang-migrate", "goose", "dbmate", "diesel", "prisma", "flyway")
# written as Python files by :mod:`linter.writers.python_files`
PYTHON_LAYOUTS = ("alembic", "django")
# layouts read (``linter.inputs.layouts``) whose files sqlsafe does not write
_NOT_WRITTEN = frozenset({"up-down", "postgres-migrations"})

_TS_FORMAT = "%Y%m%d%H%M%S"
_DIESEL_FORMAT = "%Y-%m-%d-%H%M%S"


@record
class Layout:
    """How one runner names files and runs them."""

    name: str
    # the runner wraps each (transactional) file in a transaction itself
    wraps: bool
    timestamps: bool  # versions are timestamps (otherwise sequential numbers)

    @property
    def one_statement_outside_tx(self) -> bool:
        """Outside a transaction the runner sends the whole file as one query string, which
        PostgreSQL runs as one implicit transaction: such a file may hold only one
        statement (``linter.inputs.layouts.ONE_QUERY_LAYOUTS``)."""
        return self.name in ONE_QUERY_LAYOUTS

    def describe_non_tx(self) -> str:
        return {
            "plain": "no BEGIN/COMMIT: psql runs each statement on its own",
            "golang-migrate": "one statement, no BEGIN: golang-migrate sends the file as one query",
            "goose": "-- +goose NO TRANSACTION",
            "dbmate": "-- migrate:up transaction:false",
            "diesel": "metadata.toml run_in_transaction = false",
            "prisma": "one statement: Prisma sends the file as one query",
            "flyway": "executeInTransaction=false (script config file and inline comment)",
            "alembic": "op.get_context().autocommit_block()",
            "django": "atomic = False",
        }[self.name]


LAYOUT_TABLE: dict[str, Layout] = {
    "plain": Layout("plain", wraps=False, timestamps=False),
    # a multi-statement file is one implicit transaction: the runner "wraps" it in effect
    "golang-migrate": Layout("golang-migrate", wraps=True, timestamps=False),
    "goose": Layout("goose", wraps=True, timestamps=True),
    "dbmate": Layout("dbmate", wraps=True, timestamps=True),
    "diesel": Layout("diesel", wraps=True, timestamps=True),
    "prisma": Layout("prisma", wraps=True, timestamps=True),
    "flyway": Layout("flyway", wraps=True, timestamps=False),
    "alembic": Layout("alembic", wraps=True, timestamps=False),
    "django": Layout("django", wraps=True, timestamps=False),
}


def get_layout(name: str) -> Layout:
    try:
        return LAYOUT_TABLE[name]
    except KeyError:
        choices = ", ".join((*LAYOUTS, *PYTHON_LAYOUTS))
        raise ValueError(f"unknown layout {name!r} (choose from {choices})") from None


# ------------------------------------------------------------------------- detection
_GOLANG = re.compile(r"^(\d+)_.+\.(up|down)\.sql$")
_FLYWAY = re.compile(r"^V(\d+)(?:[._]\d+)*__.+\.sql$")
_PLAIN = re.compile(r"^(\d+)[_-].*\.sql$")
_DIESEL_DIR = re.compile(r"^(\d{4}-\d{2}-\d{2}-\d{6})_.+$")
_PRISMA_DIR = re.compile(r"^(\d{14})_.+$")


def _head(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(4096)
    except OSError:
        return ""


def detect_layout(directory: Path) -> str:
    """Guess the runner from the files already in *directory* (``plain`` when empty).

    A directory the reader knows as a layout sqlsafe does not write (``up-down``,
    ``postgres-migrations``) gets that name, which the commands refuse."""
    if not directory.is_dir():
        return "plain"
    from ..inputs.frameworks.detect import detect_framework

    if (framework := detect_framework(directory)) is not None:
        return framework
    from ..inputs.layouts import detect_layout as read_layout

    if (found := read_layout(directory)) in _NOT_WRITTEN:
        return found
    entries = sorted(directory.iterdir())
    files = [p for p in entries if p.is_file()]
    dirs = [p for p in entries if p.is_dir()]
    if any(_GOLANG.match(p.name) for p in files):
        return "golang-migrate"
    if any(_FLYWAY.match(p.name) for p in files):
        return "flyway"
    if any((d / "migration.sql").is_file() for d in dirs):
        return "prisma"
    if any((d / "up.sql").is_file() for d in dirs):
        return "diesel"
    for path in files:
        if path.suffix != ".sql":
            continue
        head = _head(path)
        if "+goose Up" in head:
            return "goose"
        if "migrate:up" in head:
            return "dbmate"
    return "plain"


def existing_versions(directory: Path, layout: Layout) -> list[str]:
    """The version strings of the migrations already in *directory*."""
    if not directory.is_dir():
        return []
    out: list[str] = []
    for path in directory.iterdir():
        name = path.name
        if layout.name == "golang-migrate":
            match = _GOLANG.match(name)
        elif layout.name == "flyway":
            match = _FLYWAY.match(name)
        elif layout.name == "diesel":
            match = _DIESEL_DIR.match(name) if path.is_dir() else None
        elif layout.name == "prisma":
            match = _PRISMA_DIR.match(name) if path.is_dir() else None
        else:
            match = _PLAIN.match(name) if path.is_file() else None
        if match:
            out.append(match.group(1))
    return out


def _as_time(version: str) -> _dt.datetime | None:
    digits = version.replace("-", "")
    if len(digits) != 14 or not digits.isdigit():
        return None
    try:
        return _dt.datetime.strptime(digits, _TS_FORMAT)
    except ValueError:
        return None


def next_versions(
    directory: Path, layout: Layout, count: int, now: _dt.datetime | None = None
) -> list[str]:
    """*count* version strings, in order, after every migration already in *directory*."""
    versions = existing_versions(directory, layout)
    sequential = [v for v in versions if _as_time(v) is None]
    timestamps = [t for t in (_as_time(v) for v in versions) if t is not None]
    if layout.name in ("diesel", "prisma", "dbmate"):
        use_time = True
    elif layout.name == "goose":
        use_time = not sequential
    else:
        use_time = bool(timestamps) and not sequential
    if use_time:
        start = (now or _dt.datetime.now(_dt.timezone.utc)).replace(tzinfo=None, microsecond=0)
        if timestamps:
            start = max(start, max(timestamps) + _dt.timedelta(seconds=1))
        fmt = _DIESEL_FORMAT if layout.name == "diesel" else _TS_FORMAT
        return [(start + _dt.timedelta(seconds=i)).strftime(fmt) for i in range(count)]
    numbers = [int(v) for v in sequential]
    width = max((len(v) for v in sequential), default=0)
    if layout.name == "flyway":
        width = 0
    elif not width:
        width = {"golang-migrate": 6, "goose": 5}.get(layout.name, 4)
    last = max(numbers, default=0)
    return [str(last + i + 1).zfill(width) for i in range(count)]


# --------------------------------------------------------------------------- writing
@record
class Change:
    """What a step changes in the schema, for writers that keep a model of it (Django's
    migration state) or write a reverse (Alembic's ``downgrade()``, Django's
    ``reverse_sql``). The step's SQL is what runs; this only describes it.

    ``kind``: ``add_column`` (``type``, nullable), ``set_not_null``, ``drop_not_null``,
    ``drop_column``, ``add_index`` (printed ``name``, ``columns``; ``plain``: only plain
    columns, no UNIQUE, WHERE or method), ``drop_index`` (printed ``name``),
    ``add_constraint`` (``name``),
    ``create_table`` (``definitions``: ``(name, type, not null)``; ``columns``: the
    indexed ones), ``scratch_table`` (a table no model knows), ``trigger``
    (``name``: the printed trigger, ``function``), ``data`` (rows change, nothing to undo),
    ``irreversible`` (cannot be undone by a reverse migration).
    """

    kind: str
    table: str = ""  # printed SQL name
    column: str = ""  # unquoted
    type: str = ""  # printed SQL type
    name: str = ""  # unquoted index, constraint or trigger name
    columns: tuple[str, ...] = ()
    definitions: tuple[tuple[str, str, bool], ...] = ()
    plain: bool = False
    function: str = ""  # printed function name (``trigger``)
    partitioned: bool = False  # an index on a partitioned table: dropped, not concurrently
    # foreign keys among the columns: (column, printed referenced table, referenced column)
    foreign: tuple[tuple[str, str, str], ...] = ()


@record
class FileStep:
    """One migration step to write: a body of statements and how it must run."""

    slug: str
    summary: str
    locks: str
    body: str  # the statements, without lock_timeout preamble or runner markers
    transactional: bool
    before: str | None = None  # a code deploy (or other action) that must come first
    tool: str = "sqlsafe"
    # holds a strong lock only for an instant: a statement_timeout bounds it too
    quick: bool = False
    changes: tuple[Change, ...] = ()


@record
class OutFile:
    """A file to write, relative to the migration directory."""

    path: str
    text: str
    transactional: bool
    statements: int = 0


def split_statements(body: str) -> list[str]:
    """The body's statements, each with its leading comments, each ending in ``;``."""
    parsed = parse(body)
    out: list[str] = []
    for stmt in parsed.statements:
        start = stmt.lead
        while start < stmt.start and body[start] in "; \t\r\n":
            start += 1
        piece = body[start : stmt.end].strip("\n")
        out.append(piece + ";")
    return out


def _needs_goose_block(statement: str) -> bool:
    return "$" in statement and ";" in statement.rstrip().rstrip(";")


def suppression(reason: str, *names: str) -> str:
    """A ``-- sqlsafe: ignore`` line for the rules among *names* that exist, else ``""``.

    Only where a generated statement is deliberate and a rule cannot know why (the NOT NULL
    helper check dropped once SET NOT NULL holds; lock_timeout set on the connection).
    """
    from ..analysis.registry import load_rules

    known = {rule.name for rule in load_rules()}
    wanted = [name for name in names if name in known]
    if not wanted:
        return ""
    return f"-- sqlsafe: ignore {', '.join(wanted)} -- {reason}\n"


def _one_line(text: str) -> str:
    return "".join(c if c >= " " else " " for c in text)


def _header(step: FileStep, index: int, total: int, layout: Layout, note: str | None) -> str:
    lines = [f"-- {step.tool}: step {index} of {total}: {_one_line(step.summary)}"]
    lines.append(f"-- Locks: {_one_line(step.locks)}")
    if step.before:
        lines.append(f"-- Before this step: {_one_line(step.before)}")
    if not step.transactional:
        lines.append(f"-- Runs outside a transaction ({layout.describe_non_tx()}).")
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"


def lock_timeout_sql(value: str, local: bool) -> str:
    return f"SET {'LOCAL ' if local else ''}lock_timeout = {quote_literal(value)};"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _render_body(
    layout: Layout,
    statements: Sequence[str],
    transactional: bool,
    lock_timeout: str,
    statement_timeout: str | None = None,
) -> tuple[str, str | None]:
    """(SQL text, an extra header note) for one file of the layout."""
    lines: list[str] = []
    note = None
    single = not transactional and layout.one_statement_outside_tx
    explicit = transactional and not layout.wraps
    if explicit:
        lines.append("BEGIN;")
    if single:
        note = (
            f"-- lock_timeout: {layout.name} sends this file as one query, so it can hold "
            "only this statement; set\n-- lock_timeout = "
            f"{quote_literal(lock_timeout)} on the migration connection (e.g. "
            "options=-c%20lock_timeout%3D"
            + lock_timeout.replace(" ", "")
            + " in the URL).\n"
            + suppression("lock_timeout is set on the connection", "require-lock-timeout")
        ).rstrip("\n")
    else:
        lines.append(lock_timeout_sql(lock_timeout, local=transactional))
        if statement_timeout:
            local = "LOCAL " if transactional else ""
            lines.append(f"SET {local}statement_timeout = {quote_literal(statement_timeout)};")
    for statement in statements:
        if layout.name == "goose" and _needs_goose_block(statement):
            lines.append(f"-- +goose StatementBegin\n{statement}\n-- +goose StatementEnd")
        else:
            lines.append(statement)
    if explicit:
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n", note


def _name(slug: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_").lower()
    return (cleaned or "step")[:60].rstrip("_")


def render_files(
    steps: Sequence[FileStep],
    layout: Layout,
    versions: Sequence[str],
    lock_timeout: str,
    statement_timeout: str = "5s",
) -> list[OutFile]:
    """The files for *steps* (one version each; one-statement layouts may split a step)."""
    if layout.name in PYTHON_LAYOUTS:
        raise ValueError(f"{layout.name} files are written by linter.writers.python_files")
    units = [unit for step in steps for unit in step_units(step, layout)]
    if len(versions) < len(units):
        raise ValueError("not enough versions for the steps")
    out: list[OutFile] = []
    total = len(units)
    for index, ((step, statements), version) in enumerate(
        zip(units, versions[: len(units)], strict=True), 1
    ):
        body, note = _render_body(
            layout,
            statements,
            step.transactional,
            lock_timeout,
            statement_timeout if step.quick else None,
        )
        header = _header(step, index, total, layout, note)
        out.extend(_files_for(layout, version, _name(step.slug), header, body, step, statements))
    return out


def step_units(step: FileStep, layout: Layout) -> list[tuple[FileStep, list[str]]]:
    """The file units of one step (each takes one version): one, or one per statement."""
    statements = split_statements(step.body)
    if not step.transactional and layout.one_statement_outside_tx and len(statements) > 1:
        return [(_suffixed(step, i), [statement]) for i, statement in enumerate(statements, 1)]
    return [(step, statements)]


def _suffixed(step: FileStep, i: int) -> FileStep:
    return FileStep(
        f"{step.slug}_{i}",
        step.summary,
        step.locks,
        step.body,
        False,
        step.before,
        step.tool,
        changes=step.changes,
    )


def _files_for(
    layout: Layout,
    version: str,
    name: str,
    header: str,
    body: str,
    step: FileStep,
    statements: Sequence[str],
) -> Iterable[OutFile]:
    tx = step.transactional
    n = len(statements)
    if layout.name == "plain":
        yield OutFile(f"{version}_{name}.sql", header + body, tx, n)
    elif layout.name == "golang-migrate":
        yield OutFile(f"{version}_{name}.up.sql", header + body, tx, n)
    elif layout.name == "goose":
        marker = "-- +goose Up\n" if tx else "-- +goose NO TRANSACTION\n-- +goose Up\n"
        yield OutFile(f"{version}_{name}.sql", header + marker + body + "\n-- +goose Down\n", tx, n)
    elif layout.name == "dbmate":
        # the header inside the up section: a suppression in it must reach the statement
        marker = "-- migrate:up\n" if tx else "-- migrate:up transaction:false\n"
        yield OutFile(
            f"{version}_{name}.sql", marker + header + body + "\n-- migrate:down\n", tx, n
        )
    elif layout.name == "diesel":
        folder = f"{version}_{name}"
        yield OutFile(f"{folder}/up.sql", header + body, tx, n)
        if not tx:
            yield OutFile(f"{folder}/metadata.toml", "run_in_transaction = false\n", tx, 0)
    elif layout.name == "prisma":
        yield OutFile(f"{version}_{name}/migration.sql", header + body, tx, n)
    elif layout.name == "flyway":
        filename = f"V{version}__{name}.sql"
        if tx:
            yield OutFile(filename, header + body, tx, n)
        else:
            inline = "-- flyway:executeInTransaction=false\n"
            yield OutFile(filename, inline + header + body, tx, n)
            yield OutFile(filename + ".conf", "executeInTransaction=false\n", tx, 0)


def is_sql(path: str) -> bool:
    return path.endswith(".sql")


def runner_batches(layout: Layout, text: str, transactional: bool) -> tuple[bool, list[str]]:
    """How the runner sends a file to PostgreSQL: (wrapped in BEGIN/COMMIT, query strings).

    Each query string is one simple-protocol query: several statements in one string run
    as one implicit transaction, as they do with these runners' drivers.
    """
    sql = _strip_down(layout, text)
    statements = split_statements(sql)
    if layout.name in ALWAYS_ONE_QUERY:
        return False, [sql]
    if layout.name in ONE_QUERY_LAYOUTS:
        return transactional, [sql]
    if layout.name == "plain":
        return False, statements
    # goose and flyway parse the file and send statements one by one
    return transactional, statements


def _strip_down(layout: Layout, text: str) -> str:
    if layout.name == "goose":
        return text.split("-- +goose Down", 1)[0]
    if layout.name == "dbmate":
        return text.split("-- migrate:down", 1)[0]
    return text


def write_files(directory: Path, files: Sequence[OutFile], force: bool) -> list[Path]:
    """Write *files* below *directory*, all or none (:func:`linter.util.atomic.write_all`);
    refuse to overwrite anything unless *force* (a name taken meanwhile raises
    :class:`FileExistsError` too)."""
    targets = [directory / f.path for f in files]
    if not force:
        clashes = [str(t) for t in targets if os.path.lexists(t) and not os.path.islink(t)]
        if clashes:
            raise FileExistsError(
                f"refusing to overwrite {', '.join(clashes)} (pass --force to replace)"
            )
    puts = [
        Put(target, out.text.encode("utf-8"), new=True, force=force, base=directory)
        for target, out in zip(targets, files, strict=True)
    ]
    try:
        return write_all(puts)
    except Clash as exc:
        raise FileExistsError(str(exc)) from exc
