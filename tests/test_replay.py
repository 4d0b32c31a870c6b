"""Replaying a whole lint run before importing the linter: same output, never stale."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import REPO

import linter.app
import linter.output.replay
from linter.cli import main
from linter.inputs.configsearch import find_config
from linter.output.cache import default_cache_dir


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    # the files below are new: trust their stamps anyway (see test_recent_changes...)
    monkeypatch.setattr(linter.output.replay, "RACY_NS", -(10**15))
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (m / "0002_idx.sql").write_text("CREATE INDEX i ON accounts (email);\n")
    return tmp_path


class Runs:
    """Counts the runs that reached the click application (replay misses)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = linter.app.run_cli

        def counting(*args: object, **kwargs: object) -> int:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(linter.app, "run_cli", counting)


SELECT = "non-concurrent-index,drop-column,syntax-error"


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", "migrations", "--format", "json", "--select", SELECT, *args])
    return code, capsys.readouterr().out


def replays(project: Path) -> list[Path]:
    return sorted((project / "cache").glob("replay-*.bin"))


def test_replay_prints_the_same_output_without_running(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = Runs(monkeypatch)
    cold = lint(capsys, "--no-cache")
    first = lint(capsys)
    assert len(replays(project)) == 1
    second = lint(capsys)
    assert cold == first == second
    assert cold[0] == 1 and json.loads(cold[1])["summary"]["findings"] == 1
    assert runs.count == 2  # --no-cache and the first cached run; the third was replayed


def change_inputs(project: Path, change: str | None) -> None:
    """Change one input of a lint of ``migrations`` (or of files in it) as *change* says."""
    m = project / "migrations"
    drop = "ALTER TABLE accounts DROP COLUMN email;\n"
    if change in ("edit", "edit-named"):
        (m / "0002_idx.sql").write_text("CREATE INDEX CONCURRENTLY i ON accounts (email);\n")
    elif change == "touch":
        (m / "0002_idx.sql").write_text((m / "0002_idx.sql").read_text())
    elif change == "edit-history":
        (m / "0000_base.sql").write_text("CREATE TABLE users (id bigint, email text);\n")
    elif change == "touch-history":
        (m / "0000_base.sql").write_text((m / "0000_base.sql").read_text())
    elif change == "add":
        (m / "sub").mkdir()
        (m / "sub" / "0003_drop.sql").write_text(drop)
    elif change == "add-file":
        (m / "0001a_drop.sql").write_text(drop)
    elif change == "add-below":
        (m / "0001b").mkdir()
        (m / "0001b" / "up.sql").write_text(drop)
    elif change in ("remove", "remove-named"):
        (m / "0002_idx.sql").unlink()
    elif change == "remove-history":
        (m / "0000_base.sql").unlink()
    elif change == "add-config":
        (project / ".sqlsafe.toml").write_text('ignore = ["non-concurrent-index"]\n')
    elif change == "aux":
        (m / "metadata.toml").write_text("run_in_transaction = false\n")


@pytest.mark.parametrize(
    "change",
    [
        "edit",  # a different content (and size)
        "touch",  # the same content rewritten: a miss, the same findings
        "add",
        "remove",
        "add-config",
        "aux",
    ],
)
def test_any_input_change_is_a_miss(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    lint(capsys)
    change_inputs(project, change)
    runs = Runs(monkeypatch)
    assert lint(capsys) == lint(capsys, "--no-cache")
    assert runs.count == 2


def test_arguments_and_environment_are_part_of_the_key(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lint(capsys, "--format", "gcc")
    runs = Runs(monkeypatch)
    assert lint(capsys, "--format", "gcc", "--ignore", "non-concurrent-index") == (0, "")
    monkeypatch.setenv("FORCE_COLOR", "1")
    lint(capsys, "--format", "text")
    assert runs.count == 2
    lint(capsys, "--format", "text")
    assert runs.count == 2  # replayed with the same environment
    monkeypatch.delenv("FORCE_COLOR")
    code, out = lint(capsys, "--format", "text")
    assert runs.count == 3 and "\x1b[" not in out


def test_a_cache_inside_the_linted_tree_still_replays(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(project / "migrations" / ".sqlsafe_cache"))
    first = lint(capsys)
    runs = Runs(monkeypatch)
    assert lint(capsys) == first
    assert runs.count == 0


def test_history_and_schema_files_are_stamped(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "base.sql").write_text("CREATE TABLE accounts (id int);\n")
    lint(capsys, "--schema", "base.sql")
    (project / "base.sql").write_text("CREATE TABLE other (id int);\n")
    runs = Runs(monkeypatch)
    assert lint(capsys, "--schema", "base.sql") == lint(
        capsys, "--schema", "base.sql", "--no-cache"
    )
    assert runs.count == 2


def test_recent_changes_store_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stamp from the second before the run may hide a later same-size change."""
    monkeypatch.setattr(linter.output.replay, "RACY_NS", 5_000_000_000)
    lint(capsys)
    assert replays(project) == []


def test_not_replayed_to_a_terminal_or_for_stdin(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"DROP TABLE t;\n")))
    main(["lint", "-", "--format", "json"])
    main(["lint", "-", "migrations/0002_idx.sql", "--format", "json"])
    capsys.readouterr()
    assert replays(project) == []
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert linter.output.replay.replay(["lint", "migrations"]) is None


FILE_ARGS = {
    "alone": ["migrations/0002_idx.sql"],
    "list": ["migrations/0001_init.sql", "migrations/0002_idx.sql"],
}


def file_run(
    project: Path, capsys: pytest.CaptureFixture[str], named: str
) -> Callable[..., tuple[int, str]]:
    """A history file before those of :data:`FILE_ARGS`, and a run over the files *named*
    (extra arguments appended): its exit code and output."""
    (project / "migrations" / "0000_base.sql").write_text("CREATE TABLE users (id bigint);\n")
    args = ["lint", *FILE_ARGS[named], "--format", "json", "--select", SELECT]

    def run(*extra: str) -> tuple[int, str]:
        code = main([*args, *extra])
        return code, capsys.readouterr().out

    return run


@pytest.mark.parametrize("named", sorted(FILE_ARGS))
@pytest.mark.parametrize(
    "change",
    [
        None,  # replayed
        "edit-named",
        "edit-history",  # a file not named, read as the named file's history
        "touch-history",
        "add-file",  # a new migration in the directory, or in a directory below it
        "add-below",
        "remove-history",
        "remove-named",
        "add-config",
        "aux",
    ],
)
def test_a_file_list_is_replayed_until_an_input_changes(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    named: str,
    change: str | None,
) -> None:
    """Files named alone or together read their directory's history: its files, listing
    and layout files are stamped as a named directory's are."""
    run = file_run(project, capsys, named)
    first = run()
    assert len(replays(project)) == 1
    change_inputs(project, change)
    runs = Runs(monkeypatch)
    again = run()
    assert again == run("--no-cache")
    if change is None:
        assert again == first and runs.count == 1  # replayed; then --no-cache ran
    else:
        assert runs.count == 2


@pytest.mark.parametrize("named", sorted(FILE_ARGS))
@pytest.mark.parametrize("change", ["edit-history", "add-file", "add-below", "remove-history"])
def test_a_file_list_answered_by_the_result_cache_still_stamps_its_history(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    named: str,
    change: str,
) -> None:
    """A run over files that the result cache answers whole (``cache.files_run_key``)
    lists no directory; the replay it stores stamps the trees that key reads."""
    run = file_run(project, capsys, named)
    first = run()
    history = project / "migrations" / "0000_base.sql"
    stamp = history.stat().st_mtime_ns
    os.utime(history, ns=(stamp - 10**9, stamp - 10**9))  # a replay miss; same content
    import linter.api

    with monkeypatch.context() as patched:  # (answered by the result cache)
        patched.setattr(linter.api, "gather", None)
        assert run() == first
    change_inputs(project, change)
    runs = Runs(monkeypatch)
    assert run() == run("--no-cache")
    assert runs.count == 2


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01", b"\xff" * 12, "truncated", None])
def test_corrupt_or_tampered_replay_is_ignored(
    project: Path, capsys: pytest.CaptureFixture[str], garbage: bytes | str | None
) -> None:
    expected = lint(capsys)
    for f in replays(project):
        if garbage == "truncated":
            f.write_bytes(f.read_bytes()[:-1])
        elif garbage is None:  # a valid file (its checksum too) under another run's name
            import marshal

            from linter.output.checksum import DIGEST_SIZE, seal

            raw = f.read_bytes()
            start = DIGEST_SIZE + 8
            size = int.from_bytes(raw[DIGEST_SIZE:start], "little")
            data = list(marshal.loads(raw[start : start + size]))
            data[1] = data[1].replace("migrations", "elsewhere")
            header = marshal.dumps(tuple(data))
            f.write_bytes(seal(len(header).to_bytes(8, "little") + header) + raw[start + size :])
        else:
            assert isinstance(garbage, bytes)
            f.write_bytes(garbage)
    assert lint(capsys) == expected


def test_code_changes_are_a_miss(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lint(capsys)
    replay = linter.output.replay
    ((root, joined, _),) = replay._code_stamps()
    names = joined.split("\0")
    assert root is None and replay.__file__ in names
    assert any(p.endswith(os.path.join("pglast_rules", "__init__.py")) for p in names)
    real = replay.stamps_of

    def changed(where: str | None, paths: Sequence[str]) -> tuple[int, ...] | None:
        found = real(where, paths)
        if found is not None and replay.__file__ in paths:  # (its size, one more)
            at = 5 * list(paths).index(replay.__file__)
            return (*found[:at], found[at] + 1, *found[at + 1 :])
        return found

    monkeypatch.setattr(replay, "stamps_of", changed)
    runs = Runs(monkeypatch)
    lint(capsys)
    assert runs.count == 1


def test_cache_dir_and_config_search_match_the_slow_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SQLSAFE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    pyproject = tmp_path / "a" / "pyproject.toml"
    for content, ours in (
        (None, False),
        ("[project]\n", False),
        ("[tool.sqlsafe]\n", True),
        ("[tool.sqlsafe", True),  # broken, but ours: loading it says what is wrong
        ("[project", False),  # broken, and not ours
        ("tool = 5\n", False),
    ):
        if content is not None:
            pyproject.write_text(content)
        found = find_config(sub.resolve())
        assert found == (pyproject if ours else None)
        assert linter.output.replay.cache_dir(["lint", "."]) == default_cache_dir(found)
    other = tmp_path / "other.toml"
    assert linter.output.replay.cache_dir(
        ["lint", ".", "--config", str(other)]
    ) == default_cache_dir(other)
    assert linter.output.replay.cache_dir(["lint", f"--config={other}"]) == default_cache_dir(other)


def test_a_replay_in_a_fresh_process_imports_no_typing(project: Path) -> None:
    """What a replay imports is on the path of every warm run: ``typing`` alone costs
    ~3 ms (the modules it needs name their types under ``TYPE_CHECKING = False``)."""
    store = (
        "import linter.output.replay; linter.output.replay.RACY_NS = -(10 ** 15); "
        "from linter.cli import main; main(['lint', 'migrations', '--format', 'gcc'])"
    )
    replay = (
        "import sys; before = set(sys.modules); from linter.cli import main; "
        "code = main(['lint', 'migrations', '--format', 'gcc']); "
        "new = set(sys.modules) - before; "
        "print('imported:', sorted(new), file=sys.stderr); "
        "assert 'typing' not in new and 'click' not in new and 'pglast' not in new"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
        )
        for code in (store, replay)
    ]
    assert outputs[1].returncode == 0, outputs[1].stderr
    assert outputs[0].stdout == outputs[1].stdout and "[non-concurrent-index]" in outputs[1].stdout


def test_replay_imports_neither_click_nor_the_engine(project: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        import linter.output.replay
        linter.output.replay.RACY_NS = -(10 ** 15)
        from linter.cli import main
        first = main(["lint", "migrations", "--format", "gcc"])
        before = set(sys.modules)
        heavy = [m for m in before if m.split(".")[0] in ("click", "pglast", "pglast_rules")]
        assert heavy, "the first run imports the linter"
        for name in heavy + [m for m in before if m.startswith("linter.") and
                             m not in ("linter.cli", "linter.output.replay")]:
            del sys.modules[name]
        second = main(["lint", "migrations", "--format", "gcc"])
        after = sorted(m for m in sys.modules if m not in before or m in heavy)
        assert first == second == 1, (first, second)
        print("imported:", after, file=sys.stderr)
        assert not [m for m in after if m.split(".")[0] in ("click", "pglast", "pglast_rules")]
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    half = len(lines) // 2
    assert half and lines[:half] == lines[half:]
