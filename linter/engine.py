"""Parse once, walk each statement once, dispatch by node type, fold the context."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import pgast
from .context import Context, FileInfo, Report, Settings
from .directives import Suppressions, parse_directives
from .effects import Effects, statement_effects
from .fold import advance_tx, apply_schema, preamble_tx
from .parsing import ParsedFile, Statement, parse
from .rule import Rule, Severity
from .schema import Schema
from .source import Source, SourceError

SYNTAX_ERROR = "syntax-error"
META_COMMAND = "psql-meta-command"
INVALID_SUPPRESSION = "invalid-suppression"
EDITED_APPLIED = "edited-applied-migration"


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(slots=True)
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    files: int = 0
    statements: list[StatementReport] = field(default_factory=list)


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
        self.top_level_only = all(k.endswith("Stmt") for k in self.dispatch)
        self.settings = settings

    def severity(self, rule: Rule) -> Severity:
        override = self.settings.severity.get(rule.name) or self.settings.severity.get(rule.code)
        return Severity(override) if override else rule.severity

    def is_active(self, name: str) -> bool:
        return any(r.name == name for r in self.active)


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
    ) -> None:
        self.rules = rules
        self.source = source
        self.parsed = parsed
        self.schema = schema
        self.report = report
        self.tx = preamble_tx(
            rules.settings.preamble, implicit_tx, schema, rules.settings.target_version
        )
        self.info = FileInfo(
            source.path,
            parsed.lines,
            len(parsed.statements),
            parsed.text,
            tuple(parsed.statements),
        )
        if edited:
            self.info = replace(self.info, edited_after_applied=True)
        self.suppressions: Suppressions = parse_directives(parsed)
        self.file_ignores = _file_ignores(source.path, rules.settings)
        self.findings: list[Finding] = []
        self.explained: list[StatementReport] = []

    # -- findings ------------------------------------------------------------------
    def _suppressed(self, rule: Rule, statement: int | None) -> bool:
        names = frozenset({rule.name, rule.code, *rule.aliases})
        if any(matches(rule, s) for s in self.file_ignores):
            return True
        return self.suppressions.suppressed(statement, names)

    def _emit(
        self, rule: Rule, report: Report, start: int, end: int, statement: int | None
    ) -> Finding | None:
        if not self.report or self._suppressed(rule, statement):
            return None
        line, col = self.parsed.lines.position(start)
        end_line, end_col = self.parsed.lines.position(max(end, start))
        sql = self.parsed.text[start:end] if statement is not None else ""
        finding = Finding(
            self.source.path,
            line,
            col,
            end_line,
            end_col,
            rule.name,
            rule.code,
            self.rules.severity(rule),
            report.message,
            report.help,
            statement,
            sql,
        )
        self.findings.append(finding)
        return finding

    def _engine_rule(self, name: str) -> Rule | None:
        if not self.rules.is_active(name):
            return None
        return self.rules.by_name.get(name)

    # -- the walk --------------------------------------------------------------------
    def run(self, explain: bool = False) -> Schema:
        self._meta_commands()
        self._invalid_suppressions()
        self._edited_after_applied()
        schema = self.schema
        target = self.rules.settings.target_version
        last_ctx: Context | None = None
        for stmt in self.parsed.statements:
            if stmt.node is None:
                self._syntax_error(stmt)
                continue
            before, explained = len(self.findings), len(self.explained)
            try:
                effects = statement_effects(stmt.node, schema, target)
                ctx = Context(self.rules.settings, schema, self.tx, stmt, effects, self.info)
                self._check(stmt, ctx)
                if explain:
                    self._explain(stmt, ctx, before)
                tx = advance_tx(self.tx, stmt.node, stmt.index, effects, schema)
                after = apply_schema(schema, stmt.node)
            except RecursionError:  # a parse tree nested deeper than Python's stack allows
                del self.findings[before:], self.explained[explained:]
                self._too_deep(stmt)
                continue
            self.tx, schema = tx, after
            last_ctx = Context(self.rules.settings, schema, self.tx, stmt, Effects(), self.info)
        if last_ctx is not None:
            for rule in self.rules.active:
                for report in rule.finish(last_ctx):
                    st = last_ctx.statement
                    self._emit(rule, report, st.start, st.end, None)
        return schema.end_file()

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
            wanted = dispatch.get(next(iter(node)))
            if not wanted:
                continue
            for rule in wanted:
                for report in rule.check(node, ctx):
                    self._emit(rule, report, stmt.start, stmt.end, stmt.index)

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
            )
        )

    def _syntax_error(self, stmt: Statement) -> None:
        rule = self._engine_rule(SYNTAX_ERROR)
        if rule is None:
            return
        offset = stmt.error_offset if stmt.error_offset is not None else stmt.start
        message = f"{stmt.error}; the other statements of the file are still linted"
        self._emit(rule, Report(rule.name, message), offset, max(stmt.end, offset), stmt.index)

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

    def _invalid_suppressions(self) -> None:
        rule = self._engine_rule(INVALID_SUPPRESSION)
        if rule is None:
            return
        known: set[str] = set()
        for r in self.rules.all:
            known.update((r.name, r.code, *r.aliases))
        known.update(("all", "style", "safety"))
        for d in self.suppressions.directives:
            for name in d.names:
                if name not in known:
                    message = f"unknown rule `{name}` in a sqlsafe suppression comment"
                    end = self.parsed.text.find("\n", d.offset)
                    self._emit(
                        rule,
                        Report(rule.name, message),
                        d.offset,
                        len(self.parsed.text) if end < 0 else end,
                        None,
                    )


def lint_sources(
    sources: Iterable[Source | SourceError],
    rules: Sequence[Rule],
    settings: Settings,
    *,
    report: Iterable[str] | None = None,
    implicit_tx: Mapping[str, bool] | None = None,
    explain: bool = False,
    edited: Collection[str] = (),
) -> LintResult:
    """Lint *sources* as one migration history, in the order given.

    Files whose path is not in *report* (when given) only build the schema model; files
    in *edited* were changed after being applied (``edited-applied-migration``).
    """
    ruleset = RuleSet(rules, settings)
    wanted = None if report is None else set(report)
    edited_paths = frozenset(edited)
    result = LintResult()
    schema = Schema()
    for source in sources:
        if isinstance(source, SourceError):
            result.errors.append(source)
            continue
        reporting = wanted is None or source.path in wanted
        result.files += reporting
        in_tx = settings.assume_in_transaction
        if source.in_transaction is not None:
            in_tx = source.in_transaction
        if implicit_tx is not None:
            in_tx = implicit_tx.get(source.path, in_tx)
        linter = _FileLinter(
            ruleset,
            source,
            parse(source.text),
            schema,
            reporting,
            in_tx,
            source.path in edited_paths,
        )
        after = linter.run(explain=explain and reporting)
        if source.apply:  # a down migration is linted, never applied to the history
            schema = after
        result.findings.extend(sorted(linter.findings, key=lambda f: (f.line, f.column, f.code)))
        result.statements.extend(linter.explained)
    return result


def lint_sql(
    sql: str,
    rules: Sequence[Rule],
    settings: Settings | None = None,
    history: Sequence[str] = (),
    path: str = "<sql>",
    *,
    edited_after_applied: bool = False,
) -> list[Finding]:
    """Lint one SQL text (after *history* files); the library's simplest entry point.

    *edited_after_applied*: the text is a migration changed after it was merged.
    """
    sources: list[Source | SourceError] = [
        Source(f"<history {i}>", text) for i, text in enumerate(history)
    ]
    sources.append(Source(path, sql))
    edited = (path,) if edited_after_applied else ()
    return lint_sources(
        sources, rules, settings or Settings(), report=[path], edited=edited
    ).findings


def iter_findings(result: LintResult) -> Iterator[Finding]:
    yield from result.findings
