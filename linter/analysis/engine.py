"""Parse once, walk each statement once, dispatch by node type, fold the context."""

from __future__ import annotations

import bisect
import fnmatch
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from ..inputs.directives import Suppressions, parse_directives
from ..inputs.source import Source, SourceError
from ..lockmodel.effects import Effects, merge_effects, statement_effects
from ..lockmodel.schema import Schema
from ..rule import Rule, Severity
from ..sql import pgast
from ..sql.parsing import ParsedFile, Statement, parse, use_fast_decoder
from ..state.context import Context, FileInfo, Report, Settings, TxState
from ..state.deferred import Wanted, has_deferred, resolve, without
from ..state.fold import advance_tx, apply_schema, begin_block, end_block, preamble_tx, rename_keys
from ..state.lookahead import LookAhead
from ..state.reversal import Reversal, paired_ups, uncut
from ..util.forking import FAILED, can_fork, fork_call
from ..util.records import record
from . import spans

if TYPE_CHECKING:
    from ..sql.plpgsql import BodyError

SYNTAX_ERROR = "syntax-error"
META_COMMAND = "psql-meta-command"
INVALID_SUPPRESSION = "invalid-suppression"
EDITED_APPLIED = "edited-applied-migration"
DATA_MIGRATION = "python-data-migration"


@record
class Finding:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    code: str
    severity: Severity
    message: str
    help: str | None = None
    statement: int | None = None
    sql: str = ""
    # what a later migration of the history must create to answer it (``linter.state.deferred``)
    deferred: Wanted | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "rule": self.rule,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "help": self.help,
        }


def _relation_kinds(ctx: Context, relations: Iterable[str]) -> dict[str, str]:
    """What each relation is, as the model knows it before the statement (or, for one
    the statement creates, after it)."""
    out = {}
    for rel in sorted(relations):
        kind = ctx.schema.relation_kind(rel) or ctx.schema_after().relation_kind(rel)
        if kind is not None:
            out[rel] = kind
    return out


@record
class StatementReport:
    """One statement with what it does (for ``explain``)."""

    path: str
    line: int
    sql: str
    in_transaction: bool
    effects: Effects
    held: Mapping[str, str]
    new_tables: tuple[str, ...]
    findings: tuple[Finding, ...]
    # relation -> what the model knows it to be (table, index, sequence, view)
    kinds: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    files: int = 0
    statements: list[StatementReport] = field(default_factory=list)
    # ``len(findings)`` after each source (for caches that store findings per file)
    ends: list[int] = field(default_factory=list)
    # source position -> schema model after it, where ``lint_sources(keep_models=)`` asked
    models: dict[int, Schema] = field(default_factory=dict)
    # the model after the last source, once the whole history was linted
    final: Schema | None = None
    # path -> text of the sources not read from a file (standard input): reporters show
    # their lines from here, never from a file on disk of the same name
    texts: dict[str, str] = field(default_factory=dict)
    # what to say once about how the inputs were read (Python migrations read statically)
    notes: list[str] = field(default_factory=list)


class RuleSet:
    """The active rules for a run, with a node-kind dispatch table."""

    def __init__(self, rules: Sequence[Rule], settings: Settings) -> None:
        self.all = tuple(rules)
        self.by_name = {r.name: r for r in rules}
        self.active = tuple(
            r for r in rules if r.applies_to(settings.target_version) and selected(r, settings)
        )
        dispatch: dict[str, list[Rule]] = {}
        for rule in self.active:
            for kind in rule.node_types:
                dispatch.setdefault(kind, []).append(rule)
        self.dispatch = {k: tuple(v) for k, v in dispatch.items()}
        # ALTER TABLE rules by command (``Rule.alter_subtypes``): the rules for each set of
        # commands met so far, in dispatch order
        self._alter: dict[frozenset[str], tuple[Rule, ...]] = {}
        self.top_level_only = all(k.endswith("Stmt") for k in self.dispatch)
        self.settings = settings
        # rules that override ``finish`` (the others would only return an empty iterator)
        self.finishers = tuple(r for r in self.active if r.finishes())
        self.active_names = frozenset(r.name for r in self.active)
        self.names = {r.name: frozenset({r.name, r.code, *r.aliases}) for r in rules}
        known: set[str] = {"all", "style", "safety"}
        for r in rules:
            known.update((r.name, r.code, *r.aliases))
        self.known_names = frozenset(known)
        self._severities: dict[str, Severity] = {}

    def alter_rules(self, fields: pgast.Node) -> tuple[Rule, ...]:
        """The AlterTableStmt rules for a statement with these *fields*: those without
        ``alter_subtypes`` and those naming one of its commands."""
        subtypes = frozenset(sub for sub, _cmd in pgast.alter_commands(fields))
        found = self._alter.get(subtypes)
        if found is None:
            found = self._alter[subtypes] = tuple(
                rule
                for rule in self.dispatch.get("AlterTableStmt", ())
                if not rule.alter_subtypes or not subtypes.isdisjoint(rule.alter_subtypes)
            )
        return found

    def severity_of(self, rule: Rule) -> Severity:
        """:meth:`severity`, remembered per rule."""
        found = self._severities.get(rule.name)
        if found is None:
            found = self._severities[rule.name] = self.severity(rule)
        return found

    def severity_for(self, rule: Rule, report: Report) -> Severity:
        """The severity of one finding: the user's ``[severity]`` setting for the rule,
        else the report's own (``Rule.report(severity=)``), else the rule's."""
        if report.severity is None or self._overridden(rule):
            return self.severity_of(rule)
        return report.severity

    def _overridden(self, rule: Rule) -> bool:
        return rule.name in self.settings.severity or rule.code in self.settings.severity

    def severity(self, rule: Rule) -> Severity:
        override = self.settings.severity.get(rule.name) or self.settings.severity.get(rule.code)
        return Severity(override) if override else rule.severity

    def is_active(self, name: str) -> bool:
        return name in self.active_names


