"""Replaying a whole ``sqlsafe lint`` run from the cache, before the linter is imported.

A run over directories or files (``sqlsafe lint PATH... [options]``, not standard input,
standard output not a terminal) stores what it printed and its exit code in
``replay-<key>.bin`` in the cache directory, with the *stamps* (size, modification and
status-change times, inode, device) of everything the output depends on:

* the inputs (stamped when the run ends; see :meth:`Recorder.store`): every directory
  below the named directories, below the directories whose listing placed a named file
  (its migrations directory, read as its history, and those its layout was detected in:
  ``layouts.Detector``), the named files, and
  the configured history and ``--schema`` paths (a directory's times change when an entry
  is added, removed or renamed in it), every file that file discovery reads there
  (``*.sql``, ``*.py``, ``*.conf``, ``metadata.toml``, ``migration_lock.toml``,
  ``alembic.ini``) but the cache
  directory itself (``.sqlsafe_cache`` may lie in a linted tree), the config files
  that the configuration search looks at (present or not), and ``--config``,
  ``--baseline``, ``--stats`` and ``--schema`` files;
* the code: the file of every module the run imported (sqlsafe, the rules, plugins,
  pglast, the standard library), the directories of ``sys.path`` and every installed
  distribution's ``entry_points.txt`` (a plugin installed, removed or changed);
* the key: sqlsafe's version, the Python executable and version, ``sys.path``, the
  working directory, the exact arguments, the effective user id (what the run could
  read), and the environment variables that change the output (``NO_COLOR``,
  ``FORCE_COLOR``, ``SQLSAFE_*``).

A later run with the same key whose stamps all still match prints the stored output
without importing click, pglast or the rules and without reading any migration.  Any
difference (a file edited, touched, added or removed, sqlsafe or a plugin upgraded)
is a miss and the run proceeds as usual.  The status-change time (``st_ctime``) cannot
be set by programs, so copying a file with its old modification time is still a
change.  Time stamps are coarse (a few milliseconds, two seconds on FAT), so a file
changed shortly before a run could share its stamp with a later change of the same size:
a run that saw a stamp less than :data:`RACY_NS` (five seconds) older than its start
(an input's or a module's) stores nothing.

The stored file begins with a checksum (BLAKE2b) of its header, which holds the output's
CRC-32 (:mod:`linter.output.checksum`): a file whose bytes changed on disk (header, lengths or
output) is a miss, never a changed output; the run then stores it again.

A replay imports nothing beyond what Python loads at start-up but ``marshal`` and
``_blake2`` (and ``tomllib`` when a ``pyproject.toml`` must be read to find the cache),
and ``binascii`` once it hits.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from collections.abc import Iterable, Sequence
from io import BufferedReader
from pathlib import Path

from .. import __version__
from ..inputs.configsearch import find_config
from ..inputs.tree import AUX_NAMES, SOURCE_SUFFIXES, scan_tree
from .checksum import DIGEST_SIZE, crc, name_digest, seal, unseal

TYPE_CHECKING = False  # (not ``typing``'s: a replay imports no ``typing``, ~3 ms)
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

REPLAY_FORMAT = 4
PREFIX = "replay-"
MAX_REPLAYS = 8  # stored runs kept per cache directory (the oldest are removed)
RACY_NS = 5_000_000_000  # stamps this close to the run start are not trusted (FAT: 2 s steps)
ENV_NAMES = ("NO_COLOR", "FORCE_COLOR")
DIR_NAME = ".sqlsafe_cache"

MISSING = (-1, -1, -1, -1, -1)  # the stamp of a path that cannot be looked at
# stamps of the paths below one directory (``None``: absolute paths): the directory, the
# names relative to it joined by NUL, and five integers per name (see :func:`stamps_of`)
Group = tuple["str | None", str, tuple[int, ...]]
Stamped = tuple[Group, ...]
_RELATIVE = os.stat in os.supports_dir_fd  # (``stat(name, dir_fd=...)``: not on Windows)


def stamps_of(root: str | None, names: Sequence[str]) -> tuple[int, ...] | None:
    """The stamps of *names* (relative to the directory *root*, or absolute when it is
    ``None``; followed if links): size, modification and status-change times, inode and
    device, what changes whenever a path changes (:data:`MISSING` for a missing path),
    five integers each, in one tuple; ``None`` when *root* cannot be opened.

    Names are looked up from the opened directory: a short walk for the kernel, and no
    full path built per name (a replay stamps thousands)."""
    fd = None
    if root is not None:
        if not _RELATIVE:
            return stamps_of(None, [os.path.join(root, n) for n in names])
        try:
            fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except (OSError, ValueError):
            return None
    look = os.stat
    out: list[int] = []
    add = out.extend
    try:
        for name in names:
            try:
                st = look(name, dir_fd=fd)
            except (OSError, ValueError):
                add(MISSING)
                continue
            add((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
    finally:
        if fd is not None:
            os.close(fd)
    return tuple(out)


def _group(root: str | None, names: list[str]) -> Group:
    return (root, "\0".join(names), stamps_of(root, names) or MISSING * len(names))


def _tree(root: str, skip: str = "") -> tuple[Group, list[str]]:
    """Stamp *root*, every directory below it (links to directories are not followed, as
    file discovery does not follow them) and every file that file discovery reads, except
    the directory *skip* (the cache, which every run changes); with the paths stamped."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    paths: list[str] = []
    for entry in scan_tree(root, skip=skip):
        name = entry.name
        try:
            if entry.is_dir(follow_symlinks=False) or (
                name.endswith((*SOURCE_SUFFIXES, ".conf")) or name in AUX_NAMES
            ):
                paths.append(entry.path)
        except OSError:
            paths.append(entry.path)
    return _group(root, [os.curdir, *(p[len(prefix) :] for p in paths)]), paths


