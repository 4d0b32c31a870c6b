"""Every embedded example of every rule: Bad is flagged by that rule, Good is not."""

from __future__ import annotations

import pytest

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.rule import Bad, Example, Rule
from linter.state.context import Settings

RULES = load_rules(plugins=False)
CASES = [(rule, i, ex) for rule in RULES for i, ex in enumerate(rule.examples)]


def _id(case: tuple[Rule, int, Example]) -> str:
    rule, i, ex = case
    return f"{rule.code}-{rule.name}-{'bad' if isinstance(ex, Bad) else 'good'}-{i}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_example(case: tuple[Rule, int, Example]) -> None:
    rule, _, example = case
    settings = Settings(**example.settings)
    findings = lint_sql(
        example.sql,
        RULES,
        settings,
        history=example.history,
        edited_after_applied=example.edited_after_applied,
        data_steps=example.data_steps,
    )
    mine = [f for f in findings if f.rule == rule.name]
    if example.expect_finding:
        assert mine, f"{rule.name} did not flag:\n{example.sql}"
        for f in mine:
            assert f.code == rule.code
            assert f.message
            assert f.line >= 1 and f.column >= 1
    else:
        assert not mine, f"{rule.name} flagged a good example: {[f.message for f in mine]}"


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_has_bad_and_good(rule: Rule) -> None:
    kinds = {type(ex).__name__ for ex in rule.examples}
    assert kinds == {"Bad", "Good"}, f"{rule.name} needs at least one Bad and one Good example"


def test_alter_subtypes_name_real_commands() -> None:
    from pglast.enums.parsenodes import AlterTableType

    known = set(AlterTableType.__members__)
    for rule in RULES:
        assert set(rule.alter_subtypes) <= known, rule.name
        if rule.alter_subtypes:
            assert "AlterTableStmt" in rule.node_types, rule.name


def test_dispatch_by_alter_command_changes_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example gives the same findings when each ALTER TABLE rule sees every ALTER
    TABLE statement (a rule that looks at a command it did not declare would differ)."""
    import linter.analysis.engine

    def run() -> list[list[tuple[str, int, str]]]:
        out = []
        for _, _, example in CASES:
            found = lint_sql(
                example.sql,
                RULES,
                Settings(**example.settings),
                history=example.history,
                edited_after_applied=example.edited_after_applied,
                data_steps=example.data_steps,
            )
            out.append([(f.rule, f.line, f.message) for f in found])
        return out

    by_command = run()
    monkeypatch.setattr(
        linter.analysis.engine.RuleSet,
        "alter_rules",
        lambda self, fields: self.dispatch.get("AlterTableStmt", ()),
    )
    assert run() == by_command
