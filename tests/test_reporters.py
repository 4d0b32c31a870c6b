"""The CI output formats: SARIF (schema-valid), GitHub, GitLab, JUnit, gcc, Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from linter.cli import main
from linter.output.reporters import REPORTERS

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

HISTORY = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, note text);\n"
CHANGE = (
    "-- add an index\n"
    "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    "ALTER TABLE accounts DROP COLUMN note;\n"
    "ALTER TABLE accounts ADD COLUM x int;\n"
)


@pytest.fixture
def migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "0001_init.sql").write_text(HISTORY)
    (d / "0002_change.sql").write_text(CHANGE)
    return d


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", "--select", "non-concurrent-index,drop-column,syntax-error", *args])
    return code, capsys.readouterr().out


def test_every_format_is_registered() -> None:
    from linter.commands.lint import FORMATS

    assert set(FORMATS) == set(REPORTERS)


def test_sarif_is_valid_against_the_official_schema(
    migrations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "migrations", "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft4Validator)
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    results = run_["results"]
    assert len(results) == 3 and "SS001" in {r["ruleId"] for r in results}
    index = {r["ruleId"]: r for r in results}
    idx = index["SS001"]
    assert rules[idx["ruleIndex"]]["id"] == "SS001"
    loc = idx["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "migrations/0002_change.sql"
    assert loc["region"]["startLine"] == 2 and loc["region"]["startColumn"] == 1
    assert "Safe alternative" in idx["message"]["text"]


def test_sarif_reports_unreadable_files_as_notifications(
    migrations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (migrations / "0003_bin.sql").write_bytes(b"\x00\x01binary")
    _, out = run(capsys, "migrations", "--format", "sarif")
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert "binary" in inv["toolExecutionNotifications"][0]["message"]["text"]


def test_github_workflow_commands(migrations: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "migrations", "--format", "github")
    lines = [line for line in out.splitlines() if line.startswith("::")]
    assert len(lines) == 3
    first = lines[0]
    assert first.startswith("::error file=migrations/0002_change.sql,line=2,col=1,")
    assert "title=sqlsafe non-concurrent-index (SS001)::" in first
    assert "\n" not in first and "%0A%0ASafe alternative" in first


def test_github_escaping() -> None:
    from linter.output.reporters.github import command

    line = command("warning", "50% done\nnext", file="a,b:c.sql", line=1)
    assert line == "::warning file=a%2Cb%3Ac.sql,line=1::50%25 done%0Anext"


def test_gitlab_code_quality(migrations: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "migrations", "--format", "gitlab")
    issues = json.loads(out)
    assert len(issues) == 3
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "migrations/0002_change.sql"
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 3


def test_gitlab_fingerprints_survive_edits_above(
    migrations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, before = run(capsys, "migrations", "--format", "gitlab")
    (migrations / "0002_change.sql").write_text("-- a new comment\n\n" + CHANGE)
    _, after = run(capsys, "migrations", "--format", "gitlab")
    assert {i["fingerprint"] for i in json.loads(before)} == {
        i["fingerprint"] for i in json.loads(after)
    }


def test_junit(migrations: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "migrations", "--format", "junit")
    root = ET.fromstring(out.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "3"
    failures = root.findall(".//failure")
    assert {f.get("type") for f in failures} == {
        "non-concurrent-index",
        "drop-column",
        "syntax-error",
    }


def test_junit_clean_run_has_a_passing_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "ok.sql"
    f.write_text("CREATE TABLE t (id int);\n")
    code, out = run(capsys, str(f), "--format", "junit", "--no-cache")
    assert code == 0
    root = ET.fromstring(out.split("\n", 1)[1])
    assert len(root.findall(".//testcase")) == 1 and not root.findall(".//failure")


def test_gcc_one_line_per_finding(migrations: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "migrations", "--format", "gcc")
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("migrations/0002_change.sql:2:1: error: CREATE INDEX")
    assert lines[0].endswith("[non-concurrent-index]")
    assert lines[2].startswith("migrations/0002_change.sql:4:")


def test_markdown_plan(migrations: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "migrations", "--format", "markdown")
    assert out.startswith("# sqlsafe migration plan")
    assert "## `migrations/0002_change.sql`" in out
    assert "```sql\nCREATE INDEX accounts_email_idx ON accounts (email)\n```" in out
    assert "`ShareLock` on `public.accounts`: blocks" in out
    assert "**Safe alternative:**" in out
    assert "`non-concurrent-index` (SS001), line 2" in out
    # the table created in the earlier file is existing; a table of the same file is new
    assert "`public.accounts` (existing)" in out


def test_markdown_shows_a_duration_estimate_when_given() -> None:
    from linter.output.reporters.markdown import DURATION_KEYS, _duration

    assert _duration({DURATION_KEYS[0]: "~4 s (2 GB table)"}) == "~4 s (2 GB table)"
    assert _duration({}) is None
