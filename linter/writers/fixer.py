"""``sqlsafe fix``: rewrite what can be rewritten mechanically, and nothing else.

Every change is a text edit inside the span of the statement a finding points at (or an
insertion just after it, or after its transaction's COMMIT, or at the top of the file for
``lock_timeout``): everything else in the file stays byte for byte as it was, comments
included. What must run in a later transaction, or outside any transaction, when the
runner wraps the file in one, goes into new files named per the layout
(:mod:`linter.writers.scaffold_layouts`). Fixing runs until no fixable finding is left, so
fixing a fixed file changes nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast.parser import scan

from ..analysis.engine import Finding, lint_sources
from ..inputs.directives import statement_directive
from ..inputs.layouts import MigrationUnit
from ..inputs.source import Source
from ..rule import Rule
from ..sql import pgast
from ..sql.names import NAMEDATALEN, make_object_name
from ..sql.parsing import ParsedFile, Statement, parse, skip_trivia, statement_count
from ..state.context import Settings
from ..util.records import record
from .scaffold import CIC, DROP_INDEX_NO_TIMEOUT, SUE_SCAN, _render
from .scaffold_layouts import (
    LAYOUT_TABLE,
    FileStep,
    Layout,
    _render_body,
    lock_timeout_sql,
    suppression,
)
from .scaffold_sql import Name, not_null_constraint_name, quote_ident, quote_literal

FIXABLE = (
    "non-concurrent-index",
    "non-concurrent-drop-index",
    "prefer-robust-statements",
    "add-foreign-key",
    "add-check-constraint",
    "set-not-null",
    "require-lock-timeout",
    "require-statement-timeout",
)
TOOL = "sqlsafe fix"
MAX_PASSES = 32  # (a rule may report one statement of a table at a time)


@record
class Edit:
    start: int
    end: int
    text: str


@record
class FixSettings:
    layout: str  # the runner's layout (linter.inputs.layouts name)
    wrapped: bool  # the runner runs this file inside a transaction
    lock_timeout: str = "2s"
    statement_timeout: str = "5s"
    # the runner sends the file as one query string outside a transaction of its own
    # (golang-migrate, Prisma; dbmate and diesel without one): its statements run as one
    # implicit transaction when it holds several, and a lone statement runs outside any
    one_query: bool = False
    # the linter models that implicit transaction (golang-migrate, Prisma)
    modelled: bool = True


@dataclass(slots=True)
class FixResult:
    path: str
    original: str
    fixed: str
    new_steps: list[FileStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original or bool(self.new_steps)


class _Unfixable(Exception):
    """This finding cannot be rewritten mechanically (the reason is the message)."""


# ------------------------------------------------------------------------------ text helpers
def _tokens(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """(name, start, end) of the tokens of ``text[start:end]``, as character offsets."""
    piece = text[start:end]
    raw = piece.encode("utf-8")
    out: list[tuple[str, int, int]] = []
    for tok in scan(piece):
        s = len(raw[: tok.start].decode("utf-8", "ignore"))
        e = len(raw[: tok.end + 1].decode("utf-8", "ignore"))
        out.append((tok.name, start + s, start + e))
    return out


def _after_keyword(text: str, stmt: Statement, keyword: str) -> int:
    for name, _s, e in _tokens(text, stmt.start, stmt.end):
        if name == keyword:
            return e
    raise _Unfixable(f"no {keyword} keyword found")


def _statement_end(text: str, stmt: Statement) -> int:
    """Offset just after the statement's ``;`` (or its last token when it has none)."""
    after = skip_trivia(text, stmt.end)
    if after < len(text) and text[after] == ";":
        return after + 1
    return stmt.end


def _transactions(parsed: ParsedFile) -> dict[int, int | None]:
    """Statement index -> index of the COMMIT that ends its explicit transaction.

    Statements outside an explicit transaction are absent; an unclosed one maps to None.
    """
    out: dict[int, int | None] = {}
    open_members: list[int] | None = None
    for stmt in parsed.statements:
        kind = stmt.fields.get("kind") if stmt.kind == "TransactionStmt" else None
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            open_members = []
            continue
        if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_COMMIT_PREPARED"):
            for member in open_members or ():
                out[member] = stmt.index
            open_members = None
            continue
        if open_members is not None:
            open_members.append(stmt.index)
    for member in open_members or ():
        out[member] = None
    return out


