"""The sub-commands of ``sqlsafe``, one module each, and the exit codes they share.

:mod:`linter.app` imports a command's module only when that command runs; this package's
``__init__`` stays light (no click, no engine): :mod:`linter.cli` reads it before replaying
a cached run.
"""

from __future__ import annotations

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
