"""Walking a directory tree: one ``os.scandir`` per directory; reading regular files only.

File discovery (``layouts``), the run key of the result cache and the stamps of a replay
all walk the same trees the same way; this module imports nothing but ``os`` and ``stat``
(both loaded at start-up) so that the replay, which runs before the linter is imported,
can use it too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

# the files other than ``*.sql`` that the layouts read (diesel, Prisma); ``*.conf`` too
AUX_NAMES = frozenset({"metadata.toml", "migration_lock.toml", "alembic.ini"})
# migration files: SQL, and Python (Alembic revisions, Django migrations, their env.py)
SOURCE_SUFFIXES = (".sql", ".py")

_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


class NotRegularFile(OSError):
    """A FIFO, device or socket where a file was expected: reading it could wait for a
    writer forever (a FIFO) or never end (``/dev/zero``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.kind = kind


def _check_regular(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "special file")
        raise NotRegularFile(kind)


def read_regular(path: str, limit: int = -1) -> bytes:
    """The bytes of the regular file *path* (the first *limit* when given).

    A FIFO, device or socket raises :class:`NotRegularFile` without being opened (opening
    some devices has effects); the check is made again on the opened file, without
    blocking, for a file replaced in between. Other errors are ``OSError`` as ``open``'s.
    """
    _check_regular(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        _check_regular(path, os.fstat(fd).st_mode)
        return handle.read(limit)


def scan_tree(
    root: str, *, skip: str = "", unreadable: list[tuple[str, str]] | None = None
) -> Iterator[os.DirEntry[str]]:
    """Every entry below *root*, depth first: files, links and directories.

    Directories are descended (after they are yielded) but not links to directories, nor
    the directory *skip*, which is not yielded either. Directories that cannot be listed
    are appended to *unreadable* when given, with the reason (``Permission denied``).
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
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((current, exc.strerror or str(exc)))
