"""Alembic revisions, read as the PostgreSQL SQL ``alembic upgrade --sql`` would emit.

Each revision module is loaded from its path (the project's directory on ``sys.path``, as
Alembic's ``prepend_sys_path`` puts it) and its ``upgrade()`` and ``downgrade()`` run
against an offline :class:`~alembic.runtime.migration.MigrationContext` of sqlsafe's own
(``dialect_name="postgresql"``, ``as_sql``): the project's ``env.py`` is never run, so a
database URL or secrets it needs do not have to be set, and nothing connects anywhere.
Each statement is captured with the line of the revision file that emitted it (the
innermost frame of that file on the stack; for ``op.execute("...")`` the line the SQL
text starts on).  ``with op.get_context().autocommit_block():`` emits ``COMMIT`` before
and ``BEGIN`` after its statements, as Alembic's offline mode does.

When alembic or SQLAlchemy cannot be imported, or a revision cannot be loaded or run (it
imports a project module that is not importable, or needs a connection), the revision is
read statically (:mod:`.alembic_static`) and says why in ``static_reason``.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import importlib.util
import io
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from ...util.records import record
from ..tree import read_regular
from . import pyast
from .alembic_static import static_chunks
from .detect import is_revision_text
from .rendered import Chunk, RenderedMigration, flatten, indented
from .store import RenderStore, render_key

_HEAD = 16384  # bytes of a file read to tell a revision file


def _head(path: Path) -> str:
    try:
        return read_regular(str(path), _HEAD).decode("utf-8", errors="replace")
    except OSError:
        return ""


def detect(directory: Path) -> bool:
    """*directory* holds Alembic revision files (``revision = ...``, ``down_revision = ...``)."""
    try:
        names = sorted(e.name for e in os.scandir(directory) if e.name.endswith(".py"))
    except OSError:
        return False
    return any(
        name != "__init__.py" and is_revision_text(_head(Path(directory) / name))
        for name in names[:50]
    )


# ------------------------------------------------------------------------- the project
def find_ini(directory: Path) -> Path | None:
    """The ``alembic.ini`` of the versions *directory*: in it or up to three levels above
    (not above the repository root)."""
    current = Path(os.path.abspath(directory))
    for _ in range(4):
        candidate = current / "alembic.ini"
        if candidate.is_file():
            return candidate
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent
    return None


def sys_paths(directory: Path) -> tuple[str, ...]:
    """What Alembic puts on ``sys.path`` for the project holding the versions *directory*:
    ``prepend_sys_path`` of its ``alembic.ini`` (default the ini's directory), else the
    directory above the script location (where ``alembic.ini`` usually is)."""
    versions = Path(os.path.abspath(directory))
    ini = find_ini(versions)
    paths: list[str] = []
    if ini is not None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            parser = configparser.ConfigParser(interpolation=None)
        section = parser["alembic"] if parser.has_section("alembic") else {}
        here = ini.parent
        prepend = section.get("prepend_sys_path", ".") or "."
        for part in re.split(r"[\s,:;]+" if os.sep == "/" else r"[\s,;]+", prepend):
            if part:
                paths.append(os.path.normpath(here / part.replace("%(here)s", str(here))))
    else:
        paths.append(str(versions.parent.parent))
    return tuple(dict.fromkeys(paths))


# ------------------------------------------------------------------------- revisions
@record
class Revision:
    """One revision file read with ``ast``: identity and graph edges."""

    path: str  # as reported
    absolute: str
    text: str
    content: bytes
    tree: ast.Module | None
    ident: str
    parents: tuple[str, ...]


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def read_revision(path: Path) -> Revision | None:
    """The revision in the file *path*, ``None`` when it is not one (or cannot be read)."""
    try:
        content = read_regular(str(path))
    except OSError:
        return None
    text = content.decode("utf-8", errors="replace")
    if not is_revision_text(text):
        return None
    tree = pyast.parse(text, str(path))
    ident = ""
    parents: tuple[str, ...] = ()
    if tree is not None:
        found = pyast.assignments(tree)
        ident = next(iter(_names(pyast.literal(found.get("revision")))), "")
        parents = _names(pyast.literal(found.get("down_revision")))
        parents += _names(pyast.literal(found.get("depends_on")))
    if not ident:  # (not a literal: fall back on the file's name, unique in the history)
        ident = f"<{path.name}>"
    return Revision(str(path), os.path.abspath(path), text, content, tree, ident, parents)


def _execute_spans(tree: ast.Module | None) -> list[tuple[int, int, int]]:
    """(first line, last line, text line) of each ``*.execute(<literal>)`` call: the SQL it
    sends is placed on the lines of the string literal."""
    if tree is None:
        return []
    spans = []
    for call in pyast.calls(tree):
        if not pyast.dotted(call.func).endswith("execute") or not call.args:
            continue
        arg: ast.expr = call.args[0]
        if isinstance(arg, ast.Call) and pyast.dotted(arg.func).split(".")[-1] == "text":
            arg = arg.args[0] if arg.args else arg
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            spans.append((call.lineno, call.end_lineno or call.lineno, pyast.text_line(arg)))
    return spans


def _chunks(
    captured: Sequence[tuple[str, int]], spans: Sequence[tuple[int, int, int]]
) -> tuple[Chunk, ...]:
    """Captured statements as chunks: literal SQL on its lines (*spans*: see
    :func:`_execute_spans`), generated DDL flattened onto the line of its call (several
    statements of one call share that line)."""
    out: list[Chunk] = []
    last_line, last_generated = 1, False
    for sql, line in captured:
        line = line or last_line
        inside = [s for s in spans if s[0] <= line <= s[1]]
        if inside:
            span = min(inside, key=lambda s: s[1] - s[0])
            out.append(Chunk(sql, span[2]))
            last_line, last_generated = span[2], False
            continue
        flat = flatten(sql)
        if last_generated and out and out[-1].line == line:
            out[-1] = Chunk(f"{out[-1].sql} {flat}", line)
        else:
            out.append(Chunk(flat, line))
        last_line, last_generated = line, True
    return tuple(out)


# ------------------------------------------------------------------------- rendering
class _Capture(io.TextIOBase):
    """The output buffer of the offline context: each statement, with the line of the
    revision file that emitted it."""

    def __init__(self, filename: str) -> None:
        super().__init__()
        self.filename = filename
        self.captured: list[tuple[str, int]] = []
        self.forced = 0  # the line of the batch operation being flushed (see _Batch)

    def line(self) -> int:
        """The line of the innermost frame of the revision file on the stack (0: none)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                return frame.f_lineno or 0
            frame = frame.f_back
        return 0

    def write(self, text: str) -> int:
        sql = text.strip()
        if sql:
            self.captured.append((sql, self.forced or self.line()))
        return len(text)


class _Batch(list[Any]):
    """The operations of an ``op.batch_alter_table()`` block, each with the line that added
    it: Alembic runs them when the block ends, so while it iterates them (its flush) the
    capture is told the line of each."""

    def __init__(self, capture: _Capture) -> None:
        super().__init__()
        self.capture = capture
        self.lines: list[int] = []

    def append(self, item: Any) -> None:
        self.lines.append(self.capture.line())
        super().append(item)

    def __iter__(self) -> Iterator[Any]:
        try:
            for i, item in enumerate(list.__iter__(self)):
                self.capture.forced = self.lines[i] if i < len(self.lines) else 0
                yield item
        finally:
            self.capture.forced = 0


@contextlib.contextmanager
def _batch_lines(capture: _Capture) -> Iterator[None]:
    """While rendering, each batch block's operations keep their own lines (without this
    they would all be reported on the ``with`` line, where Alembic runs them)."""
    from alembic.operations.batch import BatchOperationsImpl

    original = BatchOperationsImpl.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if isinstance(getattr(self, "batch", None), list):
            self.batch = _Batch(capture)

    BatchOperationsImpl.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        BatchOperationsImpl.__init__ = original  # type: ignore[method-assign]


class _Failed(Exception):
    """A revision could not be loaded or run: it is read statically instead."""


def installed() -> str:
    """The installed alembic and SQLAlchemy versions, read from their metadata without
    importing them (what the render cache is keyed by); "" when either is missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"alembic {version('alembic')} sqlalchemy {version('SQLAlchemy')}"
    except PackageNotFoundError:
        return ""


def unusable() -> str:
    """Why alembic cannot render here ("" when it can); imports it (and SQLAlchemy)."""
    try:
        from alembic.operations import Operations  # noqa: F401
        from alembic.runtime.migration import MigrationContext  # noqa: F401
    except Exception as exc:  # (ImportError, or a broken installation)
        return f"alembic is not importable ({exc})"
    return ""


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Whatever a revision module prints or warns does not reach sqlsafe's output."""
    sink = io.StringIO()
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def _load(revision: Revision, index: int) -> ModuleType:
    name = f"_sqlsafe_alembic_revision_{index}"
    spec = importlib.util.spec_from_file_location(name, revision.absolute)
    if spec is None or spec.loader is None:
        raise _Failed("cannot be loaded as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _Failed(_why(exc)) from exc
    finally:
        sys.modules.pop(name, None)
    return module


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    return f"{type(exc).__name__}: {message}"[:200] if message else type(exc).__name__


class Offline:
    """The offline PostgreSQL context the revisions of a history are run against: one for
    all of them (configuring one costs more than rendering most revisions), its output
    buffer replaced for each function run."""

    def __init__(self) -> None:
        self._context: Any = None

    def run(self, module: ModuleType, name: str, filename: str) -> list[tuple[str, int]] | None:
        """The statements ``module.name()`` emits; ``None`` without such a function."""
        from alembic.operations import Operations
        from alembic.runtime.migration import MigrationContext

        function = getattr(module, name, None)
        if not callable(function):
            return None
        buffer = _Capture(filename)
        if self._context is None:
            self._context = MigrationContext.configure(
                dialect_name="postgresql",
                opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True},
            )
        context = self._context
        context.output_buffer = context.impl.output_buffer = buffer
        try:
            with Operations.context(context), _batch_lines(buffer):
                function()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise _Failed(f"{name}() failed offline: {_why(exc)}") from exc
        return buffer.captured


def render(
    revision: Revision, index: int = 0, offline: Offline | None = None
) -> tuple[tuple[Chunk, ...], tuple[Chunk, ...] | None]:
    """The (upgrade, downgrade) chunks of *revision* rendered by alembic; raises
    :class:`_Failed` when it cannot be loaded or run."""
    offline = offline or Offline()
    with _quiet():
        module = _load(revision, index)
        up = offline.run(module, "upgrade", revision.absolute)
        try:
            down = offline.run(module, "downgrade", revision.absolute)
        except _Failed:  # (``raise ...`` in downgrade(): an irreversible revision)
            down = None
    spans = _execute_spans(revision.tree) if "execute" in revision.text else []
    up_chunks = _chunks(up or [], spans)
    down_chunks = _chunks(down, spans) if down else None
    return up_chunks, down_chunks or None


@contextlib.contextmanager
def _sys_path(entries: Sequence[str]) -> Iterator[None]:
    """*entries* on ``sys.path`` while revisions are loaded; no ``__pycache__`` is written
    into the project's directories meanwhile."""
    saved, no_bytecode = list(sys.path), sys.dont_write_bytecode
    sys.path[:0] = [e for e in entries if e not in sys.path]
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.path[:] = saved
        sys.dont_write_bytecode = no_bytecode


def migrations(
    directory: Path, files: Sequence[Path], cache: RenderStore | None = None
) -> list[RenderedMigration]:
    """Every revision among *files* (the ``.py`` files of the versions *directory*), in
    path order (:func:`~.rendered.order` puts them in the graph's), rendered or read
    statically; *cache* answers those rendered before with the same content."""
    revisions = [r for r in (read_revision(Path(f)) for f in files) if r is not None]
    if not revisions:
        return []
    versions = installed()
    salt = versions
    out: list[RenderedMigration] = []
    todo: list[tuple[int, Revision, str]] = []
    for i, revision in enumerate(revisions):
        key = render_key(salt, revision.content)
        hit = cache.get(key, revision.path) if cache is not None and versions else None
        if hit is not None:
            out.append(hit)
        else:
            out.append(RenderedMigration(revision.path, revision.ident, revision.parents, ()))
            todo.append((i, revision, key))
    error = unusable() if todo else ""  # (alembic is imported only when something is new)
    offline = Offline()
    with _sys_path(sys_paths(directory) if not error else ()):
        done = [(i, key, _rendered(revision, i, error, offline)) for i, revision, key in todo]
    for i, key, migration in done:
        out[i] = migration
        # (what was read statically is not kept: it is cheap, and alembic or the project's
        # modules may be importable next time)
        if cache is not None and versions and not migration.static_reason:
            cache.put(key, migration)
    return out


def _rendered(
    revision: Revision, index: int, error: str, offline: Offline | None = None
) -> RenderedMigration:
    """*revision* rendered by alembic, or read statically (because of *error*, or because
    rendering failed)."""
    reason = error
    if not reason:
        try:
            up, down = render(revision, index, offline)
        except _Failed as exc:
            reason = str(exc)
    if reason:
        up, down = static_chunks(revision.tree, revision.text)
    else:  # (offline output doubles every %: the driver sends one, online)
        up = tuple(_percent_once(c) for c in up)
        down = tuple(_percent_once(c) for c in down) if down is not None else None
    up = tuple(_single_terminator(c) for c in up)
    down = tuple(_single_terminator(c) for c in down) if down is not None else None
    up_lines, down_lines = _span(revision.tree, "upgrade"), _span(revision.tree, "downgrade")
    in_transaction = not (_autocommits(up) or _autocommits(down or ()))
    if not in_transaction:
        up = _explicit(up, up_lines[0])
        down = _explicit(down, down_lines[0]) if down is not None else None
    source = revision.text.split("\n")
    up = indented(up, source)
    down = indented(down, source) if down is not None else None
    return RenderedMigration(
        revision.path,
        revision.ident,
        revision.parents,
        up,
        down,
        in_transaction,
        reason,
        up_lines=up_lines,
        down_lines=down_lines,
    )


def _words(chunk: Chunk) -> list[str]:
    """The statements of a chunk of bare keywords (``COMMIT;`` or ``BEGIN;`` alone;
    ``COMMIT; BEGIN;``: an empty ``autocommit_block()``, both emitted on its ``with`` line),
    upper-cased."""
    return [part.strip().upper() for part in chunk.sql.split(";") if part.strip()]


def _autocommits(chunks: Sequence[Chunk]) -> bool:
    """An ``autocommit_block()`` is used: the runner's transaction is committed before it
    (the ``COMMIT`` Alembic emits offline, alone or with the ``BEGIN`` of an empty block)."""
    return any(_words(c) in (["COMMIT"], ["COMMIT", "BEGIN"]) for c in chunks)


def _percent_once(chunk: Chunk) -> Chunk:
    """*chunk* as PostgreSQL receives it online: SQLAlchemy's PostgreSQL dialect writes a
    literal ``%`` as ``%%`` (its driver's parameter style) and the driver sends ``%``;
    offline, alembic prints the doubled form (``alembic upgrade --sql`` shows ``%%TYPE``)."""
    if "%%" not in chunk.sql:
        return chunk
    return Chunk(chunk.sql.replace("%%", "%"), chunk.line, chunk.column)


def _single_terminator(chunk: Chunk) -> Chunk:
    """*chunk* without the empty statement Alembic's ``;`` adds after SQL that already ends
    with one (``op.execute("...;")``)."""
    sql = chunk.sql.rstrip()
    while sql.endswith(";;"):
        sql = sql[:-1].rstrip()
    return chunk if sql == chunk.sql.rstrip() else Chunk(sql, chunk.line, chunk.column)


def _joined(chunk: Chunk, word: str) -> Chunk:
    """*word* run after *chunk*, on its last line (a line of its own could be another
    operation's)."""
    sql = chunk.sql.rstrip()
    return Chunk(f"{sql if sql.endswith(';') else sql + ';'} {word};", chunk.line)


def _explicit(chunks: Sequence[Chunk], first_line: int) -> tuple[Chunk, ...]:
    """A migration with an autocommit block as Alembic runs it, its transactions written
    out: ``BEGIN`` on the ``def`` line, ``COMMIT`` before the block (emitted), ``BEGIN``
    after it and the final ``COMMIT`` each joined to the statement before them."""
    out = [Chunk("BEGIN;", max(first_line, 1))]
    for chunk in chunks:
        if _words(chunk) == ["BEGIN"] and len(out) > 1:
            out[-1] = _joined(out[-1], "BEGIN")
        else:
            out.append(chunk)
    out[-1] = _joined(out[-1], "COMMIT")
    return tuple(out)


def _span(tree: ast.Module | None, name: str) -> tuple[int, int]:
    """The lines of the function *name*; (0, 0) when there is none."""
    function = pyast.function(tree, name) if tree is not None else None
    if function is None:
        return (0, 0)
    return (function.lineno, function.end_lineno or function.lineno)
