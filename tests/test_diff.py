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


def _change_adds_a_table_then_indexes_it(repo: Path) -> None:
    m = repo / "migrations"
    (m / "0003_orders.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint, total int);\n"
    )
    (m / "0004_orders_fk.sql").write_text(
        "CREATE INDEX orders_account ON orders (account_id);\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_account_fk\n"
        "  FOREIGN KEY (account_id) REFERENCES accounts (id);\n"
    )


def test_a_table_created_earlier_in_the_change_is_new(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _change_adds_a_table_then_indexes_it(repo)
    for committed in (False, True):
        if committed:
            git(repo, "add", ".")
            git(repo, "commit", "-q", "-m", "orders")
        code, findings = lint(
            capsys,
            "migrations",
            "--diff",
            "main",
            "--select",
            "non-concurrent-index,add-foreign-key",
        )
        # deployed right after 0003: orders is empty and unused, its index and foreign key
        # block no one
        assert findings == []
        assert code == 0
    # a table the change did not create is still existing
    (repo / "migrations" / "0005_accounts.sql").write_text(
        "CREATE INDEX accounts_email ON accounts (email);\n"
    )
    assert _indexes_reported(capsys) == [("migrations/0005_accounts.sql", "non-concurrent-index")]


def _indexes_reported(capsys: pytest.CaptureFixture[str]) -> list[tuple[object, object]]:
    """(path, rule) of the non-concurrent-index findings of `lint migrations --diff main`."""
    _, findings = lint(capsys, "migrations", "--diff", "main", "--select", "non-concurrent-index")
    return [(f["path"], f["rule"]) for f in findings]


def test_new_in_change_off_judges_each_file_alone(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _change_adds_a_table_then_indexes_it(repo)
    (repo / ".sqlsafe.toml").write_text("new-in-change = false\n")
    code, findings = lint(capsys, "migrations", "--diff", "main")
    rules = {(f["path"], f["rule"]) for f in findings}
    assert ("migrations/0004_orders_fk.sql", "non-concurrent-index") in rules
    assert code == 1


def test_a_file_between_that_is_not_in_the_change_ends_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only files the change adds one after the other run back to back: a table created by
    an added file before an older, already deployed one is existing after it."""
    m = repo / "migrations"
    (m / "0000_orders.sql").write_text("CREATE TABLE orders (id bigint, account_id bigint);\n")
    (m / "0003_index.sql").write_text("CREATE INDEX orders_account ON orders (account_id);\n")
    assert _indexes_reported(capsys) == [("migrations/0003_index.sql", "non-concurrent-index")]


def test_the_change_with_a_file_named_alone_and_the_cache(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook names the added file alone: its history is read, the earlier
    added file included; a cached result of the same text without --diff is not reused."""
    _change_adds_a_table_then_indexes_it(repo)
    target = "migrations/0004_orders_fk.sql"
    _, findings = lint(capsys, target, "--select", "non-concurrent-index")
    assert [f["rule"] for f in findings] == ["non-concurrent-index"]
    _, findings = lint(capsys, target, "--diff", "main", "--select", "non-concurrent-index")
    assert findings == []
    _, findings = lint(capsys, target, "--select", "non-concurrent-index")
    assert [f["rule"] for f in findings] == ["non-concurrent-index"]
