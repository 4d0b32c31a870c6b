"""The built-in rules' index (``pglast_rules/_index.py``): current, faithful to the rules,
and what lets a lint import only the rules its statements need."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

import pglast_rules
from linter.analysis.registry import load_rules
from linter.analysis.rule_index import DEFERRED, FIELDS, IndexedRule, render
from pglast_rules._index import INDEX


def test_the_index_is_generated_from_the_rules() -> None:
    written = (Path(pglast_rules.__file__).parent / "_index.py").read_text()
    assert written == render(pglast_rules.BUILTIN_RULES), (
        "pglast_rules/_index.py is stale: run `python -m linter.analysis.rule_index`"
    )
    assert [(m, c) for m, c, _f, _meta in INDEX] == list(pglast_rules.BUILTIN)


def test_an_indexed_rule_is_its_rule() -> None:
    loaded = load_rules(plugins=False)
    assert len(loaded) == len(pglast_rules.BUILTIN_RULES)
    for indexed, real in zip(loaded, pglast_rules.BUILTIN_RULES, strict=True):
        assert isinstance(indexed, IndexedRule)
        cls = type(indexed)
        assert (cls.__module__, cls.__qualname__) == (real.__module__, real.__qualname__)
        for name in (*FIELDS, *DEFERRED):
            assert getattr(indexed, name) == getattr(real, name), (real.__name__, name)
        assert indexed.versions() == real.versions()
        # the engine calls finish only on the rules that define it
        assert cls.finishes() == real.finishes()


PROBE = textwrap.dedent(
    """
    import json, sys
    from linter.cli import main
    code = main(sys.argv[1:])
    rules = sorted(m for m in sys.modules if m.startswith("pglast_rules."))
    sys.stdout.write("\\n" + json.dumps({"code": code, "rules": rules}))
    """
)


def test_a_lint_imports_only_the_rules_its_statements_need(tmp_path: Path) -> None:
    alone = tmp_path / "alone.sql"
    alone.write_text("ALTER TABLE accounts DROP COLUMN email;\n")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "lint", str(alone), "--no-cache"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    report = json.loads(proc.stdout.rsplit("\n", 1)[1])
    assert report["code"] == 1 and "drop-column" in proc.stdout
    imported = set(report["rules"])
    assert "pglast_rules.drop_column" in imported
    assert "pglast_rules._index" in imported
    # rules for statements this file does not hold stay unimported
    assert "pglast_rules.non_concurrent_index" not in imported
    assert "pglast_rules.add_foreign_key" not in imported
    assert len(imported) < len(pglast_rules.BUILTIN) / 2, sorted(imported)


def test_once_loaded_the_rules_own_methods_are_called_directly() -> None:
    rule = next(r for r in load_rules(plugins=False) if r.name == "drop-table")
    names = [c for _m, c in pglast_rules.BUILTIN]
    real = pglast_rules.BUILTIN_RULES[names.index("DropTable")]
    assert isinstance(rule, IndexedRule)
    rule._loaded()
    assert rule.check.__func__ is real.check  # type: ignore[attr-defined]
    assert rule.safe_alternative == real.safe_alternative
