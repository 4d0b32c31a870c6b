"""Reading migration files: decoding, discovery and ordering."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..util.records import record
from .tree import NotRegularFile, read_regular

_DIGITS = re.compile(r"(\d+)")


@record
class Source:
    """One migration's text, with the name it is reported under.

    ``in_transaction`` (when not None) says whether the runner wraps this text in a
    transaction; ``apply`` False means it is linted but not folded into the schema model
    (a down migration).
    """

    path: str
    text: str
    in_transaction: bool | None = None
    apply: bool = True
    # the runner sends the whole text as ONE multi-statement query (Prisma, golang-migrate):
    # its implicit transaction block accepts BEGIN, and a COMMIT starts a new one
    single_query: bool = False
    # the migrations directory whose history this file belongs to (see ``layouts``): files
    # of different histories are linted independently
    history: str = ""
    # the runner whose layout the file is in ("" when not known): the advice in findings
    # depends on how it sends the file (see ``linter.state.advice``)
    layout: str = ""
    # a down migration: the path of the up migration it undoes (see ``linter.state.reversal``)
    undoes: str = ""
    # added by the change under review (``--diff``): it runs right after the change's
    # earlier files, whose new tables are still new for it (``Schema.begin_file``)
    in_change: bool = False
    # data migrations written in Python in this migration (Django ``RunPython``): the
    # line of each and what it is; their queries are not in ``text``
    data_steps: tuple[tuple[int, str], ...] = ()
    # a Python migration: the lines of ``text`` holding SQL the framework generated, not
    # SQL written there (a finding on one points at the statement's start, see ``rendered``)
    generated_lines: frozenset[int] = frozenset()


@record
class SourceError:
    """A file that could not be read or decoded."""

    path: str
    reason: str


def decode(path: str, data: bytes) -> Source | SourceError:
    """Decode *data* as UTF-8 (a BOM is tolerated); refuse binary content."""
    if b"\x00" in data:
        return SourceError(path, "binary file (contains NUL bytes); not a SQL migration")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return SourceError(
            path, f"not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line} ({exc.reason})"
        )
    return Source(path, text)


def read_source(path: str | Path) -> Source | SourceError:
    """The file *path*, or why it cannot be read: a FIFO, device or socket is refused
    (``not a regular file (FIFO)``), never read (see :func:`tree.read_regular`)."""
    name = str(path)
    try:
        data = read_regular(name)
    except NotRegularFile as exc:
        return SourceError(name, str(exc))
    except IsADirectoryError:
        return SourceError(name, "is a directory, not a file")
    except FileNotFoundError:
        why = "broken symbolic link" if os.path.islink(name) else "no such file"
        return SourceError(name, why)
    except PermissionError:
        return SourceError(name, "permission denied")
    except OSError as exc:
        return SourceError(name, exc.strerror or str(exc))
    return decode(name, data)


def read_stdin(name: str) -> Source | SourceError:
    return decode(name, sys.stdin.buffer.read())


def natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``2_x.sql`` before ``10_x.sql``."""
    parts: list[tuple[int, int | str]] = []
    for piece in _DIGITS.split(path.replace(os.sep, "/")):
        if not piece:
            continue
        parts.append((0, int(piece)) if piece.isdigit() else (1, piece))
    return tuple(parts)


def is_excluded(path: str, patterns: Sequence[str]) -> bool:
    posix = path.replace(os.sep, "/")
    for pattern in patterns:
        if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(Path(posix).name, pattern):
            return True
        if fnmatch.fnmatch(posix, pattern.rstrip("/") + "/*"):
            return True
    return False


def expand_paths(args: Iterable[str], exclude: Sequence[str] = ()) -> list[str]:
    """Files named on the command line, directories expanded to their ``*.sql`` files.

    Files named explicitly are kept even when they do not end in ``.sql`` (pre-commit
    passes what it selected); excluded globs apply to both.
    """
    found: list[str] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            for sub in path.rglob("*.sql"):
                if sub.is_file() and not is_excluded(str(sub), exclude):
                    found.append(str(sub))
        elif not is_excluded(arg, exclude):
            found.append(arg)
    unique = dict.fromkeys(found)
    return sorted(unique, key=natural_key)
