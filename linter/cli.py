"""The ``sqlsafe`` command line: parse arguments, call the library, return an exit code.

The click application is :mod:`linter.app`; this module stays light so that :func:`main`
can replay a cached ``sqlsafe lint`` run (:mod:`linter.replay`) before importing click,
the engine or the rules.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import LazyGroup as LazyGroup
    from .app import cli as cli

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
    "histories": "linter.commands.histories:histories",
    "lsp": "linter.commands.lsp:lsp",
}


def __getattr__(name: str) -> Any:
    """``cli`` and ``LazyGroup`` are imported from :mod:`linter.app` when first used."""
    if name in ("cli", "LazyGroup"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    from .replay import Recorder, replay

    recorder = Recorder(args)
    try:
        code = replay(args)
    except BrokenPipeError:
        return EXIT_CLEAN
    if code is not None:
        return code
    from .app import run_cli

    return run_cli(args, recorder)


def run() -> None:
    sys.exit(main())
