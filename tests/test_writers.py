"""Writers (fix --write, scaffolding, plan, baseline write, docs) change every file or none.

A full disk (a file-size limit) at any write leaves every file byte-identical, no temporary
file behind, and a one-line error; no writer follows a symlink it did not expect; `docs`
replaces only pages it generated; concurrent scaffolding never takes one version twice.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from linter.analysis.registry import load_rules
from linter.cli import main
from linter.inputs.source import Source
from linter.output.docs import render_lock_model, rule_pages
from linter.sql.parsing import parse
from linter.writers.scaffold_layouts import OutFile

INIT = (
    "CREATE TABLE accounts (id bigint PRIMARY KEY, user_id bigint, name text);\n"
    "CREATE TABLE users (id bigint PRIMARY KEY);\n"
)
CHANGE = (
    "BEGIN;\n-- mine\nCREATE INDEX accounts_name_idx ON accounts (name);\n"
    "ALTER TABLE accounts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n"
    "CREATE INDEX accounts_user_id_and_a_much_longer_name_idx ON accounts (user_id);\n"
    "COMMIT;\n"
)
Entry = tuple[str, bytes, int]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every entry below *root*: kind, content (or link target) and mode."""
    out: dict[str, Entry] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        info = path.lstat()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path).encode(), 0)
        elif path.is_dir():
            out[rel] = ("dir", b"", info.st_mode)
        else:
            out[rel] = ("file", path.read_bytes(), info.st_mode)
    return out