def matches(rule: Rule, selector: str) -> bool:
    sel = selector.strip()
    return (
        sel in ("all", "ALL")
        or sel == rule.name
        or sel in rule.aliases
        or sel == rule.group
        or (sel.isupper() and rule.code.startswith(sel))
    )


def selected(rule: Rule, settings: Settings) -> bool:
    if settings.select and not any(matches(rule, s) for s in settings.select):
        return False
    return not any(matches(rule, s) for s in settings.ignore)


def _file_ignores(path: str, settings: Settings) -> tuple[str, ...]:
    posix = path.replace("\\", "/")
    out: list[str] = []
    for pattern, names in settings.per_file_ignores.items():
        if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(posix.rsplit("/", 1)[-1], pattern):
            out.extend(names)
    return tuple(out)


class _FileLinter:
    """Lints one parsed file given the schema the history built before it."""

    def __init__(
        self,
        rules: RuleSet,
        source: Source,
        parsed: ParsedFile,
        schema: Schema,
        report: bool,
        implicit_tx: bool,
        edited: bool = False,
        undoing: Reversal | None = None,
    ) -> None:
        self.rules = rules
        self.source = source
        self.parsed = parsed
        self.schema = schema
        self.report = report
        self.tx = preamble_tx(
            rules.settings.preamble, implicit_tx, schema, rules.settings.target_version
        )
        if implicit_tx and source.single_query:
            self.tx = replace(self.tx, single_query=True)
        self.info = FileInfo(
            source.path,
            parsed.lines,
            len(parsed.statements),
            parsed.text,
            parsed.statements,
            LookAhead(parsed.statements),
            layout=source.layout,
        )
        if edited:
            self.info = replace(self.info, edited_after_applied=True)
        if undoing is not None:  # a down migration, linted right after its up migration
            self.info = replace(self.info, undoing=undoing)
        self.suppressions: Suppressions = parse_directives(parsed)
        self.file_ignores = _file_ignores(source.path, rules.settings)
        self.findings: list[Finding] = []
        self.explained: list[StatementReport] = []
        self.too_deep: list[int] = []  # statements skipped by the RecursionError guard
        self.within = ""  # said after each message: where the statement is (a DO block)
        # the tokens of the statement last located (see ``_span``): one statement's only, as
        # holding every statement's tokens to the end of a large file costs more than the file
        self._tokens: tuple[tuple[int, int], Sequence[Any]] | None = None

    # -- findings ------------------------------------------------------------------
    def _suppressed(self, rule: Rule, statement: int | None) -> bool:
        if self.file_ignores and any(matches(rule, s) for s in self.file_ignores):
            return True
        suppressions = self.suppressions
        if not suppressions.directives:
            return False
        names = self.rules.names.get(rule.name) or frozenset({rule.name, rule.code, *rule.aliases})
        return suppressions.suppressed(statement, names)

    def _emit(
        self,
        rule: Rule,
        report: Report,
        start: int,
        end: int,
        statement: int | None,
        stmt: Statement | None = None,
        at_line: int | None = None,
    ) -> Finding | None:
        """*at_line*: a finding about a line, not a statement (beyond the text, maybe)."""
        if not self.report or self._suppressed(rule, statement):
            return None
        sql = self.parsed.text[start:end] if statement is not None else ""
        lines = self.parsed.lines
        if report.at is not None and stmt is not None:
            start, end = self._span(stmt, report.at) or (start, end)
        line, col = lines.position(start)
        if line in self.source.generated_lines:
            # SQL a Python migration's framework generated: a column inside it means
            # nothing in the .py file; point at where the operation starts (see Source)
            text = lines.line_text(line)
            col = len(text) - len(text.lstrip()) + 1
        end_line, end_col = lines.position(max(end, start))
        if end_line == line:
            end_col = max(end_col, col)
        if at_line is not None:
            line, col, end_line, end_col = at_line, 1, at_line, 1
        finding = Finding(
            self.source.path,
            line,
            col,
            end_line,
            end_col,
            rule.name,
            rule.code,
            self.rules.severity_for(rule, report),
            report.message + self.within,
            report.help,
            statement,
            sql,
            None if report.unless_indexed is None else (*report.unless_indexed, self.schema.file),
        )
        self.findings.append(finding)
        return finding

    def _span(self, stmt: Statement, at: pgast.Node) -> tuple[int, int] | None:
        """Where the part *at* of *stmt* is (:mod:`linter.analysis.spans`); the statement's tokens
        are scanned once for all its findings (they come one statement after another)."""
        key = (stmt.start, stmt.end)
        if self._tokens is None or self._tokens[0] != key:
            self._tokens = (key, spans.tokens(self.parsed.text, stmt))
        return spans.span(self.parsed.text, stmt, at, self._tokens[1])

    def _engine_rule(self, name: str) -> Rule | None:
        if not self.rules.is_active(name):
            return None
        return self.rules.by_name.get(name)

    # -- the walk --------------------------------------------------------------------
    def run(self, explain: bool = False) -> Schema:
        self._meta_commands()
        self._invalid_suppressions()
        self._edited_after_applied()
        self._python_data_steps()
        schema = self.schema
        last: Statement | None = None
        for stmt in self.parsed.statements:
            before, explained = len(self.findings), len(self.explained)
            if stmt.node is None:
                self._syntax_error(stmt)
                if explain:
                    self._explain_unread(stmt, before)
                continue
            try:
                ctx, tx = self._step(stmt, schema, self.tx)
                inner = self._do_block(stmt, schema) if stmt.kind == "DoStmt" else None
                if explain:
                    self._explain(
                        stmt, ctx if inner is None else replace(ctx, effects=inner[2]), before
                    )
                if inner is None:
                    after = ctx.schema_after()
                else:
                    after, tx = inner[0], end_block(self.tx, inner[1])
            except RecursionError:  # a parse tree nested deeper than Python's stack allows
                del self.findings[before:], self.explained[explained:]
                self.too_deep.append(stmt.index)
                self._too_deep(stmt)
                if explain:
                    self._explain_unread(stmt, before)
                continue
            self.tx, schema, last = tx, after, stmt
        if last is not None and self.rules.finishers:
            last_ctx = Context(self.rules.settings, schema, self.tx, last, Effects(), self.info)
            for rule in self.rules.finishers:
                for report in rule.finish(last_ctx):
                    st = last_ctx.statement
                    self._emit(rule, report, st.start, st.end, None)
        return schema.end_file()

    def _do_block(self, stmt: Statement, schema: Schema) -> tuple[Schema, TxState, Effects] | None:
        """Lint the statements a DO block runs (see :mod:`linter.sql.plpgsql`), each at its own
        place in the file, in the DO's transaction. Returns the model after them, the
        transaction state at the block's end and everything the block locks, rewrites and
        scans (``None`` when the block runs no statement sqlsafe can read)."""
        from ..sql.plpgsql import locate, read_block  # (a file without DO blocks: not imported)

        assert stmt.node is not None
        found, error = read_block(stmt.node)
        if error is not None:
            self._body_error(stmt, error)
        if not found:
            return None
        tx = begin_block(self.tx)  # outside a transaction, the block runs in its own
        merged = Effects()
        self.within = f" (in the DO block at line {self.parsed.lines.position(stmt.start)[0]})"
        try:
            for inner in found:
                start, end = locate(self.parsed.text, stmt.start, stmt.end, inner)
                # (its parts are located only where it is written as it is read)
                exact = self.parsed.text[start:end] == inner.sql
                at = Statement(
                    stmt.index,
                    start,
                    start,
                    end,
                    inner.node,
                    start_byte=inner.start_byte if exact else -1,
                )
                ctx, tx = self._step(at, schema, tx)
                schema = ctx.schema_after()
                merged = merge_effects(merged, ctx.effects)
        finally:
            self.within = ""
        return schema, tx, merged

    def _step(self, stmt: Statement, schema: Schema, tx: TxState) -> tuple[Context, TxState]:
        """Check *stmt* against the model and transaction state before it: its context
        (its effects, and the model after it on demand) and the transaction state after
        it."""
        assert stmt.node is not None
        settings = self.rules.settings
        effects = statement_effects(stmt.node, schema, settings.target_version, utc=tx.utc)
        ctx = Context(settings, schema, tx, stmt, effects, self.info)
        self._check(stmt, ctx)
        after = advance_tx(tx, stmt.node, stmt.index, effects, schema, extension=ctx.hold_extension)
        return ctx, after

    def _check(self, stmt: Statement, ctx: Context) -> None:
        dispatch = self.rules.dispatch
        if not dispatch:
            return
        assert stmt.node is not None
        nodes: Iterable[pgast.Node]
        if self.rules.top_level_only:
            nodes = (stmt.node,)
        else:
            nodes = pgast.walk(stmt.node)
        for node in nodes:
            kind = next(iter(node))
            wanted = (
                self.rules.alter_rules(node[kind])
                if kind == "AlterTableStmt"
                else dispatch.get(kind)
            )
            if not wanted:
                continue
            for rule in wanted:
                for report in rule.check(node, ctx):
                    self._emit(rule, report, stmt.start, stmt.end, stmt.index, stmt)

    def _explain(self, stmt: Statement, ctx: Context, before: int) -> None:
        held = dict(ctx.tx.held) if ctx.tx.in_transaction else {}
        for rel, mode in ctx.effects.locks.items():
            if rel in held and held[rel].strength >= mode.strength:
                continue
            held[rel] = mode
        line, _ = self.parsed.lines.position(stmt.start)
        touched = set(ctx.effects.locks) | set(ctx.effects.rewrites) | set(ctx.effects.scans)
        self.explained.append(
            StatementReport(
                self.source.path,
                line,
                self.parsed.text[stmt.start : stmt.end],
                ctx.tx.in_transaction,
                ctx.effects,
                {k: v.value for k, v in held.items()} if ctx.tx.in_transaction else {},
                tuple(sorted(t for t in touched if ctx.is_new(t))),
                tuple(self.findings[before:]),
                _relation_kinds(ctx, touched),
            )
        )

    def _explain_unread(self, stmt: Statement, before: int) -> None:
        """A statement sqlsafe could not read (a syntax error, or nested too deeply) still
        gets its entry, with what it was found: ``explain`` lists every statement and
        ``trace`` runs each one."""
        line, _ = self.parsed.lines.position(stmt.start)
        self.explained.append(
            StatementReport(
                self.source.path,
                line,
                self.parsed.text[stmt.start : stmt.end],
                self.tx.in_transaction,
                Effects(),
                {},
                (),
                tuple(self.findings[before:]),
            )
        )

    def _syntax_error(self, stmt: Statement) -> None:
        from ..sql.newer_syntax import explain as explain_newer
        from ..sql.newer_syntax import newer_statement

        rule = self._engine_rule(SYNTAX_ERROR)
        if rule is None:
            return
        offset = stmt.error_offset if stmt.error_offset is not None else stmt.start
        newer = newer_statement(self.parsed.text[stmt.start : stmt.end])
        if newer is not None:
            offset = stmt.start
            reason = explain_newer(newer, self.rules.settings.target_version)
        else:
            reason = stmt.error or "syntax error"
        message = f"{reason}; the other statements of the file are still linted"
        self._emit(rule, Report(rule.name, message), offset, max(stmt.end, offset), stmt.index)

    def _body_error(self, stmt: Statement, error: BodyError) -> None:
        """A DO block whose body PL/pgSQL rejects: PostgreSQL compiles the body when the
        block runs, so the migration fails there like on any syntax error."""
        from ..sql.plpgsql import error_span

        rule = self._engine_rule(SYNTAX_ERROR)
        if rule is None:
            return
        start, end = error_span(self.parsed.text, stmt.start, stmt.end, error)
        message = (
            f"syntax error in the PL/pgSQL body of this DO block ({error.reason}): PostgreSQL "
            "rejects the block when it runs; sqlsafe did not read the statements in it"
        )
        self._emit(rule, Report(rule.name, message), start, end, stmt.index)

    def _too_deep(self, stmt: Statement) -> None:
        rule = self._engine_rule(SYNTAX_ERROR)
        if rule is None:
            return
        message = (
            "statement nested too deeply for sqlsafe to analyse: it was not checked and the "
            "schema model ignores it; the other statements of the file are still linted"
        )
        self._emit(rule, Report(rule.name, message), stmt.start, stmt.end, stmt.index)

    def _meta_commands(self) -> None:
        rule = self._engine_rule(META_COMMAND)
        if rule is None:
            return
        for meta in self.parsed.meta_commands:
            message = (
                f"psql meta-command `{meta.command}` is not SQL: sqlsafe skipped this "
                "line, and only psql can run this file"
            )
            self._emit(rule, Report(rule.name, message), meta.start, meta.end, None)

    def _edited_after_applied(self) -> None:
        rule = self._engine_rule(EDITED_APPLIED) if self.info.edited_after_applied else None
        if rule is None:
            return
        message = (
            "this migration was already merged (and may have run in production) and has "
            "been edited since: databases that applied it will never run the new text"
        )
        first = self.parsed.statements[0] if self.parsed.statements else None
        start, end = (first.start, first.end) if first else (0, 0)
        self._emit(rule, Report(rule.name, message, rule.safe_alternative), start, end, None)

    def _python_data_steps(self) -> None:
        """A data migration written in Python (Django ``RunPython``): sqlsafe cannot see
        its queries; inside the migration's transaction its rows (and the locks of the
        operations before it) stay locked until the migration commits."""
        steps = self.source.data_steps
        rule = self._engine_rule(DATA_MIGRATION) if steps else None
        if rule is None:
            return
        lines = self.parsed.lines
        directives = [
            (lines.position(d.offset)[0], d.names)
            for d in self.suppressions.directives
            if not d.whole_file
        ]
        names = {rule.name, rule.code, *rule.aliases}
        in_tx = self.tx.in_transaction
        for line, what in steps:
            if any(
                at in (line - 1, line) and (not named or names & set(named))
                for at, named in directives
            ):
                continue
            if in_tx:
                message = (
                    f"{what} is a data migration written in Python: sqlsafe cannot see its "
                    "queries, and it runs inside the migration's transaction, so every row "
                    "it writes stays locked until the migration commits (with the locks the "
                    "operations before it took)"
                )
                severity = None
            else:
                message = (
                    f"{what} is a data migration written in Python: sqlsafe cannot see its "
                    "queries nor whether they are batched"
                )
                severity = Severity.NOTE
            report = Report(rule.name, message, rule.safe_alternative, severity=severity)
            self._emit(rule, report, 0, 0, None, at_line=line)

    def _invalid_suppressions(self) -> None:
        rule = self._engine_rule(INVALID_SUPPRESSION)
        if rule is None:
            return
        known = self.rules.known_names
        for d in self.suppressions.directives:
            for name in d.names:
                if name not in known:
                    message = f"unknown rule `{name}` in a sqlsafe suppression comment"
                    message += _closest_rule(name, self.rules.names)
                    end = self.parsed.text.find("\n", d.offset)
                    self._emit(
                        rule,
                        Report(rule.name, message),
                        d.offset,
                        len(self.parsed.text) if end < 0 else end,
                        None,
                    )