def _identifiers(text: str, stmt: Statement) -> set[str]:
    """The names the statement's tokens spell (unquoted ones folded to lower case)."""
    out: set[str] = set()
    for name, start, end in _tokens(text, stmt.start, stmt.end):
        if name in ("SCONST", "SQL_COMMENT", "C_COMMENT", "ICONST", "FCONST"):
            continue
        word = text[start:end]
        out.add(word[1:-1].replace('""', '"') if word.startswith('"') else word.lower())
    return out


def _targets(stmt: Statement) -> set[str]:
    """The relations (by name, schema left out) a statement drops, renames, moves to
    another schema or drops a column of: an index built on one afterwards would fail."""
    fields = stmt.fields
    if stmt.kind == "DropStmt":
        return {pgast.object_name(o).rsplit(".", 1)[-1] for o in fields.get("objects", [])}
    relation = str((fields.get("relation") or {}).get("relname", ""))
    if stmt.kind in ("RenameStmt", "AlterObjectSchemaStmt"):
        return {relation}
    if stmt.kind == "AlterTableStmt" and any(
        sub == "AT_DropColumn" for sub, _ in pgast.alter_commands(fields)
    ):
        return {relation}
    return set()


def _needs_unique_key(stmt: Statement, table: str) -> bool:
    """Whether the statement may need a unique index on *table*: a foreign key to it,
    INSERT ... ON CONFLICT into it, REFRESH MATERIALIZED VIEW CONCURRENTLY of it."""
    fields = stmt.fields
    relation = (fields.get("relation") or {}).get("relname")
    if stmt.kind == "InsertStmt" and fields.get("onConflictClause") and relation == table:
        return True
    if stmt.kind == "RefreshMatViewStmt" and fields.get("concurrent") and relation == table:
        return True
    for node in pgast.walk(stmt.node):
        if pgast.kind(node) == "Constraint":
            con = node["Constraint"]
            pk = con.get("pktable") or {}
            if con.get("contype") == "CONSTR_FOREIGN" and pk.get("relname") == table:
                return True
    return False


def default_constraint_name(table: str, columns: Sequence[str], label: str) -> str:
    """The name PostgreSQL gives an unnamed constraint when no other constraint of the
    schema has it: ``table_col1_col2_fkey`` (every column of a foreign key),
    ``table_col_check`` (a check on one column) or ``table_check``, cut to 63 bytes the
    way ``makeObjectName`` cuts it (the longer part first)."""
    addition = b""
    for column in columns:  # ChooseForeignKeyConstraintNameAddition
        if addition:
            addition += b"_"
        addition += column.encode("utf-8")[: NAMEDATALEN - 1]
        if len(addition) >= NAMEDATALEN:
            break
    second = addition.decode("utf-8", "ignore") if columns else None
    return make_object_name(table, second, label)


