"""How often the cyclic garbage collector runs during a ``sqlsafe lint`` of the CLI.

Linting makes almost no garbage cycles (parse trees, the schema model and findings are
freed by reference counting; 8,000 tables leave a few hundred cyclic objects), but the
collector's full passes go over every live container again: the schema model of 20,000
tables cost ~10 of 33 s in them. The CLI's process is sqlsafe's own, so its lint command
collects less often (:func:`lint_pace`); :mod:`linter.api`, which library callers use,
leaves their process's collector alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# a young collection every 50,000 container allocations (not 700), a full one rarely:
# cycles are still collected, the run bounds them at a few MB
LINT_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def lint_pace() -> Iterator[None]:
    """The collector at :data:`LINT_THRESHOLDS` inside, as it was after."""
    before = gc.get_threshold()
    gc.set_threshold(*LINT_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