def _closest_rule(name: str, rules: Mapping[str, frozenset[str]]) -> str:
    """``: did you mean `RULE`?`` for the rule whose name, code or alias is closest to the
    misspelt *name* (nothing when none is close)."""
    import difflib

    spellings = {spelling.lower(): rule for rule, names in rules.items() for spelling in names}
    found = difflib.get_close_matches(name.lower(), list(spellings), n=1, cutoff=0.75)
    return f": did you mean `{spellings[found[0]]}`?" if found else ""


# Parallel linting (see ``lint_sources``): a history of at least this many characters is
# split in two and the second part linted in a forked process.
PARALLEL_MIN_CHARS = 1_000_000
PARALLEL_MIN_SOURCES = 32
# share of the history (by size) the parent lints; the child first folds the parent's part
# into the schema model (parse + apply: about a third of the cost of linting it)
PARALLEL_SHARE = 0.6


@record
class _Job:
    """One ``lint_sources`` call: what every part of the history is linted with."""

    rules: RuleSet
    settings: Settings
    wanted: frozenset[str] | None
    implicit_tx: Mapping[str, bool] | None
    explain: bool
    edited: frozenset[str]
    keep_models: Callable[[int], bool] | None
    resolve: bool = True  # drop the deferred findings a later migration answers

    def run(
        self, items: Sequence[Source | SourceError], lo: int, hi: int, schema: Schema
    ) -> tuple[LintResult, Schema, list[tuple[int, int]]]:
        """Lint ``items[lo:hi]`` from *schema*: the result, the model after, skipped
        statements ``(position, statement index)``."""
        result = LintResult()
        skipped: list[tuple[int, int]] = []
        settings = self.settings
        keep = self.keep_models
        ups = paired_ups(items)
        before_up: dict[int, Schema] = dict.fromkeys(ups.values(), schema)
        renamed: dict[int, frozenset[tuple[str, str]]] = {}
        last = self._last_reported(items, lo, hi)
        cut = False  # past the last reported file, which nothing after it can change
        for position in range(lo, hi):
            source = items[position]
            if position in before_up:
                before_up[position] = schema
            if isinstance(source, SourceError):
                result.errors.append(source)
            elif cut or (position > last and not has_deferred(result.findings)):
                # (a later migration answers no finding: the files after only build the
                # model, which no reported finding needs)
                cut = True
                result.ends.append(len(result.findings))
                continue
            elif self.wanted is not None and source.path not in self.wanted:
                # history only (a file named alone, a file list): its model, no checks
                model, parsed, deep = self._fold_file(source, schema, effects=False)
                if position in before_up:
                    renamed[position] = _renames(parsed)
                if source.apply:
                    schema = model
                skipped.extend((position, i) for i in deep)
            else:
                result.files += 1
                in_tx = settings.assume_in_transaction
                if source.in_transaction is not None:
                    in_tx = source.in_transaction
                if self.implicit_tx is not None:
                    in_tx = self.implicit_tx.get(source.path, in_tx)
                linter = _FileLinter(
                    self.rules,
                    source,
                    parse(source.text, lazy=True),
                    schema.begin_file(source.in_change),
                    True,
                    in_tx,
                    source.path in self.edited,
                    _undoing(source, ups.get(position), before_up, renamed, schema),
                )
                after = linter.run(explain=self.explain)
                if position in before_up:
                    renamed[position] = _renames(linter.parsed)
                if source.apply:  # a down migration is linted, never applied to the history
                    schema = after
                result.findings.extend(sorted(linter.findings, key=_finding_order))
                result.statements.extend(linter.explained)
                skipped.extend((position, i) for i in linter.too_deep)
            result.ends.append(len(result.findings))
            if keep is not None and keep(position):
                result.models[position] = schema
        if hi == len(items) and not cut:
            result.final = schema
        return result, schema, skipped

    def _last_reported(self, items: Sequence[Source | SourceError], lo: int, hi: int) -> int:
        """The position of the last reported file when :meth:`run` may stop after it (it
        lints a whole history, in which some files are not reported), else *hi*."""
        if self.wanted is None or lo != 0 or hi != len(items):
            return hi
        wanted = self.wanted
        return next(
            (
                i
                for i in range(hi - 1, lo - 1, -1)
                if isinstance(items[i], Source) and items[i].path in wanted
            ),
            lo - 1,
        )

    def _fold_file(
        self, source: Source, schema: Schema, effects: bool = True
    ) -> tuple[Schema, ParsedFile, list[int]]:
        """The model after the file *source* (applied to *schema*) without checking it, as
        :meth:`run` computes it: the statements too deep to read are skipped, and listed.

        Without *effects*, each statement's effects are not computed: half the cost, for
        the files of a history that are not reported (a file named alone, a file list).
        Only a statement nested so deeply that computing its effects exhausts Python's
        stack, while folding it does not, would then be folded where :meth:`run` skips
        it."""
        target = self.settings.target_version
        parsed = parse(source.text)
        model = schema.begin_file(source.in_change)
        deep: list[int] = []
        for stmt in parsed.statements:
            if stmt.node is None:
                continue
            try:
                if effects:
                    statement_effects(stmt.node, model, target)
                model = apply_schema(model, stmt.node)
            except RecursionError:
                deep.append(stmt.index)
        return model.end_file(), parsed, deep

    def fold(
        self, items: Sequence[Source | SourceError], hi: int, schema: Schema
    ) -> tuple[Schema, list[tuple[int, int]]]:
        """The model after ``items[:hi]`` without checking anything (what :meth:`run`
        computes, when the same statements are skipped)."""
        skipped: list[tuple[int, int]] = []
        for position in range(hi):
            source = items[position]
            if isinstance(source, SourceError) or not source.apply:
                continue
            schema, _, deep = self._fold_file(source, schema)
            skipped.extend((position, i) for i in deep)
        return schema, skipped


