"""The benchmark scripts keep working (their figures are in docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys

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
