"""Files named one by one (``sqlsafe lint f1 ... fN``: pre-commit, an editor, xargs) give
what naming their directory gives: the same findings, errors and file count, cold and
from the cache.

The difference measured once on the corpus (three findings and two files) came from the
list, not from sqlsafe: an unquoted ``$(find ...)`` splits crates.io's
``2019-11-15-182353_Add email notifications to crate owners/`` into words, which names
two files fewer (its ``up.sql`` and ``down.sql``) and seven that do not exist. A list
built without word splitting (``find -print0 | xargs -0``, or the list below) gives the
directory's output; the fixture holds such a directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, corpus_dir

from linter.cli import main

DIESEL = {
    "2019-11-15-182353_Add email notifications to crate owners": (
        "ALTER TABLE crate_owners ADD COLUMN email_notifications boolean NOT NULL DEFAULT true;\n"
        "CREATE INDEX owners_email ON crate_owners (email_notifications);\n",
        "ALTER TABLE crate_owners DROP COLUMN email_notifications;\n",
    ),
    "2019-01-01-000000_init": (
        "CREATE TABLE crate_owners (id serial PRIMARY KEY, owner_id int REFERENCES users);\n",
        "DROP TABLE crate_owners;\n",
    ),
    "2018-12-01-000000_users": ("CREATE TABLE users (id serial PRIMARY KEY);\n", ""),
}
SQLX = {
    "20240101000000_t.sql": "CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20));\n",
    "20240102000000_idx.sql": "CREATE INDEX t_v ON t (v);\nALTER TABLE t ALTER v TYPE text;\n",
    "20240103000000_bad.sql": "ALTER TABLE t ADD COLUMN;\n",  # a syntax error
}


def make_tree(root: Path) -> list[str]:
    """Two repositories (diesel with a directory name holding spaces, sqlx) and a
    schema file outside any migrations directory; the paths of every ``*.sql`` file."""
    for name, (up, down) in DIESEL.items():
        d = root / "crates" / "migrations" / name
        d.mkdir(parents=True)
        (d / "up.sql").write_text(up)
        if down:
            (d / "down.sql").write_text(down)
    sqlx = root / "svc" / "migrations"
    sqlx.mkdir(parents=True)
    for name, text in SQLX.items():
        (sqlx / name).write_text(text)
    (root / "svc" / "schema.sql").write_text("DROP TABLE legacy;\n")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.sql"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["text", "gcc", "json"])
def test_a_file_list_gives_what_its_directory_gives(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    files = make_tree(tmp_path / "tree")
    names = [os.path.join("tree", f) for f in files]
    directory = run(capsys, "tree", "--format", fmt, "--no-cache")
    assert directory[0] == 1 and "crate owners" in directory[1]
    assert run(capsys, *names, "--format", fmt, "--no-cache") == directory
    # in another order, and from the cache: filled, then answered
    assert run(capsys, *reversed(names), "--format", fmt) == directory
    assert run(capsys, *reversed(names), "--format", fmt) == directory
    assert run(capsys, "tree", "--format", fmt) == directory


def test_word_split_names_are_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the issue measured: the words of a split name are reported as missing files,
    and the directory's two files are not linted."""
    monkeypatch.chdir(tmp_path)
    names = [os.path.join("tree", f) for f in make_tree(tmp_path / "tree")]
    split = [word for name in names for word in name.split(" ")]
    _, whole = run(capsys, *names, "--no-cache")
    _, words = run(capsys, *split, "--no-cache")
    assert file_count(whole) == len(names) == file_count(words) + 2
    assert "could not be read" in words.splitlines()[-1]
    assert "email_notifications" in whole and "email_notifications" not in words


def file_count(text: str) -> int:
    """N of the text summary's "... in N files."."""
    last = text.splitlines()[-1]
    return int(last.split(" in ", 1)[1].split(" files")[0])


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_the_corpus_as_a_file_list_equals_the_directory(tmp_path: Path) -> None:
    root = corpus_dir()
    assert root is not None
    files = sorted(str(p) for p in root.rglob("*.sql"))
    env = {**os.environ, "SQLSAFE_CACHE_DIR": str(tmp_path / "cache")}

    def lint(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "linter", "lint", *args, "--format", "gcc"]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)

    directory = lint(str(root), "--no-cache")
    listed = lint(*files, "--no-cache")
    assert (listed.returncode, listed.stdout) == (directory.returncode, directory.stdout)
    assert directory.stdout.count("\n") > 10_000
    cached = lint(*files)
    assert (cached.returncode, cached.stdout) == (directory.returncode, directory.stdout)


FK = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY);\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n"
)


