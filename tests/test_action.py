"""The GitHub Action (``action.yml``): its lint step, run as GitHub would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, git

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    return loaded


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s.get("name") == name)


def _migrations_on_a_branch(work: Path, *, push: bool = False) -> None:
    """In the git repository *work*: main with two migrations (pushed to origin when
    *push*), then a branch `feature` that adds `0003_new.sql`."""
    migrations = work / "migrations"
    migrations.mkdir()
    (migrations / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (migrations / "0002_old.sql").write_text("CREATE INDEX old_idx ON accounts (email);\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "init")
    if push:
        git(work, "push", "-q", "origin", "main")
    git(work, "checkout", "-q", "-b", "feature")
    (migrations / "0003_new.sql").write_text("CREATE INDEX new_idx ON accounts (id);\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "new")


def test_action_is_a_composite_that_installs_and_lints() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "base-ref", "version", "args"}
    install = _step("Install sqlsafe")["run"]
    assert '"$GITHUB_ACTION_PATH"' in install and "sqlsafe==$SQLSAFE_VERSION" in install
    lint = _step("Lint changed migrations")["run"]
    assert "--diff" in lint and "--format github" in lint


def test_lint_step_annotates_only_the_changed_migration(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    _migrations_on_a_branch(tmp_path)
    step = _step("Lint changed migrations")
    env = {
        **os.environ,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        "BASE_REF": "main",  # what ${{ inputs.base-ref || github.base_ref }} gives
        "PATHS": "migrations",
        "ARGS": "",
        "SQLSAFE_CACHE_DIR": str(tmp_path / ".cache"),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations, done.stdout
    assert all("file=migrations/0003_new.sql" in line for line in annotations), annotations
    assert any(
        line.startswith("::error ") and "non-concurrent-index" in line for line in annotations
    )
    assert not (tmp_path / ".cache").exists()  # --no-cache: a fresh runner keeps nothing


def _gitlab_job() -> dict[str, Any]:
    text = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    section = text.split("## GitLab CI", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    job: dict[str, Any] = yaml.safe_load(block)["sqlsafe"]
    return job


def test_documented_gitlab_job_writes_a_code_quality_report(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    git(work, "remote", "add", "origin", str(origin))
    _migrations_on_a_branch(work, push=True)
    job = _gitlab_job()
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    env = {
        **os.environ,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "SQLSAFE_CACHE_DIR": str(tmp_path / ".cache"),
    }
    codes = [
        subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True).returncode
        for line in job["script"]
    ]
    assert codes == [0, 1]  # the fetch, then lint with findings (the job fails)
    report = json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert report and {e["location"]["path"] for e in report} == {"migrations/0003_new.sql"}
    assert all({"description", "check_name", "fingerprint", "severity"} <= set(e) for e in report)
