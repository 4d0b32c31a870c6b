"""SS903 python-data-migration: a data migration written in Python (Django RunPython)."""

from __future__ import annotations

from linter.rule import Bad, Good, Rule, Severity

_ADD = "ALTER TABLE accounts ADD COLUMN plan text;"


class PythonDataMigration(Rule):
    code = "SS903"
    name = "python-data-migration"
    summary = "A data migration written in Python, whose queries sqlsafe cannot see"
    why = (
        "Django's `RunPython` runs Python code that sends its own queries: an `UPDATE` of "
        "every row, a loop of `save()` calls. sqlsafe sees none of them, so it cannot tell "
        "whether they are batched. In an atomic migration (Django's default) the function "
        "runs inside the migration's transaction: every row it writes stays locked until "
        "the migration commits, and so do the locks the operations before it took (an "
        "`AddField` holds an ACCESS EXCLUSIVE lock on the table: every query on it waits "
        "for the whole backfill). In a migration with `atomic = False` it runs outside a "
        "transaction (a note: its batching is still unseen). Reported on the operation's "
        "line by the Django reader (`RunPython` is not SQL, so no other rule can see it)."
    )
    safe_alternative = (
        "Move the data migration to a migration of its own with `atomic = False`, and "
        "update in bounded batches (by primary key ranges), each committed on its own; "
        "keep schema changes out of the migration that moves data."
    )
    severity = Severity.WARNING
    group = "safety"
    examples = (
        Bad(
            _ADD,
            data_steps=((2, "RunPython"),),
            settings={"assume_in_transaction": True},
            note="a `RunPython` on line 2 of an atomic migration, after an `AddField`",
        ),
        Bad(
            _ADD,
            data_steps=((2, "RunPython"),),
            note="`atomic = False`: a note, the batching is still unseen",
        ),
        Good(_ADD, note="no `RunPython`: the backfill, if any, is SQL sqlsafe reads"),
    )
