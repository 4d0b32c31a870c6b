"""SS105 identifier-too-long: names over 63 bytes, which PostgreSQL truncates."""

from __future__ import annotations

from collections.abc import Iterator

from linter import pgast
from linter.context import Context, Report
from linter.pgast import Node
from linter.rule import Bad, Good, Rule, Severity

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1

_LONG = "accounts_" + "x" * 60


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
    severity = Severity.WARNING
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
        "CreateExtensionStmt",
        "DropStmt",
        "AlterSeqStmt",
        "CommentStmt",
    )
    examples = (
        Bad(f"CREATE INDEX {_LONG} ON accounts (email);"),
        Bad(f"ALTER TABLE accounts ADD COLUMN {_LONG} text;"),
        Bad(f"ALTER TABLE accounts RENAME COLUMN email TO {_LONG};"),
        Bad('CREATE TABLE "' + "é" * 32 + '" (id bigint);', note="64 bytes in UTF-8"),
        Good("CREATE INDEX accounts_email_idx ON accounts (email);"),
        Good(
            "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '" + "y" * 80 + "' $$;",
            note="string constants and function bodies are not identifiers",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        sql = ctx.file.text[ctx.statement.start : ctx.statement.end]
        if not pgast.may_have_identifier_over(sql, MAX_IDENTIFIER_BYTES):
            return
        seen: set[str] = set()
        for name, offset in pgast.written_identifiers(sql):
            size = len(name.encode("utf-8"))
            if size <= MAX_IDENTIFIER_BYTES or name in seen:
                continue
            seen.add(name)
            kept = name.encode("utf-8")[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
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
