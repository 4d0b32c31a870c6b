"""Walking a directory tree: one ``os.scandir`` per directory.

File discovery (``layouts``), the run key of the result cache and the stamps of a replay
all walk the same trees the same way; this module imports nothing but ``os`` so that the
replay, which runs before the linter is imported, can use it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# the files other than ``*.sql`` that the layouts read (diesel, Prisma); ``*.conf`` too
AUX_NAMES = frozenset({"metadata.toml", "migration_lock.toml"})


def scan_tree(
    root: str, *, skip: str = "", unreadable: list[str] | None = None
) -> Iterator[os.DirEntry[str]]:
    """Every entry below *root*, depth first: files, links and directories.

    Directories are descended (after they are yielded) but not links to directories, nor
    the directory *skip*, which is not yielded either. Directories that cannot be listed
    are appended to *unreadable* when given.
    """
    todo = [root]
    while todo:
        current = todo.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if skip and entry.path == skip:
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            todo.append(entry.path)
                    except OSError:
                        pass
                    yield entry
        except OSError:
            if unreadable is not None:
                unreadable.append(current)
