"""Where rendered migrations are kept between runs: the protocol the framework readers use.

The file-backed store is :class:`linter.output.rendercache.RenderCache` (a cache is what a
run leaves behind: the output layer); the readers see only :class:`RenderStore`, opened by
the caller for a history (:data:`OpenStore`), and key entries with :func:`render_key`.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from typing import Protocol

from ... import __version__
from .rendered import RenderedMigration

RENDER_FORMAT = 3  # (bumped whenever what a rendering holds changes)


class RenderStore(Protocol):
    """The rendered migrations of one history, by content key."""

    hits: int
    misses: int

    def get(self, key: str, path: str) -> RenderedMigration | None:
        """What the file now at *path* rendered to, stored under *key*, if stored."""
        ...

    def put(self, key: str, migration: RenderedMigration) -> None: ...

    def save(self) -> None:
        """Keep what this run used (and added) for the next run."""
        ...


# opens the store of a history, given a name unique to the framework and the history
OpenStore = Callable[[str], RenderStore]


def render_key(salt: str, content: bytes) -> str:
    """The key of a migration file's *content* rendered under *salt* (the framework's
    versions), with sqlsafe's and Python's versions."""
    h = hashlib.blake2b(digest_size=20)
    tag = f"{RENDER_FORMAT}\0{__version__}\0{sys.version_info[:3]}\0{salt}\0"
    h.update(tag.encode())
    h.update(content)
    return h.hexdigest()