# ------------------------------------------------------------------------------ the fixer
@dataclass(slots=True)
class _Pass:
    text: str
    parsed: ParsedFile
    settings: FixSettings
    wrapped: bool  # the file's statements run in the runner's (or one query's) transaction
    target: int
    layout: Layout | None
    transactions: dict[int, int | None]
    edits: list[Edit] = field(default_factory=list)
    steps: list[FileStep] = field(default_factory=list)
    # where each step comes from: the start of its statement, an offset in ``text``
    anchors: list[int] = field(default_factory=list)
    done: set[tuple[bool, int]] = field(default_factory=set)

    # -- where things go ---------------------------------------------------------------
    def in_transaction(self, stmt: Statement) -> bool:
        return self.wrapped or stmt.index in self.transactions

    def lone_query(self, what: str) -> None:
        """Refuse to add a statement to a file sent as one query that holds one statement:
        it would run in a transaction with it."""
        if self.settings.one_query and not self.wrapped:
            raise _Unfixable(
                f"{self.settings.layout} sends this file as one query: a SET would put its "
                f"statement in a transaction; set {what} on the migration connection"
            )

    def _need_layout(self) -> Layout:
        if self.layout is None:
            raise _Unfixable(
                f"sqlsafe cannot write new {self.settings.layout} migration files: "
                "split the file by hand"
            )
        return self.layout

    def terminated_end(self, stmt: Statement) -> int:
        """Offset just after the statement's ``;``: text inserted there follows a whole
        statement. The file's last statement may have none; it is given one."""
        end = _statement_end(self.text, stmt)
        if end == stmt.end:
            self.edits.append(Edit(end, end, ";"))
        return end

    def later(
        self, stmt: Statement, blocks: Sequence[tuple[str, str, str, str, bool]], names: set[str]
    ) -> None:
        """Run *blocks* (slug, summary, locks, body, quick) in later transactions: in new
        files when the runner wraps the file or sends it as one query (a BEGIN there would
        pull the statements before it into its transaction), unless a later statement of
        the file uses *names* (the constraint) or drops its table."""
        if self.wrapped or self.settings.one_query:
            self._need_layout()
            table = str((stmt.fields.get("relation") or {}).get("relname", ""))
            self.nothing_later_uses(stmt, names, table, "")
            for slug, summary, locks, body, quick in blocks:
                self.steps.append(
                    FileStep(slug, summary, locks, body, True, tool=TOOL, quick=quick)
                )
                self.anchors.append(stmt.start)
            return
        if stmt.index in self.transactions:
            commit = self.transactions[stmt.index]
            if commit is None:
                raise _Unfixable("its transaction is never committed")
            at = self.terminated_end(self.parsed.statements[commit])
        else:
            at = self.terminated_end(stmt)
        # after the rest of the line when only comments follow the statement there
        newline = self.text.find("\n", at)
        line_end = len(self.text) if newline < 0 else newline
        if skip_trivia(self.text, at, line_end) >= line_end and newline >= 0:
            at, before, after = newline + 1, "", "\n"
        else:
            before, after = "\n", ""
        plain = LAYOUT_TABLE["plain"]
        pieces = []
        for _slug, _summary, _locks, body, quick in blocks:
            rendered, _ = _render_body(
                plain,
                [body.strip()],
                True,
                self.settings.lock_timeout,
                self.settings.statement_timeout if quick else None,
            )
            pieces.append(rendered.rstrip("\n"))
        self.edits.append(Edit(at, at, before + "\n".join(pieces) + after))

    def move_out(self, stmt: Statement, new_text: str, slug: str, summary: str, locks: str) -> None:
        """Move the statement (rewritten as *new_text*) into a new non-transactional file."""
        self._need_layout()
        self.keep_order(stmt)
        end = _statement_end(self.text, stmt)
        self.edits.append(
            Edit(stmt.start, end, f"-- sqlsafe fix: moved to its own migration ({summary})")
        )
        self.steps.append(FileStep(slug, summary, locks, new_text + ";\n", False, tool=TOOL))
        self.anchors.append(stmt.start)

    def keep_order(self, stmt: Statement) -> None:
        """Refuse to move the index build or drop *stmt* after the file when a statement
        after it in the file needs it: one that names the index, one that may need the
        unique key the index builds (a foreign key to its table, ON CONFLICT, a concurrent
        refresh), or one that drops or renames the indexed table or drops a column of it."""
        fields = stmt.fields
        unique, table = "", ""
        if stmt.kind == "IndexStmt":
            table = str((fields.get("relation") or {}).get("relname", ""))
            unique = table if fields.get("unique") else ""
            indexes = {str(fields.get("idxname") or "")}
        else:
            indexes = {pgast.object_name(o).rsplit(".", 1)[-1] for o in fields.get("objects", [])}
        self.nothing_later_uses(stmt, indexes, table, unique)

    def nothing_later_uses(self, stmt: Statement, names: set[str], table: str, unique: str) -> None:
        """Refuse to run what *stmt* needs after the file when a statement after it in the
        file names one of *names*, drops or renames *table* or drops a column of it, or may
        need the unique key on *unique* that an index build makes."""
        for later in self.parsed.statements[stmt.index + 1 :]:
            hit = _identifiers(self.text, later) & names
            hit |= _targets(later) & {table}
            if unique and _needs_unique_key(later, unique):
                hit.add(unique)
            hit.discard("")
            if hit:
                what = " ".join(self.text[later.start : later.end].split())[:60]
                raise _Unfixable(
                    f"a later statement of the file uses {sorted(hit)[0]} ({what}...): "
                    "moved to a migration after the file, the statement would run after it"
                )

    # -- per rule ----------------------------------------------------------------------
    def fix(self, finding: Finding) -> None:
        if finding.rule == "require-lock-timeout":
            self.lock_timeout()
            return
        if finding.statement is None:
            raise _Unfixable("the finding is not about one statement")
        stmt = self.parsed.statements[finding.statement]
        if stmt.kind == "DoStmt" and finding.rule != "require-statement-timeout":
            raise _Unfixable("inside a DO block: change the block by hand")
        key = (finding.rule == "require-statement-timeout", stmt.index)
        if key in self.done or (key[0] and (False, stmt.index) in self.done):
            return  # rewritten in this pass: the next pass looks at the new statement
        self.done.add(key)
        handler = {
            "non-concurrent-index": self.concurrent_index,
            "non-concurrent-drop-index": self.concurrent_drop,
            "prefer-robust-statements": self.if_not_exists,
            "add-foreign-key": self.not_valid,
            "add-check-constraint": self.not_valid,
            "set-not-null": self.set_not_null,
            "require-statement-timeout": self.statement_timeout,
        }[finding.rule]
        handler(stmt)

    def concurrent_index(self, stmt: Statement) -> None:
        fields = stmt.fields
        if stmt.kind != "IndexStmt" or fields.get("concurrent"):
            raise _Unfixable("not a plain CREATE INDEX")
        at = _after_keyword(self.text, stmt, "INDEX")
        table = Name(fields["relation"].get("schemaname"), fields["relation"].get("relname", ""))
        name = fields.get("idxname") or f"{table.name}_index"
        # a named concurrent build must be retryable: a failure leaves an INVALID index
        guard = (
            " IF NOT EXISTS" if fields.get("idxname") and not fields.get("if_not_exists") else ""
        )
        self._concurrently(
            stmt,
            at,
            f"create_{name}",
            f"build index {name} on {table}",
            CIC.format(t=table),
            keywords=" CONCURRENTLY" + guard,
        )

    def if_not_exists(self, stmt: Statement) -> None:
        if stmt.kind != "IndexStmt" or stmt.fields.get("if_not_exists"):
            raise _Unfixable("not a CREATE INDEX CONCURRENTLY without IF NOT EXISTS")
        at = _after_keyword(self.text, stmt, "CONCURRENTLY")
        self.edits.append(Edit(at, at, " IF NOT EXISTS"))

    def concurrent_drop(self, stmt: Statement) -> None:
        fields = stmt.fields
        objects = fields.get("objects", [])
        if stmt.kind != "DropStmt" or fields.get("concurrent"):
            raise _Unfixable("not a plain DROP INDEX")
        if len(objects) != 1 or fields.get("behavior") == "DROP_CASCADE":
            raise _Unfixable("DROP INDEX CONCURRENTLY takes one index and no CASCADE")
        at = _after_keyword(self.text, stmt, "INDEX")
        name = pgast.object_name(objects[0]).rsplit(".", 1)[-1]
        self._concurrently(
            stmt,
            at,
            f"drop_{name}",
            f"drop index {name}",
            "SHARE UPDATE EXCLUSIVE on the index's table while the drop waits for "
            "transactions using it: reads and writes go on",
            # moved after the file: a later statement of it may drop the index's column or
            # table (and the index with it), which the drop alone does not name
            moved=" CONCURRENTLY" + ("" if fields.get("missing_ok") else " IF EXISTS"),
        )

    def _concurrently(
        self,
        stmt: Statement,
        at: int,
        slug: str,
        summary: str,
        locks: str,
        keywords: str = " CONCURRENTLY",
        moved: str | None = None,
    ) -> None:
        if not self.in_transaction(stmt):
            self.edits.append(Edit(at, at, keywords))
            return
        keywords = keywords if moved is None else moved
        rewritten = self.text[stmt.start : at] + keywords + self.text[at : stmt.end]
        self.move_out(stmt, rewritten, slug, summary, locks)

    def _single_command(self, stmt: Statement, subtype: str) -> tuple[Name, dict[str, Any]]:
        if stmt.kind != "AlterTableStmt":
            raise _Unfixable("not an ALTER TABLE")
        commands = list(pgast.alter_commands(stmt.fields))
        if len(commands) != 1 or commands[0][0] != subtype:
            raise _Unfixable("the ALTER TABLE does several things: split it first")
        rel = stmt.fields.get("relation") or {}
        return Name(rel.get("schemaname"), rel.get("relname", "")), dict(commands[0][1])

    def not_valid(self, stmt: Statement) -> None:
        table, cmd = self._single_command(stmt, "AT_AddConstraint")
        con = pgast.unwrap(cmd.get("def") or {}, "Constraint")
        kind = con.get("contype")
        if kind not in ("CONSTR_FOREIGN", "CONSTR_CHECK") or con.get("skip_validation"):
            raise _Unfixable("only FOREIGN KEY and CHECK constraints can be added NOT VALID")
        name = con.get("conname")
        if not name:  # the name PostgreSQL would give it: later migrations may use it
            if kind == "CONSTR_FOREIGN":
                cols = pgast.strings(con.get("fk_attrs"))
                name = default_constraint_name(table.name, cols, "fkey")
            else:
                refs = tuple(pgast.column_refs(con.get("raw_expr") or {}))
                name = default_constraint_name(table.name, refs if len(refs) == 1 else (), "check")
            tokens = _tokens(self.text, stmt.start, stmt.end)
            add = next((i for i, t in enumerate(tokens) if t[0] == "ADD_P"), None)
            if add is None or add + 1 >= len(tokens):
                raise _Unfixable("no ADD keyword found")
            at = tokens[add + 1][1]
            if tokens[add + 1][0] == "CONSTRAINT":
                raise _Unfixable("unexpected constraint syntax")
            self.edits.append(Edit(at, at, f"CONSTRAINT {quote_ident(name)} "))
        self.edits.append(Edit(stmt.end, stmt.end, " NOT VALID"))
        qname = quote_ident(name)
        self.later(
            stmt,
            [
                (
                    f"validate_{name}",
                    f"validate {name} against the existing rows",
                    SUE_SCAN.format(t=table),
                    _render("validate", table=table.sql, constraints=[qname]),
                    False,
                )
            ],
            {name},
        )

    def set_not_null(self, stmt: Statement) -> None:
        if self.target < 12:
            raise _Unfixable("before PostgreSQL 12, SET NOT NULL scans even with a valid CHECK")
        table, cmd = self._single_command(stmt, "AT_SetNotNull")
        column = cmd.get("name", "")
        qcol = quote_ident(column, "column")
        check = not_null_constraint_name(table.name, column, self.target)
        qcheck = quote_ident(check)
        if self.target >= 18:
            added = f"ALTER TABLE {table.sql} ADD CONSTRAINT {qcheck} NOT NULL {qcol} NOT VALID"
        else:
            added = (
                f"ALTER TABLE {table.sql} ADD CONSTRAINT {qcheck} CHECK ({qcol} IS NOT NULL) "
                "NOT VALID"
            )
        self.edits.append(Edit(stmt.start, stmt.end, added))
        blocks = [
            (
                f"validate_{check}",
                f"validate {check}: {column} holds no NULL",
                SUE_SCAN.format(t=table),
                _render("validate", table=table.sql, constraints=[qcheck]),
                False,
            )
        ]
        if self.target < 18:
            blocks.append(
                (
                    f"set_not_null_{table.name}_{column}",
                    f"mark {column} NOT NULL using the validated check, then drop the check",
                    f"ACCESS EXCLUSIVE on {table} for an instant: the validated check spares "
                    "the scan",
                    _render(
                        "set_not_null",
                        table=table.sql,
                        column=qcol,
                        check=qcheck,
                        suppress=suppression(
                            "the column is NOT NULL now; the check is redundant",
                            "drop-constraint",
                        ),
                    ),
                    True,
                )
            )
        self.later(stmt, blocks, {check})

    def statement_timeout(self, stmt: Statement) -> None:
        """``SET statement_timeout`` just before the statement, ``RESET`` just after it."""
        line_start = self.text.rfind("\n", 0, stmt.start) + 1
        if stmt.kind == "DropStmt" and stmt.fields.get("concurrent"):
            # a timeout would cancel the wait for older transactions, which blocks nobody
            note = suppression(DROP_INDEX_NO_TIMEOUT, "require-statement-timeout")
            if self.text[line_start : stmt.start].strip() or not note:
                raise _Unfixable("a concurrent drop waits for older transactions by design")
            self.edits.append(Edit(line_start, line_start, note))
            return
        self.lone_query("statement_timeout")
        value = quote_literal(self.settings.statement_timeout)
        sql = f"SET statement_timeout = {value};"
        directive = statement_directive(self.text, stmt.lead, stmt.start)
        if directive is not None:  # it belongs to the statement: the SET goes above it
            at = self.text.rfind("\n", 0, directive) + 1
            if self.text[at:directive].strip():
                raise _Unfixable("a suppression comment shares the line before the statement")
            self.edits.append(Edit(at, at, sql + "\n"))
        elif self.text[line_start : stmt.start].strip():
            self.edits.append(Edit(stmt.start, stmt.start, sql + " "))
        else:
            self.edits.append(Edit(stmt.start, stmt.start, sql + "\n"))
        end = self.terminated_end(stmt)
        self.edits.append(Edit(end, end, " RESET statement_timeout;"))

    def lock_timeout(self) -> None:
        if (True, -1) in self.done:
            return
        self.done.add((True, -1))
        self.lone_query("lock_timeout")
        first = self.parsed.statements[0].start if self.parsed.statements else len(self.text)
        at = skip_trivia(self.text, 0)
        at = min(at, first)
        # a `-- sqlsafe: ignore` in the leading comments belongs to the first statement:
        # the SET goes above it, not between the two
        directive = statement_directive(self.text, 0, at)
        if directive is not None:
            at = directive
        line_start = self.text.rfind("\n", 0, at) + 1
        # one query's implicit transaction: SET LOCAL keeps the value out of the migrations
        # that follow on the connection (a COMMIT in the file would end it early)
        local = self.settings.one_query and self.settings.modelled
        local = local and not any(s.kind == "TransactionStmt" for s in self.parsed.statements)
        sql = lock_timeout_sql(self.settings.lock_timeout, local=local)
        if self.text[line_start:at].strip():
            self.edits.append(Edit(at, at, sql + " "))
        else:
            self.edits.append(Edit(line_start, line_start, sql + "\n"))