def run_cli(
    args: list[str], cwd: Path, limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``sqlsafe ARGS`` in a subprocess whose files may not grow beyond *limit* bytes."""

    def limit_size() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SQLSAFE_CACHE_DIR": str(cwd.parent / f"{cwd.name}-cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=cwd,
        env=env,
        preexec_fn=limit_size,
        capture_output=True,
        text=True,
        timeout=300,
    )


# ------------------------------------------------------------------- the scenarios
def fix_project(root: Path) -> list[str]:
    (root / "m").mkdir()
    (root / "m/0001_init.sql").write_text(INIT)
    (root / "m/0002_change.sql").write_text(CHANGE)
    return ["fix", "--write", "m"]


def scaffold_project(root: Path) -> list[str]:
    (root / "m").mkdir()
    (root / "m/0001_init.sql").write_text(INIT)
    return [
        "new-column", "accounts", "email", "text", "--not-null", "--default", "''",
        "--backfill", "''", "--index", "--dir", "m",
    ]  # fmt: skip


def diesel_project(root: Path) -> list[str]:
    (root / "m").mkdir()
    return ["new-index", "accounts", "name", "--dir", "m", "--layout", "diesel"]


def plan_project(root: Path) -> list[str]:
    (root / "m").mkdir()
    (root / "m/0001_init.sql").write_text(INIT)
    return ["plan", "rename-column", "accounts", "name", "full_name", "--dir", "m"]


def baseline_project(root: Path) -> list[str]:
    (root / "m").mkdir()
    (root / "m/0001_init.sql").write_text(INIT)
    (root / "m/0002_change.sql").write_text(CHANGE)
    (root / "b.json").write_text('{"sqlsafe-baseline": 1, "findings": []}\n')
    return ["baseline", "write", "b.json", "m"]


def docs_project(root: Path) -> list[str]:
    pages = root / "pages"
    pages.mkdir()
    for name, content in rule_pages(load_rules(plugins=False)).items():
        (pages / name).write_text(content, encoding="utf-8")
    (root / "lm.md").write_text(render_lock_model(), encoding="utf-8")
    # three pages out of date (still generated ones): the run rewrites them
    for page in (pages / "README.md", pages / "drop-table.md", root / "lm.md"):
        page.write_text(page.read_text(encoding="utf-8") + "stale\n", encoding="utf-8")
    return ["docs", "--out", "pages", "--lock-model", "lm.md"]


SCENARIOS: dict[str, Callable[[Path], list[str]]] = {
    "fix": fix_project,
    "new-column": scaffold_project,
    "diesel": diesel_project,
    "plan": plan_project,
    "baseline": baseline_project,
    "docs": docs_project,
}


def written_sizes(before: dict[str, Entry], after: dict[str, Entry]) -> list[int]:
    return sorted(
        {
            len(entry[1])
            for rel, entry in after.items()
            if entry[0] == "file" and before.get(rel) != entry
        }
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_full_disk_at_any_write_changes_nothing(tmp_path: Path, name: str) -> None:
    setup = SCENARIOS[name]
    probe = tmp_path / "probe"
    probe.mkdir()
    args = setup(probe)
    before = snapshot(probe)
    done = run_cli(args, probe, limit=None)
    assert done.returncode == 0, done.stderr
    sizes = written_sizes(before, snapshot(probe))
    assert sizes, "the scenario writes nothing"
    # each size: the writes of that size (and larger) fail, the smaller ones succeed
    picks = sorted({sizes[0], sizes[len(sizes) // 2], sizes[-1]})
    for i, size in enumerate(picks):
        root = tmp_path / f"run{i}"
        root.mkdir()
        setup(root)
        before = snapshot(root)
        result = run_cli(args, root, limit=size - 1)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert result.returncode != 0, (size, result.stdout)
        assert "Traceback" not in result.stderr, result.stderr
        assert len(errors) == 1 and "File too large" in errors[0], result.stderr
        assert re.search(r"Error: \S+: ", errors[0]), errors[0]  # names the path
        assert snapshot(root) == before, f"limit {size - 1}: files changed"
    # the limit itself is what failed them: with room for the largest write it succeeds
    root = tmp_path / "roomy"
    root.mkdir()
    setup(root)
    assert run_cli(args, root, limit=sizes[-1]).returncode == 0


# ---------------------------------------------------------------------------- symlinks
@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path.parent / f"{tmp_path.name}-cache"))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_fix_refuses_a_dangling_symlink_at_a_new_files_name(
    project: Path, capsys: pytest.CaptureFixture[str], force: list[str]
) -> None:
    fix_project(project)
    (project / "m/0003_create_accounts_name_idx.sql").symlink_to(project / "elsewhere.sql")
    before = snapshot(project)
    code, _, err = run(capsys, "fix", "--write", *force, "m")
    assert code == 2
    assert "0003_create_accounts_name_idx.sql" in err and "symlink" in err
    assert snapshot(project) == before
    assert not (project / "elsewhere.sql").exists()


def test_fix_replaces_the_target_of_a_symlinked_original(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fix_project(project)
    real = project / "shared"
    real.mkdir()
    (project / "m/0002_change.sql").rename(real / "change.sql")
    (project / "m/0002_change.sql").symlink_to(real / "change.sql")
    (real / "change.sql").chmod(0o640)
    code, _, err = run(capsys, "fix", "--write", "m")
    assert code == 0, err
    assert (project / "m/0002_change.sql").is_symlink()
    assert "NOT VALID" in (real / "change.sql").read_text()
    assert (real / "change.sql").stat().st_mode & 0o777 == 0o640  # the mode is kept
    new = project / "m/0003_create_accounts_name_idx.sql"
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask  # not a temporary file's 0600
    assert sorted(p.name for p in real.iterdir()) == ["change.sql"]  # no temporary file left


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_scaffolding_refuses_a_symlink_at_a_new_files_name(
    project: Path, capsys: pytest.CaptureFixture[str], force: list[str]
) -> None:
    (project / "m").mkdir()
    (project / "m/0001_init.sql").write_text(INIT)
    victim = project / "victim.sql"  # does not exist: the link dangles
    (project / "m/0002_create_accounts_name_idx.sql").symlink_to(victim)
    before = snapshot(project)
    code, _, err = run(capsys, "new-index", "accounts", "name", "--dir", "m", *force)
    assert code == 2 and "0002_create_accounts_name_idx.sql" in err and "symlink" in err
    assert snapshot(project) == before
    assert not victim.exists()


def test_scaffolding_does_not_write_through_a_symlinked_directory(tmp_path: Path) -> None:
    from linter.writers.scaffold_layouts import OutFile, write_files

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "m/20250102030405_x").symlink_to(elsewhere)
    files = [OutFile("20250102030405_x/up.sql", "SELECT 1;\n", True)]
    with pytest.raises(Exception, match="symlink"):
        write_files(tmp_path / "m", files, force=True)
    assert list(elsewhere.iterdir()) == []


def test_baseline_write_follows_no_symlink_at_its_temporary_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_project(project)
    victim = project / "victim.txt"
    victim.write_text("mine\n")
    (project / "b.json.tmp").symlink_to(victim)
    code, _, err = run(capsys, "baseline", "write", "b.json", "m")
    assert code == 0, err
    assert victim.read_text() == "mine\n"
    assert '"findings": [\n' in (project / "b.json").read_text()


def test_baseline_write_keeps_a_symlinked_baseline_a_symlink(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_project(project)
    (project / "conf").mkdir()
    (project / "b.json").rename(project / "conf/b.json")
    (project / "b.json").symlink_to(project / "conf/b.json")
    code, _, err = run(capsys, "baseline", "write", "b.json", "m")
    assert code == 0, err
    assert (project / "b.json").is_symlink()
    assert "add-foreign-key" in (project / "conf/b.json").read_text()


def test_baseline_write_refuses_a_dangling_symlink(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_project(project)
    (project / "b.json").unlink()
    (project / "b.json").symlink_to(project / "nowhere/b.json")
    code, _, err = run(capsys, "baseline", "write", "b.json", "m")
    assert code == 2 and "b.json" in err and "symlink" in err
    assert not (project / "nowhere").exists()


# -------------------------------------------------------------------------------- docs
def test_docs_never_replaces_a_page_it_did_not_generate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "docs").mkdir()
    mine = "# How we lock\n\nOur own notes.\n"
    (project / "docs/lock-model.md").write_text(mine)
    code, _, err = run(capsys, "docs")
    assert code == 2
    assert "docs/lock-model.md" in err and "--force" in err and "sqlsafe docs" in err
    assert (project / "docs/lock-model.md").read_text() == mine
    assert not (project / "docs/rules").exists()  # nothing written: all or nothing
    code, out, err = run(capsys, "docs", "--force")
    assert code == 0, err
    assert (project / "docs/lock-model.md").read_text(encoding="utf-8") == render_lock_model()
    code, _, _ = run(capsys, "docs", "--check")
    assert code == 0


def test_docs_refuses_a_rule_page_of_its_own_name_that_it_did_not_write(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "docs/rules").mkdir(parents=True)
    (project / "docs/rules/drop-table.md").write_text("# Dropping tables, our policy\n")
    code, _, err = run(capsys, "docs")
    assert code == 2 and "drop-table.md" in err
    assert (project / "docs/rules/drop-table.md").read_text() == "# Dropping tables, our policy\n"


def test_the_committed_pages_carry_the_generated_header(repo: Path) -> None:
    from linter.output.docs import is_generated

    pages = [*(repo / "docs/rules").glob("*.md"), repo / "docs/lock-model.md"]
    assert pages and all(is_generated(p.read_text(encoding="utf-8")) for p in pages)
    assert not is_generated("# The lock model\n")


# ------------------------------------------------------------------------- concurrency
@pytest.mark.parametrize("layout", ["plain", "dbmate", "diesel"])
def test_concurrent_scaffolding_never_takes_a_version_twice(tmp_path: Path, layout: str) -> None:
    from linter.writers.scaffold_layouts import existing_versions, get_layout

    folder = tmp_path / "m"  # the first round creates it
    env = {**os.environ, "SQLSAFE_CACHE_DIR": str(tmp_path / "cache")}
    runs, rounds = 4, 3
    wrote = 0
    for round_ in range(rounds):
        command = [
            sys.executable,
            "-m",
            "linter",
            "new-index",
            "--create-dir",
            "--dir",
            str(folder),
        ]
        procs = [
            subprocess.Popen(
                [*command, "--layout", layout, "accounts", f"c{round_}_{i}"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(runs)
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            wrote += sum(line.endswith(".sql") for line in out.splitlines())
    versions = existing_versions(folder, get_layout(layout))
    assert len(versions) == wrote >= runs * rounds
    assert len(set(versions)) == len(versions), sorted(versions)
    sql = list(folder.rglob("*.sql"))
    assert len(sql) == wrote
    for path in sql:
        text = path.read_text()
        head = text.removeprefix("-- migrate:up transaction:false\n")  # (dbmate: header inside)
        assert head.startswith("-- sqlsafe new-index") and text.endswith("\n")
        assert "CREATE INDEX CONCURRENTLY" in text
        assert parse(text).statements
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]


def test_fix_refuses_when_the_directory_gains_a_migration_meanwhile(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.writers.fixer

    fix_project(project)
    real = linter.writers.fixer.fix_source

    def racing(*args: object, **kwargs: object) -> object:
        # another writer numbers its migration while fix reads: the number fix picks is taken
        (project / "m/0003_someone_else.sql").write_text("SELECT 1;\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(linter.writers.fixer, "fix_source", racing)
    before = {k: v for k, v in snapshot(project).items()}
    code, _, err = run(capsys, "fix", "--write", "m")
    assert code == 2 and "m" in err and "again" in err
    after = snapshot(project)
    del after["m/0003_someone_else.sql"]
    assert after == before


def test_scaffolding_numbers_again_when_a_name_is_taken_meanwhile(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.commands.scaffold as commands

    (project / "m").mkdir()
    (project / "m/0001_init.sql").write_text(INIT)
    real = commands.write_files
    calls: list[str] = []

    def racing(directory: Path, files: list[OutFile], force: bool) -> list[Path]:
        # a writer that takes no lock creates the very file between numbering and writing
        if not calls:
            (directory / files[0].path).write_text("-- someone else's\n")
        calls.append(files[0].path)
        return real(directory, files, force)

    monkeypatch.setattr(commands, "write_files", racing)
    code, out, err = run(capsys, "new-index", "accounts", "name", "--dir", "m")
    assert code == 0, err
    assert calls == ["0002_create_accounts_name_idx.sql", "0003_create_accounts_name_idx.sql"]
    assert (project / "m/0002_create_accounts_name_idx.sql").read_text() == "-- someone else's\n"
    assert "CONCURRENTLY" in (project / "m/0003_create_accounts_name_idx.sql").read_text()


def test_fix_refuses_when_an_original_changes_or_goes_meanwhile(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.writers.fixer

    fix_project(project)
    real = linter.writers.fixer.fix_source
    original = project / "m/0002_change.sql"

    def editing(source: Source, *args: object, **kwargs: object) -> object:
        if source.path.endswith("0002_change.sql"):  # read already: the user edits it now
            original.write_text(CHANGE + "-- edited meanwhile\n")
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(linter.writers.fixer, "fix_source", editing)
    code, _, err = run(capsys, "fix", "--write", "m")
    assert code == 2 and "0002_change.sql: changed while fix ran" in err
    assert original.read_text() == CHANGE + "-- edited meanwhile\n"
    assert sorted(p.name for p in (project / "m").iterdir()) == [
        "0001_init.sql",
        "0002_change.sql",
    ]

    def removing(source: Source, *args: object, **kwargs: object) -> object:
        if source.path.endswith("0002_change.sql"):
            original.unlink()
        return real(source, *args, **kwargs)  # type: ignore[arg-type]

    original.write_text(CHANGE)
    monkeypatch.setattr(linter.writers.fixer, "fix_source", removing)
    code, _, err = run(capsys, "fix", "--write", "m")
    assert code == 2 and "0002_change.sql" in err and "nothing was changed" in err
    assert sorted(p.name for p in (project / "m").iterdir()) == ["0001_init.sql"]


# ----------------------------------------------------------------- linter.util.atomic itself
def test_a_failure_at_the_last_rename_restores_every_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.util import atomic

    (tmp_path / "one.sql").write_bytes(b"\xef\xbb\xbfone\r\n")
    (tmp_path / "two.sql").write_text("two\n")
    (tmp_path / "two.sql").chmod(0o600)
    before = snapshot(tmp_path)
    puts = [
        atomic.Put(tmp_path / "one.sql", b"ONE\r\n"),
        atomic.Put(tmp_path / "new/three.sql", b"three\n", new=True, base=tmp_path),
        atomic.Put(tmp_path / "two.sql", b"TWO\n"),
    ]
    real = os.replace
    calls: list[object] = []

    def failing_second(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", failing_second)
    with pytest.raises(atomic.WriteError, match=r"two\.sql: cannot write: No space left"):
        atomic.write_all(puts)
    monkeypatch.setattr(atomic.os, "replace", real)
    assert snapshot(tmp_path) == before  # one.sql back, new/ and every temporary gone
    assert atomic.write_all(puts) == [p.path for p in puts]
    assert (tmp_path / "one.sql").read_bytes() == b"ONE\r\n"
    assert (tmp_path / "two.sql").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["new", "one.sql", "three.sql", "two.sql"]


def test_a_new_file_never_replaces_one_that_appeared_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.util import atomic

    target = tmp_path / "0002_x.sql"
    real = atomic._write_temp

    def racing(*args: object, **kwargs: object) -> Path:
        target.write_text("-- theirs\n")  # after the checks, before the link
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic, "_write_temp", racing)
    with pytest.raises(atomic.Clash, match="appeared meanwhile"):
        atomic.write_all([atomic.Put(target, b"-- ours\n", new=True)])
    assert target.read_text() == "-- theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["0002_x.sql"]


def test_a_directory_another_writer_creates_meanwhile_is_locked_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers that both find the migrations directory missing: the one whose mkdir
    loses the race locks the directory the other made, and does not remove it after."""
    from linter.util import atomic

    target = tmp_path / "new" / "m"
    real_mkdir = os.mkdir

    def racing_mkdir(path: os.PathLike[str] | str, *args: int) -> None:
        real_mkdir(path, *args)  # another writer got there first
        raise FileExistsError(17, "File exists", str(path))

    monkeypatch.setattr(atomic.os, "mkdir", racing_mkdir)
    with atomic.directory_lock(target):
        (target / "0001_x.sql").write_text("SELECT 1;\n")
    assert (target / "0001_x.sql").is_file()
    monkeypatch.setattr(atomic.os, "mkdir", real_mkdir)
    empty = tmp_path / "other" / "m"
    with atomic.directory_lock(empty):
        assert empty.is_dir()
    assert not (tmp_path / "other").exists()  # (made here and left empty: removed)
