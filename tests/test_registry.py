from __future__ import annotations

import importlib
import pkgutil

import pytest

import pglast_rules
from linter.analysis.registry import RegistryError, validate
from linter.rule import CODE_RE, NAME_RE, Bad, Rule


def test_every_module_defines_exactly_one_registered_rule() -> None:
    registered = set(pglast_rules.BUILTIN_RULES)
    for info in pkgutil.iter_modules(pglast_rules.__path__):
        if info.name == "_index":  # (generated: the rules' metadata, tests/test_rule_index.py)
            continue
        module = importlib.import_module(f"pglast_rules.{info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        assert len(classes) == 1, f"{info.name} must define exactly one rule"
        assert classes[0] in registered, f"{classes[0].__name__} is not in BUILTIN_RULES"


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in pglast_rules.BUILTIN_RULES]
    names = [r.name for r in pglast_rules.BUILTIN_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in pglast_rules.BUILTIN_RULES:
        assert CODE_RE.match(rule.code) and NAME_RE.match(rule.name)
        assert rule.why and rule.safe_alternative and rule.summary


def test_clashing_codes_are_refused() -> None:
    first = pglast_rules.BUILTIN_RULES[1]

    class Clash(Rule):
        code = first.code
        name = "some-other-name"
        summary = "s"
        why = "w"
        safe_alternative = "a"
        examples = (Bad("SELECT 1"),)

    with pytest.raises(RegistryError, match="clashes"):
        validate([first, Clash])


def test_bad_metadata_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="kebab-case"):

        class BadName(Rule):
            code = "XX001"
            name = "Not_Kebab"
            summary = "s"
            why = "w"
            safe_alternative = "a"