def _apply(text: str, edits: Sequence[Edit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise _Unfixable("overlapping edits")
    out = text
    for edit in reversed(ordered):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out


def fix_source(
    source: Source,
    history: Sequence[Source],
    rules: Sequence[Rule],
    settings: Settings,
    fix: FixSettings,
    original: str | None = None,
    select: Callable[[Finding], bool] | None = None,
) -> FixResult:
    """Fix one migration (*source*; its text may blank sections the runner skips).

    *original* is the file's real text (same offsets as ``source.text``); edits are made
    to both. Returns the fixed file text and the steps that go into new files.
    *select*: fix only the findings it accepts, in one pass (an editor's quick fix for
    one finding; the notes then list nothing).
    """
    real = source.text if original is None else original
    text = source.text
    result = FixResult(source.path, real, real)
    layout = LAYOUT_TABLE.get(fix.layout)
    moved: list[tuple[int, FileStep]] = []  # (where in ``text`` it comes from, the step)
    applied: list[Sequence[Edit]] = []  # each pass's edits, to find a line of the file as given
    left: list[tuple[Finding, str]] | None = None  # what the last pass could not fix, and why
    for _ in range(MAX_PASSES if select is None else 1):
        findings = _lint(source, text, history, rules, settings, fix)
        parsed = parse(text)
        wrapped = _wrapped(fix, text)
        work = _Pass(
            text, parsed, fix, wrapped, settings.target_version, layout, _transactions(parsed)
        )
        # rewrites first: a timeout is only added around a statement left as it is
        findings.sort(key=lambda f: f.rule in ("require-lock-timeout", "require-statement-timeout"))
        reasons: dict[tuple[str, int | None], str] = {}
        for finding in findings:
            if finding.rule not in FIXABLE or (select is not None and not select(finding)):
                continue
            try:
                before = (len(work.edits), len(work.steps))
                work.fix(finding)
            except _Unfixable as exc:
                del work.edits[before[0] :], work.steps[before[1] :], work.anchors[before[1] :]
                reasons.setdefault((finding.rule, finding.statement), str(exc))
        left = [
            (f, reasons.get((f.rule, f.statement), "sqlsafe fix has no rewrite for it"))
            for f in findings
        ]
        if not work.edits and not work.steps:
            break
        try:
            text = _apply(text, work.edits)
            real = _apply(real, work.edits)
        except _Unfixable:
            break
        applied.append(work.edits)
        moved.extend(zip(work.anchors, work.steps, strict=True))
        moved = [(_shifted(anchor, work.edits), step) for anchor, step in moved]
        left = None
    if select is not None:
        left = []
    elif left is None:  # (still changing after MAX_PASSES)
        findings = _lint(source, text, history, rules, settings, fix)
        left = [(f, "fixing it did not settle") for f in findings]
    result.notes.extend(_not_fixed(source.path, left, text, applied, result.original))
    # the new files run in the order their statements had in the file, whichever pass
    # moved them (stable: the blocks of one statement keep their order)
    result.new_steps.extend(step for _, step in sorted(moved, key=lambda item: item[0]))
    if real != result.original and "\r\n" in result.original:
        real = _line_endings_of(result.original, real)
    result.fixed = real
    return result


def unit_fix_settings(
    unit: MigrationUnit, wrapped: bool, timeout: str, statement: str
) -> FixSettings:
    """How the runner sends the file: golang-migrate and Prisma send it as one query unless
    a comment says the file runs in a transaction; dbmate and diesel when they do not wrap
    it (see :func:`linter.scaffold_layouts.runner_batches`)."""
    layout = LAYOUT_TABLE.get(unit.layout)
    one_query = layout is not None and layout.one_statement_outside_tx
    one_query = one_query and (unit.single_query or not wrapped)
    return FixSettings(
        unit.layout, wrapped, timeout, statement, one_query=one_query, modelled=unit.single_query
    )


def fix_unit(
    unit: MigrationUnit,
    history: Sequence[Source],
    rules: Sequence[Rule],
    settings: Settings,
    timeouts: tuple[str, str],
    original: str | None = None,
    select: Callable[[Finding], bool] | None = None,
) -> FixResult:
    """:func:`fix_source` for one migration unit, run as its runner runs it (in a
    transaction or not; *timeouts*: the lock and statement timeouts the fixes set)."""
    wrapped = unit.in_transaction
    if wrapped is None:
        wrapped = settings.assume_in_transaction
    fix = unit_fix_settings(unit, wrapped, *timeouts)
    return fix_source(unit.source(), history, rules, settings, fix, original, select)


def _wrapped(fix: FixSettings, text: str) -> bool:
    """Whether the file's statements run in one transaction the runner opens: a file sent
    as one query is one implicit transaction once it holds several statements."""
    return statement_count(text) > 1 if fix.one_query else fix.wrapped


def _lint(
    source: Source,
    text: str,
    history: Sequence[Source],
    rules: Sequence[Rule],
    settings: Settings,
    fix: FixSettings,
) -> list[Finding]:
    """The findings of *text* as the runner runs it (one query: one implicit transaction)."""
    wrapped = _wrapped(fix, text)
    single = fix.one_query and wrapped
    current = Source(source.path, text, wrapped, source.apply, single)
    return lint_sources([*history, current], rules, settings, report=[source.path]).findings


def _not_fixed(
    path: str,
    left: Sequence[tuple[Finding, str]],
    text: str,
    applied: Sequence[Sequence[Edit]],
    original: str,
) -> list[str]:
    """One line per finding left in the fixed file, at its line in the file as given."""
    out: list[str] = []
    seen: set[tuple[str, int]] = set()
    for finding, reason in sorted(left, key=lambda item: (item[0].line, item[0].column)):
        offset = _offset(text, finding.line, finding.column)
        for edits in reversed(applied):
            offset = _unshifted(offset, edits)
        line = original.count("\n", 0, offset) + 1
        if (finding.rule, line) not in seen:
            seen.add((finding.rule, line))
            out.append(f"{path}:{line}: {finding.rule} not fixed: {reason}")
    return out


def _offset(text: str, line: int, column: int) -> int:
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return min(at + max(column - 1, 0), len(text))


def _unshifted(offset: int, edits: Sequence[Edit]) -> int:
    """Where *offset* (in the text once *edits* are applied) was before them: text an edit
    inserted comes from where the edit starts."""
    delta = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        start = edit.start + delta
        if offset < start:
            break
        if offset < start + len(edit.text):
            return edit.start
        delta += len(edit.text) - (edit.end - edit.start)
    return offset - delta


def _shifted(offset: int, edits: Sequence[Edit]) -> int:
    """Where *offset* is once *edits* are applied (edits that end at or before it move
    it; the one that replaces a moved statement starts there and leaves it in place)."""
    return offset + sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= offset)


def _line_endings_of(original: str, fixed: str) -> str:
    """*fixed* with the inserted lines ending like *original*'s lines, when every one of
    those ends in CRLF (the edits insert bare newlines)."""
    if original.count("\r\n") != original.count("\n"):
        return fixed
    return re.sub(r"(?<!\r)\n", "\r\n", fixed)
