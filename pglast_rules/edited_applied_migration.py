"""SS902 edited-applied-migration: a merged migration was changed afterwards."""

from __future__ import annotations

from linter.rule import Bad, Good, Rule


class EditedAppliedMigration(Rule):
    code = "SS902"
    name = "edited-applied-migration"
    summary = "A migration that was already merged has been edited"
    why = (
        "Migration runners record which files they applied and never run them again: a "
        "database that already applied the old text keeps the old schema, while fresh "
        "databases get the new one, and the environments drift apart. Some runners refuse to "
        "start when a checksum changes. sqlsafe reports this with `--diff REF` when a file that "
        "existed at REF (the merge base) has been modified."
    )
    safe_alternative = (
        "Revert the edit and put the change in a new migration file that runs after it."
    )
    group = "safety"
    examples = (
        Bad(
            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);",
            edited_after_applied=True,
            note="`git diff` shows the file changed after it was merged",
        ),
        Good(
            "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);",
            note="a new migration file (added since REF, or linted without `--diff`)",
        ),
    )
