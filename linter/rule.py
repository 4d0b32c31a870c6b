"""The rule contract: typed metadata, embedded examples, a pure ``check``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from typing import Any, ClassVar

from .lockmodel.locks import LockMode
from .sql.pgast import Node
from .state.context import Context, Report
from .state.severity import Severity as Severity
from .util.records import record

CODE_RE = re.compile(r"^[A-Z]{2,5}\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@record
class Example:
    """SQL the rule is run on by the tests and shown in the docs.

    ``history`` holds earlier migration files (applied before ``sql``) and ``settings``
    overrides (``target_version``, ``assume_in_transaction``...) that the example needs.
    ``edited_after_applied`` marks ``sql`` as a migration that was merged and then edited
    (what ``--diff`` finds out from git).  ``data_steps`` are the lines of data
    migrations written in Python in the same migration (Django ``RunPython``: the
    Django reader finds them, they are not SQL).
    """

    sql: str
    note: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    edited_after_applied: bool = False
    data_steps: tuple[tuple[int, str], ...] = ()

    @property
    def expect_finding(self) -> bool:
        raise NotImplementedError


@record
class Bad(Example):
    @property
    def expect_finding(self) -> bool:
        return True


@record
class Good(Example):
    @property
    def expect_finding(self) -> bool:
        return False


class Rule:
    """Base of every rule: one subclass per module in ``pglast_rules/``.

    Rules hold no state: ``check`` reads the node and the context and yields reports.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    why: ClassVar[str]
    safe_alternative: ClassVar[str]
    lock: ClassVar[LockMode | None] = None
    rewrites: ClassVar[bool] = False
    scans: ClassVar[bool] = False
    severity: ClassVar[Severity] = Severity.ERROR
    group: ClassVar[str] = "safety"
    aliases: ClassVar[tuple[str, ...]] = ()
    min_version: ClassVar[int | None] = None  # first target version the rule applies to
    max_version: ClassVar[int | None] = None  # last target version the rule applies to
    node_types: ClassVar[tuple[str, ...]] = ()  # parse-tree node kinds dispatched to check
    # for an AlterTableStmt: check only statements holding one of these commands
    # (``AT_AddColumn``...); empty: every ALTER TABLE / ALTER INDEX statement
    alter_subtypes: ClassVar[tuple[str, ...]] = ()
    examples: ClassVar[tuple[Example, ...]] = ()

    def __init_subclass__(cls, indexed: bool = False, **kwargs: Any) -> None:
        """Refuse a rule without its metadata (*indexed*: the stand-ins of
        :mod:`linter.analysis.rule_index`, whose subclasses carry it)."""
        super().__init_subclass__(**kwargs)
        if indexed:
            return
        problems = [
            attr
            for attr in ("code", "name", "summary", "why", "safe_alternative")
            if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr)
        ]
        if problems:
            raise TypeError(f"rule {cls.__name__} lacks {', '.join(problems)}")
        if not CODE_RE.match(cls.code):
            raise TypeError(f"rule {cls.__name__}: code {cls.code!r} must look like SS001")
        if not NAME_RE.match(cls.name):
            raise TypeError(f"rule {cls.__name__}: name {cls.name!r} must be kebab-case")

    def applies_to(self, target: int) -> bool:
        if self.min_version is not None and target < self.min_version:
            return False
        return not (self.max_version is not None and target > self.max_version)

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        """Yield a report for each hazard in *node* (a wrapped parse-tree node)."""
        return iter(())

    def finish(self, ctx: Context) -> Iterator[Report]:
        """Called once after the last statement of a file (for whole-file rules)."""
        return iter(())

    @classmethod
    def finishes(cls) -> bool:
        """Whether the rule has a :meth:`finish` of its own (the engine calls only those)."""
        return cls.finish is not Rule.finish

    def report(
        self,
        message: str,
        *,
        help: str | None = None,
        unless_indexed: tuple[str, tuple[str, ...]] | None = None,
        severity: Severity | None = None,
        at: Node | None = None,
    ) -> Report:
        """A finding; *unless_indexed* (table, columns) lets a later migration of the
        history that indexes those columns answer it (``linter.state.deferred``); *severity*,
        when this finding is less (or more) harmful than the rule's ``severity`` (a
        ``[severity]`` setting for the rule still wins); *at*: the node of the statement it
        is about (a column definition, an ALTER TABLE command...), where it points instead
        of the statement's start."""
        return Report(self.name, message, help, unless_indexed, severity, at)

    @classmethod
    def versions(cls) -> str:
        if cls.min_version and cls.max_version:
            return f"PostgreSQL {cls.min_version} to {cls.max_version}"
        if cls.min_version:
            return f"PostgreSQL {cls.min_version} and later"
        if cls.max_version:
            return f"PostgreSQL {cls.max_version} and earlier"
        return "all versions"


def listing(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: several things one finding names."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
