"""`sqlsafe fix` never writes a hazard (issue 12 §7).

golang-migrate and Prisma send a migration file as one query string, and dbmate and diesel
do too when they do not wrap it: its statements run as one implicit transaction. Before,
fix added ``BEGIN``/``COMMIT`` blocks to such a file: a ``BEGIN`` in a query string pulls
the statements before it into its transaction, so the ``ADD CONSTRAINT ... NOT VALID``
fix wrote ran in the transaction of its ``VALIDATE`` (a ``validate-in-same-transaction``
error), and a second fix changed the file again; a ``CREATE INDEX CONCURRENTLY`` left in
a dbmate ``transaction:false`` file with other statements is rejected by PostgreSQL.

Each history here is fixed with ``fix --write``, then: no rule has more findings than
before, every migration that applied before still applies (run the way its runner sends
it), fixing again changes nothing, and each finding left is listed once on stderr.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, corpus_dir
from scaffold_helpers import apply_history

from linter.api import lint_paths
from linter.cli import main
from linter.inputs.config import Config
from linter.inputs.layouts import MigrationUnit, migration_units

INIT = (
    "CREATE TABLE users (id bigint PRIMARY KEY);\n"
    "CREATE TABLE accounts (id bigint PRIMARY KEY, user_id bigint, name text);\n"
    "INSERT INTO users SELECT g FROM generate_series(1, 10) g;\n"
    "INSERT INTO accounts SELECT g, 1 + g % 10, 'a' || g FROM generate_series(1, 100) g;\n"
    "CREATE INDEX accounts_user_id_name_idx ON accounts (user_id, name);\n"
)
SET_NOT_NULL = "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n"
SEVERAL = (
    "-- several hazards in one file\n"
    "ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n"
    "CREATE INDEX accounts_user_idx ON accounts (user_id);\n"
    "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n"
)
# (documenso's 20250522054050_add_organisations adds a NOT VALID check and drops its column)
# (and rallly's 20220506105524_sessions_update drops an index, then its column)
DROPPED_LATER = (
    "DROP INDEX accounts_user_id_name_idx;\n"
    "ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n"
    "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n"
    "ALTER TABLE accounts DROP COLUMN user_id;\n"
)
# the safe recipe, spread over migrations as these runners need it
RECIPE = [
    "ALTER TABLE accounts ADD CONSTRAINT accounts_name_nn CHECK (name IS NOT NULL) NOT VALID;\n",
    "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_name_nn;\n",
    "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;\n"
    "ALTER TABLE accounts DROP CONSTRAINT accounts_name_nn;\n",
]


def _write(root: Path, layout: str, bodies: list[str]) -> None:
    """A history of *layout*: INIT, then one migration per body (run as one query)."""
    for i, body in enumerate([INIT, *bodies], 1):
        if layout == "golang-migrate":
            files = {f"{i:06d}_step.up.sql": body, f"{i:06d}_step.down.sql": "SELECT 1;\n"}
        elif layout == "prisma":
            files = {f"2025010{i}000000_step/migration.sql": body}
        elif layout == "dbmate":
            marker = "-- migrate:up" if i == 1 else "-- migrate:up transaction:false"
            files = {f"2025010{i}000000_step.sql": f"{marker}\n{body}-- migrate:down\n"}
        else:  # diesel
            folder = f"2025-01-0{i}-000000_step"
            files = {f"{folder}/up.sql": body, f"{folder}/down.sql": "SELECT 1;\n"}
            if i > 1:
                files[f"{folder}/metadata.toml"] = "run_in_transaction = false\n"
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)


def _findings(root: Path) -> list[tuple[str, str]]:
    """(file, rule) of every finding of the up migrations of the history in *root* (fix
    leaves down sections alone)."""
    result = lint_paths([str(root)], Config(root=root))
    return [
        (str(Path(f.path).resolve()), f.rule)
        for f in result.findings
        if f.line < _down_line(Path(f.path))
    ]


def _down_line(path: Path) -> int:
    """The line where the file's down section starts (goose, dbmate), else a line after it."""
    lines = path.read_text(errors="replace").splitlines()
    marks = ("-- +goose Down", "-- migrate:down")
    return next((i for i, line in enumerate(lines, 1) if line.startswith(marks)), len(lines) + 1)


