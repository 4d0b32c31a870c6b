"""Every rule squawk 2.70 runs by default has a sqlsafe counterpart or a documented reason.

A counterpart is a sqlsafe rule whose name or ``aliases`` hold the squawk name (so
``--ignore``/``--select`` and the corpus report match through it).  The reasons live in one
place, the table of docs/squawk.md.  The list of squawk's default rules is kept here so the
test runs without squawk; when squawk 2.70.0 is installed, each name is checked against the
binary itself: its probe statement must make squawk report it without ``--include`` (so it is
a real rule name, on by default), and nothing squawk reports on the probes may be missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.analysis.registry import load_rules

SQUAWK_VERSION = "2.70.0"
# squawk's prefer-repack only fires from PostgreSQL 19; no other probe depends on the version.
SQUAWK_PG_VERSION = "19"

# squawk 2.70's default rule set (rule name as squawk reports it -> a statement that makes
# squawk report it).  syntax-error (a pseudo-rule), unused-ignore (internal) and the alias
# require-timeout-settings are not rules of their own; the opt-in rules are not listed.
SQUAWK_DEFAULT_RULES: dict[str, str] = {
    "adding-field-with-default": "ALTER TABLE t ADD COLUMN c uuid DEFAULT uuid();",
    "adding-foreign-key-constraint": (
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);"
    ),
    "adding-not-nullable-field": "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
    "adding-required-field": "ALTER TABLE t ADD COLUMN c text NOT NULL;",
    "adding-serial-primary-key-field": "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id);",
    "ban-alter-domain-with-add-constraint": "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0);",
    "ban-alter-identity": "ALTER TABLE t ALTER COLUMN c DROP IDENTITY;",
    "ban-char-field": "CREATE TABLE t (c char(3));",
    "ban-concurrent-index-creation-in-transaction": (
        "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;"
    ),
    "ban-create-domain-with-constraint": "CREATE DOMAIN d AS int CHECK (VALUE > 0);",
    "ban-drop-column": "ALTER TABLE t DROP COLUMN c;",
    "ban-drop-constraint": "ALTER TABLE t DROP CONSTRAINT c;",
    "ban-drop-database": "DROP DATABASE db;",
    "ban-drop-default": "ALTER TABLE t ALTER COLUMN c DROP DEFAULT;",
    "ban-drop-domain": "DROP DOMAIN d;",
    "ban-drop-extension": "DROP EXTENSION e;",
    "ban-drop-function": "DROP FUNCTION f();",
    "ban-drop-generated-expression": "ALTER TABLE t ALTER COLUMN c DROP EXPRESSION;",
    "ban-drop-not-null": "ALTER TABLE t ALTER COLUMN c DROP NOT NULL;",
    "ban-drop-schema": "DROP SCHEMA s;",
    "ban-drop-sequence": "DROP SEQUENCE s;",
    "ban-drop-table": "DROP TABLE t;",
    "ban-drop-type": "DROP TYPE ty;",
    "ban-drop-view": "DROP VIEW v;",
    "ban-duplicate-column-assignments": "UPDATE t SET a = 1, a = 2;",
    "ban-set-schema": "ALTER TABLE t SET SCHEMA s;",
    "ban-truncate-cascade": "TRUNCATE t CASCADE;",
    "ban-uncommitted-transaction": "BEGIN;\nSELECT 1;",
    "changing-column-type": "ALTER TABLE t ALTER COLUMN c TYPE bigint;",
    "constraint-missing-not-valid": "ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0);",
    "disallowed-unique-constraint": "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (c);",
    "identifier-too-long": "CREATE TABLE " + "x" * 70 + " (id bigint);",
    "prefer-bigint-over-int": "CREATE TABLE t (c int);",
    "prefer-bigint-over-smallint": "CREATE TABLE t (c smallint);",
    "prefer-identity": "CREATE TABLE t (c bigserial);",
    "prefer-repack": "VACUUM FULL t;",
    "prefer-robust-stmts": "ALTER TABLE t ADD COLUMN c text;",
    "prefer-text-field": "CREATE TABLE t (c varchar(10));",
    "prefer-timestamp-tz": "CREATE TABLE t (c timestamp);",
    "renaming-column": "ALTER TABLE t RENAME COLUMN a TO b;",
    "renaming-object": "ALTER VIEW v RENAME TO w;",
    "renaming-table": "ALTER TABLE t RENAME TO u;",
    "require-concurrent-index-creation": "CREATE INDEX i ON t (c);",
    "require-concurrent-index-deletion": "DROP INDEX i;",
    "require-concurrent-partition-detach": "ALTER TABLE t DETACH PARTITION p;",
    "require-concurrent-reindex": "REINDEX INDEX i;",
    "require-enum-value-ordering": "ALTER TYPE e ADD VALUE 'x';",
    "require-lock-timeout": "DROP INDEX i;",
    "require-statement-timeout": "DROP INDEX i;",
    "transaction-nesting": "COMMIT;",
}

DOC = Path(__file__).resolve().parent.parent / "docs" / "squawk.md"
START, END = "<!-- not-reported:start -->", "<!-- not-reported:end -->"
_ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*$")


def not_reported() -> dict[str, str]:
    """The documented table: squawk rule -> why sqlsafe does not report it."""
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} lost its {START} / {END} markers"
    section = text.split(START, 1)[1].split(END, 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match.group(1)] = match.group(2).strip()
    return rows


def counterparts() -> dict[str, str]:
    """squawk-style name -> the sqlsafe rule that has it as its name or an alias."""
    names: dict[str, str] = {}
    for rule in load_rules(plugins=False):
        for name in (rule.name, *rule.aliases):
            names.setdefault(name, rule.name)
    return names


def test_every_default_squawk_rule_has_a_counterpart_or_a_reason() -> None:
    ours, documented = counterparts(), not_reported()
    neither = sorted(n for n in SQUAWK_DEFAULT_RULES if n not in ours and n not in documented)
    assert not neither, f"squawk rules with no sqlsafe alias and no reason in {DOC.name}"


def test_the_reasons_table_holds_only_uncovered_default_rules() -> None:
    ours, documented = counterparts(), not_reported()
    assert documented, f"no rows between the markers of {DOC.name}"
    stale = sorted(n for n in documented if n in ours)
    assert not stale, f"{DOC.name} says sqlsafe does not report these, but a rule aliases them"
    unknown = sorted(n for n in documented if n not in SQUAWK_DEFAULT_RULES)
    assert not unknown, f"{DOC.name} documents names that are not squawk default rules"
    short = sorted(n for n, why in documented.items() if len(why.split()) < 12)
    assert not short, f"these reasons say too little: {short}"


def test_the_list_is_squawks_own(tmp_path: Path) -> None:
    squawk = shutil.which("squawk")
    if squawk is None:
        pytest.skip("squawk is not installed (pip install squawk-cli==2.70.0)")
    version = subprocess.run([squawk, "--version"], capture_output=True, text=True, check=False)
    if SQUAWK_VERSION not in version.stdout:
        pytest.skip(f"squawk {SQUAWK_VERSION} is not the installed one: {version.stdout.strip()}")
    files = []
    for name, sql in SQUAWK_DEFAULT_RULES.items():
        path = tmp_path / f"{name}.sql"
        path.write_text(sql + "\n", encoding="utf-8")
        files.append(path.name)
    run = subprocess.run(
        [squawk, "--reporter=json", f"--pg-version={SQUAWK_PG_VERSION}", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    reported: dict[str, set[str]] = {}
    for violation in json.loads(run.stdout):
        reported.setdefault(Path(violation["file"]).stem, set()).add(violation["rule_name"])
    silent = sorted(n for n in SQUAWK_DEFAULT_RULES if n not in reported.get(n, set()))
    assert not silent, "not reported by squawk on their probe without --include"
    seen = set().union(*reported.values())
    missing = sorted(seen - set(SQUAWK_DEFAULT_RULES))
    assert not missing, "squawk reports default rules this list does not hold"
