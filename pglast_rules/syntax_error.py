"""SS000 syntax-error: a statement PostgreSQL would reject."""

from __future__ import annotations

from linter.rule import Bad, Good, Rule


class SyntaxError_(Rule):
    code = "SS000"
    name = "syntax-error"
    summary = "A statement does not parse as PostgreSQL SQL"
    why = (
        "PostgreSQL rejects the statement, so the migration fails when it reaches it; with no "
        "transaction around the file, the statements before it have already been applied. "
        "sqlsafe reports the line and column and still lints every other statement of the file."
    )
    safe_alternative = (
        "Fix the SQL. Template placeholders such as `{{ ... }}` must be rendered first."
    )
    aliases = ("syntax-error",)
    examples = (
        Bad("ALTER TABLE accounts ADD COLUM email text;"),
        Bad("CREATE INDEX ON {{ .Table }} (id);", note="template placeholders are not SQL"),
        Good("ALTER TABLE accounts ADD COLUMN email text;"),
    )