def _broken(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, str]:
    """The migrations that fail after fix where they applied before, and the new files that
    fail after a migration that applied before (in the runner's order)."""
    out: dict[str, str] = {}
    ok = True  # the last migration of the history as given applied before fix
    for name, error in after.items():
        if name in before:
            ok = before[name] is None
            if error and ok:
                out[name] = error
        elif error and ok:
            out[name] = error
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def check_fix(root: Path, dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = Counter(rule for _, rule in _findings(root))
    applied = apply_history(dsn, root)
    originals = {  # the up migrations fix works on
        str(Path(u.path).resolve())
        for u in migration_units([str(root)])
        if isinstance(u, MigrationUnit) and u.direction == "up"
    }
    capsys.readouterr()
    main(["fix", "--write", str(root)])
    output = capsys.readouterr()
    left = _findings(root)
    after = Counter(rule for _, rule in left)
    more = {rule: (before[rule], n) for rule, n in after.items() if n > before[rule]}
    assert not more, f"{more}\n{output.err}"
    again = apply_history(dsn, root)
    assert not _broken(applied, again), again
    # each finding fix leaves is listed once, with the reason
    notes = [line for line in output.err.splitlines() if " not fixed: " in line]
    assert len(notes) == len(set(notes)), output.err
    listed = {
        (str(Path(line.split(":", 1)[0]).resolve()), line.split(": ", 2)[1].split()[0])
        for line in notes
    }
    refused = {
        str(Path(line.split(": not fixed, left as it is")[0]).resolve())
        for line in output.err.splitlines()
        if ": not fixed, left as it is" in line
    }
    unlisted = {
        (path, rule) for path, rule in left if path in originals and path not in refused
    } - listed
    assert not unlisted, output.err
    # a fixed history is fixed: fixing it again changes nothing
    fixed = _tree(root)
    capsys.readouterr()
    main(["fix", "--write", str(root)])
    assert _tree(root) == fixed, capsys.readouterr()


ONE_QUERY = ["golang-migrate", "prisma", "dbmate", "diesel"]


@pytest.mark.parametrize("layout", ONE_QUERY)
@pytest.mark.parametrize(
    "bodies",
    [[SET_NOT_NULL], [SEVERAL], RECIPE, [f"BEGIN;\n{SEVERAL}COMMIT;\n"], [DROPPED_LATER]],
    ids=["set-not-null", "several", "recipe", "explicit", "dropped-later"],
)
def test_fix_of_a_file_sent_as_one_query_adds_no_transaction(
    tmp_path: Path,
    pg_dsn: str,
    capsys: pytest.CaptureFixture[str],
    layout: str,
    bodies: list[str],
) -> None:
    root = tmp_path / "migrations"
    root.mkdir()
    _write(root, layout, bodies)
    blocks = {path: _blocks(path.read_text()) for path in root.rglob("*.sql")}
    check_fix(root, pg_dsn, capsys)
    # the new files lint clean (a dbmate header outside the up section lost its suppression)
    new = {str(path.resolve()) for path in root.rglob("*.sql")} - {str(p) for p in blocks}
    assert not [item for item in _findings(root) if item[0] in new]
    for path in root.rglob("*.sql"):  # no BEGIN/COMMIT a query string would merge
        text = path.read_text()
        assert _blocks(text) == blocks.get(path, (0, 0)), (path, text)


def _blocks(text: str) -> tuple[int, int]:
    return text.count("BEGIN;"), text.count("COMMIT;")


def _fixed(
    tmp_path: Path, layout: str, bodies: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[Path, str]:
    """The history written and fixed (its directory, and fix's standard error)."""
    root = tmp_path / "migrations"
    root.mkdir()
    _write(root, layout, bodies)
    main(["fix", "--write", str(root)])
    return root, capsys.readouterr().err


def test_a_lone_set_not_null_stays_alone_and_the_rest_goes_to_new_migrations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, err = _fixed(tmp_path, "golang-migrate", [SET_NOT_NULL], capsys)
    assert (root / "000002_step.up.sql").read_text() == (
        "ALTER TABLE accounts ADD CONSTRAINT accounts_name_not_null_chk "
        "CHECK (name IS NOT NULL) NOT VALID;\n"
    )
    validate = (root / "000003_validate_accounts_name_not_null_chk.up.sql").read_text()
    assert "SET LOCAL lock_timeout = '2s';\nALTER TABLE accounts VALIDATE" in validate
    assert (root / "000004_set_not_null_accounts_name.up.sql").exists()
    # the SET a lone statement cannot get is listed, once
    assert err.count("require-lock-timeout not fixed: golang-migrate sends this file") == 1


def test_a_file_of_several_statements_sent_as_one_query_gets_set_local(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = _fixed(tmp_path, "prisma", [SEVERAL], capsys)
    text = (root / "20250102000000_step" / "migration.sql").read_text()
    # (one implicit transaction: a session SET would outlive the file on the connection)
    assert text.startswith("-- several hazards in one file\nSET LOCAL lock_timeout = '2s';\n")
    assert "-- sqlsafe fix: moved to its own migration (build index" in text


# (corpus history, its layout, the last migration kept: a prefix keeps the run short)
SAMPLES = [
    ("lukevella__rallly/packages/database/prisma/migrations", "20230110000000"),
    ("dani-garcia__vaultwarden/migrations/postgresql", "2021-03-11-190243"),
    ("openfga__openfga/assets/migrations/postgres", None),
]


def _prefix(source: Path, target: Path, last: str | None) -> None:
    shutil.copytree(source, target)
    if last is None:
        return
    for entry in target.iterdir():
        if entry.name[: len(last)] > last:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


@pytest.mark.slow
def test_fix_of_the_examples_writes_no_hazard(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "migrations"
    shutil.copytree(REPO / "examples" / "migrations", root)
    check_fix(root, pg_dsn, capsys)


@pytest.mark.slow
@pytest.mark.parametrize(("history", "last"), SAMPLES)
def test_fix_of_corpus_histories_writes_no_hazard(
    tmp_path: Path,
    pg_dsn: str,
    capsys: pytest.CaptureFixture[str],
    history: str,
    last: str | None,
) -> None:
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("../shared/corpus is not available")
    root = tmp_path / "migrations"
    _prefix(corpus / history, root, last)
    check_fix(root, pg_dsn, capsys)
