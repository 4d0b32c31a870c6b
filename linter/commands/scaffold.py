"""``sqlsafe new-column``, ``new-table``, ``backfill``, ``new-index``, ``drop-index``, ``plan``.

Each command writes the safe version of a schema change as numbered migration files in the
layout of the user's runner (or prints them with ``--stdout``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click

from ..inputs.config import ConfigError, load_config, parse_version
from ..lockmodel.schema import Schema
from ..util.atomic import WriteError, directory_lock, os_error
from ..util.records import record
from ..writers.scaffold import DEFAULT_LOCK_TIMEOUT, Options, timeouts
from ..writers.scaffold_layouts import (
    LAYOUTS,
    PYTHON_LAYOUTS,
    FileStep,
    OutFile,
    detect_layout,
    get_layout,
    next_versions,
    render_files,
    write_files,
)
from ..writers.scaffold_sql import InvalidInput, parse_name

F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    """Where and how the files are written (shared by every scaffolding command)."""
    decorators = [
        click.option(
            "--dir",
            "directory",
            type=click.Path(file_okay=False),
            default=None,
            help="Migration directory to write into (default: the configured `history` "
            "directory, else the current directory).",
        ),
        click.option(
            "--layout",
            type=click.Choice((*LAYOUTS, *PYTHON_LAYOUTS)),
            default=None,
            help="Migration runner whose file names and transaction markers to use "
            "(default: the configured `layout`, else detected from --dir). alembic: revision "
            "files chained to the head of the versions directory (--dir: the project with "
            "alembic.ini, the script directory or versions/); django: migrations depending "
            "on the app's latest one (--dir: the app's migrations/ package, the app, or a "
            "project with one app).",
        ),
        click.option(
            "--head",
            default=None,
            metavar="REV",
            help="alembic: the revision to chain to when the history has several heads.",
        ),
        click.option(
            "--stdout", "to_stdout", is_flag=True, help="Print the files instead of writing them."
        ),
        click.option("--force", is_flag=True, help="Overwrite files that already exist."),
        click.option(
            "--create-dir",
            is_flag=True,
            help="Create the migration directory if it does not exist (else that is an error).",
        ),
        click.option(
            "--lock-timeout",
            default=None,
            metavar="DURATION",
            help=f"lock_timeout set at the top of every file (default: the `lock-timeout` "
            f"config key, else '{DEFAULT_LOCK_TIMEOUT}').",
        ),
        click.option(
            "--target-version",
            default=None,
            metavar="N",
            help="PostgreSQL major version the migrations will run on (default: config, else 15).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="Config file to use instead of searching upwards from the current directory.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@record
class Output:
    directory: Path
    layout: str
    to_stdout: bool
    force: bool
    options: Options
    head: str | None = None  # --head (alembic)

    @property
    def python(self) -> bool:
        return self.layout in PYTHON_LAYOUTS

    def target(self) -> Any:
        """Where a framework's files go (:class:`linter.writers.python_files.Target`)."""
        from ..writers.python_files import Target

        return Target(self.layout, self.directory, self.head)


def resolve_output(
    directory: str | None,
    layout: str | None,
    head: str | None,
    to_stdout: bool,
    force: bool,
    create_dir: bool,
    lock_timeout: str | None,
    target_version: str | None,
    config_file: str | None,
) -> Output:
    try:
        config = load_config(Path(config_file) if config_file else None)
        target = (
            parse_version(target_version, "--target-version")
            if target_version is not None
            else config.settings.target_version
        )
        timeout, statement = timeouts(config.extra, lock_timeout)
    except (ConfigError, InvalidInput) as exc:
        raise click.UsageError(str(exc)) from exc
    if directory is not None:
        folder = Path(directory)
    elif config.history:
        folder = Path(config.history)
        if not folder.is_absolute():
            folder = config.root / folder
    else:
        folder = Path(".")
    _check_directory(
        folder, "--dir" if directory is not None else "the history directory", create_dir
    )
    chosen = layout or config.layout or detect_layout(folder)
    if chosen not in LAYOUTS and chosen not in PYTHON_LAYOUTS:
        choices = ", ".join((*LAYOUTS, *PYTHON_LAYOUTS))
        raise click.UsageError(
            f"layout {chosen!r} cannot be written by sqlsafe (choose from {choices})"
        )
    if head is not None and chosen != "alembic":
        raise click.UsageError(f"--head is for the alembic layout, not {chosen}")
    if chosen in PYTHON_LAYOUTS:
        folder = _framework_directory(chosen, folder)
    return Output(folder, chosen, to_stdout, force, Options(target, timeout, statement), head)


