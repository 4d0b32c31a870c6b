"""``sqlsafe plan``: expand / migrate / contract sequences, written in release order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..writers.scaffold_layouts import get_layout, step_units
from ..writers.scaffold_sql import InvalidInput
from .scaffold import (
    _KEY,
    Output,
    key_for,
    output_options,
    resolve_output,
    with_tool,
    write_or_print,
)

_TYPE_HELP = "Type of the column (default: read from the migrations already in --dir)."
_NOT_NULL_HELP = (
    "Whether the column is NOT NULL (default: read from the migrations already in --dir)."
)


def _emit(output: Output, build: Callable[[Any], Any], command: str) -> int:
    from ..writers.plan import Plan, Release, render_plan

    try:
        plan: Plan = build(output)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc
    tool = f"sqlsafe plan {command}"
    plan = Plan(
        plan.strategy,
        plan.title,
        plan.slug,
        tuple(Release(r.title, tuple(with_tool(r.steps, tool)), r.deploy) for r in plan.releases),
        plan.caveats,
    )
    layout = get_layout(output.layout)
    count = sum(len(step_units(s, layout)) for s in plan.steps)
    options = output.options
    render = None
    if output.python:
        from ..writers.python_files import render as render_python

        target = output.target()

        def render(steps: Any, versions: Any) -> Any:
            return render_python(
                steps, target, versions, options.lock_timeout, options.statement_timeout
            )

    write_or_print(
        output,
        count,
        lambda versions: render_plan(
            plan, layout, versions, options.lock_timeout, options.statement_timeout, tool, render
        ),
    )
    return 0


def _schema(output: Output) -> Any:
    from ..writers.plan import history_schema

    return history_schema(output.directory, None)


@click.group("plan")
def plan() -> None:
    """Changes no single migration can make safely, as expand / migrate / contract releases.

    \b
    Each sub-command writes the migrations of every release in order (numbered for your
    runner, like new-column) and a <version>_<name>.README.md that lists the releases and
    the code deploys that must happen between them.
    """


_batch = click.option("--batch-size", default=1000, show_default=True, help="Rows per batch.")
_key = _KEY


@plan.command("rename-column")
@click.argument("table")
@click.argument("old")
@click.argument("new")
@click.option("--type", "type_", default=None, metavar="TYPE", help=_TYPE_HELP)
@click.option("--not-null/--nullable", "not_null", default=None, help=_NOT_NULL_HELP)
@_batch
@_key
@output_options
def rename_column(
    table: str,
    old: str,
    new: str,
    type_: str | None,
    not_null: bool | None,
    batch_size: int,
    key: str | None,
    **out: Any,
) -> int:
    """Rename column OLD of TABLE to NEW while both releases keep working.

    \b
    Release 1: add NEW, a trigger keeping OLD and NEW in step, a batched backfill (and
    NOT NULL proved without a long lock). Deploy code using NEW.
    Release 2: drop the trigger and OLD.
    """
    from ..writers import plan as plans

    output = resolve_output(**out)
    return _emit(
        output,
        lambda o: plans.rename_column(
            table,
            old,
            new,
            o.options,
            type_=type_,
            not_null=not_null,
            batch_size=batch_size,
            key=key_for(o, table, key),
            schema=_schema(o),
        ),
        "rename-column",
    )


@plan.command("change-type")
@click.argument("table")
@click.argument("column")
@click.argument("type_", metavar="TYPE")
@click.option("--new-name", default=None, help="Name of the new column (default: COLUMN_new).")
@click.option(
    "--using",
    default=None,
    metavar="EXPR",
    help="Conversion from the old value, using only COLUMN (default: CAST(COLUMN AS TYPE)).",
)
@click.option("--not-null/--nullable", "not_null", default=None, help=_NOT_NULL_HELP)
@_batch
@_key
@output_options
def change_type(
    table: str,
    column: str,
    type_: str,
    new_name: str | None,
    using: str | None,
    not_null: bool | None,
    batch_size: int,
    key: str | None,
    **out: Any,
) -> int:
    """Change the type of COLUMN of TABLE to TYPE without rewriting the table under a lock.

    \b
    Release 1: add the new column, a trigger converting every write both ways, a batched
    backfill. Deploy code using the new column.
    Release 2: drop the trigger and the old column.
    """
    from ..writers import plan as plans

    output = resolve_output(**out)
    return _emit(
        output,
        lambda o: plans.change_type(
            table,
            column,
            type_,
            o.options,
            new_name=new_name,
            using=using,
            not_null=not_null,
            batch_size=batch_size,
            key=key_for(o, table, key),
            schema=_schema(o),
        ),
        "change-type",
    )


@plan.command("drop-column")
@click.argument("table")
@click.argument("column")
@click.option("--not-null/--nullable", "not_null", default=None, help=_NOT_NULL_HELP)
@output_options
def drop_column(table: str, column: str, not_null: bool | None, **out: Any) -> int:
    """Drop COLUMN of TABLE after the code has stopped using it.

    \b
    Release 1: DROP NOT NULL if the column is NOT NULL without a default (so code that
    leaves it out can insert). Deploy code that no longer uses it.
    Release 2: drop the column.
    """
    from ..writers import plan as plans

    output = resolve_output(**out)
    return _emit(
        output,
        lambda o: plans.drop_column(table, column, o.options, not_null=not_null, schema=_schema(o)),
        "drop-column",
    )


@plan.command("shadow-table")
@click.argument("table")
@click.option(
    "--alter",
    "changes",
    multiple=True,
    metavar='"ACTION"',
    help='An ALTER TABLE action for the new table, e.g. "ALTER COLUMN id TYPE bigint" '
    "(repeatable).",
)
@_batch
@click.option("--sleep", default=0.0, show_default=True, help="Seconds to pause between batches.")
@_key
@output_options
def shadow_table(
    table: str,
    changes: tuple[str, ...],
    batch_size: int,
    sleep: float,
    key: str | None,
    **out: Any,
) -> int:
    """Rebuild TABLE as a copy (with --alter changes) kept in sync, then swap it in.

    \b
    Release 1: create TABLE_new, a trigger copying every write, a batched copy.
    Release 2: in one transaction, rename TABLE to TABLE_old and TABLE_new to TABLE.
    Release 3: drop TABLE_old.
    """
    from ..writers import plan as plans

    output = resolve_output(**out)
    return _emit(
        output,
        lambda o: plans.shadow_table(
            table,
            o.options,
            changes=changes,
            batch_size=batch_size,
            sleep=sleep,
            key=key_for(o, table, key),
            schema=_schema(o),
        ),
        "shadow-table",
    )
