"""The SQL a Python migration runs, laid out on the lines of the file that wrote it.

A renderer (Alembic, Django, or the static reader) yields :class:`Chunk` s: a piece of SQL
and the line of the ``.py`` file it came from (the ``op.*`` call, the operation, or the SQL
string inside ``op.execute`` / ``RunSQL``).  :func:`place` builds a text whose chunks start
on those lines, everything else blank, so that the linter's lines, suppression comments and
baselines refer to the ``.py`` file as they do to a ``.sql`` file.  ``# sqlsafe:`` comments
of the Python file are carried over as ``-- sqlsafe:`` comments on their own lines.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence

from ...util.records import record

_PY_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(?P<body>sqlsafe:[^\n]*)$", re.MULTILINE | re.IGNORECASE)


@record
class Chunk:
    """SQL sent by one operation: ``sql`` (one or more statements) from ``line`` (1-based),
    its first line indented by ``column`` spaces (where the operation, or the SQL text,
    starts on that line of the ``.py`` file: a finding's column points there)."""

    sql: str
    line: int
    column: int = 0


@record
class RenderedMigration:
    """One Python migration as its runner would run it on PostgreSQL."""

    path: str
    ident: str  # revision id (Alembic) or "app.name" (Django)
    parents: tuple[str, ...]  # what it runs after: down_revision(s) / dependencies
    up: tuple[Chunk, ...]
    down: tuple[Chunk, ...] | None = None  # None: no reverse (downgrade() missing or empty)
    in_transaction: bool = True  # the runner wraps the whole migration in a transaction
    # why the SQL was read statically from the source instead of rendered by the framework
    # ("" when rendered); the linter says it once per run
    static_reason: str = ""
    children_first: tuple[str, ...] = ()  # Django ``run_before``: these run after this one
    # the lines of the file (first, last) whose ``# sqlsafe: ignore`` comments apply to the
    # up and the down SQL (Alembic's ``upgrade()`` / ``downgrade()``); (0, 0): the whole file
    up_lines: tuple[int, int] = (0, 0)
    down_lines: tuple[int, int] = (0, 0)
    # data migrations written in Python (Django ``RunPython``): what runs (the operation's
    # name) and its line; they send SQL sqlsafe cannot see, so they are reported as such
    data_steps: tuple[Chunk, ...] = ()


def _flatten(sql: str) -> str:
    """*sql* with newlines outside quotes, dollar quotes and comments turned into spaces.

    Generated DDL is laid out over several lines for reading; on one line it cannot run
    into the next operation's line.  Literal SQL written by the user keeps its lines (it
    sits in the ``.py`` file over the same lines), so only renderers' own SQL is flattened.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            while end >= 0 and end + 1 < n and sql[end + 1] == ch:
                end = sql.find(ch, end + 2)
            end = n - 1 if end < 0 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "$":
            match = re.match(r"\$[A-Za-z_0-9]*\$", sql[i:])
            if match is None:
                out.append(ch)
                i += 1
                continue
            tag = match.group(0)
            end = sql.find(tag, i + len(tag))
            end = n - len(tag) if end < 0 else end
            out.append(sql[i : end + len(tag)])
            i = end + len(tag)
        elif sql.startswith("--", i):
            return "".join(out) + sql[i:]  # a comment runs to the end: keep the rest as is
        elif ch in "\r\n":
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def flatten(sql: str) -> str:
    """Public wrapper of :func:`_flatten` for renderers of generated SQL."""
    return _flatten(sql).strip()


def _terminated(sql: str) -> str:
    stripped = sql.rstrip()
    if not stripped:
        return ""
    last_line = stripped.rsplit("\n", 1)[-1]
    if stripped.endswith(";") or "--" in last_line:
        return stripped if stripped.endswith(";") else stripped + "\n;"
    return stripped + ";"


def directives(py_text: str, lines: tuple[int, int] = (0, 0)) -> list[Chunk]:
    """The ``# sqlsafe: ...`` comments of a Python file, as SQL comments on their lines;
    with *lines* (first, last), the ``ignore`` comments outside them are left out (those
    of another function: ``ignore-file`` and the others are always kept)."""
    found = []
    for m in _PY_DIRECTIVE.finditer(py_text):
        line = py_text.count("\n", 0, m.start()) + 1
        body = m.group("body").strip()
        local = re.match(r"sqlsafe:\s*ignore\b(?!-)", body, re.IGNORECASE)
        if lines != (0, 0) and local and not lines[0] <= line <= lines[1]:
            continue
        found.append(Chunk(f"-- {body}", line))
    return found


def place(
    chunks: Iterable[Chunk],
    py_text: str = "",
    comments: bool = True,
    span: tuple[int, int] = (0, 0),
) -> str:
    """A SQL text with each chunk starting on its line (or the first free line after it).

    Chunks keep their order (the order the operations run).  With *comments*, the ``#
    sqlsafe:`` comments of *py_text* are placed too, each on its own line before the next
    chunk at or after it, so a suppression above an operation applies to its statements
    (only those within *span*, see :func:`directives`).
    """
    pending = directives(py_text, span) if comments else []
    lines: list[str] = []  # lines[k] is line k + 1

    def put(text: str, line: int) -> None:
        start = max(line, len(lines) + 1)
        while len(lines) < start - 1:
            lines.append("")
        lines.extend(text.split("\n"))

    for chunk in chunks:
        sql = _terminated(chunk.sql)
        if not sql:
            continue
        while pending and pending[0].line <= max(chunk.line, len(lines) + 1):
            comment = pending.pop(0)
            put(comment.sql, comment.line)
        put(" " * chunk.column + sql, chunk.line)
    # a comment after the last chunk (ignore-file at the end of the file) still counts
    for rest in pending:
        put(rest.sql, rest.line)
    return "\n".join(lines) + "\n" if lines else ""


def indented(chunks: Sequence[Chunk], source: Sequence[str]) -> tuple[Chunk, ...]:
    """*chunks* indented to where they start on their line of the ``.py`` file (*source*,
    its lines): the SQL text itself when it is written there (``op.execute("...")``,
    ``RunSQL("...")``: the literal's later lines keep their columns), else the operation's
    indentation."""
    out = []
    for chunk in chunks:
        text = source[chunk.line - 1] if 0 < chunk.line <= len(source) else ""
        head = chunk.sql.lstrip().split("\n", 1)[0][:24]
        found = text.find(head) if head else -1
        column = found if found >= 0 else len(text) - len(text.lstrip())
        out.append(Chunk(chunk.sql, chunk.line, column))
    return tuple(out)


def generated_lines(placed: str, py_text: str) -> frozenset[int]:
    """The lines of *placed* (see :func:`place`) whose SQL is not written on that line of
    the ``.py`` file (``op.create_table``, ``CreateModel``: SQL the framework generated):
    a column inside that SQL means nothing in the file, so findings there point at where
    the operation starts, not at a column of the generated text."""
    py_lines = py_text.split("\n")
    out = []
    for number, line in enumerate(placed.split("\n"), 1):
        body = line.lstrip()
        if not body or body.startswith("--"):
            continue
        here = py_lines[number - 1] if number <= len(py_lines) else ""
        if not here.startswith(body, len(line) - len(body)):
            out.append(number)
    return frozenset(out)


def order(migrations: Sequence[RenderedMigration]) -> list[RenderedMigration]:
    """*migrations* in an order their runner may apply them: parents first.

    A topological order of the graph (``parents``, and ``children_first`` for Django's
    ``run_before``), ties broken by path so the order is stable.  Parents that are not in
    *migrations* (another app's, or missing) are ignored; a cycle keeps the remaining ones
    in path order.
    """
    by_id = {m.ident: m for m in migrations}
    waits: dict[str, set[str]] = {m.ident: set() for m in migrations}
    for m in migrations:
        waits[m.ident].update(p for p in m.parents if p in by_id and p != m.ident)
        for child in m.children_first:
            if child in by_id and child != m.ident:
                waits[child].add(m.ident)
    unlocks: dict[str, list[str]] = {ident: [] for ident in by_id}
    for ident, parents in waits.items():
        for parent in parents:
            unlocks[parent].append(ident)
    heap = [(m.path, m.ident) for m in migrations if not waits[m.ident]]
    heapq.heapify(heap)
    done: list[RenderedMigration] = []
    placed: set[str] = set()
    while len(done) < len(by_id):
        if not heap:  # a cycle: release the first unplaced migration by path
            m = min((m for m in by_id.values() if m.ident not in placed), key=lambda m: m.path)
            heap.append((m.path, m.ident))
        _, ident = heapq.heappop(heap)
        if ident in placed:
            continue
        placed.add(ident)
        done.append(by_id[ident])
        for child in unlocks[ident]:
            waits[child].discard(ident)
            if not waits[child] and child not in placed:
                heapq.heappush(heap, (by_id[child].path, child))
    return done
