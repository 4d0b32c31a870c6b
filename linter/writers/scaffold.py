"""Safe migrations written for you: each pattern as an ordered list of steps.

A step is a body of SQL rendered from ``templates/scaffold/*.sql.j2`` plus what it does,
what it locks and whether it must run outside a transaction; :mod:`linter.writers.scaffold_layouts`
turns steps into the files of one migration runner.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream

from ..util.records import record
from ..util.templating import environment
from .scaffold_layouts import Change, FileStep
from .scaffold_sql import (
    InvalidInput,
    Name,
    assignments,
    column_name,
    condition,
    derived_name,
    dollar_quote,
    expression,
    lock_timeout_value,
    not_null_constraint_name,
    parse_name,
    quote_ident,
    quote_literal,
    reference,
    sql_type,
    volatile_call,
)

DEFAULT_LOCK_TIMEOUT = "2s"
DEFAULT_STATEMENT_TIMEOUT = "5s"


def timeouts(extra: Mapping[str, Any], lock_timeout: str | None) -> tuple[str, str]:
    """(lock_timeout, statement_timeout) for generated migrations: the option, else the
    config keys (``Config.extra``), else the defaults."""
    return (
        lock_timeout_value(lock_timeout or extra.get("lock-timeout") or DEFAULT_LOCK_TIMEOUT),
        lock_timeout_value(extra.get("statement-timeout") or DEFAULT_STATEMENT_TIMEOUT),
    )


AEL_INSTANT = (
    "ACCESS EXCLUSIVE on {t} for an instant (catalog change only: no rewrite, no scan); "
    "lock_timeout makes it give up instead of queueing reads behind it"
)
SUE_SCAN = "SHARE UPDATE EXCLUSIVE on {t} while every row is checked: reads and writes go on"
CIC = (
    "SHARE UPDATE EXCLUSIVE on {t} during the build (two scans, then a wait for older "
    "transactions): reads and writes go on"
)
DROP_INDEX_NO_TIMEOUT = (
    "no statement_timeout: the drop waits for transactions using the index "
    "and blocks no reads or writes meanwhile"
)
BATCHES = (
    "ROW EXCLUSIVE on {t} and the row locks of one batch at a time; every batch commits, "
    "so no lock is held for long"
)


@record
class Options:
    """Settings shared by every pattern."""

    target_version: int = 15
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    statement_timeout: str = DEFAULT_STATEMENT_TIMEOUT
    tool: str = "sqlsafe"


def _render(template: str, **context: Any) -> str:
    return environment().get_template(f"scaffold/{template}.sql.j2").render(**context)


def _tag(*texts: str) -> str:
    opening, _ = dollar_quote("".join(texts))
    return opening


@record
class Backfill:
    """A batched backfill of one table (UPDATE ... SET, or INSERT INTO a copy)."""

    table: Name
    set: Sequence[tuple[str, str]] = ()  # (quoted column, expression)
    where: str | None = None
    key: str = "id"
    batch_size: int = 1000
    sleep: float = 0.0
    insert_into: Name | None = None
    job: str | None = None

    @property
    def job_name(self) -> str:
        """The job's key in ``sqlsafe_backfill``: a label, then a hash of what it computes.

        Table, assignments, condition, key column and copy target are printed back from
        their parse trees, so the same job written differently keeps its name (and a rerun
        resumes it) while another ``--set`` or ``--where`` on the same column is a new job
        that starts from the first row. Batch size and sleep change only the pace.
        """
        label = self.job or f"{self.table}:" + ",".join(c for c, _ in self.set)
        computes = [
            self.table.sql,
            [list(pair) for pair in self.set],
            self.where,
            self.key,
            self.insert_into.sql if self.insert_into else None,
        ]
        digest = hashlib.sha1(json.dumps(computes).encode("utf-8")).hexdigest()[:10]
        return f"{label}#{digest}"

    def body(self, lock_timeout: str) -> str:
        if self.batch_size < 1:
            raise InvalidInput("--batch-size must be at least 1")
        if self.sleep < 0:
            raise InvalidInput("--sleep must not be negative")
        job = self.job_name
        user = [v for _, v in self.set] + [self.where or ""]
        sleep = f"{self.sleep:g}" if self.sleep else ""
        return _render(
            "backfill",
            tag=_tag(*user, job),
            table=self.table.sql,
            key=quote_ident(self.key, "key column"),
            key_label=self.key.replace("%", "%%").replace("'", "''"),
            job=quote_literal(job),
            lock_timeout=quote_literal(lock_timeout),
            assignments=list(self.set),
            where=self.where,
            batch_size=self.batch_size,
            sleep=sleep,
            insert_into=self.insert_into.sql if self.insert_into else None,
        )

    def step(self, options: Options, slug: str, summary: str) -> FileStep:
        return FileStep(
            slug,
            summary,
            BATCHES.format(t=self.table),
            self.body(options.lock_timeout),
            transactional=False,
            tool=options.tool,
        )


def backfill(
    table: str,
    set_: Sequence[str],
    where: str | None,
    batch_size: int,
    sleep: float,
    key: str,
    options: Options,
) -> list[FileStep]:
    name = parse_name(table)
    pairs: list[tuple[str, str]] = []
    for text in set_:
        pairs.extend((quote_ident(c, "column"), v) for c, v in assignments(text))
    if not pairs:
        raise InvalidInput("pass at least one --set 'column = expression'")
    job = Backfill(
        name,
        pairs,
        condition(where) if where else None,
        column_name(key),
        batch_size,
        sleep,
    )
    columns = "_".join(c for c, _ in assignments(set_[0])) if set_ else "rows"
    return [
        job.step(options, f"backfill_{name.name}_{columns}", f"backfill {name} in batches"),
        analyze_step(name, options),
    ]


def analyze_step(table: Name, options: Options) -> FileStep:
    return FileStep(
        f"analyze_{table.name}",
        f"refresh the planner statistics of {table}",
        f"SHARE UPDATE EXCLUSIVE on {table} while rows are sampled: reads and writes go on",
        _render("analyze", table=table.sql),
        transactional=True,
        tool=options.tool,
    )


def _referenced(text: str) -> tuple[str, str]:
    """(printed table, column) of ``--references TABLE(COL)``."""
    table, column = reference(text)
    return table.sql, column


# ------------------------------------------------------------------------------ indexes
@record
class IndexSpec:
    table: Name
    columns: tuple[str, ...]  # printed index elements
    column_names: tuple[str, ...]  # for naming
    unique: bool = False
    where: str | None = None
    using: str | None = None
    name: Name | None = None

    @property
    def index(self) -> Name:
        if self.name is not None:
            return self.name
        suffix = "key" if self.unique else "idx"
        return self.table.sibling(derived_name(self.table.name, *self.column_names, suffix=suffix))


def index_element(text: str) -> tuple[str, str]:
    """(printed element, name part): a column name or a parenthesised expression."""
    stripped = text.strip()
    if stripped.startswith("("):
        printed = expression(stripped, "index expression")
        return f"({printed})", "expr"
    name = column_name(stripped)
    return quote_ident(name, "column"), name


def _using(method: str | None) -> str | None:
    if method is None:
        return None
    if not method.isidentifier() or not method.isascii():
        raise InvalidInput(f"index method {method!r} must be a plain name such as btree or gin")
    return quote_ident(method.lower(), "index method")


def index_steps(
    spec: IndexSpec,
    options: Options,
    partitions: Sequence[str] = (),
    advice: bool = True,
    partial_of_partitioned: bool = False,
) -> list[FileStep]:
    index = spec.index
    common = {
        "table": spec.table.sql,
        "table_literal": spec.table.literal,
        "columns": ", ".join(spec.columns),
        "unique": spec.unique,
        "where": spec.where,
        "using": spec.using,
    }
    kind = "unique index" if spec.unique else "index"
    plain = not (spec.unique or spec.where or spec.using or "expr" in spec.column_names)
    plain = plain and not partial_of_partitioned
    if not partitions:
        body = _render(
            "create_index",
            index=quote_ident(index.name),
            index_literal=index.literal,
            tag=_tag(spec.where or "", *spec.columns),
            advice=advice,
            **common,
        )
        return [
            FileStep(
                f"create_{index.name}",
                f"build {kind} {index} on {spec.table} without blocking writes",
                CIC.format(t=spec.table),
                body,
                transactional=False,
                tool=options.tool,
                changes=(
                    Change(
                        "add_index",
                        spec.table.sql,
                        name=index.sql,
                        columns=spec.column_names,
                        plain=plain,
                    ),
                ),
            )
        ]
    steps = [
        FileStep(
            f"create_{index.name}_parent",
            f"create {kind} {index} on the partitioned table {spec.table} only (ON ONLY)",
            f"SHARE on {spec.table} alone for an instant (no partition is touched)",
            _render("index_on_only", index=index.sql, **common),
            transactional=True,
            quick=True,
            tool=options.tool,
            changes=(Change("add_index", spec.table.sql, name=index.sql, partitioned=True),),
        )
    ]
    children: list[str] = []
    for text in partitions:
        part = parse_name(text, "partition")
        if part.schema is None and spec.table.schema:
            part = Name(spec.table.schema, part.name)
        child = part.sibling(
            derived_name(part.name, *spec.column_names, suffix="key" if spec.unique else "idx")
        )
        children.append(child.sql)
        child_spec = IndexSpec(
            part, spec.columns, spec.column_names, spec.unique, spec.where, spec.using, child
        )
        steps.extend(index_steps(child_spec, options, advice=False, partial_of_partitioned=True))
    steps.append(
        FileStep(
            f"attach_{index.name}",
            f"attach the partitions' indexes to {index}; it becomes valid with the last one",
            f"SHARE UPDATE EXCLUSIVE on {spec.table} and each partition for an instant",
            _render("attach_index", index=index.sql, children=children),
            transactional=True,
            quick=True,
            tool=options.tool,
            # undone by dropping the parent index, which drops the attached ones with it
            changes=(Change("add_index", spec.table.sql, name=index.sql, partitioned=True),),
        )
    )
    return steps


def new_index(
    table: str,
    columns: Sequence[str],
    unique: bool,
    where: str | None,
    using: str | None,
    name: str | None,
    partitions: Sequence[str],
    options: Options,
) -> list[FileStep]:
    if not columns:
        raise InvalidInput("name at least one column (or a parenthesised expression)")
    tname = parse_name(table)
    elements = [index_element(c) for c in columns]
    spec = IndexSpec(
        tname,
        tuple(e for e, _ in elements),
        tuple(n for _, n in elements),
        unique,
        condition(where) if where else None,
        _using(using),
        tname.sibling(column_name(name)) if name else None,
    )
    return index_steps(spec, options, partitions)


def drop_index(name: str, options: Options) -> list[FileStep]:
    index = parse_name(name, "index")
    return [
        FileStep(
            f"drop_{index.name}",
            f"drop index {index} without blocking reads or writes",
            "SHARE UPDATE EXCLUSIVE on the index's table while the drop waits for "
            "transactions using it: reads and writes go on",
            _render(
                "drop_index",
                index=index.sql,
                index_literal=index.literal,
                suppress="",  # require-statement-timeout knows a concurrent drop blocks no one
            ),
            transactional=False,
            tool=options.tool,
            changes=(Change("drop_index", name=index.sql),),
        )
    ]


# ---------------------------------------------------------------------------- columns
@record
class Constraint:
    name: str
    definition: str


@record
class ColumnPlan:
    """What ``new-column`` was asked for, validated and printed."""

    table: Name
    column: str
    type: str
    default: str | None = None
    volatile: str | None = None
    not_null: bool = False
    unique: bool = False
    index: bool = False
    references: tuple[Name, str] | None = None
    backfill: str | None = None
    notes: list[str] = field(default_factory=list)


def new_column(
    table: str,
    column: str,
    type_: str,
    options: Options,
    *,
    default: str | None = None,
    not_null: bool = False,
    unique: bool = False,
    index: bool = False,
    references: str | None = None,
    backfill_expr: str | None = None,
    batch_size: int = 1000,
    sleep: float = 0.0,
    key: str = "id",
) -> list[FileStep]:
    tname = parse_name(table)
    col = column_name(column)
    qcol = quote_ident(col, "column")
    printed_type = sql_type(type_)
    default_sql = expression(default, "default") if default is not None else None
    volatile = volatile_call(default) if default is not None else None
    fill = expression(backfill_expr, "backfill expression") if backfill_expr else None
    if volatile and fill is None:
        fill = default_sql
    if not_null and default_sql is None and fill is None:
        raise InvalidInput(
            "--not-null needs --default or --backfill: the rows already in the table "
            "need a value before NOT NULL can be proved"
        )
    steps: list[FileStep] = []
    t = str(tname)
    steps.append(
        FileStep(
            f"add_{tname.name}_{col}",
            f"add column {col} to {t}"
            + (" (nullable for now)" if not_null else "")
            + (" with its default for new rows" if default_sql else ""),
            AEL_INSTANT.format(t=t),
            _render(
                "add_column",
                table=tname.sql,
                column=qcol,
                type=printed_type,
                default=None if volatile else default_sql,
                volatile_default=default_sql if volatile else None,
                volatile_call=volatile or "",
            ),
            transactional=True,
            quick=True,
            tool=options.tool,
            changes=(
                Change(
                    "add_column",
                    tname.sql,
                    column=col,
                    type=printed_type,
                    foreign=((col, *_referenced(references)),) if references else (),
                ),
            ),
        )
    )
    if fill is not None:
        where = f"{qcol} IS NULL" if (volatile or default_sql is None) else None
        job = Backfill(tname, [(qcol, fill)], where, column_name(key), batch_size, sleep)
        steps.append(
            FileStep(
                f"backfill_{tname.name}_{col}",
                f"fill {col} for the rows already in {t}, in batches",
                BATCHES.format(t=t),
                job.body(options.lock_timeout),
                transactional=False,
                before=None
                if default_sql is not None
                else f"deploy the application code that writes {col} for new rows",
                tool=options.tool,
                changes=(Change("data", tname.sql),),
            )
        )
    if unique or index or references:
        spec = IndexSpec(tname, (qcol,), (col,), unique)
        steps.extend(index_steps(spec, options, advice=False))
    constraints: list[Constraint] = []
    added: list[Change] = []
    validate: list[str] = []
    if references:
        ref_table, ref_col = reference(references)
        fk = derived_name(tname.name, col, suffix="fkey")
        constraints.append(
            Constraint(
                quote_ident(fk),
                f"FOREIGN KEY ({qcol}) REFERENCES {ref_table.sql} ({quote_ident(ref_col)})",
            )
        )
        validate.append(quote_ident(fk))
        added.append(Change("add_constraint", tname.sql, column=col, name=fk))
    check = not_null_constraint_name(tname.name, col, options.target_version)
    if not_null:
        if options.target_version >= 18:
            constraints.append(Constraint(quote_ident(check), f"NOT NULL {qcol}"))
        else:
            constraints.append(Constraint(quote_ident(check), f"CHECK ({qcol} IS NOT NULL)"))
        validate.append(quote_ident(check))
        added.append(Change("add_constraint", tname.sql, column=col, name=check))
    proves_not_null = (Change("set_not_null", tname.sql, column=col, type=printed_type),)
    if constraints:
        locks = AEL_INSTANT.format(t=t)
        if references:
            locks = (
                f"SHARE ROW EXCLUSIVE on {t} and on the referenced table for an instant "
                f"(ACCESS EXCLUSIVE on {t} when a CHECK is added); no row is checked yet"
            )
        before = None
        if not_null and default_sql is None:
            before = (
                f"the application writes {col} on every insert (the constraint applies to new "
                "rows at once)"
            )
        steps.append(
            FileStep(
                f"constrain_{tname.name}_{col}",
                f"add the constraints on {col} NOT VALID (new rows are checked from now on)",
                locks,
                _render("add_constraints", table=tname.sql, constraints=constraints),
                transactional=True,
                quick=True,
                before=before,
                tool=options.tool,
                changes=tuple(added),
            )
        )
        steps.append(
            FileStep(
                f"validate_{tname.name}_{col}",
                f"validate the constraints on {col} against the existing rows",
                SUE_SCAN.format(t=t)
                + (" (ROW SHARE on the referenced table)" if references else ""),
                _render("validate", table=tname.sql, constraints=validate),
                transactional=True,
                tool=options.tool,
                # PostgreSQL 18: the validated NOT NULL constraint marks the column NOT NULL
                changes=proves_not_null if not_null and options.target_version >= 18 else (),
            )
        )
    if not_null and 12 <= options.target_version < 18:
        steps.append(
            FileStep(
                f"set_not_null_{tname.name}_{col}",
                f"mark {col} NOT NULL using the validated check, then drop the check",
                f"ACCESS EXCLUSIVE on {t} for an instant: the validated check spares the scan",
                _render(
                    "set_not_null",
                    table=tname.sql,
                    column=qcol,
                    check=quote_ident(check),
                    suppress="",  # drop-constraint knows the check is redundant after SET NOT NULL
                ),
                transactional=True,
                quick=True,
                tool=options.tool,
                changes=proves_not_null,
            )
        )
    steps.append(analyze_step(tname, options))
    return steps


_ZOD = {
    "text": "z.string()",
    "varchar": "z.string()",
    "bpchar": "z.string()",
    "citext": "z.string()",
    "uuid": "z.string().uuid()",
    "int2": "z.number().int()",
    "int4": "z.number().int()",
    "int8": "z.bigint()",
    "float4": "z.number()",
    "float8": "z.number()",
    "numeric": "z.string()",
    "bool": "z.boolean()",
    "date": "z.coerce.date()",
    "timestamp": "z.coerce.date()",
    "timestamptz": "z.coerce.date()",
    "json": "z.unknown()",
    "jsonb": "z.unknown()",
}


def zod_field(column: str, type_: str, not_null: bool, has_default: bool) -> str:
    """The Zod schema entry for the column (as node-postgres returns it)."""
    from ..sql import pgast
    from ..sql.parsing import parse

    printed = sql_type(type_)
    parsed = parse(f"CREATE TABLE _z (_c {printed})")
    node = parsed.statements[0].fields
    coldef = pgast.unwrap(node["tableElts"][0], "ColumnDef")
    ref = pgast.type_ref(coldef.get("typeName"))
    base = ref.name if ref is not None else ""
    array = ref is not None and ref.array
    schema = _ZOD.get(base, "z.unknown()")
    if base == "varchar" and ref is not None and ref.mods and ref.mods[0] is not None:
        schema = f"z.string().max({ref.mods[0]})"
    if array:
        schema = f"z.array({schema})"
    if not not_null:
        schema += ".nullable()"
    if has_default:
        schema += ".optional()"
    key = column if column.isidentifier() else repr(column)
    return f"{key}: {schema},"


# ------------------------------------------------------------------------------ tables
def _column_spec(text: str) -> tuple[str, str, tuple[str, str, bool]]:
    """(name, printed definition, (name, printed type, NOT NULL)) from
    ``"name type [not null] [default ...]"``."""
    try:
        stmts = parse_sql(f"CREATE TABLE _sqlsafe_probe ({text})")
    except ParseError as exc:
        raise InvalidInput(f"--column {text!r} is not a column definition: {exc.args[0]}") from None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    elts: list[Any] = list(getattr(stmt, "tableElts", None) or ())
    if stmt is None or type(stmt).__name__ != "CreateStmt" or len(elts) != 1:
        raise InvalidInput(f"--column {text!r} must be one column: name type [not null] ...")
    coldef = elts[0]
    if type(coldef).__name__ != "ColumnDef":
        raise InvalidInput(f"--column {text!r} must be one column: name type [not null] ...")
    allowed = {"CONSTR_NOTNULL", "CONSTR_NULL", "CONSTR_DEFAULT", "CONSTR_CHECK", "CONSTR_UNIQUE"}
    for con in coldef.constraints or ():
        if con.contype.name not in allowed:
            raise InvalidInput(
                f"--column {text!r}: only NOT NULL, DEFAULT, CHECK and UNIQUE are allowed here "
                "(foreign keys go in --references)"
            )
    not_null = any(con.contype.name == "CONSTR_NOTNULL" for con in coldef.constraints or ())
    shape = (coldef.colname, str(RawStream()(coldef.typeName)), not_null)
    return coldef.colname, str(RawStream()(coldef)), shape


def new_table(
    table: str,
    columns: Sequence[str],
    references: Sequence[str],
    indexes: Sequence[str],
    grants: Sequence[str],
    options: Options,
) -> list[FileStep]:
    tname = parse_name(table)
    printed: list[str] = []
    shapes: list[tuple[str, str, bool]] = [("id", "bigint", True)]
    names: set[str] = set()
    for text in columns:
        name, definition, shape = _column_spec(text)
        shapes.append(shape)
        if name in ("id", "created_at", "updated_at") or name in names:
            raise InvalidInput(
                f"column {name!r} is given twice (id, created_at and updated_at are always added)"
            )
        names.add(name)
        printed.append(definition)
    fks: list[dict[str, str]] = []
    foreign: list[tuple[str, str, str]] = []
    index_cols: list[str] = []
    for text in references:
        column, sep, target = text.partition("=")
        if not sep:
            raise InvalidInput(f"--references {text!r} must look like COLUMN=TABLE(COLUMN)")
        col = column_name(column)
        if col not in names:
            raise InvalidInput(f"--references {text!r}: {col!r} is not one of the --column names")
        ref_table, ref_col = reference(target)
        foreign.append((col, ref_table.sql, ref_col))
        fks.append(
            {
                "name": quote_ident(derived_name(tname.name, col, suffix="fkey")),
                "column": quote_ident(col),
                "table": ref_table.sql,
                "ref_column": quote_ident(ref_col),
            }
        )
        index_cols.append(col)
    for text in indexes:
        col = column_name(text)
        if col not in names and col not in ("created_at", "updated_at"):
            raise InvalidInput(f"--index {text!r} is not one of the table's columns")
        if col not in index_cols:
            index_cols.append(col)
    index_list = [
        {"name": quote_ident(derived_name(tname.name, c, suffix="idx")), "column": quote_ident(c)}
        for c in index_cols
    ]
    roles = [quote_ident(parse_name(r, "role").name, "role") for r in grants]
    steps = [
        FileStep(
            f"create_{tname.name}",
            f"create table {tname}" + (" with its foreign keys NOT VALID" if fks else ""),
            f"ACCESS EXCLUSIVE on the new table {tname} (nobody uses it yet)"
            + ("; SHARE ROW EXCLUSIVE on each referenced table for an instant" if fks else ""),
            _render(
                "create_table",
                table=tname.sql,
                columns=printed,
                indexes=index_list,
                foreign_keys=fks,
                grants=roles,
            ),
            transactional=True,
            quick=True,
            tool=options.tool,
            changes=(
                Change(
                    "create_table",
                    tname.sql,
                    definitions=(
                        *shapes,
                        ("created_at", "timestamptz", True),
                        ("updated_at", "timestamptz", True),
                    ),
                    columns=tuple(index_cols),
                    foreign=tuple(foreign),
                ),
            ),
        )
    ]
    if fks:
        steps.append(
            FileStep(
                f"validate_{tname.name}_foreign_keys",
                f"validate the foreign keys of {tname}",
                SUE_SCAN.format(t=tname) + " (ROW SHARE on the referenced tables)",
                _render("validate", table=tname.sql, constraints=[f["name"] for f in fks]),
                transactional=True,
                tool=options.tool,
            )
        )
    return steps