def _undoing(
    source: Source,
    up: int | None,
    before_up: Mapping[int, Schema],
    renamed: Mapping[int, frozenset[tuple[str, str]]],
    schema: Schema,
) -> Reversal | None:
    """What the down migration *source* undoes: its up at position *up* (when linted in
    this run), the model before it, *schema* (the model after it) and its renames."""
    if up is None or up not in renamed:
        return None
    return Reversal(source.undoes, before_up[up], schema, renamed[up])


def _renames(parsed: ParsedFile) -> frozenset[tuple[str, str]]:
    """``fold.rename_keys`` of each statement of *parsed*."""
    found = (rename_keys(stmt.node) for stmt in parsed.statements)
    return frozenset(keys for keys in found if keys is not None)


def lint_sources(
    sources: Iterable[Source | SourceError],
    rules: Sequence[Rule],
    settings: Settings,
    *,
    report: Iterable[str] | None = None,
    implicit_tx: Mapping[str, bool] | None = None,
    explain: bool = False,
    edited: Collection[str] = (),
    schema: Schema | None = None,
    keep_models: Callable[[int], bool] | None = None,
    jobs: int | None = None,
    resolve: bool = True,
) -> LintResult:
    """Lint *sources* as one migration history, in the order given.

    Files whose path is not in *report* (when given) only build the schema model; files
    in *edited* were changed after being applied (``edited-applied-migration``).
    *schema* is the model the first source is judged against (a history resumed from a
    cache: the state after the sources before it); the result keeps the model after each
    source position for which *keep_models* is true.

    A large history (see :data:`PARALLEL_MIN_CHARS`) is linted by two processes when
    *jobs* (default: :func:`parallel_jobs`) allows it; the result is the same.
    """
    history = History(list(sources), schema, keep_models)
    return lint_histories(
        [history],
        rules,
        settings,
        report=report,
        implicit_tx=implicit_tx,
        explain=explain,
        edited=edited,
        jobs=jobs,
        resolve=resolve,
    )[0]


