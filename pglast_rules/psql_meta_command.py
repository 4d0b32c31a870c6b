"""SS900 psql-meta-command: a psql backslash command in a migration."""

from __future__ import annotations

from linter.rule import Bad, Good, Rule, Severity


class PsqlMetaCommand(Rule):
    code = "SS900"
    name = "psql-meta-command"
    summary = "A psql meta-command (`\\connect`, `\\set`...) is not SQL"
    why = (
        "Lines starting with a backslash are commands of the psql client, not SQL. Migration "
        "runners that send the file to the server (Flyway, golang-migrate, Prisma...) fail on "
        "them. sqlsafe skips the line and lints the rest."
    )
    safe_alternative = (
        "Remove the meta-command, or keep the file for psql only and tell your runner so."
    )
    severity = Severity.WARNING
    examples = (
        Bad("\\connect app\nCREATE TABLE t (id bigint);"),
        Good("CREATE TABLE t (id bigint);"),
    )
