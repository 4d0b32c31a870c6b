"""Expand / migrate / contract plans: changes that no single migration can make safely.

A plan is a list of *releases*. Each release is a few scaffold steps (see
:mod:`linter.writers.scaffold`) and, after them, the code deploy that must happen before the next
release's migrations run. :func:`render_plan` turns a plan into the runner's files, in
release order, plus a README of the steps in between.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pglast.parser import parse_sql_json

from ..inputs.source import SourceError
from ..lockmodel.schema import Column, Schema
from ..sql import pgast
from ..util.records import record
from ..util.templating import environment
from .scaffold import (
    AEL_INSTANT,
    Backfill,
    Options,
    _render,
    _tag,
    analyze_step,
    new_column,
)
from .scaffold_layouts import (
    Change,
    FileStep,
    Layout,
    OutFile,
    render_files,
    step_units,
    suppression,
)
from .scaffold_sql import (
    InvalidInput,
    Name,
    column_name,
    derived_name,
    expression,
    parse_name,
    quote_ident,
    quote_literal,
    sql_type,
)

STRATEGIES = ("rename-column", "change-type", "drop-column", "shadow-table")


@record
class Release:
    """Migrations to run, then the code deploy that must follow them (if any)."""

    title: str
    steps: tuple[FileStep, ...]
    deploy: str | None = None


@record
class Plan:
    strategy: str
    title: str
    slug: str
    releases: tuple[Release, ...]
    caveats: tuple[str, ...] = ()

    @property
    def steps(self) -> list[FileStep]:
        return [step for release in self.releases for step in release.steps]


# ------------------------------------------------------------------------------ history
def history_schema(directory: Path, layout: str | None) -> Schema:
    """The schema the migrations already in *directory* build (empty when there are none)."""
    from ..inputs.layouts import migration_units
    from ..sql.parsing import parse
    from ..state.fold import apply_schema

    schema = Schema()
    if not directory.is_dir():
        return schema
    for unit in migration_units([str(directory)], layout):
        if isinstance(unit, SourceError) or not unit.applies:
            continue
        for stmt in parse(unit.text).statements:
            if stmt.node is not None:
                schema = apply_schema(schema, stmt.node)
        schema = schema.end_file()
    return schema


def _column(schema: Schema, table: Name, column: str) -> Column | None:
    model = schema.table(pgast.qualify(table.schema, table.name))
    return None if model is None else model.columns.get(column)


def _type_of(column: Column | None, given: str | None, table: Name, name: str) -> str:
    if given is not None:
        return sql_type(given)
    ref = column.type if column is not None else None
    if ref is None or any(m is None for m in ref.mods):
        raise InvalidInput(
            f"the type of {table}.{name} is not known from the migrations in --dir: "
            "pass --type TYPE"
        )
    return sql_type(str(ref))


# ------------------------------------------------------------------------------ shared
def _execute(options: Options) -> str:
    return "FUNCTION" if options.target_version >= 11 else "PROCEDURE"


def _trigger_suppression(what: str) -> str:
    return suppression(what, "create-trigger-on-existing-table")


def _drop_function_suppression() -> str:
    return suppression("the sync trigger's own function, dropped with it", "drop-function")


def _uses_only(text: str, column: str, what: str) -> None:
    """Refuse an expression that reads any column but *column* (it is evaluated per row)."""
    tree = json.loads(parse_sql_json(f"SELECT {text}"))
    for node in pgast.walk(tree["stmts"][0]["stmt"]):
        ref = node.get("ColumnRef")
        if ref is None:
            continue
        parts = [f.get("String", {}).get("sval") for f in ref.get("fields", [])]
        if parts != [column]:
            raise InvalidInput(f"{what} may only use the column {column!r}, not {parts!r}")


def _contract_column(
    table: Name,
    column: str,
    options: Options,
    trigger: str | None = None,
    function: str | None = None,
    slug: str = "",
) -> FileStep:
    qcol = quote_ident(column, "column")
    return FileStep(
        slug or f"drop_{table.name}_{column}",
        (f"drop the sync trigger and column {column} of {table}" if trigger else "")
        or f"drop column {column} of {table}",
        AEL_INSTANT.format(t=table),
        _render(
            "plan_drop_column",
            table=table.sql,
            column=qcol,
            trigger=trigger,
            function=function,
            suppress_function=_drop_function_suppression(),
            suppress=suppression(
                "the previous release stopped reading and writing this column",
                "drop-column",
            ),
        ),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(
            *(
                (Change("trigger", table.sql, name=trigger, function=function or ""),)
                if trigger
                else ()
            ),
            Change("drop_column", table.sql, column=column),
        ),
    )


def _swap_plan(
    strategy: str,
    table: Name,
    old: str,
    new: str,
    type_: str,
    not_null: bool,
    forward_sql: str,
    forward_row: str,
    options: Options,
    batch_size: int,
    key: str,
    title: str,
    caveats: Sequence[str],
) -> Plan:
    """Add *new*, keep it in step with *old* by trigger, backfill, switch, drop *old*."""
    if old == new:
        raise InvalidInput("the new column name must differ from the old one")
    steps = new_column(
        table.sql,
        quote_ident(new),
        type_,
        options,
        not_null=not_null,
        backfill_expr=forward_sql,
        batch_size=batch_size,
        key=key,
    )
    # the trigger, not the application, writes the new column from now on
    steps = [replace(s, before=None) for s in steps]
    function = quote_ident(derived_name(table.name, new, suffix="sync"))
    if table.schema:
        function = f"{quote_ident(table.schema)}.{function}"
    trigger = quote_ident(derived_name(table.name, new, suffix="sync"))
    qold, qnew = quote_ident(old, "column"), quote_ident(new, "column")
    sync = FileStep(
        f"sync_{table.name}_{new}",
        f"keep {old} and {new} of {table} in step with a trigger",
        f"SHARE ROW EXCLUSIVE on {table} for an instant (writes wait, reads go on); from "
        "then on the trigger runs in every INSERT and UPDATE",
        _render(
            "plan_sync_columns",
            table=table.sql,
            old=qold,
            new=qnew,
            forward=forward_row,
            backward=f"NEW.{qnew}",
            function=function,
            trigger=trigger,
            tag=_tag(forward_row),
            execute=_execute(options),
            suppress=_trigger_suppression(
                "the sync trigger is the point of this step: cheap, and lock_timeout is set"
            ),
        ),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(Change("trigger", table.sql, name=trigger, function=function),),
    )
    expand = (steps[0], sync, *steps[1:])
    contract = _contract_column(table, old, options, trigger, function, f"drop_{table.name}_{old}")
    return Plan(
        strategy,
        title,
        f"{strategy.replace('-', '_')}_{table.name}_{old}",
        (
            Release(
                "Release 1: expand and migrate",
                expand,
                f"application code that reads and writes {new} instead of {old} (the "
                f"trigger keeps {old} filled for instances still running the previous code). "
                f"Wait until no running instance uses {old}.",
            ),
            Release("Release 2: contract", (contract,)),
        ),
        (
            f"indexes, constraints, defaults, grants and views on {old} are not copied to "
            f"{new}: create them on {new} (sqlsafe new-index) before the code switches",
            f"a row inserted by code that writes only {new} gets {old}'s default (not "
            f"{new}'s value) if {old} has a default",
            *caveats,
        ),
    )


# ------------------------------------------------------------------------------ strategies
def rename_column(
    table: str,
    old: str,
    new: str,
    options: Options,
    *,
    type_: str | None = None,
    not_null: bool | None = None,
    batch_size: int = 1000,
    key: str = "id",
    schema: Schema | None = None,
) -> Plan:
    tname = parse_name(table)
    old_col, new_col = column_name(old), column_name(new)
    known = _column(schema or Schema(), tname, old_col)
    printed = _type_of(known, type_, tname, old_col)
    required = not_null if not_null is not None else bool(known and known.not_null)
    qold = quote_ident(old_col, "column")
    return _swap_plan(
        "rename-column",
        tname,
        old_col,
        new_col,
        printed,
        required,
        qold,
        f"NEW.{qold}",
        options,
        batch_size,
        key,
        f"Rename {tname}.{old_col} to {new_col}",
        (),
    )


def change_type(
    table: str,
    column: str,
    type_: str,
    options: Options,
    *,
    new_name: str | None = None,
    using: str | None = None,
    not_null: bool | None = None,
    batch_size: int = 1000,
    key: str = "id",
    schema: Schema | None = None,
) -> Plan:
    tname = parse_name(table)
    col = column_name(column)
    printed = sql_type(type_)
    target = column_name(new_name) if new_name else derived_name(col, suffix="new")
    qcol = quote_ident(col, "column")
    if using is not None:
        converted = expression(using, "--using expression")
        _uses_only(converted, col, "--using")
        forward_sql = f"CAST(({converted}) AS {printed})"
        row = f"(SELECT {forward_sql} FROM (SELECT NEW.{qcol}) AS _sqlsafe_row ({qcol}))"
    else:
        forward_sql = f"CAST({qcol} AS {printed})"
        row = f"CAST(NEW.{qcol} AS {printed})"
    known = _column(schema or Schema(), tname, col)
    required = not_null if not_null is not None else bool(known and known.not_null)
    return _swap_plan(
        "change-type",
        tname,
        col,
        target,
        printed,
        required,
        forward_sql,
        row,
        options,
        batch_size,
        key,
        f"Change {tname}.{col} to {printed} (as the new column {target})",
        (
            f"the new column is called {target}; to give it the name {col} once {col} is "
            f"gone, follow with `sqlsafe plan rename-column {tname} {target} {col}`",
            f"values written to {target} by the new code are copied back into {col} "
            "through PL/pgSQL's assignment conversion; one that does not convert makes "
            "the write fail",
        ),
    )


def drop_column(
    table: str,
    column: str,
    options: Options,
    *,
    not_null: bool | None = None,
    schema: Schema | None = None,
) -> Plan:
    tname = parse_name(table)
    col = column_name(column)
    known = _column(schema or Schema(), tname, col)
    needs_null = (
        not_null
        if not_null is not None
        else bool(known and known.not_null and not known.has_default)
    )
    first: tuple[FileStep, ...] = ()
    if needs_null:
        first = (
            FileStep(
                f"drop_not_null_{tname.name}_{col}",
                f"let {col} of {tname} be left out of inserts",
                AEL_INSTANT.format(t=tname),
                _render(
                    "plan_drop_not_null",
                    table=tname.sql,
                    column=quote_ident(col, "column"),
                    suppress=suppression(
                        "the next release stops writing this column", "drop-not-null"
                    ),
                ),
                transactional=True,
                quick=True,
                tool=options.tool,
                changes=(Change("drop_not_null", tname.sql, column=col),),
            ),
        )
    return Plan(
        "drop-column",
        f"Drop {tname}.{col}",
        f"drop_column_{tname.name}_{col}",
        (
            Release(
                "Release 1: stop using the column",
                first,
                f"application code that neither reads nor writes {col} (ORMs: mark it "
                "ignored, or the ORM still selects it). Wait until no running instance "
                f"uses {col}.",
            ),
            Release("Release 2: contract", (_contract_column(tname, col, options),)),
        ),
        (
            f"a view, or another object, that depends on {col} makes the drop fail: "
            "change or drop it first",
            "the column's data is gone once release 2 runs: back it up if it may be needed",
        ),
    )


_INTEGERS = frozenset(
    {"int2", "int4", "int8", "smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"}
)

_ALLOWED_CHANGES = frozenset(
    {
        "AT_AlterColumnType",
        "AT_AddColumn",
        "AT_AddConstraint",
        "AT_ColumnDefault",
        "AT_SetNotNull",
        "AT_DropNotNull",
        "AT_DropConstraint",
        "AT_SetStorage",
        "AT_SetCompression",
        "AT_SetStatistics",
    }
)


def _change(text: str) -> str:
    """One ALTER TABLE sub-command for the shadow table, parsed and printed back."""
    from pglast import parse_sql
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    probe = "_sqlsafe_shadow_probe"
    if not text.strip():
        raise InvalidInput("--alter is empty")
    try:
        stmts = parse_sql(f"ALTER TABLE {probe} {text}")
        tree = json.loads(parse_sql_json(f"ALTER TABLE {probe} {text}"))
    except ParseError as exc:
        raise InvalidInput(
            f"--alter {text!r} is not an ALTER TABLE action: {exc.args[0]}"
        ) from None
    if len(stmts) != 1 or type(stmts[0].stmt).__name__ != "AlterTableStmt":
        raise InvalidInput(f"--alter {text!r} must be one ALTER TABLE action")
    fields = pgast.unwrap(tree["stmts"][0]["stmt"])
    commands = list(pgast.alter_commands(fields))
    if len(commands) != 1:
        raise InvalidInput(f"--alter {text!r} must be one action (repeat --alter for more)")
    sub = commands[0][0]
    if sub not in _ALLOWED_CHANGES:
        raise InvalidInput(
            f"--alter {text!r}: only column types, added columns, defaults, NOT NULL, "
            "constraints and storage can change (columns keep their order: no DROP or RENAME)"
        )
    stmt = stmts[0].stmt
    if stmt is None:
        raise InvalidInput(f"--alter {text!r} must be one ALTER TABLE action")
    printed = str(RawStream()(stmt))
    head = f"ALTER TABLE {probe} "
    if not printed.startswith(head):
        raise InvalidInput(f"--alter {text!r} must be one ALTER TABLE action")
    return printed[len(head) :]


def shadow_table(
    table: str,
    options: Options,
    *,
    changes: Sequence[str] = (),
    batch_size: int = 1000,
    sleep: float = 0.0,
    key: str = "id",
    schema: Schema | None = None,
) -> Plan:
    tname = parse_name(table)
    keycol = column_name(key)
    # only an integer key can feed an identity sequence (a uuid key has no max() either)
    key_type = _column(schema or Schema(), tname, keycol)
    numbered_key = key_type is None or key_type.type is None or key_type.type.name in _INTEGERS
    printed = [_change(c) for c in changes]
    shadow = tname.sibling(derived_name(tname.name, suffix="new"))
    retired = tname.sibling(derived_name(tname.name, suffix="old"))
    function = derived_name(tname.name, suffix="shadow_sync")
    qfunction = quote_ident(function)
    if tname.schema:
        qfunction = f"{quote_ident(tname.schema)}.{qfunction}"
    trigger = quote_ident(function)
    qkey = quote_ident(keycol, "key column")
    create = FileStep(
        f"create_{shadow.name}",
        f"create the shadow table {shadow} shaped like {tname}"
        + (", with the changes" if printed else ""),
        f"ACCESS SHARE on {tname} (reads its definition); the new {shadow} is not in use",
        _render("plan_shadow_create", table=tname.sql, shadow=shadow.sql, changes=printed),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(Change("scratch_table", shadow.sql),),
    )
    sync = FileStep(
        f"sync_{shadow.name}",
        f"copy every write to {tname} into {shadow} with a trigger",
        f"SHARE ROW EXCLUSIVE on {tname} for an instant (writes wait, reads go on); from "
        "then on every write also writes the shadow table",
        _render(
            "plan_shadow_sync",
            table=tname.sql,
            shadow=shadow.sql,
            key=qkey,
            function=qfunction,
            trigger=trigger,
            tag=_tag(shadow.sql, qkey),
            execute=_execute(options),
            suppress=_trigger_suppression(
                "the sync trigger is the point of this step: cheap, and lock_timeout is set"
            ),
        ),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(Change("trigger", tname.sql, name=trigger, function=qfunction),),
    )
    copy = Backfill(
        tname, (), None, keycol, batch_size, sleep, insert_into=shadow, job=f"{tname}->{shadow}"
    ).step(options, f"copy_{tname.name}_to_{shadow.name}", f"copy the rows of {tname} in batches")
    rename = suppression(
        "the shadow table takes the name in the same transaction: no query sees it missing",
        "rename-table",
    )
    swap = FileStep(
        f"swap_{tname.name}",
        f"swap {shadow} in as {tname} and keep the old table as {retired.name}",
        f"ACCESS EXCLUSIVE on {tname} and {shadow} for an instant (catalog changes only)",
        _render(
            "plan_shadow_swap",
            table=tname.sql,
            table_name=quote_ident(tname.name),
            table_literal=tname.literal,
            shadow=shadow.sql,
            retired_name=quote_ident(retired.name),
            key=qkey,
            key_literal=quote_literal(keycol),
            numbered_key=numbered_key,
            trigger=trigger,
            function=qfunction,
            suppress=rename,
            suppress_function=_drop_function_suppression(),
            suppress_max=suppression(
                f"max() of the key reads one entry of the index on {keycol}",
                "long-lock-hold",
            ),
        ),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(Change("irreversible", tname.sql),),
    )
    drop = FileStep(
        f"drop_{retired.name}",
        f"drop the old table, now {retired}",
        f"ACCESS EXCLUSIVE on {retired}, which nothing uses any more",
        _render(
            "plan_drop_table",
            table=retired.sql,
            suppress=suppression(
                "the table was swapped out a release ago and receives no writes", "drop-table"
            ),
        ),
        transactional=True,
        quick=True,
        tool=options.tool,
        changes=(Change("irreversible", retired.sql),),
    )
    return Plan(
        "shadow-table",
        f"Rebuild {tname} as a shadow table" + (" with changes" if printed else ""),
        f"shadow_table_{tname.name}",
        (
            Release(
                "Release 1: build and fill the shadow table",
                (create, sync, copy, analyze_step(shadow, options)),
            ),
            Release(
                "Release 2: switch",
                (swap,),
                f"nothing to change in the code: {tname} now names the new table. Check that "
                f"the application works and keep {retired.name} until you are sure it is not "
                "needed to go back (it receives no writes).",
            ),
            Release("Release 3: contract", (drop,)),
        ),
        (
            f"foreign keys in other tables that reference {tname}, views, and grants made "
            f"after the shadow was created stay attached to the old table ({retired.name}): "
            "recreate them on the new one (foreign keys NOT VALID, then VALIDATE)",
            f"the shadow's indexes and constraints keep their generated names ({shadow.name}_...)",
            f"a serial column's sequence stays owned by {retired.name}: run `ALTER SEQUENCE ... "
            f"OWNED BY {tname}.column` before release 3, or dropping it fails",
            "--alter may not drop, rename or reorder columns: rows are copied column by column "
            "in order",
        ),
    )


# ------------------------------------------------------------------------------ rendering
@record
class RenderedRelease:
    title: str
    files: tuple[dict[str, str], ...]
    deploy: str | None
    held: str | None = None  # where its files wait, outside the migrations directory


def held_directory(plan: Plan, versions: Sequence[str]) -> str:
    """Where the releases after the first wait, relative to the migrations directory: a
    sibling of it, so that no runner (nor ``sqlsafe lint`` of the migrations directory)
    picks them up before their release."""
    first = f"{versions[0]}_" if versions else ""
    return f"../{_safe_filename(f'sqlsafe-plan-{first}{plan.slug}')}"


def render_plan(
    plan: Plan,
    layout: Layout,
    versions: Sequence[str],
    lock_timeout: str,
    statement_timeout: str,
    command: str,
    render: Callable[[Sequence[FileStep], Sequence[str]], list[OutFile]] | None = None,
) -> list[OutFile]:
    """The migration files of *plan* in release order, then its README (``.md``).

    Only the first release's files go into the migrations directory: the later ones must
    not run in the same deploy, so they wait in :func:`held_directory` (``release-N/``),
    where the README (a copy of it is there too) says when to move each in.
    """
    if render is not None:  # a framework's files (linter.writers.python_files)
        files = render(plan.steps, versions)
    else:
        files = render_files(plan.steps, layout, versions, lock_timeout, statement_timeout)
    held = held_directory(plan, versions)
    used = [len(step_units(step, layout)) for step in plan.steps]
    by_version: dict[str, list[OutFile]] = {}
    for out in files:
        version = next(v for v in versions if _in_version(out.path, v))
        by_version.setdefault(version, []).append(out)
    releases: list[RenderedRelease] = []
    placed: list[OutFile] = []
    position = 0
    step_index = 0
    for number, release in enumerate(plan.releases, start=1):
        folder = f"{held}/release-{number}" if number > 1 else None
        entries: list[dict[str, str]] = []
        for step in release.steps:
            for _ in range(used[step_index]):
                for out in by_version.get(versions[position], []):
                    if folder is not None:
                        out = replace(out, path=f"{folder}/{out.path}")
                    placed.append(out)
                    if out.path.endswith((".sql", ".py")):
                        entries.append(
                            {"path": out.path, "summary": step.summary, "locks": step.locks}
                        )
                position += 1
            step_index += 1
        releases.append(RenderedRelease(release.title, tuple(entries), release.deploy, folder))
    readme = _readme(plan, layout, releases, command, sum(used))
    name = f"{versions[0]}_{plan.slug}.README.md" if versions else f"{plan.slug}.README.md"
    copies = [OutFile(_safe_filename(name), readme, True, 0)]
    if len(plan.releases) > 1:
        copies.append(OutFile(f"{held}/README.md", readme, True, 0))
    return [*placed, *copies]


def _in_version(path: str, version: str) -> bool:
    return path.startswith((f"{version}_", f"V{version}__"))


def _safe_filename(name: str) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return cleaned[:120]


def _readme(
    plan: Plan,
    layout: Layout,
    releases: Sequence[RenderedRelease],
    command: str,
    count: int,
) -> str:
    context: dict[str, Any] = {
        "title": plan.title,
        "command": command,
        "layout": layout.name,
        "count": count,
        "releases": releases,
        "caveats": plan.caveats,
    }
    text = environment().get_template("scaffold/plan_README.md.j2").render(**context)
    return text.rstrip("\n") + "\n"