def _framework_directory(layout: str, folder: Path) -> Path:
    """The directory a framework's files go to (Alembic's versions/, the app's
    migrations/), from what --dir names."""
    from ..writers.python_history import (
        HistoryError,
        alembic_versions_dir,
        django_migrations_dir,
    )

    try:
        if layout == "alembic":
            found = alembic_versions_dir(folder)
        else:
            found = django_migrations_dir(folder)
    except HistoryError as exc:
        raise click.UsageError(str(exc)) from exc
    if not found.is_dir():
        raise click.UsageError(f"{found} (the {layout} migrations directory) does not exist")
    return found


def _check_directory(folder: Path, what: str, create: bool) -> None:
    """A migration directory that does not exist is a typo unless *create* (--create-dir)."""
    if folder.is_dir():
        return
    if os.path.lexists(folder):
        raise click.UsageError(f"{what} {folder} is not a directory")
    if not create:
        raise click.UsageError(f"{what} {folder} does not exist (pass --create-dir to create it)")


def history(output: Output) -> Schema:
    """The schema the migrations already in the output directory build (for Alembic and
    Django: the tables and primary keys their files show statically)."""
    from ..writers.plan import history_schema

    schema = history_schema(output.directory, None)
    if output.python:
        schema = _python_tables(output, schema)
    return schema


