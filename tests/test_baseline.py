"""`sqlsafe baseline write` and `lint --baseline`: only new findings fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.cli import main

OLD = "CREATE INDEX a_idx ON accounts (a);\nALTER TABLE accounts DROP COLUMN b;\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_old.sql").write_text(OLD)
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["lint", "--select", "non-concurrent-index,drop-column", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["findings"]


def write(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    code = main(["baseline", "write", "--select", "non-concurrent-index,drop-column", *args])
    capsys.readouterr()
    return code


def test_baseline_hides_recorded_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert write(capsys, "sqlsafe-baseline.json", "migrations") == 0
    data = json.loads((project / "sqlsafe-baseline.json").read_text())
    assert {e["rule"] for e in data["findings"]} == {"non-concurrent-index", "drop-column"}
    assert all(e["path"] == "migrations/0001_old.sql" for e in data["findings"])
    code, findings = lint(capsys, "migrations", "--baseline", "sqlsafe-baseline.json")
    assert code == 0 and findings == []


def test_new_findings_still_fail(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(capsys, "base.json", "migrations")
    (project / "migrations" / "0002_new.sql").write_text("CREATE INDEX c_idx ON accounts (c);\n")
    code, findings = lint(capsys, "migrations", "--baseline", "base.json")
    assert code == 1
    assert [(f["path"], f["line"]) for f in findings] == [("migrations/0002_new.sql", 1)]


def test_edits_above_do_not_resurrect(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(capsys, "base.json", "migrations")
    old = project / "migrations" / "0001_old.sql"
    old.write_text("-- reviewed\n\n\n" + OLD.replace("ON accounts (a)", "ON  accounts\n  (a)"))
    code, findings = lint(capsys, "migrations", "--baseline", "base.json")
    assert code == 0 and findings == []


def test_duplicates_are_counted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(capsys, "base.json", "migrations")
    old = project / "migrations" / "0001_old.sql"
    old.write_text(OLD + "CREATE INDEX a_idx ON accounts (a);\n")
    code, findings = lint(capsys, "migrations", "--baseline", "base.json")
    assert code == 1 and len(findings) == 1 and findings[0]["line"] == 3


def test_baseline_from_another_directory(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(capsys, "base.json", "migrations")
    monkeypatch.chdir(project / "migrations")
    code, findings = lint(capsys, ".", "--baseline", "../base.json")
    assert code == 0 and findings == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such baseline file"), ("{", "cannot read"), ('{"x": 1}', "not a sqlsafe baseline")],
)
def test_bad_baseline_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    if content is not None:
        (project / "b.json").write_text(content)
    code = main(["lint", "migrations", "--baseline", "b.json"])
    assert code == 2
    assert message in capsys.readouterr().err
