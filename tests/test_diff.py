"""`lint --diff REF`: only files added or changed since REF; edited applied migrations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import git

from linter.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".gitignore").write_text(".cache/\n")
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (m / "0002_index.sql").write_text("CREATE INDEX old_idx ON accounts (email);\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "init")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["lint", "--format", "json", *args])
    out = capsys.readouterr()
    return code, json.loads(out.out)["findings"] if out.out else []


def test_only_new_files_are_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = repo / "migrations" / "0003_new.sql"
    new.write_text("ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n")
    code, findings = lint(capsys, "migrations", "--diff", "main")
    assert code == 1
    assert {f["path"] for f in findings} == {"migrations/0003_new.sql"}
    assert findings[0]["rule"] == "set-not-null"  # accounts is known from the history
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "new")
    code, findings = lint(capsys, "migrations", "--diff", "main")
    assert {f["path"] for f in findings} == {"migrations/0003_new.sql"}


def test_nothing_changed_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = lint(capsys, "migrations", "--diff", "main")
    assert code == 0 and findings == []


def test_editing_an_applied_migration_is_a_finding(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = repo / "migrations" / "0001_init.sql"
    old.write_text("CREATE TABLE accounts (id bigint, email text, name text);\n")
    code, findings = lint(capsys, "migrations", "--diff", "main")
    assert code == 1
    assert [(f["rule"], f["code"], f["path"], f["line"]) for f in findings] == [
        ("edited-applied-migration", "SS902", "migrations/0001_init.sql", 1)
    ]
    # the rule can be ignored like any other
    code, findings = lint(capsys, "migrations", "--diff", "main", "--ignore", "SS902")
    assert code == 0 and findings == []


def test_without_diff_nothing_is_edited(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "migrations" / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint);\n")
    _, findings = lint(capsys, "migrations")
    assert "edited-applied-migration" not in {f["rule"] for f in findings}


def test_bad_ref_and_no_repo_are_usage_errors(
    repo: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["lint", "migrations", "--diff", "no-such-ref"]) == 2
    assert "--diff no-such-ref" in capsys.readouterr().err
    elsewhere = tmp_path_factory.mktemp("norepo")
    (elsewhere / "a.sql").write_text("SELECT 1;\n")
    monkeypatch.chdir(elsewhere)
    assert main(["lint", "a.sql", "--diff", "main"]) == 2
    assert "--diff main" in capsys.readouterr().err
