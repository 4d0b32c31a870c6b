"""Writing a set of files so that a failure leaves every file as it was.

Every writer of sqlsafe (``fix --write``, scaffolding, ``plan``, ``baseline write``,
``docs``) goes through :func:`write_all`:

1. each content is written to a temporary file in its target's directory (created with
   ``O_EXCL | O_NOFOLLOW``, so it never follows a link), flushed and ``fsync``-ed;
2. new files are then linked into place with ``link(2)``, which fails when anything (a
   file, a dangling symlink, another process's migration) appeared at the name meanwhile;
3. files that exist (originals being rewritten, pages being regenerated) are replaced
   last with ``rename(2)``, keeping their permission bits.

Any failure (a full disk, a name taken, a permission) undoes what was done, so that every
original is byte-identical and no new or temporary file is left, and raises
:class:`WriteError` naming the path and the reason.

Symlinks: a new file's name must be free (a symlink there, dangling or not, is refused) and
the directories between the caller's ``base`` and the file must be real directories.  An
existing file that is a symlink stays one: the file it points to is replaced.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from .records import record


class WriteError(Exception):
    """A file could not be written; nothing was changed."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}; nothing was changed")
        self.path = str(path)
        self.reason = reason


def os_error(exc: OSError, where: Path | str) -> WriteError:
    """*exc* (raised around a write, before anything was changed) as a :class:`WriteError`
    naming its file, else *where*."""
    return WriteError(exc.filename or where, _reason(exc))


def _reason(exc: OSError) -> str:
    return f"cannot write: {exc.strerror or exc}"


class Clash(WriteError):
    """A new file's name is taken (by a file that exists, or appeared meanwhile)."""


@record
class Put:
    """One file to write.

    *new*: the file must not exist yet; *force* lets a new file replace a regular file
    that exists.  *base*: the directory the caller named (new files' directories below
    it must not be symlinks; those missing are created).
    """

    path: Path
    data: bytes
    new: bool = False
    force: bool = False
    base: Path | None = None


@record
class _Step:
    put: Put
    target: Path  # where the bytes go (an existing symlink's target)
    replaces: bool  # the target exists and is replaced by rename
    mode: int | None  # permission bits to keep


@dataclass(slots=True)
class _Undo:
    """What a write did so far, to be undone on failure."""

    dirs: list[Path] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)
    linked: list[Path] = field(default_factory=list)
    replaced: list[tuple[Path, Path | None]] = field(default_factory=list)  # (target, backup)
    backups: list[Path] = field(default_factory=list)

    def rollback(self) -> None:
        for target, backup in reversed(self.replaced):
            if backup is not None:
                with suppress(OSError):
                    os.replace(backup, target)
        for path in [*self.linked, *self.temps, *self.backups]:
            with suppress(OSError):
                os.unlink(path)
        for folder in reversed(self.dirs):
            with suppress(OSError):
                os.rmdir(folder)

    def commit(self) -> None:
        for path in [*self.temps, *self.backups]:
            with suppress(OSError):
                os.unlink(path)


def write_all(puts: Sequence[Put]) -> list[Path]:
    """Write every file of *puts* or none of them (see the module docstring)."""
    undo = _Undo()
    temps: list[Path] = []
    current = puts[0].path if puts else Path()
    try:
        steps: list[_Step] = []
        for put in puts:
            current = put.path
            steps.append(_prepare(put))
        for step in steps:
            current = step.put.path
            if not step.replaces:
                _make_parents(step.put, undo)
            temps.append(_write_temp(step.target, step.put.data, step.mode, undo))
        for step, tmp in zip(steps, temps, strict=True):  # new files first...
            if not step.replaces:
                current = step.put.path
                _link_new(tmp, step.target, undo)
        for step, tmp in zip(steps, temps, strict=True):  # ...files that exist last
            if step.replaces:
                current = step.put.path
                _replace(tmp, step.target, undo)
        for folder in {step.target.parent for step in steps}:
            _sync_dir(folder)
    except WriteError:
        undo.rollback()
        raise
    except OSError as exc:
        undo.rollback()
        raise WriteError(current, _reason(exc)) from exc  # the file, not its temporary
    undo.commit()
    return [step.put.path for step in steps]


def write_file(path: Path, data: bytes) -> Path:
    """Create or replace one file (an existing symlink keeps pointing at it)."""
    (written,) = write_all([Put(path, data, new=not os.path.lexists(path))])
    return written


