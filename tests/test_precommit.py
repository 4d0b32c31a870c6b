"""The real `pre-commit try-repo` against a temporary repo with one unsafe, one safe migration."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, git

pytestmark = pytest.mark.skipif(
    shutil.which("pre-commit") is None or shutil.which("git") is None,
    reason="pre-commit and git are needed",
)


def test_pre_commit_try_repo(tmp_path: Path) -> None:
    # try-repo needs a git repository of the hook: copy the working tree so uncommitted changes
    # are tested too
    hook_repo = tmp_path / "hook"
    shutil.copytree(
        REPO,
        hook_repo,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", "build", "dist", ".mypy_cache", ".ruff_cache"
        ),
    )
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-qm", "hook")

    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    (project / "migrations" / "001_safe.sql").write_text(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(255));\n"
        "CREATE INDEX accounts_email_idx ON accounts (email);\n"
    )
    (project / "migrations" / "002_unsafe.sql").write_text(
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n"
    )
    # no `history` key: each staged file reads its directory's history by itself
    (project / ".sqlsafe.toml").write_text('select = ["safety"]\n')
    git(project, "init", "-q")
    git(project, "add", "-A")

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def hook(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            ["pre-commit", "try-repo", str(hook_repo), "sqlsafe", *args],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        return result.returncode, result.stdout + result.stderr

    code, output = hook("--all-files")
    assert code == 1, output
    assert "002_unsafe.sql:1:1: error set-not-null" in output
    assert "001_safe.sql:" not in output  # the safe migration has no finding

    # the next commit stages one file: a widening, safe because 001 says varchar(255)
    git(project, "commit", "-qm", "first", "--no-verify")
    (project / "migrations" / "003_widen.sql").write_text(
        "SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN email TYPE varchar(320);\n"
    )
    git(project, "add", "migrations/003_widen.sql")
    code, output = hook()
    assert code == 0, output
    assert "alter-column-type" not in output


def test_pre_commit_python_hook_on_an_alembic_project(tmp_path: Path) -> None:
    """The `sqlsafe-python` hook (language: system, the project's own environment): a
    staged Alembic revision is linted after its history, findings on its `.py` lines."""
    pytest.importorskip("alembic")
    if shutil.which("sqlsafe") is None:
        pytest.skip("the sqlsafe-python hook runs the sqlsafe on PATH")
    from test_alembic import write_project

    hook_repo = tmp_path / "hook"
    hook_repo.mkdir()
    shutil.copy(REPO / ".pre-commit-hooks.yaml", hook_repo)
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-qm", "hook")
    project = tmp_path / "project"
    versions = write_project(project)
    git(project, "init", "-q")
    git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        ["pre-commit", "try-repo", str(hook_repo), "sqlsafe-python", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "c3_email.py:" in output and "non-concurrent-index" in output, output
    assert "env.py" not in output  # not a migration: never linted
    assert versions.is_dir()
