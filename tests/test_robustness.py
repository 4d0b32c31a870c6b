"""Real and hostile input: no crash, no hang, every syntax error located, the rest linted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORE_RULES, corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.api import lint_paths
from linter.inputs.config import Config
from linter.sql.parsing import parse
from linter.state.context import Settings

RULES = load_rules(plugins=False)
CORE = tuple(r for r in RULES if r.name in CORE_RULES)  # exact finding lists stay stable


def _located(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


# -- the real corpus ---------------------------------------------------------------------


@pytest.mark.skipif(corpus_dir() is None, reason="the shared corpus is not available")
def test_corpus_lints_without_crash_and_locates_every_syntax_error() -> None:
    corpus = corpus_dir()
    assert corpus is not None
    result = lint_paths([str(corpus)], Config(root=corpus), rules=RULES)
    assert result.files >= 4000
    assert result.errors == []
    texts: dict[str, str] = {}
    syntax = [f for f in result.findings if f.rule == "syntax-error"]
    assert syntax, "the corpus holds known syntax errors (template placeholders)"
    for f in syntax:
        if f.path not in texts:
            texts[f.path] = Path(f.path).read_text(encoding="utf-8-sig")
        assert _located(texts[f.path], f.line, f.column), (f.path, f.line, f.column)
        assert f.message.startswith("syntax error")
    # a file with template placeholders still has its other statements parsed
    templated = [p for p in texts if "supabase__auth" in p]
    assert templated
    assert any(any(s.node is not None for s in parse(texts[p]).statements) for p in templated)


# -- generated input ---------------------------------------------------------------------

FRAGMENTS = [
    "CREATE TABLE t (id bigint PRIMARY KEY, a text)",
    "CREATE INDEX i ON t (a)",
    "CREATE INDEX CONCURRENTLY i2 ON t (a)",
    "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0",
    "ALTER TABLE t ALTER COLUMN a TYPE varchar(10)",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID",
    "ALTER TABLE t VALIDATE CONSTRAINT c",
    "ALTER TABLE t RENAME TO u",
    "ALTER TABLE u RENAME COLUMN a TO z",
    "ALTER TABLE t DROP COLUMN a",
    "DROP TABLE t",
    "DROP INDEX i",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SET lock_timeout = '1s'",
    "SET LOCAL statement_timeout = 0",
    "CREATE TABLE t (",
    "ALTER TABLE t ADD COLUM x int",
    "-- sqlsafe: ignore",
    "-- sqlsafe: ignore no-such-rule",
    "\\connect db",
    "'unterminated",
    "/* open comment",
    "$$ dollar",
    "{{ .Table }}",
    "",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    for f in lint_sql(text, RULES):
        assert _located(text, f.line, f.column)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=12),
    st.lists(st.sampled_from(FRAGMENTS), max_size=4),
    st.sampled_from([";\n", ";", "\n", "; -- c\n"]),
    st.booleans(),
)
def test_generated_ddl_never_crashes(
    body: list[str], history: list[str], sep: str, in_tx: bool
) -> None:
    sql = sep.join(body)
    findings = lint_sql(
        sql, RULES, Settings(assume_in_transaction=in_tx), history=(";\n".join(history),)
    )
    for f in findings:
        assert _located(sql, f.line, f.column), (sql, f)


# -- pathological sizes and shapes ---------------------------------------------------------


@pytest.mark.slow
def test_ten_megabytes_in_one_statement() -> None:
    sql = (
        "CREATE TABLE t (id int);\nINSERT INTO t VALUES ('"
        + "x" * 10_000_000
        + "');\nDROP TABLE t2;"
    )
    findings = lint_sql(sql, CORE)
    assert [f.rule for f in findings] == ["drop-table"]


@pytest.mark.slow
def test_many_statements() -> None:
    sql = "SELECT 1;\n" * 100_000 + "CREATE INDEX i ON t (a);\n"
    findings = lint_sql(sql, CORE)
    assert [(f.rule, f.line) for f in findings] == [("non-concurrent-index", 100_001)]


@pytest.mark.parametrize(
    "nested",
    [
        "SELECT " + "f(" * 1000 + "1" + ")" * 1000,  # parses; deeper than Python's stack
        "SELECT * FROM " + "(SELECT * FROM " * 400 + "t" + ") s" * 400,
        "SELECT " + "(" * 20000 + "1" + ")" * 20000,  # too deep for PostgreSQL's parser
        "SELECT " + "1+" * 20000 + "1",
    ],
    ids=["functions-1000", "subqueries-400", "parens-20000", "operators-20000"],
)
def test_deep_nesting_is_a_located_finding_not_a_crash(nested: str) -> None:
    sql = f"CREATE INDEX a_idx ON a (x);\n{nested};\nDROP TABLE b;\n"
    findings = lint_sql(sql, CORE)
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"non-concurrent-index", "syntax-error", "drop-table"}
    deep = by_rule["syntax-error"]
    assert deep.line == 2 and "nested too deeply" in deep.message


# -- bad files through the command line ------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "SQLSAFE_CACHE_DIR": str(cwd / ".cache")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "linter",
            "lint",
            "--format",
            "json",
            "--select",
            ",".join(CORE_RULES),
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_bad_files_are_reported_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "1_empty.sql").write_bytes(b"")
    (tmp_path / "2_binary.sql").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "3_latin1.sql").write_bytes("-- caf\u00e9\nSELECT 1;\n".encode("latin-1"))
    (tmp_path / "4_truncated.sql").write_bytes(
        b"DROP INDEX old_i;\nCREATE INDEX i ON t (id);\nALTER TABLE t ALTER COLUMN x SET DEF"
    )
    (tmp_path / "5_truncated_utf8.sql").write_bytes("SELECT '\u00e9".encode()[:-1])
    (tmp_path / "6_comments_only.sql").write_bytes(b"-- nothing here\n/* at all */\n")
    proc = _cli(".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    assert errors["2_binary.sql"].startswith("binary file")
    assert (
        errors["3_latin1.sql"] == "not valid UTF-8: byte 0xe9 at line 1 (invalid continuation byte)"
    )
    assert errors["5_truncated_utf8.sql"].startswith("not valid UTF-8: byte 0xc3 at line 1")
    assert set(errors) == {"2_binary.sql", "3_latin1.sql", "5_truncated_utf8.sql"}
    findings = [(f["path"], f["line"], f["rule"]) for f in doc["findings"]]
    assert ("4_truncated.sql", 2, "non-concurrent-index") in findings
    syntax = [f for f in doc["findings"] if f["rule"] == "syntax-error"]
    assert [(f["path"], f["line"]) for f in syntax] == [("4_truncated.sql", 3)]
    assert doc["summary"]["files"] == 3  # the empty and comment-only files are linted too


def test_text_output_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bin.sql").write_bytes(b"\x00\xff")
    env = {**os.environ, "NO_COLOR": "1", "SQLSAFE_CACHE_DIR": str(tmp_path / ".cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "bin.sql"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "bin.sql: error binary file (contains NUL bytes)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_a_stray_parenthesis_does_not_hide_the_statements_after_it(tmp_path: Path) -> None:
    (tmp_path / "1_paren.sql").write_text(
        "ALTER TABLE accounts ADD COLUMN note text);\n"
        "CREATE INDEX accounts_note_idx ON accounts (note);\n"
        "DROP TABLE users;\n"
    )
    proc = _cli(".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    findings = [(f["line"], f["rule"]) for f in doc["findings"]]
    assert findings == [(1, "syntax-error"), (2, "non-concurrent-index"), (3, "drop-table")]
