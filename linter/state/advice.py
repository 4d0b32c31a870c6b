"""Advice that depends on how the file's runner sends it, so that the SQL a finding
advises is valid in the file's layout.

Some runners send a whole migration file as ONE query string (golang-migrate and Prisma
always; dbmate and diesel too, inside or outside their own transaction). PostgreSQL runs a
multi-statement query as one implicit transaction block, so there a statement that cannot
run in a transaction block (``... CONCURRENTLY``, ``VACUUM``) must be alone in its file:
"put ``SET lock_timeout`` before it" would make it fail.
"""

from __future__ import annotations

from ..inputs.layouts import ALWAYS_ONE_QUERY, NO_TRANSACTION_MARKERS, ONE_QUERY_LAYOUTS


def one_query(layout: str) -> bool:
    """The runner of *layout* sends each migration file as one query string."""
    return layout in ONE_QUERY_LAYOUTS


def own_migration(layout: str) -> str:
    """Where a statement that cannot run in a transaction block goes, in *layout*."""
    marker = NO_TRANSACTION_MARKERS.get(layout)
    if layout in ALWAYS_ONE_QUERY:
        return (
            f"alone in its own migration file ({layout} sends a file as one query: with a "
            "second statement it runs in a transaction block)"
        )
    if layout in ONE_QUERY_LAYOUTS:
        return (
            f"alone in its own migration, marked `{marker}` ({layout} sends the file as one "
            "query: with a second statement it runs in a transaction block)"
        )
    if marker:
        return f"in its own migration, marked `{marker}`"
    return "in its own migration that runs without a transaction"


def set_before(setting: str, value: str, layout: str, transactional: bool) -> str:
    """How to give the statement a *setting*: ``SET`` before it, unless the statement
    cannot run in a transaction block and the runner sends the file as one query."""
    if transactional or not one_query(layout):
        return f"put `SET {setting} = '{value}';` before it (or configure a `preamble`)"
    return (
        f"keep it alone in its migration ({layout} sends the file as one query: a `SET` "
        f"before it would put it in a transaction block, where it fails) and set {setting} "
        f"on the migration connection instead (`options=-c%20{setting}%3D{value}` in the "
        f"URL, or `ALTER ROLE <migration role> SET {setting} = '{value}'`; tell sqlsafe with "
        f"`preamble = [\"SET {setting} = '{value}'\"]`)"
    )
