"""`sqlsafe fix --write` over real histories: every migration that applied before still
applies after, run in the runner's order on PostgreSQL 18.

Before fix placed moved statements right after their migration, the crates.io history
below broke twice: the index of ``20141007131739_dumped_migration_65`` was built after
``20170308191449_crate_owners_does_not_need_id`` dropped it (``DROP INDEX`` failed), and
the unique index of ``20170322130523_version_downloads_needs_no_id`` after
``2019-03-22-174825_remove_version_downloads_pk`` used it (``USING INDEX`` failed);
documenso's ``20240227111633_rework_user_profiles`` could not drop an index built after
it. Before fix kept an index a later statement of its file needs in that file, the
formbricks history broke too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import corpus_dir
from scaffold_helpers import apply_history

from linter.cli import main
from linter.inputs.layouts import detect_layout
from linter.writers.fix_order import HistoryOrder

# (history directory in the corpus, the last migration kept: a prefix keeps the run short)
HISTORIES = [
    ("rust-lang__crates.io/migrations", "2019-03-22-174825_remove_version_downloads_pk"),
    ("openfga__openfga/assets/migrations/postgres", None),  # goose 001..006: no room
    ("dani-garcia__vaultwarden/migrations/postgresql", None),
    ("documenso__documenso/packages/prisma/migrations", "20240227111633_rework_user_profiles"),
    # a foreign key of 20260414000000 needs the unique index built just before it, in the
    # same file: that index stays in the file
    ("formbricks__formbricks/packages/database/migration", "20260414000000_added_connector_model"),
]


def _copy(source: Path, target: Path, last: str | None) -> None:
    """The history *source* up to the migration *last* (in the runner's order)."""
    if last is None:
        shutil.copytree(source, target)
        return
    layout = detect_layout(source) or "plain"
    target.mkdir(parents=True)
    for _key, path in HistoryOrder.read(source, layout).entries:
        folder = path.parent if layout in ("diesel", "prisma") else path
        copy = shutil.copytree if folder.is_dir() else shutil.copy2
        copy(folder, target / folder.name)
        if folder.name == last:
            return
    raise AssertionError(f"{last} is not in {source}")


@pytest.fixture(scope="module")
def corpus() -> Iterator[Path]:
    root = corpus_dir()
    if root is None:
        pytest.skip("../shared/corpus is not available")
    yield root


@pytest.mark.slow
@pytest.mark.parametrize(("history", "last"), HISTORIES)
def test_fixed_histories_still_apply(
    corpus: Path,
    pg_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    history: str,
    last: str | None,
) -> None:
    root = tmp_path / "migrations"
    _copy(corpus / history, root, last)
    before = apply_history(pg_dsn, root)
    capsys.readouterr()
    main(["fix", "--write", str(root)])
    output = capsys.readouterr()
    assert "fixed " in output.out, output.err  # fix changed something in this history
    marker = ": not fixed, left as it is: "
    left = [Path(line.split(marker)[0]) for line in output.err.splitlines() if marker in line]
    # goose 003 is followed by 004; crates.io dumped its first migrations one second apart
    assert bool(left) == history.startswith(("openfga", "rust-lang")), left
    for path in left:  # a file fix refused to split is as it was
        original = corpus / history / path.relative_to(root)
        assert path.read_bytes() == original.read_bytes(), path
    after = apply_history(pg_dsn, root)
    broken = {
        name: error for name, error in after.items() if error and before.get(name, "") is None
    }
    assert not broken, broken
    assert set(before) <= set(after)
