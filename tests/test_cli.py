"""The installed `sqlsafe` command: exit codes, JSON shape, stdin, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORE_RULES

SQLSAFE = shutil.which("sqlsafe")


def sqlsafe(
    *args: str,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [SQLSAFE] if SQLSAFE else [sys.executable, "-m", "linter"]
    if args and args[0] == "lint" and "--select" not in args:
        args = ("lint", "--select", ",".join(CORE_RULES), *args[1:])
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        input=stdin.decode("utf-8", "surrogateescape") if stdin else None,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_clean_file_exits_0(tmp_path: Path) -> None:
    (tmp_path / "ok.sql").write_text("CREATE INDEX CONCURRENTLY i ON t (a);\n")
    result = sqlsafe("lint", "ok.sql", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings" in result.stdout


def test_findings_exit_1_and_text_format(tmp_path: Path) -> None:
    (tmp_path / "bad.sql").write_text("-- leading comment\n\n  CREATE INDEX i ON t (a);\n")
    result = sqlsafe("lint", "bad.sql", cwd=tmp_path)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("bad.sql:3:3: error non-concurrent-index: ")
    assert "ShareLock" in first
    assert "      3 |   CREATE INDEX i ON t (a);" in result.stdout
    assert "^" in result.stdout and "safe alternative:" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not a terminal / NO_COLOR


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert sqlsafe("lint", cwd=tmp_path).returncode == 2
    assert sqlsafe("lint", "--format", "xml", "x.sql", cwd=tmp_path).returncode == 2
    assert sqlsafe("lint", "--target-version", "abc", "x.sql", cwd=tmp_path).returncode == 2
    assert sqlsafe("no-such-command", cwd=tmp_path).returncode == 2
    result = sqlsafe("rule", "no-such-rule", cwd=tmp_path)
    assert result.returncode == 2 and "no-such-rule" in result.stderr


def test_json_shape(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUM x int;\n")
    result = sqlsafe("lint", "--format", "json", "m.sql", cwd=tmp_path)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"findings", "errors", "summary"}
    keys = {
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "rule",
        "code",
        "severity",
        "message",
        "help",
    }
    assert all(set(f) == keys for f in doc["findings"])
    assert [(f["rule"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("non-concurrent-index", 1, 1),
        ("syntax-error", 2, 27),
    ]
    assert doc["summary"]["files"] == 1 and doc["summary"]["findings"] == 2


def test_stdin_with_name(tmp_path: Path) -> None:
    result = sqlsafe(
        "lint", "-", "--stdin-filename", "db/001.sql", cwd=tmp_path, stdin=b"DROP TABLE users;\n"
    )
    assert result.returncode == 1
    assert result.stdout.startswith("db/001.sql:1:1: error drop-table")


def test_bad_files_are_reported_and_others_linted(tmp_path: Path) -> None:
    (tmp_path / "1_binary.sql").write_bytes(b"\x00\x01\x02PNG")
    (tmp_path / "2_latin1.sql").write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    (tmp_path / "3_dir.sql").mkdir()
    (tmp_path / "4_bom.sql").write_bytes("\ufeffDROP TABLE t;".encode())
    (tmp_path / "5_empty.sql").write_bytes(b"")
    result = sqlsafe("lint", "--format", "json", ".", cwd=tmp_path)
    doc = json.loads(result.stdout)
    errors = {Path(e["path"]).name: e["message"] for e in doc["errors"]}
    assert "binary" in errors["1_binary.sql"]
    assert "not valid UTF-8" in errors["2_latin1.sql"] and "line 1" in errors["2_latin1.sql"]
    assert "3_dir.sql" not in errors  # a directory named x.sql is not a file
    assert [(Path(f["path"]).name, f["rule"], f["column"]) for f in doc["findings"]] == [
        ("4_bom.sql", "drop-table", 1)
    ]
    assert result.returncode == 1
    missing = sqlsafe("lint", "nope.sql", cwd=tmp_path)
    assert missing.returncode == 1 and "nope.sql: error no such file" in missing.stdout
    assert "Traceback" not in missing.stderr


def test_rules_and_rule_commands(tmp_path: Path) -> None:
    result = sqlsafe("rules", "--format", "json", cwd=tmp_path)
    rules = json.loads(result.stdout)
    names = {r["name"] for r in rules}
    for name in CORE_RULES:
        assert name in names
    assert all({"name", "code", "summary", "severity", "aliases"} <= set(r) for r in rules)
    table = sqlsafe("rules", cwd=tmp_path).stdout
    assert "SS001" in table and "non-concurrent-index" in table
    page = sqlsafe("rule", "SS005", cwd=tmp_path)
    assert page.returncode == 0 and "# set-not-null (SS005)" in page.stdout
    assert "## Examples" in page.stdout
    by_alias = sqlsafe("rule", "adding-not-nullable-field", cwd=tmp_path)
    assert "# set-not-null" in by_alias.stdout


def test_help_explains(tmp_path: Path) -> None:
    out = sqlsafe("lint", "--help", cwd=tmp_path).stdout
    for option in (
        "--target-version",
        "--assume-in-transaction",
        "--select",
        "--ignore",
        "--config",
        "--format",
        "--stdin-filename",
        "--fail-on",
    ):
        assert option in out
    assert "Exit codes" in sqlsafe("--help", cwd=tmp_path).stdout


@pytest.mark.skipif(SQLSAFE is None, reason="the sqlsafe console script is not installed")
def test_examples_from_another_directory(tmp_path: Path, repo: Path) -> None:
    result = sqlsafe("lint", str(repo / "examples"), "--format", "json", cwd=tmp_path)
    doc = json.loads(result.stdout)
    unsafe = [f for f in doc["findings"] if "unsafe" in f["path"]]
    safe = [f for f in doc["findings"] if "unsafe" not in f["path"]]
    assert {f["rule"] for f in unsafe} >= {
        "non-concurrent-index",
        "alter-column-type",
        "set-not-null",
        "add-foreign-key",
    }
    assert safe == []
