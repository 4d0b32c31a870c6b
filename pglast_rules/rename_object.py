"""SS030 rename-object: renaming (or moving to another schema) a view, sequence, type,
function, schema or table code still names."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import renames_back
from linter.state.fold import rename_source_key, renamed_name

_MOVE = "AlterObjectSchemaStmt"

# renameType -> how the message names it.  Index and trigger names are not used by queries,
# so renaming them breaks nothing (squawk flags those too; sqlsafe does not).
_KINDS = {
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "domain",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "routine",
    "OBJECT_SCHEMA": "schema",
}


class RenameObject(Rule):
    code = "SS030"
    name = "rename-object"
    summary = "Renaming a view, sequence, type, function or schema breaks the code that names it"
    why = (
        "The rename itself is a catalog change, but from the moment it commits every query of "
        "the application still running that names the old view, sequence (`nextval('...')`), "
        "type (casts, function signatures), function or schema fails. `ALTER ... SET SCHEMA` on "
        "an existing table, view, sequence, type or function is the same hazard: queries "
        "naming it by its old schema, or through a `search_path` without the new one, fail."
    )
    safe_alternative = (
        "Create the new name beside the old one (a view over the old view, a wrapper "
        "function, a new type), move the code to it and deploy, then drop the old name in a "
        "later migration; or keep the old name."
    )
    severity = Severity.WARNING
    aliases = ("renaming-object", "BC103", "ban-set-schema")
    node_types = ("RenameStmt", _MOVE)
    examples = (
        Bad(
            "ALTER VIEW active_accounts RENAME TO current_accounts;",
            history=(
                "CREATE TABLE accounts (id bigint, active boolean);",
                "CREATE VIEW active_accounts AS SELECT * FROM accounts WHERE active;",
            ),
        ),
        Bad(
            "ALTER SEQUENCE invoice_number_seq RENAME TO invoice_no_seq;",
            history=("CREATE SEQUENCE invoice_number_seq;",),
        ),
        Bad(
            'ALTER TYPE "Mood" RENAME TO "Feeling";',
            history=("CREATE TYPE \"Mood\" AS ENUM ('sad', 'happy');",),
        ),
        Good(
            "CREATE VIEW active_accounts AS SELECT 1 AS id;\n"
            "ALTER VIEW active_accounts RENAME TO current_accounts;",
            note="created in the same file: nobody uses the old name yet",
        ),
        Good(
            "CREATE TYPE \"Mood_new\" AS ENUM ('sad', 'happy', 'calm');\n"
            'ALTER TYPE "Mood" RENAME TO "Mood_old";\n'
            'ALTER TYPE "Mood_new" RENAME TO "Mood";\n'
            'DROP TYPE "Mood_old";',
            history=("CREATE TYPE \"Mood\" AS ENUM ('sad', 'happy');",),
            note="a swap (as Prisma writes enum changes): the old name exists again",
        ),
        Good(
            "ALTER FUNCTION touch_updated_at() RENAME TO set_updated_at;",
            history=(
                "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;",
            ),
            note="a trigger function: triggers call it by OID, no query names it",
        ),
        Bad(
            "ALTER TABLE accounts SET SCHEMA billing;",
            history=("CREATE SCHEMA billing;\nCREATE TABLE accounts (id bigint);",),
            note="SET SCHEMA moves the table: queries naming `accounts` (or "
            "`public.accounts`) fail",
        ),
        Bad(
            "ALTER FUNCTION total_due(bigint) SET SCHEMA billing;",
            history=(
                "CREATE SCHEMA billing;\n"
                "CREATE FUNCTION total_due(bigint) RETURNS numeric LANGUAGE sql AS $$ SELECT 0 $$;",
            ),
        ),
        Good(
            "CREATE TABLE invoices (id bigint);\nALTER TABLE invoices SET SCHEMA billing;",
            history=("CREATE SCHEMA billing;",),
            note="created in the same file: nobody names it yet",
        ),
        Good(
            "ALTER INDEX accounts_email_idx RENAME TO accounts_email_key;",
            note="queries do not name indexes",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        if _MOVE in node:
            yield from self._moved(pgast.unwrap(node), ctx)
            return
        fields = pgast.unwrap(node)
        what = _KINDS.get(fields.get("renameType", ""))
        if what is None:
            return
        key = rename_source_key(fields)
        if key is None or ctx.schema.is_new_object(key):
            return
        old = key.split(":", 1)[1]
        if f"trigger-function:{old}" in ctx.schema.objects:
            return  # triggers call it by OID: nothing in the application names it
        if ctx.file.ahead.created_after(key, ctx.statement.index):
            return  # the old name is given back later in the file: a swap
        new = renamed_name(fields)
        if ctx.reverses("object", key) or renames_back(node, ctx):
            return  # a down migration renaming back, or renaming what its up created
        yield self.report(
            f"renaming {what} `{old}` to `{new}` breaks every running query and function "
            "that still names it",
            help="add the new name beside the old one, move the code and deploy, then drop "
            "the old name in a later migration",
        )

    def _moved(self, fields: Node, ctx: Context) -> Iterator[Report]:
        """``ALTER ... SET SCHEMA``: every name the running code uses for the object (its
        qualified name, or the one ``search_path`` resolves) stops finding it."""
        kind = fields.get("objectType", "")
        target = fields.get("newschema", "")
        if kind in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
            what, old = "table", pgast.relation_name(fields.get("relation"))
            if ctx.is_new(old):
                return
        else:
            found = _KINDS.get(kind)
            key = rename_source_key({**fields, "renameType": kind})
            if found is None or kind == "OBJECT_SCHEMA" or key is None:
                return
            if ctx.schema.is_new_object(key) or ctx.reverses("object", key):
                return
            what, old = found, key.split(":", 1)[1]
            if f"trigger-function:{old}" in ctx.schema.objects:
                return  # triggers call it by OID: nothing in the application names it
        yield self.report(
            f"moving {what} `{old}` to schema `{target}` breaks every running query and "
            "function that still names it by its old schema",
            help="keep the object where it is, or add the new name beside the old one (a view, "
            "a wrapper function), move the code and deploy, then move the object later",
        )
