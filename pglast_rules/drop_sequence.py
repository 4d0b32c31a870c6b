"""SS051 drop-sequence: DROP SEQUENCE of an existing sequence."""

from __future__ import annotations

from collections.abc import Iterator

from linter.lockmodel.locks import LockMode
from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.fold import object_key


def _orphaned_serial_sequence(ctx: Context, name: str) -> bool:
    """*name* is ``<table>_<column>_seq`` of a serial column whose default is gone."""
    schema, _, seq = name.partition(".")
    for table in ctx.schema.tables.values():
        tschema, _, tname = table.name.partition(".")
        if tschema != schema or not seq.startswith(f"{tname}_"):
            continue
        column = table.columns.get(seq[len(tname) + 1 : -len("_seq")])
        if seq.endswith("_seq") and column is not None and not column.has_default:
            return True
    return False


_SEQUENCE = ("CREATE SEQUENCE invoice_number_seq;",)


class DropSequence(Rule):
    code = "SS051"
    name = "drop-sequence"
    summary = "Dropping a sequence breaks the inserts that draw from it"
    why = (
        "DROP SEQUENCE takes an AccessExclusiveLock on the sequence. Code that calls "
        "nextval() on it fails once it commits; with CASCADE the column defaults that use it "
        "are dropped, so inserts relying on them fail or store NULL. Creating it again does "
        "not help: it restarts from 1 and hands out values already in use."
    )
    safe_alternative = (
        "Remove every default and every piece of code that uses the sequence and deploy "
        "first, then drop it in a later migration without CASCADE."
    )
    lock = LockMode.ACCESS_EXCLUSIVE
    severity = Severity.WARNING
    aliases = ("ban-drop-sequence",)
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP SEQUENCE invoice_number_seq;", history=_SEQUENCE),
        Bad(
            "DROP SEQUENCE invoice_number_seq;\nCREATE SEQUENCE invoice_number_seq;",
            history=_SEQUENCE,
            note="a re-created sequence starts again at 1",
        ),
        Good(
            'ALTER TABLE "Folder" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "Folder_id_seq";',
            history=('CREATE TABLE "Folder" ("id" serial PRIMARY KEY);',),
            note="the sequence of a serial column whose default is gone: nothing draws from it",
        ),
        Good(
            "CREATE SEQUENCE invoice_number_seq;\nDROP SEQUENCE invoice_number_seq;",
            note="created in the same file: nothing draws from it yet",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        fields = pgast.unwrap(node)
        if fields.get("removeType") != "OBJECT_SEQUENCE":
            return
        cascade = fields.get("behavior") == "DROP_CASCADE"
        for obj in fields.get("objects") or ():
            key = object_key("OBJECT_SEQUENCE", obj)
            if key is None or ctx.schema.is_new_object(key) or ctx.reverses("object", key):
                continue
            if ctx.gone(fields, key):
                continue
            name = key.split(":", 1)[1]
            if _orphaned_serial_sequence(ctx, name):
                continue
            extra = "; CASCADE also drops the column defaults that use it" if cascade else ""
            yield self.report(
                f"dropping sequence `{name}` takes {LockMode.ACCESS_EXCLUSIVE.describe()}; "
                f"inserts and code that draw from it fail{extra}",
                help="remove the defaults and code using it and deploy first; drop it later",
                at=obj,
            )
