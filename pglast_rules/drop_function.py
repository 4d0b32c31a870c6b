"""SS049 drop-function: DROP FUNCTION / PROCEDURE / ROUTINE of an existing function."""

from __future__ import annotations

from collections.abc import Iterator

from linter.rule import Bad, Good, Rule, Severity
from linter.sql import pgast
from linter.sql.pgast import Node
from linter.state.context import Context, Report
from linter.state.drops import dropped_existing
from linter.state.fold import object_key

_KINDS = {
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "routine",
}


# a trigger function and its trigger, created by an earlier migration (for the examples)
_SCORES = (
    "CREATE TABLE scores (id bigint, points integer);\n"
    "CREATE FUNCTION refresh_scores() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$;\n"
    "CREATE TRIGGER scores_refresh BEFORE UPDATE ON scores "
    "FOR EACH ROW EXECUTE FUNCTION refresh_scores();",
)


class DropFunction(Rule):
    code = "SS049"
    name = "drop-function"
    summary = "Dropping a function breaks the code, triggers and defaults that call it"
    why = (
        "Once DROP FUNCTION commits, every caller fails: application queries, other functions "
        "(their bodies are only checked when they run) and, with CASCADE, the triggers, "
        "column defaults, views and constraints that use it are dropped silently along with it. "
        "Not reported: a drop without CASCADE of a trigger function (RETURNS trigger) the "
        "migration history created; no query calls it, and PostgreSQL refuses the drop while a "
        "trigger still uses it."
    )
    safe_alternative = (
        "Remove every caller first and deploy; drop the function in a later migration. To "
        "change a function use CREATE OR REPLACE FUNCTION, or drop and create it again in the "
        "same transaction without CASCADE."
    )
    severity = Severity.WARNING
    aliases = ("ban-drop-function",)
    node_types = ("DropStmt",)
    examples = (
        Bad("DROP FUNCTION refresh_scores();"),
        Bad("DROP PROCEDURE archive_old_rows;"),
        Bad(
            "DROP FUNCTION refresh_scores() CASCADE;\n"
            "CREATE FUNCTION refresh_scores() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$;",
            note="CASCADE dropped the triggers using it; creating the function does not "
            "bring them back",
        ),
        Good(
            "CREATE FUNCTION refresh_scores() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$;\n"
            "DROP FUNCTION refresh_scores();",
            note="created in the same file: nothing calls it yet",
        ),
        Good(
            "DROP FUNCTION refresh_scores();\n"
            "CREATE FUNCTION refresh_scores() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NEW; END $$;",
            note="dropped and created again in the same file: a redefinition",
        ),
        Good(
            "DROP TRIGGER scores_refresh ON scores;\nDROP FUNCTION refresh_scores();",
            history=_SCORES,
            note="a trigger function: no query calls it, and PostgreSQL refuses the drop "
            "while a trigger still uses it",
        ),
        Bad(
            "DROP FUNCTION refresh_scores() CASCADE;",
            history=_SCORES,
            note="CASCADE silently drops the trigger `scores_refresh` with it",
        ),
    )

    def check(self, node: Node, ctx: Context) -> Iterator[Report]:
        with_arguments = _with_arguments(node)
        for drop in dropped_existing(node, ctx, _KINDS):
            if drop.undone or (drop.redefined and not drop.cascade):
                continue
            what, name, cascade = drop.kind, drop.name, drop.cascade
            if ctx.schema.is_trigger_function(drop.key) and drop.key not in with_arguments:
                if not cascade:
                    continue  # no query calls it; PostgreSQL refuses while a trigger uses it
                again = "; creating it again does not bring them back" if drop.redefined else ""
                yield self.report(
                    f"DROP {what.upper()} `{name}` CASCADE silently drops every trigger that "
                    f"uses this trigger function{again}",
                    help="drop those triggers explicitly, then the function without CASCADE",
                    at=drop.node,
                )
                continue
            if drop.redefined:
                yield self.report(
                    f"DROP {what.upper()} `{name}` CASCADE also drops the triggers, defaults "
                    "and views that use it; the file creates it again, but not necessarily "
                    "what depended on it",
                    help="drop the dependent triggers and views explicitly, without CASCADE",
                    at=drop.node,
                )
                continue
            extra = (
                "; CASCADE also drops the triggers, defaults and views that use it"
                if cascade
                else ""
            )
            yield self.report(
                f"dropping {what} `{name}` breaks every query and function that still calls "
                f"it{extra}",
                help=(
                    "remove its callers and deploy first; to change it use CREATE OR REPLACE, "
                    "or drop and re-create it in one transaction without CASCADE"
                ),
                at=drop.node,
            )


def _with_arguments(node: Node) -> set[str]:
    """Keys of the functions *node* names with input arguments (``DROP FUNCTION f(int)``):
    another overload than a trigger function of the same name, which takes none."""
    fields = pgast.unwrap(node)
    out = set()
    for obj in fields.get("objects") or ():
        if pgast.unwrap(obj, "ObjectWithArgs").get("objargs"):
            key = object_key(fields.get("removeType", ""), obj)
            if key is not None:
                out.add(key)
    return out
