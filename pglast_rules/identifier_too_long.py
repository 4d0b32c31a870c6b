"""SS105 identifier-too-long: names over 63 bytes, which PostgreSQL truncates."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1

_LONG = "accounts_" + "x" * 60


def _last(names: list[Node] | None) -> list[str]:
    found = pgast.strings(names)
    return [found[-1]] if found else []


def _column_names(coldef: Node) -> Iterator[str]:
    yield coldef.get("colname", "")
    for con in pgast.column_constraints(coldef):
        yield con.get("conname", "")


def _element_names(elements: list[Node] | None) -> Iterator[str]:
    """Names a CREATE TABLE's elements (or an ADD COLUMN / ADD CONSTRAINT) declare."""
    for elt in elements or ():
        coldef = pgast.unwrap(elt, "ColumnDef")
        if coldef:
            yield from _column_names(coldef)
        else:
            yield pgast.unwrap(elt, "Constraint").get("conname", "")


def _declared_names(node: Node) -> Iterator[str]:
    """The names *node* declares (as the parse tree has them, cut to 63 bytes)."""
    kind = pgast.kind(node)
    fields = node[kind]
    rel = {
        "CreateStmt": fields.get("relation"),
        "ViewStmt": fields.get("view"),
        "CreateSeqStmt": fields.get("sequence"),
        "CompositeTypeStmt": fields.get("typevar"),
        "CreateTableAsStmt": (fields.get("into") or {}).get("rel"),
    }.get(kind)
    if rel:
        yield rel.get("relname", "")
    if kind in ("CreateStmt", "CompositeTypeStmt"):
        yield from _element_names(fields.get("tableElts") or fields.get("coldeflist"))
    elif kind == "AlterTableStmt":
        for sub, cmd in pgast.alter_commands(fields):
            if sub in ("AT_AddColumn", "AT_AddConstraint"):
                yield from _element_names([cmd.get("def") or {}])
    elif kind == "CreateDomainStmt":
        yield from _last(fields.get("domainname"))
        yield from (c.get("conname", "") for c in pgast.column_constraints(fields))
    else:
        key = {
            "IndexStmt": "idxname",
            "RenameStmt": "newname",
            "CreateTrigStmt": "trigname",
            "CreateSchemaStmt": "schemaname",
            "CreatePolicyStmt": "policy_name",
        }.get(kind)
        if key:
            yield fields.get(key, "")
        listed = {"CreateFunctionStmt": "funcname", "CreateEnumStmt": "typeName"}.get(kind)
        if listed:
            yield from _last(fields.get(listed))


class IdentifierTooLong(Rule):
    code = "SS105"
    name = "identifier-too-long"
    summary = "Identifiers longer than 63 bytes are silently truncated"
    why = (
        "PostgreSQL keeps only the first 63 bytes of a name (NAMEDATALEN - 1) and only issues a "
        "NOTICE. Two long names that share their first 63 bytes collide, and tools or code "
        "that look the object up by its full name (ORMs checking constraint or index names, "
        "later migrations) do not find it."
    )
    safe_alternative = "Choose a name of at most 63 bytes (multi-byte characters count more)."
    severity = Severity.NOTE
    group = "style"
    node_types = (
        "CreateStmt",
        "AlterTableStmt",
        "IndexStmt",
        "RenameStmt",
        "ViewStmt",
        "CreateTableAsStmt",
        "CreateSeqStmt",
        "CreateFunctionStmt",
        "CreateTrigStmt",
        "CreateEnumStmt",
        "CompositeTypeStmt",
        "CreateDomainStmt",
        "CreateSchemaStmt",
        "CreatePolicyStmt",
    )
    examples = (
        Bad(f"CREATE INDEX {_LONG} ON accounts (email);"),
        Bad(f"ALTER TABLE accounts ADD COLUMN {_LONG} text;"),
        Bad(f"ALTER TABLE accounts RENAME COLUMN email TO {_LONG};"),
        Bad('CREATE TABLE "' + "é" * 32 + '" (id bigint);', note="64 bytes in UTF-8"),
        Good("CREATE INDEX accounts_email_idx ON accounts (email);"),
        Good(
            f"DROP INDEX {_LONG};",
            note="a name that already exists is not a new declaration: it was reported where "
            "it was created",
        ),
        Good(
            f"ALTER TABLE {_LONG} RENAME TO accounts_archive;",
            note="only the new name is declared",
        ),
        Good(
            "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '" + "y" * 80 + "' $$;",
            note="string constants and function bodies are not identifiers",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        sql = ctx.file.text[ctx.statement.start : ctx.statement.end]
        if not pgast.may_have_identifier_over(sql, MAX_IDENTIFIER_BYTES):
            return
        declared = frozenset(_declared_names(node))
        seen: set[str] = set()
        for name, offset in pgast.written_identifiers(sql):
            size = len(name.encode("utf-8"))
            if size <= MAX_IDENTIFIER_BYTES or name in seen:
                continue
            kept = name.encode("utf-8")[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
            if kept not in declared:
                continue  # a reference to an existing object, not a new name
            seen.add(name)
            yield self.report(
                f"identifier `{name}` is {size} bytes: PostgreSQL silently truncates it to "
                f"`{kept}`",
                help=f"use a name of at most {MAX_IDENTIFIER_BYTES} bytes",
                # (where the parse tree's locations count from: bytes)
                at={
                    "location": ctx.statement.start_byte
                    + len(sql[:offset].encode("utf-8", "surrogatepass"))
                },
            )
