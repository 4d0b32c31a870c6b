"""PostgreSQL lock modes: names as ``pg_locks`` shows them, strength, conflicts, effect."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class LockMode(str, Enum):
    """Table-level lock modes, weakest first (``pg_locks.mode`` spelling)."""

    ACCESS_SHARE = "AccessShareLock"
    ROW_SHARE = "RowShareLock"
    ROW_EXCLUSIVE = "RowExclusiveLock"
    SHARE_UPDATE_EXCLUSIVE = "ShareUpdateExclusiveLock"
    SHARE = "ShareLock"
    SHARE_ROW_EXCLUSIVE = "ShareRowExclusiveLock"
    EXCLUSIVE = "ExclusiveLock"
    ACCESS_EXCLUSIVE = "AccessExclusiveLock"

    @property
    def strength(self) -> int:
        return _ORDER.index(self)

    @property
    def sql_name(self) -> str:
        """The name used in ``LOCK TABLE ... IN <mode> MODE`` and the docs."""
        return _SQL_NAMES[self]

    def conflicts_with(self, other: LockMode) -> bool:
        return other in _CONFLICTS[self]

    @property
    def blocks(self) -> str:
        """What other sessions cannot do while this lock is held."""
        return _BLOCKS[self]

    @property
    def blocks_reads(self) -> bool:
        return self.conflicts_with(LockMode.ACCESS_SHARE)

    @property
    def blocks_writes(self) -> bool:
        return self.conflicts_with(LockMode.ROW_EXCLUSIVE)

    def describe(self) -> str:
        return f"{self.value} ({self.blocks})"


_ORDER = list(LockMode)

_SQL_NAMES = {
    LockMode.ACCESS_SHARE: "ACCESS SHARE",
    LockMode.ROW_SHARE: "ROW SHARE",
    LockMode.ROW_EXCLUSIVE: "ROW EXCLUSIVE",
    LockMode.SHARE_UPDATE_EXCLUSIVE: "SHARE UPDATE EXCLUSIVE",
    LockMode.SHARE: "SHARE",
    LockMode.SHARE_ROW_EXCLUSIVE: "SHARE ROW EXCLUSIVE",
    LockMode.EXCLUSIVE: "EXCLUSIVE",
    LockMode.ACCESS_EXCLUSIVE: "ACCESS EXCLUSIVE",
}

_A = LockMode
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _A.ACCESS_SHARE: frozenset({_A.ACCESS_EXCLUSIVE}),
    _A.ROW_SHARE: frozenset({_A.EXCLUSIVE, _A.ACCESS_EXCLUSIVE}),
    _A.ROW_EXCLUSIVE: frozenset(
        {_A.SHARE, _A.SHARE_ROW_EXCLUSIVE, _A.EXCLUSIVE, _A.ACCESS_EXCLUSIVE}
    ),
    _A.SHARE_UPDATE_EXCLUSIVE: frozenset(
        {
            _A.SHARE_UPDATE_EXCLUSIVE,
            _A.SHARE,
            _A.SHARE_ROW_EXCLUSIVE,
            _A.EXCLUSIVE,
            _A.ACCESS_EXCLUSIVE,
        }
    ),
    _A.SHARE: frozenset(
        {
            _A.ROW_EXCLUSIVE,
            _A.SHARE_UPDATE_EXCLUSIVE,
            _A.SHARE_ROW_EXCLUSIVE,
            _A.EXCLUSIVE,
            _A.ACCESS_EXCLUSIVE,
        }
    ),
    _A.SHARE_ROW_EXCLUSIVE: frozenset(
        {
            _A.ROW_EXCLUSIVE,
            _A.SHARE_UPDATE_EXCLUSIVE,
            _A.SHARE,
            _A.SHARE_ROW_EXCLUSIVE,
            _A.EXCLUSIVE,
            _A.ACCESS_EXCLUSIVE,
        }
    ),
    _A.EXCLUSIVE: frozenset(set(LockMode) - {_A.ACCESS_SHARE}),
    _A.ACCESS_EXCLUSIVE: frozenset(LockMode),
}

_BLOCKS: dict[LockMode, str] = {
    _A.ACCESS_SHARE: "blocks only ACCESS EXCLUSIVE DDL",
    _A.ROW_SHARE: "blocks EXCLUSIVE and ACCESS EXCLUSIVE locks",
    _A.ROW_EXCLUSIVE: "blocks SHARE-level DDL such as CREATE INDEX",
    _A.SHARE_UPDATE_EXCLUSIVE: "blocks other DDL, VACUUM and ANALYZE; reads and writes go on",
    _A.SHARE: "blocks writes (INSERT/UPDATE/DELETE) and other DDL; reads go on",
    _A.SHARE_ROW_EXCLUSIVE: "blocks writes and other DDL; reads go on",
    _A.EXCLUSIVE: "blocks writes, SELECT ... FOR UPDATE and DDL; plain reads go on",
    _A.ACCESS_EXCLUSIVE: "blocks all reads and writes",
}


def combined(held: Mapping[str, LockMode], more: Mapping[str, LockMode]) -> dict[str, LockMode]:
    """The locks held per relation once *more* are taken too (the stronger one stays)."""
    out = dict(held)
    for rel, mode in more.items():
        previous = out.get(rel)
        out[rel] = mode if previous is None or mode.strength > previous.strength else previous
    return out


def strongest(a: LockMode | None, b: LockMode | None) -> LockMode | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a.strength >= b.strength else b
