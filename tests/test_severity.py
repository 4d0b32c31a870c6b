"""`--fail-on` and `[tool.sqlsafe.severity]`: what fails the run, at which severity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.cli import main

SQL = "ALTER TABLE accounts DROP COLUMN b;\n\\set x 1\n"  # drop-column (error), meta (warning)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "m.sql").write_text(SQL)
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str]]:
    code = main(
        ["lint", "m.sql", "--select", "drop-column,psql-meta-command", "--format", "json", *args]
    )
    findings = json.loads(capsys.readouterr().out)["findings"]
    return code, {f["rule"]: f["severity"] for f in findings}


def test_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, sev = lint(capsys)
    assert code == 1
    assert sev == {"drop-column": "error", "psql-meta-command": "warning"}


def test_severity_override_in_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".sqlsafe.toml").write_text('[severity]\ndrop-column = "note"\nSS900 = "note"\n')
    code, sev = lint(capsys)
    assert sev == {"drop-column": "note", "psql-meta-command": "note"}
    assert code == 0  # notes are below the default fail-on (warning)
    code, _ = lint(capsys, "--fail-on", "note")
    assert code == 1


def test_fail_on_error_ignores_warnings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".sqlsafe.toml").write_text('[severity]\ndrop-column = "warning"\n')
    code, sev = lint(capsys, "--fail-on", "error")
    assert sev["drop-column"] == "warning" and code == 0
    code, _ = lint(capsys, "--fail-on", "warning")
    assert code == 1


def test_fail_on_from_config_and_command_line_wins(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".sqlsafe.toml").write_text(
        'fail-on = "error"\n[severity]\ndrop-column = "warning"\n'
    )
    assert lint(capsys)[0] == 0
    assert lint(capsys, "--fail-on", "warning")[0] == 1


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[severity]\ndrop-column = "fatal"\n', "must be one of error, warning, note"),
        ('fail-on = "critical"\n', "must be one of error, warning, note"),
        ('[severity]\nno-such-rule = "note"\n', "unknown rule `no-such-rule`"),
    ],
)
def test_bad_severity_config(
    project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    (project / ".sqlsafe.toml").write_text(toml)
    assert main(["lint", "m.sql"]) == 2
    assert message in capsys.readouterr().err


def test_bad_fail_on_option(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "m.sql", "--fail-on", "fatal"]) == 2
    assert "fatal" in capsys.readouterr().err


# -- severity follows harm: require-lock-timeout by the lock it waits for -------------------

ACCOUNTS = ("CREATE TABLE accounts (id bigint PRIMARY KEY, email text, n bigint);",)


def _lock_timeout(sql: str, **settings: object) -> list[tuple[int, str]]:
    from linter.analysis.engine import lint_sql
    from linter.analysis.registry import load_rules
    from linter.state.context import Settings

    findings = lint_sql(
        sql,
        load_rules(plugins=False),
        Settings(select=("require-lock-timeout",), **settings),  # type: ignore[arg-type]
        history=ACCOUNTS,
    )
    return [(f.line, f.severity.value) for f in findings]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);",
        "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_n_check;",
    ],
)
def test_share_update_exclusive_is_a_warning(sql: str) -> None:
    assert _lock_timeout(sql) == [(1, "warning")]


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE accounts ADD COLUMN nickname text;",  # ACCESS EXCLUSIVE
        "CREATE INDEX accounts_email_idx ON accounts (email);",  # SHARE
        "LOCK TABLE accounts IN EXCLUSIVE MODE;",
        "LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE;",
    ],
)
def test_locks_that_queue_reads_or_writes_stay_errors(sql: str) -> None:
    assert _lock_timeout(sql) == [(1, "error")]


def test_a_stronger_lock_after_the_warning_is_still_an_error() -> None:
    sql = (
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n"
        "CREATE INDEX CONCURRENTLY accounts_n_idx ON accounts (n);\n"
        "ALTER TABLE accounts ADD COLUMN nickname text;\n"
        "ALTER TABLE accounts ADD COLUMN other text;\n"
    )
    assert _lock_timeout(sql) == [(1, "warning"), (3, "error")]


def test_an_error_first_is_reported_once() -> None:
    sql = (
        "ALTER TABLE accounts ADD COLUMN nickname text;\n"
        "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n"
    )
    assert _lock_timeout(sql) == [(1, "error")]


def test_user_severity_still_wins_over_the_lock() -> None:
    cic = "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);"
    alter = "ALTER TABLE accounts ADD COLUMN nickname text;"
    raise_ = {"require-lock-timeout": "error"}
    assert _lock_timeout(cic, severity=raise_) == [(1, "error")]
    assert _lock_timeout(alter, severity={"SS011": "note"}) == [(1, "note")]
