"""Transaction state, folded statement by statement (:mod:`linter.state.fold`), and whether a
relation is new to the file: what the fold and the rule context both read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType

from ..lockmodel.locks import LockMode
from ..lockmodel.schema import Schema
from ..util.records import record

# Time zone names at a fixed offset of zero (PostgreSQL's tzdata links, and a numeric 0).
UTC_ZONES = frozenset(
    {
        *(
            f"{prefix}{name}"
            for prefix in ("", "etc/")
            for name in ("utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "zulu", "universal")
        ),
        "greenwich",
        "etc/greenwich",
        "0",
    }
)


@record
class TxState:
    """Transaction state, folded statement by statement."""

    implicit: bool = False  # the runner wraps the whole file in a transaction
    # the implicit transaction is that of one multi-statement query (Prisma, golang-migrate):
    # BEGIN only upgrades it, and after a COMMIT the rest runs in a new implicit one
    single_query: bool = False
    explicit: bool = False  # inside BEGIN ... COMMIT written in the file
    began_at: int | None = None  # statement index of the BEGIN
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    timezone: str | None = None  # the session's TimeZone when the file set it
    local_settings: frozenset[str] = frozenset()  # SET LOCAL names, reset at transaction end
    held: Mapping[str, LockMode] = field(default_factory=lambda: MappingProxyType({}))
    not_valid_added: frozenset[tuple[str, str]] = frozenset()  # (table, constraint) this tx
    ddl: bool = False  # this transaction already changed the schema
    dml: bool = False  # this transaction already changed data
    dml_tables: frozenset[str] = frozenset()  # tables whose rows this transaction changed
    # timeout values a COMMIT keeps (session-level SETs) and a ROLLBACK restores (values at
    # the start of the transaction); only meaningful inside a transaction
    commit_timeouts: Mapping[str, str | None] = field(default_factory=lambda: MappingProxyType({}))
    rollback_timeouts: Mapping[str, str | None] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # strongest lock this file already took on an existing relation while the timeout was
    # off (survives transaction ends; rules use it to report once per file)
    locked_without_lock_timeout: LockMode | None = None
    locked_without_statement_timeout: LockMode | None = None
    # first statement of this transaction that did slow work (scan, rewrite, data change,
    # wait for another lock) while the transaction held a write-blocking lock on an existing
    # relation (see ``fold.lock_hold_extension``)
    hold_extended_at: int | None = None

    @property
    def in_transaction(self) -> bool:
        return self.explicit or self.implicit

    @property
    def utc(self) -> bool:
        """The file set the session's TimeZone to one at offset zero with no daylight
        saving (``UTC``, ``Etc/UTC``, ``GMT``...): timestamp and timestamptz then store
        the same bits."""
        return self.timezone is not None and self.timezone.strip().lower() in UTC_ZONES


def is_new_relation(schema: Schema, name: str) -> bool:
    """*name* (a table, or an index the model knows) was created in the current file."""
    if schema.is_new_table(name):
        return True
    index = schema.indexes.get(name)
    return index is not None and schema.is_new_index(index)