@pytest.mark.parametrize("cached", [False, True])
def test_a_named_file_is_still_answered_by_a_later_migration(tmp_path: Path, cached: bool) -> None:
    """The files after the last named one are folded only while one of its findings waits
    for a later migration (linter.deferred): the answer still comes."""
    from linter.api import lint_paths
    from linter.inputs.config import Config
    from linter.output.cache import ResultCache
    from linter.state.context import Settings

    m = tmp_path / "migrations"
    m.mkdir()
    (m / "001_orders.sql").write_text(FK)
    (m / "002_noise.sql").write_text("CREATE TABLE t (id int);\n")
    (m / "003_index.sql").write_text("CREATE INDEX o ON orders (account_id);\n")
    config = Config(root=tmp_path, settings=Settings(select=("foreign-key-without-index",)))
    cache = ResultCache(tmp_path / "cache") if cached else None

    def found(*names: str) -> list[str]:
        result = lint_paths([str(m / n) for n in names], config, cache=cache)
        return [Path(f.path).name for f in result.findings]

    for _ in range(2):
        assert found("001_orders.sql") == []
        assert found("001_orders.sql", "002_noise.sql") == []
    (m / "003_index.sql").write_text("CREATE INDEX o ON orders (id);\n")  # not a serving one
    assert found("001_orders.sql") == ["001_orders.sql"]
    assert found("002_noise.sql", "001_orders.sql") == ["001_orders.sql"]


def test_a_file_list_is_answered_from_the_result_cache_as_its_directory_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file list's whole result is stored under a key of its files and of the trees it
    reads (``cache.files_run_key``): an unchanged list is not gathered again."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    names = [os.path.join("tree", f) for f in make_tree(tmp_path / "tree")]
    expected = run(capsys, *names, "--format", "gcc")
    import linter.api

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("gathered the files of an unchanged list")

    with monkeypatch.context() as patched:
        patched.setattr(linter.api, "gather", boom)
        assert run(capsys, *names, "--format", "gcc") == expected
    assert run(capsys, *names, "--format", "gcc", "--no-cache") == expected
    assert run(capsys, "tree", "--format", "gcc") == expected


HISTORY = {
    "20240101000000_t.sql": "CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20));\n",
    "20240102000000_idx.sql": "CREATE INDEX t_v ON t (v);\nALTER TABLE t ALTER v TYPE text;\n",
}
REWRITE = "alter-column-type"  # v is an integer once the history says so


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_the_history_of_a_listed_file_is_part_of_its_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    """Files of the listed file's migrations directory that are not named (its history)
    are edited, added or removed: the cached list answers what an uncached one does."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    m = tmp_path / "svc" / "migrations"
    m.mkdir(parents=True)
    for name, text in HISTORY.items():
        (m / name).write_text(text)
    earlier = m / "20240101500000_v.sql"
    if change == "remove":
        earlier.write_text("ALTER TABLE t ALTER v TYPE int USING v::int;\n")
    named = os.path.join("svc", "migrations", "20240102000000_idx.sql")
    before = run(capsys, named, "--format", "gcc")
    assert run(capsys, named, "--format", "gcc") == before
    assert (REWRITE in before[1]) == (change == "remove")
    if change == "edit":
        (m / "20240101000000_t.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY, v int);\n")
    elif change == "add":
        earlier.write_text("ALTER TABLE t ALTER v TYPE int USING v::int;\n")
    else:
        earlier.unlink()
    after = run(capsys, named, "--format", "gcc")
    assert after == run(capsys, named, "--format", "gcc", "--no-cache")
    assert after != before and (REWRITE in after[1]) == (change != "remove")


def test_a_file_named_alone_in_a_large_tree_is_not_keyed_by_the_whole_tree(
    tmp_path: Path,
) -> None:
    """Hashing a tree of thousands of files (a repository's root, a long history) for one
    named file would cost more than the per-file cache that answers it."""
    from linter.api import list_roots
    from linter.output.cache import LIST_TREE_FACTOR, LIST_TREE_SLACK, files_run_key

    m = tmp_path / "migrations"
    m.mkdir()
    count = LIST_TREE_SLACK + 2 * LIST_TREE_FACTOR
    names = [str(m / f"{i:04d}_t{i}.sql") for i in range(count)]
    for name in names:
        Path(name).write_text(f"CREATE TABLE t{names.index(name)} (id int);\n")

    def key(named: list[str]) -> str | None:
        return files_run_key("base", named, list_roots(named), [], ())

    assert list_roots(names[:1]) == {str(m)}
    assert key(names[:1]) is None
    listed = key(names)
    assert listed is not None and key(names) == listed
    Path(names[0]).write_text("CREATE TABLE changed (id int);\n")
    assert key(names) not in (None, listed)


def test_a_file_lists_key_is_the_same_in_every_process(tmp_path: Path) -> None:
    """The trees are hashed in one order whatever the string hashing of the process
    (``PYTHONHASHSEED``): the next run finds the stored result."""
    names = []
    for repo in ("aa", "bb", "cc", "dd"):  # (roots of the same length)
        m = tmp_path / repo / "migrations"
        m.mkdir(parents=True)
        (m / "0001_t.sql").write_text(f"CREATE TABLE {repo} (id int);\n")
        names.append(str(m / "0001_t.sql"))
    code = (
        "import sys; from linter.api import list_roots; "
        "from linter.output.cache import files_run_key; "
        "print(files_run_key('b', sys.argv[1:], list_roots(sys.argv[1:]), [], ()))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code, *names],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=REPO,
        ).stdout
        for seed in range(6)
    }
    assert len(keys) == 1 and "None" not in keys
