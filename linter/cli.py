"""The ``sqlsafe`` command line: parse arguments, call the library, return an exit code.

The click application is :mod:`linter.app`; this module stays light so that :func:`main`
can replay a cached ``sqlsafe lint`` run (:mod:`linter.output.replay`) before importing click,
the engine or the rules.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .commands import EXIT_CLEAN

TYPE_CHECKING = False  # (not ``typing``'s: a replay imports no ``typing``, ~3 ms)
if TYPE_CHECKING:
    from typing import Any

    from .app import LazyGroup as LazyGroup
    from .app import cli as cli


def __getattr__(name: str) -> Any:
    """``cli`` and ``LazyGroup`` are imported from :mod:`linter.app` when first used."""
    if name in ("cli", "LazyGroup"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    from .output.replay import Recorder, replay

    recorder = Recorder(args)
    try:
        code = replay(args)
    except BrokenPipeError:
        return EXIT_CLEAN
    if code is not None:
        return code
    from .commands.lint_core import fast_lint

    code = fast_lint(args, recorder)  # (the common ``lint`` command lines, without click)
    if code is not None:
        return code
    from .app import run_cli

    return run_cli(args, recorder)


def run() -> None:
    """The console script: :func:`main`, then an exit that skips the interpreter's teardown
    when nothing waits for it. ``sqlsafe lint`` collects garbage at its own pace
    (:mod:`linter.util.collector`) from the start: its imports made ~30 collections."""
    if sys.argv[1:2] == ["lint"]:
        import gc

        from .util.collector import LINT_THRESHOLDS

        gc.set_threshold(*LINT_THRESHOLDS)
    code = main()
    _exit(code)


def _exit(code: int) -> None:
    """Exit with *code*. When no ``atexit`` handler is registered and no other thread runs,
    end the process at once (``os._exit``) after flushing the output: freeing every module
    and object at interpreter exit was a tenth of a one-file lint's CPU. Anything that
    registered work for the exit (a temporary directory, a server, logging) gets the
    ordinary exit."""
    import atexit
    import os

    pending = getattr(atexit, "_ncallbacks", None)
    threading = sys.modules.get("threading")
    if pending is None or pending() or (threading is not None and threading.active_count() > 1):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # (a closed pipe: the ordinary exit reports it as before)
        sys.exit(code)
    os._exit(code)
