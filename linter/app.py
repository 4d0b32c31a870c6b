"""The click application behind ``sqlsafe`` (see :mod:`linter.cli`, which stays light)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import click

from . import __version__
from .commands import COMMANDS, EXIT_CLEAN, EXIT_USAGE
from .output.replay import Recorder


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


def run_cli(argv: Sequence[str] | None, recorder: Recorder | None = None) -> int:
    """Run the command line; *recorder* (the context's ``obj``) may store a lint run's
    output for :func:`linter.output.replay.replay`."""
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="sqlsafe",
            standalone_mode=False,
            obj=recorder,
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