@record
class History:
    """One migration history to lint: its sources in order, the model before the first
    (``None``: empty), and which positions' models the result keeps.

    Instead of *items*, *load* may read the sources when they are linted (in the process
    that lints them), with *size* their estimated cost (see :func:`_size`)."""

    items: Sequence[Source | SourceError] = ()
    schema: Schema | None = None
    keep_models: Callable[[int], bool] | None = None
    load: Callable[[], Sequence[Source | SourceError]] | None = None
    size: int | None = None

    def sources(self) -> Sequence[Source | SourceError]:
        return self.load() if self.load is not None else self.items

    def cost(self) -> int:
        return self.size if self.size is not None else _size(self.items)


def lint_histories(
    histories: Sequence[History],
    rules: Sequence[Rule],
    settings: Settings,
    *,
    report: Iterable[str] | None = None,
    implicit_tx: Mapping[str, bool] | None = None,
    explain: bool = False,
    edited: Collection[str] = (),
    jobs: int | None = None,
    resolve: bool = True,
) -> list[LintResult]:
    """Lint independent *histories* (see :func:`lint_sources`): one result each.

    Histories share nothing, so with two processes (:func:`parallel_jobs`) and enough
    input, a forked child lints some of them while this process lints the others; a
    history too large to balance that way is itself split in two (:func:`_lint_in_two`).
    *resolve* False keeps the findings a later migration answers (``linter.state.deferred``;
    for the cache, which stores findings per file).
    """
    if sum(h.cost() for h in histories) > FAST_DECODER_FROM:
        use_fast_decoder()  # (before any fork: both processes have it)
    ruleset = RuleSet(rules, settings)
    wanted = None if report is None else frozenset(report)
    marked = frozenset(edited)
    job_of = [
        _Job(ruleset, settings, wanted, implicit_tx, explain, marked, h.keep_models, resolve)
        for h in histories
    ]
    bins = _balanced_bins(histories, explain, jobs)
    if bins is not None:
        return _lint_bins(job_of, histories, bins)
    return [_lint_history(job, h, explain, jobs) for job, h in zip(job_of, histories, strict=True)]


