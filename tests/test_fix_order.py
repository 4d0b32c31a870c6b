"""`sqlsafe fix` never changes the order a runner applies statements in.

What fix moves out of a migration runs right after it and before the next migration of
the history, as the layout orders files (checked by reading the directory back the way
`sqlsafe histories` does), or fix leaves the file alone and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.cli import main
from linter.inputs.layouts import MigrationUnit, migration_units

INIT = (
    "CREATE TABLE users (id bigint PRIMARY KEY);\n"
    "CREATE TABLE accounts (id bigint PRIMARY KEY, user_id bigint, name text);\n"
)
# runs in a transaction: the index moves to a file of its own, the foreign key is
# validated in a later transaction (a new file where the runner wraps the file)
CHANGE = (
    "CREATE INDEX accounts_name_idx ON accounts (name);\n"
    "ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n"
)
NEXT = "SET lock_timeout = '2s';\nALTER TABLE accounts DROP COLUMN name;\n"


def _plain(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.sql": f"BEGIN;\n{sql}COMMIT;\n"}


def _golang(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.up.sql": sql, f"{version}_{name}.down.sql": "SELECT 1;\n"}


def _goose(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.sql": f"-- +goose Up\n{sql}\n-- +goose Down\nSELECT 1;\n"}


def _dbmate(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.sql": f"-- migrate:up\n{sql}\n-- migrate:down\nSELECT 1;\n"}


def _diesel(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}/up.sql": sql, f"{version}_{name}/down.sql": "SELECT 1;\n"}


def _prisma(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}/migration.sql": sql}


def _flyway(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"V{version}__{name}.sql": sql}


def _sqlx(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.sql": sql}


def _popx(version: str, name: str, sql: str) -> dict[str, str]:
    return {f"{version}_{name}.postgres.up.sql": sql}


WRITERS = {
    "plain": _plain,
    "golang-migrate": _golang,
    "goose": _goose,
    "dbmate": _dbmate,
    "diesel": _diesel,
    "prisma": _prisma,
    "flyway": _flyway,
    "sqlx": _sqlx,
    "popx": _popx,
}
# layout, versions of (init, change, next): the change has room after it
ROOM = [
    ("plain", ("0001", "0002", "0003")),
    ("plain", ("0010", "0020", "0030")),
    ("golang-migrate", ("000010", "000020", "000030")),
    ("golang-migrate", ("20240101000000", "20240102000000", "20240103000000")),
    ("goose", ("00010", "00020", "00030")),
    ("goose", ("20240101000000", "20240102000000", "20240103000000")),
    ("dbmate", ("20240101000000", "20240102000000", "20240103000000")),
    ("diesel", ("2024-01-01-000000", "2024-01-02-000000", "2024-01-03-000000")),
    ("diesel", ("20170101000000", "20170102000000", "20170103000000")),
    ("diesel", ("2026-03-08-202630-0000", "2026-03-08-202630-0002", "2026-03-09-000000-0000")),
    ("prisma", ("20240101000000", "20240102000000", "20240103000000")),
    ("flyway", ("1", "2", "3")),
    ("flyway", ("1", "2", "2.1")),
    ("flyway", ("1.0", "1.1", "1.2")),
]
# the change is followed right away: no version between
NO_ROOM = [
    ("golang-migrate", ("000001", "000002", "000003")),
    ("goose", ("00001", "00002", "00003")),
    ("dbmate", ("20240101000000", "20240102000000", "20240102000001")),
    ("diesel", ("2024-01-01-000000", "2024-01-02-000000", "2024-01-02-000001")),
    ("prisma", ("20240101000000", "20240102000000", "20240102000001")),
]


def _history(tmp_path: Path, layout: str, versions: tuple[str, str, str]) -> dict[str, str]:
    write = WRITERS[layout]
    files = {
        **write(versions[0], "init", INIT),
        **write(versions[1], "change", CHANGE),
        **write(versions[2], "next", NEXT),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return files


def _up_order(tmp_path: Path) -> list[str]:
    """The up migrations of the directory, in the order the runner applies them."""
    units = migration_units([str(tmp_path)])
    return [
        Path(u.path).relative_to(tmp_path).as_posix()
        for u in units
        if isinstance(u, MigrationUnit) and u.direction == "up"
    ]


def _snapshot(tmp_path: Path) -> dict[str, str]:
    return {
        p.relative_to(tmp_path).as_posix(): p.read_text()
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(("layout", "versions"), ROOM)
def test_moved_statements_run_right_after_their_migration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str, versions: tuple[str, str, str]
) -> None:
    files = _history(tmp_path, layout, versions)
    init, change, following = (name for name in files if not name.endswith("down.sql"))
    before = _up_order(tmp_path)
    assert before == [init, change, following]
    assert main(["fix", "--write", "--layout", layout, str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"{following} follows it" in err and "edited-applied-migration" in err
    after = _up_order(tmp_path)
    new = [name for name in after if name not in before]
    assert new, after
    assert "CONCURRENTLY" in (tmp_path / new[0]).read_text()
    assert after == [init, change, *new, following]
    # fixing again changes nothing, and the order stays
    assert main(["fix", "--layout", layout, str(tmp_path)]) == 0
    assert _up_order(tmp_path) == after


@pytest.mark.parametrize(("layout", "versions"), NO_ROOM)
def test_a_migration_followed_without_room_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str, versions: tuple[str, str, str]
) -> None:
    files = _history(tmp_path, layout, versions)
    change = next(n for n in files if "change" in n and not n.endswith("down.sql"))
    following = next(n for n in files if "next" in n and not n.endswith("down.sql"))
    snapshot = _snapshot(tmp_path)
    assert main(["fix", "--write", "--layout", layout, str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{change}: not fixed, left as it is:" in err
    assert f"before {following}, and {layout} has no version between the two" in err
    assert "edited-applied-migration" in err
    assert _snapshot(tmp_path) == snapshot
    assert main(["fix", "--layout", layout, str(tmp_path)]) == 1  # --diff: nothing to show
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("layout", "versions"), NO_ROOM)
def test_the_last_migration_still_gets_new_files_after_it(
    tmp_path: Path, layout: str, versions: tuple[str, str, str]
) -> None:
    files = _history(tmp_path, layout, versions)
    following = [name for name in files if "next" in name]
    for name in following:
        (tmp_path / name).unlink()
    init, change = (name for name in files if "next" not in name and not name.endswith("down.sql"))
    assert main(["fix", "--write", "--layout", layout, str(tmp_path)]) == 0
    after = _up_order(tmp_path)
    assert after[:2] == [init, change] and len(after) > 2


@pytest.mark.parametrize("layout", ["sqlx", "popx"])
def test_layouts_fix_cannot_write_files_for_keep_the_statement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    # (fix moves nothing in these layouts: it cannot write their files)
    _history(tmp_path, layout, ("20240101000000", "20240102000000", "20240103000000"))
    assert main(["fix", "--write", "--layout", layout, str(tmp_path)]) == 0
    assert f"cannot write new {layout} migration files" in capsys.readouterr().err
    assert len(_up_order(tmp_path)) == 3
