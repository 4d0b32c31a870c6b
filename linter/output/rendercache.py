"""The render cache: what a Python migration rendered to, by file content and framework
(the file-backed :class:`~linter.inputs.frameworks.store.RenderStore`).

Rendering imports the framework (Alembic pulls in SQLAlchemy: a few hundred
milliseconds) and runs each migration; its result depends only on the file's bytes, the
framework's version, Python's version and sqlsafe's (and whatever the framework adds to
the key: a setting of ``env.py``).  One file per history and framework in the cache
directory holds the entries (:mod:`marshal`, plain data only, behind a checksum:
:mod:`linter.checksum`), replaced atomically; a missing or corrupt file is an empty cache.
A project module that a migration imports is not part of the key: edit it and run with
``--no-cache`` (or remove the cache) to render again.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..inputs.frameworks.rendered import Chunk, RenderedMigration
from .checksum import name_digest, seal, unseal

PREFIX = "render-"


def _encode(m: RenderedMigration) -> tuple[Any, ...]:
    def chunks(items: tuple[Chunk, ...] | None) -> Any:
        return None if items is None else tuple((c.sql, c.line, c.column) for c in items)

    return (
        m.ident,
        m.parents,
        chunks(m.up),
        chunks(m.down),
        m.in_transaction,
        m.static_reason,
        m.children_first,
        m.up_lines,
        m.down_lines,
        chunks(m.data_steps),
    )


def _decode(path: str, data: Any) -> RenderedMigration:
    ident, parents, up, down, in_tx, reason, first, up_lines, down_lines, steps = data

    def chunks(items: Any) -> tuple[Chunk, ...] | None:
        if items is None:
            return None
        return tuple(Chunk(str(s), int(n), int(c)) for s, n, c in items)

    return RenderedMigration(
        path,
        str(ident),
        tuple(parents),
        chunks(up) or (),
        chunks(down),
        bool(in_tx),
        str(reason),
        tuple(first),
        (int(up_lines[0]), int(up_lines[1])),
        (int(down_lines[0]), int(down_lines[1])),
        chunks(steps) or (),
    )


@dataclass(slots=True)
class RenderCache:
    """Rendered migrations of one history, by content key (keys: ``store.render_key``)."""

    directory: Path
    name: str  # the framework and the history, naming the cache file
    entries: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    hits: int = 0
    misses: int = 0
    _loaded: bool = False
    _changed: bool = False

    @property
    def file(self) -> Path:
        return self.directory / f"{PREFIX}{name_digest(self.name)}.bin"

    def _load(self) -> None:
        self._loaded = True
        target = self.file
        try:
            payload = unseal(target.read_bytes())
            data = marshal.loads(payload) if payload is not None else None
        except (OSError, ValueError, EOFError, TypeError):
            return
        if isinstance(data, dict):
            self.entries = data

    def get(self, key: str, path: str) -> RenderedMigration | None:
        if not self._loaded:
            self._load()
        data = self.entries.get(key)
        if data is not None:
            try:
                found = _decode(path, data)
            except (ValueError, TypeError):
                found = None
            if found is not None:
                self.hits += 1
                self.used.add(key)
                return found
        self.misses += 1
        return None

    def put(self, key: str, migration: RenderedMigration) -> None:
        if not self._loaded:
            self._load()
        self.entries[key] = _encode(replace(migration, path=""))
        self.used.add(key)
        self._changed = True

    def save(self) -> None:
        """Write the entries used by this run (the others are dropped), when any changed."""
        target = self.file
        if not (self._changed or set(self.entries) != self.used):
            return
        kept = {k: v for k, v in self.entries.items() if k in self.used}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(seal(marshal.dumps(kept)))
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return  # (a read-only cache directory: the run still works, uncached)