def _lint_history(job: _Job, history: History, explain: bool, jobs: int | None) -> LintResult:
    items = history.sources()
    start = history.schema if history.schema is not None else Schema()
    split = _split_point(items, explain, jobs)
    if split is not None:
        return _resolved(job, _lint_in_two(job, items, split, start))
    return _resolved(job, job.run(items, 0, len(items), start)[0])


# above this estimated cost of the input (characters), parse trees are decoded with orjson
FAST_DECODER_FROM = 100_000

# what linting one file costs beyond its text, in characters of SQL (measured on the corpus:
# a history's time is ~0.7 x its share of the characters + ~0.3 x its share of the files)
FILE_COST = 250


def _size(items: Sequence[Source | SourceError]) -> int:
    """The estimated cost of linting *items*, in characters."""
    return sum(len(s.text) + FILE_COST if isinstance(s, Source) else 0 for s in items)


def _balanced_bins(
    histories: Sequence[History], explain: bool, jobs: int | None
) -> tuple[list[int], list[int]] | None:
    """Two sets of history positions of similar size (largest first, each to the lighter
    set), or ``None`` when one process should do it all or one history dominates."""
    if len(histories) < 2 or not can_fork(explain, jobs):
        return None
    sizes = [h.cost() for h in histories]
    total = sum(sizes)
    if total < PARALLEL_MIN_CHARS:
        return None
    here: list[int] = []
    there: list[int] = []
    weight = [0, 0]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        side = 0 if weight[0] <= weight[1] else 1
        (here if side == 0 else there).append(i)
        weight[side] += sizes[i]
    if max(weight) > total * BALANCE_LIMIT:
        return None
    return sorted(here), sorted(there)