def _python_tables(output: Output, schema: Schema) -> Schema:
    from ..sql.parsing import parse
    from ..state.fold import apply_schema
    from ..writers.python_history import HistoryError, alembic_sql, known_tables
    from ..writers.scaffold_sql import quote_ident

    try:
        tables = known_tables(output.layout, output.directory)
        literal = alembic_sql(output.directory) if output.layout == "alembic" else []
    except HistoryError as exc:
        raise click.UsageError(str(exc)) from exc
    for table, keys in tables.items():
        columns = ", ".join(f"{quote_ident(k)} bigint" for k in keys)
        key = f", PRIMARY KEY ({', '.join(quote_ident(k) for k in keys)})" if keys else ""
        literal.insert(0, f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({columns}{key});")
    for sql in literal:  # the tables first: the revisions' SQL changes them
        for stmt in parse(sql).statements:
            if stmt.node is not None:
                schema = apply_schema(schema, stmt.node)
    return schema


def key_for(output: Output, table: str, key: str | None) -> str:
    """``--key``, else the single-column primary key of *table* in the history."""
    from ..writers.scaffold_history import batch_key

    return batch_key(history(output), parse_name(table), key, str(output.directory))


def emit(output: Output, steps: Sequence[FileStep], command: str) -> list[OutFile]:
    """Render *steps* for the layout, then write them (or print them)."""
    layout = get_layout(output.layout)
    steps = with_tool(steps, f"sqlsafe {command}")
    options = output.options
    if output.python:
        from ..writers.python_files import render as render_python

        return write_or_print(
            output,
            len(steps),
            lambda versions: render_python(
                steps, output.target(), versions, options.lock_timeout, options.statement_timeout
            ),
        )
    # one-statement layouts may split a non-transactional step: ask for enough versions
    return write_or_print(
        output,
        len(steps) * 8,
        lambda versions: render_files(
            steps, layout, versions, options.lock_timeout, options.statement_timeout
        ),
    )


def with_tool(steps: Sequence[FileStep], tool: str) -> list[FileStep]:
    """*steps* with their header naming the command that wrote them."""
    return [
        FileStep(
            s.slug, s.summary, s.locks, s.body, s.transactional, s.before, tool, s.quick, s.changes
        )
        for s in steps
    ]


def _versions(output: Output, count: int) -> list[str]:
    if output.python:
        from ..writers.python_files import next_versions as python_versions
        from ..writers.python_history import HistoryError

        try:
            return python_versions(output.target(), count)
        except HistoryError as exc:
            raise click.UsageError(str(exc)) from exc
    return next_versions(output.directory, get_layout(output.layout), count)


def _render_guarded(
    render: Callable[[list[str]], list[OutFile]], versions: list[str]
) -> list[OutFile]:
    """*render*, with a refusal of the history or of the input as a usage error."""
    try:
        return render(versions)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc


# how often numbering starts again when a name was taken meanwhile
_ATTEMPTS = 5


def write_or_print(
    output: Output, count: int, render: Callable[[list[str]], list[OutFile]]
) -> list[OutFile]:
    """Number *count* versions after the migrations in the output directory, render the
    files with them and write them (all or none, never overwriting without --force), or
    print them.

    Numbering and writing hold a lock on the directory, so sqlsafe commands running at
    once never take one version twice; should a name be taken meanwhile all the same (by
    a writer that does not lock), the files are numbered again, a few times.
    """
    if output.to_stdout:
        files = _render_guarded(render, _versions(output, count))
        for i, out in enumerate(files):
            if i:
                click.echo("")
            click.echo(f"-- ==> {out.path} <==")
            click.echo(out.text, nl=False)
        return files
    tried: list[list[str]] = []
    while True:
        versions: list[str] | None = None
        try:
            with directory_lock(output.directory):
                versions = _versions(output, count)
                files = _render_guarded(render, versions)
                written = write_files(output.directory, files, output.force)
            break
        except FileExistsError as exc:
            if versions is None:  # (not a migration's name: the directory or a parent)
                raise click.ClickException(str(os_error(exc, output.directory))) from exc
            if versions in tried or len(tried) + 1 >= _ATTEMPTS:
                raise click.UsageError(str(exc)) from exc
            tried.append(versions)
        except WriteError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            raise click.ClickException(str(os_error(exc, output.directory))) from exc
    for path in written:
        click.echo(f"wrote {os.path.normpath(path)}")
    return files


_KEY = click.option(
    "--key",
    default=None,
    metavar="COLUMN",
    help="Column the batches walk in order (default: the table's single-column primary key "
    "in the migrations in --dir).",
)


def _guard(build: Callable[[], list[FileStep]]) -> list[FileStep]:
    try:
        return build()
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc


@click.command("new-column")
@click.argument("table")
@click.argument("column")
@click.argument("type_", metavar="TYPE")
@click.option("--default", default=None, metavar="EXPR", help="Default for new rows.")
@click.option("--not-null", is_flag=True, help="Make the column NOT NULL (without a scan).")
@click.option("--unique", is_flag=True, help="Add a unique index, built CONCURRENTLY.")
@click.option("--index", is_flag=True, help="Add a plain index, built CONCURRENTLY.")
@click.option(
    "--references",
    default=None,
    metavar="TABLE(COL)",
    help="Foreign key, added NOT VALID then validated (the column is indexed too).",
)
@click.option(
    "--backfill",
    "backfill_expr",
    default=None,
    metavar="EXPR",
    help="Value for the rows already in the table, set in batches.",
)
@click.option("--batch-size", default=1000, show_default=True, help="Rows per backfill batch.")
@click.option("--sleep", default=0.0, show_default=True, help="Seconds to pause between batches.")
@_KEY
@click.option(
    "--unknown-table",
    is_flag=True,
    help="TABLE is created outside the migrations in --dir (else an unknown TABLE is an error).",
)
@click.option("--zod", is_flag=True, help="Also print the matching Zod schema field.")
@output_options
def new_column(
    table: str,
    column: str,
    type_: str,
    default: str | None,
    not_null: bool,
    unique: bool,
    index: bool,
    references: str | None,
    backfill_expr: str | None,
    batch_size: int,
    sleep: float,
    key: str | None,
    unknown_table: bool,
    zod: bool,
    **out: Any,
) -> int:
    """Add COLUMN of TYPE to TABLE without blocking it.

    \b
    The column is added nullable (or with a non-volatile default), existing rows are
    backfilled in batches, NOT NULL is proved by a CHECK ... NOT VALID that is validated
    separately (PostgreSQL 18: NOT NULL ... NOT VALID), indexes are built CONCURRENTLY
    and foreign keys are added NOT VALID, then validated.
    """
    from ..writers.scaffold import new_column as build
    from ..writers.scaffold import zod_field

    output = resolve_output(**out)
    make = partial(
        build,
        table,
        column,
        type_,
        output.options,
        default=default,
        not_null=not_null,
        unique=unique,
        index=index,
        references=references,
        backfill_expr=backfill_expr,
        batch_size=batch_size,
        sleep=sleep,
    )
    steps = _guard(lambda: make(key=key or "id"))  # every argument is valid

    def from_history() -> list[FileStep]:
        from ..writers.scaffold_history import require_table

        if not unknown_table:
            where = str(output.directory)
            require_table(history(output), parse_name(table), where, "--unknown-table")
        backfills = any(step.slug.startswith("backfill_") for step in steps)
        return make(key=key_for(output, table, key)) if backfills and key is None else steps

    steps = _guard(from_history)
    emit(output, steps, "new-column")
    if zod:
        from ..writers.scaffold_sql import column_name

        field = zod_field(column_name(column), type_, not_null, default is not None)
        click.echo(f"\nZod schema field:\n  {field}")
    return 0


@click.command("new-table")
@click.argument("name")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar='"NAME TYPE [NOT NULL] [DEFAULT ...]"',
    help="A column (repeat for each).",
)
@click.option(
    "--references",
    multiple=True,
    metavar="COL=TABLE(COL)",
    help="Foreign key from one of the columns to an existing table (repeatable).",
)
@click.option("--index", "indexes", multiple=True, metavar="COL", help="Index a column.")
@click.option("--grant", "grants", multiple=True, metavar="ROLE", help="Grant DML to a role.")
@output_options
def new_table(
    name: str,
    columns: tuple[str, ...],
    references: tuple[str, ...],
    indexes: tuple[str, ...],
    grants: tuple[str, ...],
    **out: Any,
) -> int:
    """Create table NAME with an identity primary key and created_at/updated_at.

    Foreign keys to existing tables are added NOT VALID and validated in a later step;
    referencing columns are indexed.
    """
    from ..writers.scaffold import new_table as build

    output = resolve_output(**out)
    steps = _guard(lambda: build(name, columns, references, indexes, grants, output.options))
    emit(output, steps, "new-table")
    return 0


