"""The ``sqlsafe`` command line: parse arguments, call the library, return an exit code."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from . import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# Sub-commands live in their own modules and are imported only when used.
COMMANDS: dict[str, str] = {
    "lint": "linter.commands.lint:lint",
    "rules": "linter.commands.rules:rules",
    "rule": "linter.commands.rules:rule",
    "docs": "linter.commands.docs:docs",
    "explain": "linter.commands.explain:explain",
    "baseline": "linter.commands.baseline:baseline",
    "trace": "linter.commands.trace:trace",
    "doctor": "linter.commands.doctor:doctor",
    "stats": "linter.commands.stats:stats",
    "new-column": "linter.commands.scaffold:new_column",
    "new-table": "linter.commands.scaffold:new_table",
    "backfill": "linter.commands.scaffold:backfill",
    "new-index": "linter.commands.scaffold:new_index",
    "drop-index": "linter.commands.scaffold:drop_index",
    "plan": "linter.commands.plan:plan",
    "fix": "linter.commands.fix:fix",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sqlsafe")
def cli() -> None:
    """sqlsafe: keep PostgreSQL schema migrations from taking production down.

    \b
    Exit codes: 0 clean, 1 findings, 2 usage or configuration error.
    Run `sqlsafe COMMAND --help` for each command's options.
    """


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="sqlsafe",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN
    return code if isinstance(code, int) else EXIT_CLEAN


def run() -> None:
    sys.exit(main())