# the larger of the two sets of histories may hold at most this share of the input;
# beyond it the dominant history is split instead (see ``_lint_in_two``)
BALANCE_LIMIT = 0.62


def _portable(result: LintResult) -> tuple[Any, ...]:
    """What a child process sends back of a :class:`LintResult` (no explain reports)."""
    from ..lockmodel.schema import schema_to_data

    models = {k: schema_to_data(v) for k, v in result.models.items()}
    # plain tuples: pickling a slotted dataclass calls back into Python for each object
    as_tuple = operator.attrgetter(*(f.name for f in fields(Finding)))
    findings = [as_tuple(f) for f in result.findings]
    final: Any = None
    if result.final is not None:
        # the final model is usually also the last kept one: send its position, not a copy
        kept = next((k for k, m in result.models.items() if m is result.final), None)
        final = ("kept", kept) if kept is not None else ("data", schema_to_data(result.final))
    return (findings, result.errors, result.files, result.ends, models, final)


def _unportable(data: Any) -> LintResult:
    from ..lockmodel.schema import schema_from_data

    rows, errors, files, ends, models, final = data
    kept = {k: schema_from_data(v) for k, v in models.items()}
    if final is not None:
        final = kept[final[1]] if final[0] == "kept" else schema_from_data(final[1])
    return LintResult([Finding(*row) for row in rows], errors, files, [], ends, kept, final)


