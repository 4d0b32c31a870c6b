"""The writers read the history they add to: the table's primary key, whether the table
exists, whether the directory exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from scaffold_helpers import fresh_database, query, run_files, setup

from linter.cli import cli
from linter.writers.scaffold_layouts import OutFile, get_layout

EVENTS = (
    "CREATE TABLE events (user_id uuid PRIMARY KEY, n int, note text);\n"
    "CREATE TABLE pairs (a bigint, b bigint, note text, PRIMARY KEY (a, b));\n"
    "CREATE TABLE keyless (a bigint, note text);\n"
)
EVENT_ROWS = (
    "INSERT INTO events (user_id, n) SELECT gen_random_uuid(), g FROM generate_series(1, 2500) g;\n"
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def history(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(EVENTS)
    return folder


def written(folder: Path) -> list[OutFile]:
    return [
        OutFile(p.name, p.read_text(), False)
        for p in sorted(folder.glob("*.sql"))
        if not p.name.startswith("0001_")
    ]


def lint_clean(folder: Path) -> None:
    result = invoke("lint", "--layout", "plain", str(folder))
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ the primary key
def test_backfill_walks_the_primary_key_of_the_history(tmp_path: Path, pg_dsn: str) -> None:
    folder = history(tmp_path)
    result = invoke(
        "backfill", "events", "--set", "note = n::text", "--batch-size", "700",
        "--dir", str(folder), "--layout", "plain",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = written(folder)
    assert "ORDER BY t.user_id" in files[0].text and ".id" not in files[0].text
    lint_clean(folder)
    with fresh_database(pg_dsn) as url:
        setup(url, EVENTS + EVENT_ROWS)
        run_files(url, files, get_layout("plain"))
        assert query(url, "SELECT count(*) FROM events WHERE note = n::text")[0][0] == 2500


def test_new_column_backfill_walks_the_primary_key(tmp_path: Path, pg_dsn: str) -> None:
    folder = history(tmp_path)
    result = invoke(
        "new-column", "events", "flag", "boolean", "--backfill", "n % 2 = 0", "--not-null",
        "--dir", str(folder), "--layout", "plain",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lint_clean(folder)
    with fresh_database(pg_dsn) as url:
        setup(url, EVENTS + EVENT_ROWS)
        run_files(url, written(folder), get_layout("plain"))
        assert query(url, "SELECT count(*) FROM events WHERE flag = (n % 2 = 0)")[0][0] == 2500


def test_plan_walks_the_primary_key(tmp_path: Path, pg_dsn: str) -> None:
    folder = history(tmp_path)
    result = invoke(
        "plan", "rename-column", "events", "note", "remark",
        "--dir", str(folder), "--layout", "plain",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = "".join(f.text for f in written(folder))
    assert "ORDER BY t.user_id" in body
    with fresh_database(pg_dsn) as url:
        setup(url, EVENTS + EVENT_ROWS + "UPDATE events SET note = 'x' || n;\n")
        release_one = [f for f in written(folder) if "drop_events_note" not in f.path]
        run_files(url, release_one, get_layout("plain"))
        assert query(url, "SELECT count(*) FROM events WHERE remark = 'x' || n")[0][0] == 2500


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("backfill", "pairs", "--set", "note = 'x'"), "primary key of public.pairs is (a, b)"),
        (("backfill", "keyless", "--set", "note = 'x'"), "public.keyless has no primary key"),
        (("backfill", "nowhere", "--set", "note = 'x'"), "public.nowhere is not created"),
        (("new-column", "pairs", "c", "int", "--backfill", "1"), "primary key of public.pairs"),
        (("plan", "rename-column", "keyless", "note", "remark"), "has no primary key"),
        (("plan", "change-type", "pairs", "note", "varchar(9)"), "primary key of public.pairs"),
        (("plan", "shadow-table", "keyless"), "has no primary key"),
    ],
)
def test_no_single_column_key_is_refused(
    tmp_path: Path, args: tuple[str, ...], reason: str
) -> None:
    folder = history(tmp_path)
    result = invoke(*args, "--dir", str(folder))
    assert result.exit_code == 2, result.output
    assert reason in result.output and "--key" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["0001_init.sql"]
    # --key names the column to walk
    again = invoke(*args, "--dir", str(folder), "--key", "a", "--stdout")
    assert again.exit_code == 0, again.output
    assert "ORDER BY t.a " in again.output


# ------------------------------------------------------------------ tables and directories
def test_new_column_on_a_table_the_history_does_not_know(tmp_path: Path) -> None:
    folder = history(tmp_path)
    result = invoke("new-column", "evnets", "c", "text", "--dir", str(folder))
    assert result.exit_code == 2, result.output
    assert "public.evnets is not created by the migrations in" in result.output
    assert "did you mean events?" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["0001_init.sql"]
    forced = invoke("new-column", "evnets", "c", "text", "--dir", str(folder), "--unknown-table")
    assert forced.exit_code == 0, forced.output


def test_a_missing_directory_is_an_error_unless_asked_to_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "migratoins"
    for args in (
        ("new-index", "accounts", "name"),
        ("drop-index", "accounts_name_idx"),
        ("plan", "drop-column", "accounts", "name"),
    ):
        result = invoke(*args, "--dir", str(missing))
        assert result.exit_code == 2, result.output
        assert "does not exist" in result.output and "--create-dir" in result.output
        assert not missing.exists()
    made = invoke("new-index", "accounts", "name", "--dir", str(missing), "--create-dir")
    assert made.exit_code == 0, made.output
    assert [p.suffix for p in missing.iterdir()] == [".sql"]


# ------------------------------------------------------------------ plan: later releases
@pytest.mark.parametrize("layout", ["plain", "golang-migrate", "flyway", "diesel", "prisma"])
def test_plan_writes_only_the_first_release_into_the_history(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    result = invoke(
        "plan", "shadow-table", "events", "--key", "user_id",
        "--dir", str(folder), "--layout", layout,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    held = [p for p in tmp_path.iterdir() if p.name.startswith("sqlsafe-plan-")]
    assert len(held) == 1, sorted(p.name for p in tmp_path.iterdir())
    later = sorted(str(p.relative_to(held[0])) for p in held[0].rglob("*") if p.is_file())
    assert "README.md" in later
    assert any("release-2" in p and "swap_events" in p for p in later), later
    assert any("release-3" in p and "drop_events_old" in p for p in later), later
    # the runner's own file discovery sees release 1 only
    shown = invoke("histories", "--layout", layout, str(folder))
    assert shown.exit_code == 0, shown.output
    assert "create_events_new" in shown.output and "copy_events" in shown.output
    assert "swap" not in shown.output and "drop_events_old" not in shown.output
    readme = next(folder.glob("*.README.md")).read_text()
    assert readme == (held[0] / "README.md").read_text()
    two = readme.index("## Release 2")
    assert "Move these files into the migrations directory" in readme[two:]
    assert "release-2/" in readme[two:] and "release-2/" not in readme[:two]


def test_shadow_table_with_a_uuid_key_runs_every_release(tmp_path: Path, pg_dsn: str) -> None:
    folder = history(tmp_path)
    result = invoke("plan", "shadow-table", "events", "--dir", str(folder), "--layout", "plain")
    assert result.exit_code == 0, result.output
    lint_clean(folder)
    held = next(p for p in tmp_path.iterdir() if p.name.startswith("sqlsafe-plan-"))
    later = [
        OutFile(p.name, p.read_text(), False)
        for release in sorted(held.glob("release-*"))
        for p in sorted(release.glob("*.sql"))
    ]
    assert len(later) == 2
    with fresh_database(pg_dsn) as url:
        setup(url, EVENTS + EVENT_ROWS)
        run_files(url, [*written(folder), *later], get_layout("plain"))
        assert query(url, "SELECT count(*) FROM events")[0][0] == 2500
        assert query(url, "SELECT to_regclass('events_old')")[0][0] is None
