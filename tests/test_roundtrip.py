"""``sqlsafe trace --roundtrip`` on the embedded server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.cli import main

pytest.importorskip("psycopg")


def test_roundtrip_finds_what_down_leaves(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "1_init.up.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    (tmp_path / "1_init.down.sql").write_text("DROP TABLE users;\n")
    (tmp_path / "2_email.up.sql").write_text(
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n"
        "CREATE INDEX users_email_idx ON users (email);\n"
        "CREATE TYPE mood AS ENUM ('happy');\n"
    )
    (tmp_path / "2_email.down.sql").write_text("ALTER TABLE users DROP COLUMN email;\n")
    (tmp_path / "3_name.up.sql").write_text("ALTER TABLE users ADD COLUMN name text;\n")
    (tmp_path / "3_name.down.sql").write_text(
        "ALTER TABLE users DROP COLUMN name;\nDROP TABLE users;\n"
    )
    code = main(["trace", "--roundtrip", str(tmp_path), "--dsn", pg_dsn, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    by_up = {Path(m["up"]).name: m["findings"] for m in doc["migrations"]}
    assert by_up["1_init.up.sql"] == []
    assert "type public.mood is left behind: e happy" in by_up["2_email.up.sql"]
    assert any("up migration fails after down" in f for f in by_up["2_email.up.sql"])
    lost = by_up["3_name.up.sql"]
    assert any(f.startswith("table public.users is lost") for f in lost)
    assert any(f.startswith("column public.users.email is lost") for f in lost)


def test_roundtrip_clean(tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "1_a.up.sql").write_text("CREATE TABLE a (id int DEFAULT 1 CHECK (id > 0));\n")
    (tmp_path / "1_a.down.sql").write_text("DROP TABLE a;\n")
    assert main(["trace", "--roundtrip", str(tmp_path), "--dsn", pg_dsn]) == 0
    assert "every down migration restores the catalog" in capsys.readouterr().out


def test_roundtrip_of_a_file_named_alone_runs_its_history_first(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The earlier migrations of its directory are applied (not checked); its own down
    migration is found beside it; the later ones are not run."""
    (tmp_path / "1_init.up.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    (tmp_path / "1_init.down.sql").write_text("SELECT 1;\n")  # leaves users: not checked
    (tmp_path / "2_email.up.sql").write_text("ALTER TABLE users ADD COLUMN email text;\n")
    (tmp_path / "2_email.down.sql").write_text("ALTER TABLE users DROP COLUMN email;\n")
    (tmp_path / "3_later.up.sql").write_text("DROP TABLE nothing_here;\n")  # would fail
    named = str(tmp_path / "2_email.up.sql")
    code = main(["trace", "--roundtrip", named, "--dsn", pg_dsn, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    assert [(Path(m["up"]).name, Path(m["down"]).name) for m in doc["migrations"]] == [
        ("2_email.up.sql", "2_email.down.sql")
    ]
    assert doc["migrations"][0]["findings"] == [] and doc["without_down"] == []
    # --no-history: the file alone, on an empty database: users does not exist
    code = main(["trace", "--roundtrip", "--no-history", named, "--dsn", pg_dsn])
    assert code == 2 and "does not exist" in capsys.readouterr().err