def _lint_bins(
    jobs: Sequence[_Job], histories: Sequence[History], bins: tuple[list[int], list[int]]
) -> list[LintResult]:
    """Lint the histories of ``bins[0]`` here and those of ``bins[1]`` in a forked child."""
    here, there = bins

    def run(i: int) -> LintResult:
        h = histories[i]
        items = h.sources()  # read here: in the process that lints them
        start = h.schema if h.schema is not None else Schema()
        return _resolved(jobs[i], jobs[i].run(items, 0, len(items), start)[0])

    mine, theirs = fork_call(
        lambda: [_portable(run(i)) for i in there], lambda: {i: run(i) for i in here}
    )
    results = dict(mine)
    try:
        if theirs is FAILED:
            raise ValueError("child failed")
        assert isinstance(theirs, list)
        for i, data in zip(there, theirs, strict=True):
            results[i] = _unportable(data)
    except (ValueError, TypeError, KeyError, IndexError):  # a malformed reply
        results.update((i, run(i)) for i in there)
    return [results[i] for i in range(len(histories))]


def _split_point(
    items: Sequence[Source | SourceError], explain: bool, jobs: int | None
) -> int | None:
    if len(items) < PARALLEL_MIN_SOURCES or not can_fork(explain, jobs):
        return None
    sizes = [len(s.text) if isinstance(s, Source) else 0 for s in items]
    total = sum(sizes)
    if total < PARALLEL_MIN_CHARS:
        return None
    goal, seen = total * PARALLEL_SHARE, 0
    kept = uncut(items)  # never between an up migration and its down
    for i, size in enumerate(sizes):
        seen += size
        if seen >= goal and i + 1 not in kept:
            return i + 1 if i + 1 < len(items) else None
    return None


def _lint_in_two(
    job: _Job, items: Sequence[Source | SourceError], split: int, start: Schema
) -> LintResult:
    """Lint ``items[:split]`` here and the rest in a forked child (which first folds
    ``items[:split]`` into the model: parse and apply only)."""

    def child() -> tuple[Any, ...]:
        model, skipped = job.fold(items, split, start)
        part, _, _ = job.run(items, split, len(items), model)
        return (skipped, _portable(part))

    (result, model_here, skipped_here), theirs = fork_call(
        child, lambda: job.run(items, 0, split, start)
    )
    try:
        if theirs is FAILED:
            raise ValueError("child failed")
        assert isinstance(theirs, tuple)
        skipped, data = theirs
        if skipped != skipped_here:
            raise ValueError("the child's model differs")  # a RecursionError in a check
        part = _unportable(data)
    except (ValueError, TypeError, KeyError, IndexError):  # a malformed reply
        part = job.run(items, split, len(items), model_here)[0]
    offset = len(result.findings)
    result.findings.extend(part.findings)
    result.errors.extend(part.errors)
    result.files += part.files
    result.ends.extend(offset + e for e in part.ends)
    result.models.update(part.models)
    result.final = part.final
    return result


def _resolved(job: _Job, result: LintResult) -> LintResult:
    """*result* of a whole history without the deferred findings its final model answers
    (``linter.state.deferred``), when *job* asks for it."""
    if not job.resolve:
        return result
    drop = resolve(result.findings, result.final) if has_deferred(result.findings) else []
    if drop:
        result.findings = without(result.findings, drop)
        result.ends = [end - bisect.bisect_left(drop, end) for end in result.ends]
    result.final = None  # used: no need to keep (or send back) the whole model
    return result


def merge_results(results: Sequence[LintResult]) -> LintResult:
    """One result for several histories, in order."""
    if len(results) == 1:
        return results[0]
    merged = LintResult()
    for part in results:
        merged.findings.extend(part.findings)
        merged.errors.extend(part.errors)
        merged.files += part.files
        merged.statements.extend(part.statements)
    return merged


def _finding_order(f: Finding) -> tuple[int, int, str]:
    return (f.line, f.column, f.code)


def lint_sql(
    sql: str,
    rules: Sequence[Rule],
    settings: Settings | None = None,
    history: Sequence[str] = (),
    path: str = "<sql>",
    *,
    edited_after_applied: bool = False,
    data_steps: tuple[tuple[int, str], ...] = (),
) -> list[Finding]:
    """Lint one SQL text (after *history* files); the library's simplest entry point.

    *edited_after_applied*: the text is a migration changed after it was merged;
    *data_steps*: the lines of its data migrations written in Python (``Source``).
    """
    sources: list[Source | SourceError] = [
        Source(f"<history {i}>", text) for i, text in enumerate(history)
    ]
    sources.append(Source(path, sql, data_steps=data_steps))
    edited = (path,) if edited_after_applied else ()
    return lint_sources(
        sources, rules, settings or Settings(), report=[path], edited=edited
    ).findings


def iter_findings(result: LintResult) -> Iterator[Finding]:
    yield from result.findings