def stamp_paths(directories: Iterable[str], files: Iterable[str], skip: str = "") -> Stamped:
    """Stamps of *directories* (whole trees but *skip*; a path that is not a directory is
    stamped as a file) and *files*."""
    out: list[Group] = []
    alone: list[str] = []  # (stamped by their absolute names)
    trees: set[str] = set()
    stamped: set[str] = set()
    for path in sorted({os.path.abspath(d) for d in directories}):
        if os.path.isdir(path):
            if _inside(path, trees):
                continue  # (inside a tree stamped whole)
            trees.add(path)
            group, paths = _tree(path, skip)
            out.append(group)
            stamped.add(path)
            stamped.update(paths)
        else:
            alone.append(path)
            stamped.add(path)
    for name in files:
        path = os.path.abspath(name)
        if path not in stamped:  # (a named file of a stamped tree)
            stamped.add(path)
            alone.append(path)
    if alone:
        out.append(_group(None, alone))
    return tuple(out)


def _inside(path: str, trees: set[str]) -> bool:
    """*path* (absolute) lies below one of *trees*."""
    parent, current = os.path.dirname(path), path
    while parent != current:
        if parent in trees:
            return True
        parent, current = os.path.dirname(parent), parent
    return False


def _code_stamps() -> Stamped:
    """The files of the imported modules, ``sys.path`` and the installed entry points."""
    out: set[str] = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and "\0" not in path:
            out.add(path)
    for entry in sys.path:
        directory = os.path.abspath(entry or os.curdir)
        out.add(directory)
        try:
            with os.scandir(directory) as entries:
                names = [e.path for e in entries if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        out.update(os.path.join(name, "entry_points.txt") for name in names)
    return (_group(None, sorted(out)),)


def _matches(stamped: Stamped) -> bool:
    return all(stamps_of(root, names.split("\0")) == stamps for root, names, stamps in stamped)


def _racy(stamped: Stamped, since_ns: int) -> bool:
    """A modification or status-change time of *stamped* is *since_ns* or later."""
    return any(
        max((*stamps[1::5], *stamps[2::5]), default=-1) >= since_ns for _, _, stamps in stamped
    )


# ------------------------------------------------------------------------------- keys
def _option(argv: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


def cache_dir(argv: Sequence[str]) -> Path:
    """Where ``sqlsafe lint ARGV`` keeps its cache (``cache.default_cache_dir``)."""
    env = os.environ.get("SQLSAFE_CACHE_DIR")
    if env:
        return Path(env)
    named = _option(argv, "--config")
    config = Path(named) if named else find_config(Path.cwd().resolve())
    if config is not None:
        return config.resolve().parent / DIR_NAME
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "sqlsafe"


def key_material(argv: Sequence[str], out: TextIO) -> str:
    env = sorted(
        (k, v) for k, v in os.environ.items() if k in ENV_NAMES or k.startswith("SQLSAFE_")
    )
    env = [(k, v) for k, v in env if k != "SQLSAFE_JOBS"]  # never changes the output
    return repr(
        (
            REPLAY_FORMAT,
            __version__,
            sys.executable,
            sys.version,
            sys.path,
            os.getcwd(),
            # (a digest: a file list's arguments run to hundreds of kB, read and compared
            # at every start)
            name_digest("\0".join(argv)) if len(argv) > 64 else list(argv),
            env,
            _stream(out),
            getattr(os, "geteuid", int)(),  # (what a user may read is not in the stamps)
        )
    )


def _file_name(material: str) -> str:
    return PREFIX + name_digest(material) + ".bin"


# ------------------------------------------------------------------------------- replay
def _replayable(out: TextIO) -> bool:
    """Output goes to a byte stream without newline translation, and not to a terminal."""
    return os.linesep == "\n" and hasattr(out, "buffer") and not out.isatty()


def _stream(out: TextIO) -> tuple[str, str]:
    return (getattr(out, "encoding", None) or "utf-8", getattr(out, "errors", None) or "strict")


def replay(argv: Sequence[str], out: TextIO | None = None) -> int | None:
    """Print the stored output of an identical earlier run and return its exit code;
    ``None`` when there is none (the caller runs the command)."""
    out = out if out is not None else sys.stdout
    if not (argv and argv[0] == "lint" and "--no-cache" not in argv and _replayable(out)):
        return None
    try:
        material = key_material(argv, out)
        handle = open(cache_dir(argv) / _file_name(material), "rb")
    except OSError:
        return None
    with handle:
        try:
            total = os.fstat(handle.fileno()).st_size
            start = DIGEST_SIZE + 8
            size = int.from_bytes(handle.read(start)[DIGEST_SIZE:], "little")
            if size > total - start:
                return None
            handle.seek(0)
            header = unseal(handle.read(start + size))  # (checked before it is read)
            if header is None:
                return None
            fmt, stored, code, inputs, exit_code, length, checksum = marshal.loads(header[8:])
            if fmt != REPLAY_FORMAT or stored != material or not isinstance(exit_code, int):
                return None
            if total != start + size + length:
                return None
            if not (_matches(inputs) and _matches(code)):
                return None
            if _crc(handle, length) != checksum:
                return None
        except (
            OSError,
            ValueError,
            EOFError,
            TypeError,
            AttributeError,
            OverflowError,
            MemoryError,
        ):
            return None
        out.flush()
        _copy(handle, start + size, length, out.buffer)
    return exit_code


def _crc(source: BufferedReader, length: int) -> int | None:
    """The CRC-32 of the next *length* bytes of *source*, read in pieces into one buffer
    (no copy of the whole output in memory: :func:`_copy` sends it); ``None`` if short."""
    buffer = memoryview(bytearray(min(length, 1 << 20)))
    value = 0
    while length > 0:
        read = source.readinto(buffer[:length])
        if not read:
            return None
        value = crc(buffer[:read], value)
        length -= read
    return value


def _copy(source: BinaryIO, offset: int, length: int, target: BinaryIO) -> None:
    """Copy *length* bytes of *source* from *offset* to *target* (``sendfile`` if it can)."""
    target.flush()
    end = offset + length
    try:
        fd = target.fileno()
        while offset < end:
            sent = os.sendfile(fd, source.fileno(), offset, end - offset)
            if sent == 0:
                break
            offset += sent
    except (OSError, ValueError, AttributeError):
        pass  # not a file descriptor, or no sendfile: copy what is left below
    if offset < end:
        source.seek(offset)
        target.write(source.read(end - offset))
    target.flush()


class Recorder:
    """Stores a run's output for :func:`replay`; created when the command starts."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = tuple(argv)
        self.started_ns = time.time_ns()

    def store(
        self, text: str, exit_code: int, *, directories: Iterable[str], files: Iterable[str]
    ) -> None:
        """Store the run's output and exit code, with the stamps of its inputs (the
        *directories*' trees and the *files*) and of the imported code.

        Stamping after the run is exact: every input was read after :attr:`started_ns`,
        so a change between reading and stamping gives a stamp newer than that, and a
        stamp newer than ``started_ns - RACY_NS`` stores nothing.
        """
        since = self.started_ns - RACY_NS
        directory = cache_dir(self.argv)
        inputs = stamp_paths(directories, files, skip=os.path.abspath(directory))
        if _racy(inputs, since):
            return
        code = _code_stamps()
        if _racy(code, since):
            return
        out = sys.stdout
        if not _replayable(out):
            return
        material = key_material(self.argv, out)
        try:
            output = text.encode(*_stream(out))
        except UnicodeError:
            return
        header = marshal.dumps(
            (REPLAY_FORMAT, material, code, inputs, exit_code, len(output), crc(output))
        )
        payload = seal(len(header).to_bytes(8, "little") + header) + output
        _write(directory, directory / _file_name(material), payload)


def _write(directory: Path, target: Path, payload: bytes) -> None:
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by sqlsafe\n*\n", encoding="utf-8")
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
        stored = sorted(directory.glob(PREFIX + "*.bin"), key=lambda p: p.stat().st_mtime_ns)
        for old in stored[: max(0, len(stored) - MAX_REPLAYS)]:
            old.unlink()
    except OSError:
        pass  # a read-only or full disk only costs speed