def _prepare(put: Put) -> _Step:
    path = put.path
    if put.new and put.base is not None:
        _check_parents(put)
    if os.path.islink(path):
        if put.new:
            raise WriteError(path, "is a symlink; refusing to write through it")
        real = Path(os.path.realpath(path))
        if not real.is_file():
            raise WriteError(path, f"is a symlink to {real}, which is not a file; not written")
        return _Step(put, real, True, _mode(real))
    if os.path.lexists(path):
        if path.is_dir():
            raise WriteError(path, "is a directory; not written")
        if put.new and not put.force:
            raise Clash(path, "exists (pass --force to replace)")
        return _Step(put, path, True, _mode(path))
    return _Step(put, path, False, None)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def _check_parents(put: Put) -> None:
    """No directory between *base* and the file may be a symlink (or anything but a
    directory)."""
    assert put.base is not None
    try:
        parts = put.path.parent.relative_to(put.base).parts
    except ValueError:
        return
    folder = put.base
    for part in parts:
        folder = folder / part
        if os.path.islink(folder):
            raise WriteError(folder, "is a symlink; refusing to write through it")
        if os.path.lexists(folder) and not folder.is_dir():
            raise WriteError(folder, "is not a directory; not written")


def _make_parents(put: Put, undo: _Undo) -> None:
    missing: list[Path] = []
    folder = put.path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        os.mkdir(folder)
        undo.dirs.append(folder)


def _write_temp(target: Path, data: bytes, mode: int | None, undo: _Undo) -> Path:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.sqlsafe-tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        break
    undo.temps.append(tmp)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        if mode is not None:
            os.chmod(handle.fileno() if os.chmod in os.supports_fd else tmp, mode)
        os.fsync(handle.fileno())
    return tmp


def _link_new(tmp: Path, target: Path, undo: _Undo) -> None:
    """Give *tmp* the name *target*, failing when the name is taken (even meanwhile)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
    except FileExistsError:
        raise Clash(target, "appeared meanwhile (another writer took the name)") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        _copy_exclusive(tmp, target, undo)  # a file system without hard links
        return
    undo.linked.append(target)


def _copy_exclusive(tmp: Path, target: Path, undo: _Undo) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o666)
    except FileExistsError:
        raise Clash(target, "appeared meanwhile (another writer took the name)") from None
    undo.linked.append(target)
    with os.fdopen(fd, "wb") as handle:
        handle.write(tmp.read_bytes())
        handle.flush()
        os.fsync(handle.fileno())


def _replace(tmp: Path, target: Path, undo: _Undo) -> None:
    backup = target.with_name(f".{target.name}.{secrets.token_hex(4)}.sqlsafe-old")
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        backup_or_none: Path | None = None
    else:
        backup_or_none = backup
        undo.backups.append(backup)
    os.replace(tmp, target)
    undo.temps.remove(tmp)
    undo.replaced.append((target, backup_or_none))


def _sync_dir(folder: Path) -> None:
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on *directory* for the block: two sqlsafe writers never
    number migrations in it at once.

    An advisory ``flock`` on the directory itself, so no lock file is left behind.  A
    directory that does not exist yet is created first (every writer must lock the same
    directory) and removed again if the block leaves it empty.  Where there is no ``fcntl``
    the block runs unlocked (and :class:`Clash` still catches a name taken twice).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    created: list[Path] = []  # (innermost first: the order they are removed in)
    try:
        while True:
            created[:0] = _make_directories(directory)
            try:
                fd = os.open(directory, os.O_RDONLY)
            except FileNotFoundError:  # (removed by the writer that made it, just now)
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(directory))
            except FileNotFoundError:
                same = False
            if same:
                break
            # another writer removed the directory it had made (left empty) while this
            # one waited: lock the directory that is there now
            os.close(fd)
        try:
            yield
        finally:
            os.close(fd)  # closing releases the lock
    finally:
        for folder in created:  # only empty ones go
            with suppress(OSError):
                os.rmdir(folder)


def _make_directories(directory: Path) -> list[Path]:
    """Create *directory* and its missing parents; the ones this call made, innermost
    first. One that another process makes meanwhile is not this call's."""
    missing: list[Path] = []
    folder = directory
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
            continue
        made.insert(0, folder)
    return made
