"""``sqlsafe stats`` and ``sqlsafe lint --stats`` on the embedded server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.cli import main
from linter.server.stats import Calibration, Stats, TableStats, calibrate, collect, load_stats
from linter.server.trace_db import connect

pytest.importorskip("psycopg")


def test_collect_and_grade(pg_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with connect(pg_db) as conn:
        conn.execute(
            "CREATE TABLE big (id bigint PRIMARY KEY, v integer, email text);"
            "INSERT INTO big SELECT g, g, 'x' || g FROM generate_series(1, 20000) g;"
            "CREATE TABLE tiny (id bigint PRIMARY KEY, v integer); ANALYZE"
        )
    code = main(["stats", "--dsn", pg_db])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    assert doc["tables"]["public.big"]["rows"] == 20000
    assert doc["tables"]["public.big"]["bytes"] > 500_000
    assert doc["tables"]["public.tiny"]["rows"] == 0
    # a slow server: the big table's rewrite takes seconds, the tiny one's nothing
    stats = collect(pg_db)
    slow = Stats(stats.tables, Calibration(100_000.0, 1_000_000.0, True))
    stats_file = tmp_path / "stats.json"
    stats_file.write_text(json.dumps(slow.document()))
    migration = tmp_path / "m.sql"
    migration.write_text(
        "ALTER TABLE big ALTER COLUMN v TYPE bigint;\nALTER TABLE tiny ALTER COLUMN v TYPE bigint;\n"
    )
    code = main(
        [
            "lint",
            str(migration),
            "--stats",
            str(stats_file),
            "--format",
            "json",
            "--select",
            "alter-column-type",
            "--no-cache",
        ]
    )
    findings = json.loads(capsys.readouterr().out)
    findings = findings["findings"] if isinstance(findings, dict) else findings
    by_line = {f["line"]: f for f in findings}
    assert by_line[1]["severity"] == "error"
    assert "~20,000 rows" in by_line[1]["message"] and "lock would be held" in by_line[1]["message"]
    assert by_line[2]["severity"] == "note"
    assert code == 1


def test_calibrate_measures_throughput(pg_dsn: str) -> None:
    cal = calibrate(pg_dsn, rows=5000, repeat=1)
    assert cal.measured
    assert cal.rewrite_bytes_per_second > 0 and cal.scan_bytes_per_second > 0


def test_bad_stats_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "stats.json"
    bad.write_text('{"tables": {}}')
    migration = tmp_path / "m.sql"
    migration.write_text("SELECT 1;\n")
    assert main(["lint", str(migration), "--stats", str(bad)]) == 2
    assert "not a sqlsafe stats file" in capsys.readouterr().err


def test_round_trip_of_the_file_format(tmp_path: Path) -> None:
    stats = Stats({"public.t": TableStats(5, 8192, 16384)}, Calibration(1.0, 2.0, True), "db")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(stats.document()))
    assert load_stats(path) == stats
