"""The benchmark scripts keep working (their figures are in docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


def test_floor_script_times_each_step() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench/floor.py"), str(REPO / "examples"), "--runs", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    labels = [line.split("  ")[0] for line in done.stdout.splitlines()[1:]]
    assert labels == [
        "python -c pass",
        "import pglast, orjson",
        "read every file",
        "parse_sql_json",
        "orjson.loads",
        "floor on two cores",
    ]
    assert all(line.endswith(" ms") for line in done.stdout.splitlines()[1:])


def test_floor_script_refuses_a_missing_corpus() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench/floor.py"), "/nonexistent/corpus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "not a directory" in done.stderr


def test_the_alembic_rows_run(tmp_path: Path) -> None:
    """``bench.py --alembic``'s rows on a small generated project (its figures are in
    docs/performance.md)."""
    pytest.importorskip("alembic")
    code = (
        "import sys; from pathlib import Path\n"
        f"sys.path.insert(0, {str(REPO / 'bench')!r})\n"
        "import bench, shutil\n"
        "sqlsafe = [sys.executable, '-m', 'linter']\n"
        f"rows = bench.alembic_rows(sqlsafe, 1, Path({str(tmp_path)!r}), revisions=5)\n"
        "print('\\n'.join(rows))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert len(rows) == 4, done.stdout
    assert "import alembic" in rows[0]
    assert all("5-revision Alembic project" in r for r in rows[1:]), rows
