"""The sample projects of ``examples/`` as a user meets them: ``sqlsafe lint`` run in the
project's directory (its own ``.sqlsafe.toml`` applies) on the files themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PYTHON_PROJECTS = ["alembic/safe", "alembic/unsafe", "django/safe", "django/unsafe"]


def _lint(directory: Path, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    env = {**os.environ, "SQLSAFE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "linter", "lint", "--format", "json", "."],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    findings = json.loads(done.stdout)["findings"]
    return done.returncode, findings


@pytest.mark.parametrize("project", ["alembic/safe", "django/safe"])
def test_safe_projects_have_nothing_to_fix(project: str, tmp_path: Path) -> None:
    """The safe projects (written by sqlsafe's commands, and an initial migration whose
    rollback has a lock_timeout) report notes at most, and exit 0."""
    code, findings = _lint(EXAMPLES / project, tmp_path)
    assert code == 0
    assert {f["severity"] for f in findings} <= {"note"}, findings


@pytest.mark.parametrize("project", PYTHON_PROJECTS)
def test_findings_point_at_the_python_file(project: str, tmp_path: Path) -> None:
    """Each finding's column is on its line of the .py file, at the operation or at the
    SQL written there, never inside SQL the framework generated (which the file does not
    hold); its range does not run backwards."""
    root = EXAMPLES / project
    code, findings = _lint(root, tmp_path)
    assert findings or project.endswith("safe")
    assert code == (1 if project.endswith("unsafe") else 0)
    for f in findings:
        text = (root / f["path"]).read_text().split("\n")[f["line"] - 1]
        column = f["column"]
        assert 1 <= column <= len(text), (f, text)
        if f["rule"] != "python-data-migration":
            assert not text[column - 1].isspace(), (f, text)
        assert (f["end_line"], f["end_column"]) >= (f["line"], f["column"]), f
