"""``sqlsafe lsp``: the language server (stdio), from the ``sqlsafe[lsp]`` extra."""

from __future__ import annotations

import sys

import click

_EXTRA = ("pygls", "lsprotocol", "cattrs", "attrs")  # what the extra installs


@click.command()
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(0, 60_000),
    default=300,
    show_default=True,
    metavar="MS",
    help="Milliseconds between the last change to a buffer and its lint "
    "(the client's initializationOptions.debounce wins).",
)
def lsp(debounce_ms: int) -> int:
    """Run the language server on standard input and output, for editors.

    \b
    Diagnostics on open, change (debounced) and save, for the buffer's text after the
    history of its migrations directory, with the config found from the file; hover on a
    statement shows what `sqlsafe explain` says; code actions apply `sqlsafe fix`'s
    rewrites or insert a `-- sqlsafe: ignore RULE -- reason` comment.
    Needs the extra: pip install 'sqlsafe[lsp]'. Setup per editor: docs/lsp.md.
    """
    try:
        from ..lsp.server import ServerOptions, serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in _EXTRA:
            raise
        raise click.ClickException(
            f"`sqlsafe lsp` needs the language server extra ({exc.name} is not installed): "
            "pip install 'sqlsafe[lsp]'"
        ) from exc
    serve(ServerOptions(debounce_ms / 1000), sys.stdin.buffer, sys.stdout.buffer)
    return 0
