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
        "sqlsafe reports the line and column and still lints every other statement of the file. "
        "The PL/pgSQL body of a DO block is read with PostgreSQL's own PL/pgSQL parser: the "
        "server compiles it when the block runs and rejects it before running any of it "
        "(a block in another language is not read)."
    )
    safe_alternative = (
        "Fix the SQL. Template placeholders such as `{{ ... }}` must be rendered first."
    )
    aliases = ("syntax-error",)
    examples = (
        Bad("ALTER TABLE accounts ADD COLUM email text;"),
        Bad("CREATE INDEX ON {{ .Table }} (id);", note="template placeholders are not SQL"),
        Bad(
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'a') THEN\n"
            "    CREATE TABLE a (id bigint);\n  END;\nEND $$;",
            note="PL/pgSQL rejects the body (END IF expected): the block fails when it runs",
        ),
        Good("ALTER TABLE accounts ADD COLUMN email text;"),
    )