@click.command("backfill")
@click.argument("table")
@click.option(
    "--set",
    "set_",
    multiple=True,
    required=True,
    metavar='"COL = EXPR"',
    help="Assignment to apply (repeatable).",
)
@click.option("--where", default=None, metavar="COND", help="Only rows matching COND.")
@click.option("--batch-size", default=1000, show_default=True, help="Rows per batch.")
@click.option("--sleep", default=0.0, show_default=True, help="Seconds to pause between batches.")
@_KEY
@output_options
def backfill(
    table: str,
    set_: tuple[str, ...],
    where: str | None,
    batch_size: int,
    sleep: float,
    key: str | None,
    **out: Any,
) -> int:
    """Update every row of TABLE in batches, one transaction per batch, resumable."""
    from ..writers.scaffold import backfill as build

    output = resolve_output(**out)
    steps = _guard(
        lambda: build(
            table, set_, where, batch_size, sleep, key_for(output, table, key), output.options
        )
    )
    emit(output, steps, "backfill")
    return 0


@click.command("new-index")
@click.argument("table")
@click.argument("columns", nargs=-1, required=True)
@click.option("--unique", is_flag=True, help="A unique index.")
@click.option("--where", default=None, metavar="COND", help="A partial index.")
@click.option("--using", default=None, metavar="METHOD", help="Index method (gin, gist, brin...).")
@click.option("--name", default=None, help="Index name (default: TABLE_COLUMNS_idx or _key).")
@click.option(
    "--partition",
    "partitions",
    multiple=True,
    metavar="NAME",
    help="TABLE is partitioned: build on each of these partitions, then attach (repeatable).",
)
@output_options
def new_index(
    table: str,
    columns: tuple[str, ...],
    unique: bool,
    where: str | None,
    using: str | None,
    name: str | None,
    partitions: tuple[str, ...],
    **out: Any,
) -> int:
    """Build an index on TABLE (COLUMNS, or parenthesised expressions) CONCURRENTLY."""
    from ..writers.scaffold import new_index as build

    output = resolve_output(**out)
    steps = _guard(
        lambda: build(table, columns, unique, where, using, name, partitions, output.options)
    )
    emit(output, steps, "new-index")
    return 0


@click.command("drop-index")
@click.argument("name")
@output_options
def drop_index(name: str, **out: Any) -> int:
    """Drop index NAME CONCURRENTLY, with the queries that show whether it is unused."""
    from ..writers.scaffold import drop_index as build

    output = resolve_output(**out)
    steps = _guard(lambda: build(name, output.options))
    emit(output, steps, "drop-index")
    return 0
