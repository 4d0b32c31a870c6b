"""PostgreSQL 19: accepted as a target; its new statements are explained syntax errors;
vacuum-full-or-cluster recommends REPACK (CONCURRENTLY) there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.analysis.engine import lint_sql
from linter.analysis.registry import load_rules
from linter.cli import main
from linter.state.context import Settings

RULES = load_rules(plugins=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["lint", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)["findings"] if code != 2 else []


def test_target_version_19_on_the_command_line_and_in_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "m.sql").write_text("VACUUM FULL accounts;\n")
    only = ("--select", "vacuum-full-or-cluster")
    code, findings = _lint(capsys, "m.sql", *only, "--target-version", "19")
    assert code == 1 and "REPACK (CONCURRENTLY)" in str(findings[0]["help"])
    (project / ".sqlsafe.toml").write_text('target-version = "19.0"\n')
    code, findings = _lint(capsys, "m.sql", *only)
    assert code == 1 and "REPACK (CONCURRENTLY)" in str(findings[0]["help"])


def test_target_version_20_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "m.sql").write_text("SELECT 1;\n")
    assert main(["lint", "m.sql", "--target-version", "20"]) == 2
    assert "from 10 to 19, not '20'" in capsys.readouterr().err


REPACK = "SELECT 1;\n-- rebuild it\nREPACK (CONCURRENTLY) accounts;\nDROP TABLE accounts;\n"


@pytest.mark.parametrize("target", [15, 18, 19])
def test_repack_is_a_located_explained_syntax_error(target: int) -> None:
    findings = lint_sql(REPACK, RULES, Settings(target_version=target))
    errors = [f for f in findings if f.rule == "syntax-error"]
    assert [(f.line, f.column, f.severity.value) for f in errors] == [(3, 1, "error")]
    message = errors[0].message
    assert "`REPACK` is PostgreSQL 19 syntax" in message
    assert "PostgreSQL 18 grammar" in message
    assert ("(the target version) rejects it" in message) == (target < 19)
    assert any(f.rule == "drop-table" for f in findings)  # the rest of the file is linted


def test_wait_for_lsn_is_explained_too() -> None:
    (error,) = lint_sql("wait  for lsn '0/306EE20';", RULES, Settings(target_version=19))
    assert error.rule == "syntax-error" and "`WAIT FOR LSN` is PostgreSQL 19" in error.message


def test_other_syntax_errors_keep_the_parser_message() -> None:
    (error,) = lint_sql("REPACKED accounts;", RULES, Settings(target_version=19))
    assert error.message.startswith('syntax error at or near "REPACKED"')


def test_repack_on_the_command_line_is_not_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "m.sql").write_text(REPACK)
    code, findings = _lint(capsys, "m.sql", "--target-version", "19")
    assert code == 1
    assert {(f["rule"], f["line"]) for f in findings} >= {("syntax-error", 3)}


@pytest.mark.parametrize(
    ("sql", "advice"),
    [
        ("VACUUM FULL accounts;", "`REPACK (CONCURRENTLY) public.accounts`"),
        (
            "CLUSTER accounts USING accounts_pkey;",
            "`REPACK (CONCURRENTLY) public.accounts USING INDEX accounts_pkey`",
        ),
        ("CLUSTER accounts;", "`REPACK (CONCURRENTLY) public.accounts USING INDEX`"),
        ("VACUUM FULL;", "`REPACK (CONCURRENTLY) <table>`"),
    ],
)
def test_vacuum_full_or_cluster_recommends_repack_on_19(sql: str, advice: str) -> None:
    def helps(target: int) -> list[str]:
        settings = Settings(target_version=target, select=("vacuum-full-or-cluster",))
        return [str(f.help) for f in lint_sql(sql, RULES, settings)]

    (on19,) = helps(19)
    assert advice in on19 and "transaction block" in on19
    (on18,) = helps(18)
    assert "REPACK (CONCURRENTLY)" not in on18 and "pg_repack" in on18
