"""SS901 invalid-suppression: a suppression comment names no known rule."""

from __future__ import annotations

from linter.rule import Bad, Good, Rule, Severity


class InvalidSuppression(Rule):
    code = "SS901"
    name = "invalid-suppression"
    summary = "A `-- sqlsafe: ignore` comment names a rule that does not exist"
    why = (
        "A misspelt rule name silences nothing, so the hazard it was meant to accept is still "
        "reported, or, worse, the author believes a different rule is silenced."
    )
    safe_alternative = "Use a rule name or code from `sqlsafe rules`."
    severity = Severity.WARNING
    examples = (
        Bad("-- sqlsafe: ignore non-concurent-index\nCREATE INDEX i ON t (a);"),
        Good("-- sqlsafe: ignore non-concurrent-index\nCREATE INDEX i ON t (a);"),
    )
