"""Bad input gives a one-line error naming the file and the reason (exit 2), never a
traceback, and nothing is overwritten that was not asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from linter.cli import main
from linter.inputs.config import ConfigError, load_config

BAD = "CREATE INDEX i ON t (a);\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    (tmp_path / "bad.sql").write_text(BAD)
    return tmp_path


# -- configuration -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".sqlsafe.toml", b"\xff\n", "not valid UTF-8"),
        ("sqlsafe.toml", b"tool = 5\n", "unknown key `tool`"),
        ("pyproject.toml", b'[tool.sqlsafe]\nignore = ["x"\n', "invalid TOML"),
        ("sqlsafe.toml", b'target-version = "16.banana"\n', "target-version"),
        ("sqlsafe.toml", b'lock-timeout = "0s"\n', "0 turns the timeout off"),
    ],
)
def test_a_bad_config_file_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    (project / name).write_bytes(content)
    code, _, err = run(capsys, "lint", "bad.sql")
    assert code == 2
    assert name in err and message in err


@pytest.mark.parametrize("content", ["tool = 5\n", 'tool = "sqlsafe"\n', "[project\n"])
def test_a_pyproject_that_is_not_ours_is_passed_over(project: Path, content: str) -> None:
    (project / "pyproject.toml").write_text(content)
    assert load_config(start=project).path is None


def test_a_minor_version_is_read_as_its_major(project: Path) -> None:
    (project / "sqlsafe.toml").write_text('target-version = "15.9"\n')
    assert load_config(start=project).settings.target_version == 15
    (project / "sqlsafe.toml").write_text("target-version = 15.5\n")
    assert load_config(start=project).settings.target_version == 15
    (project / "sqlsafe.toml").write_text("target-version = true\n")
    with pytest.raises(ConfigError):
        load_config(start=project)


# -- baselines -----------------------------------------------------------------------------
@pytest.mark.parametrize("findings", ["5", "null", '[{"rule": 1}]', '["x"]'])
def test_a_malformed_baseline_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], findings: str
) -> None:
    (project / "b.json").write_text(f'{{"sqlsafe-baseline": 1, "findings": {findings}}}')
    code, _, err = run(capsys, "lint", "bad.sql", "--baseline", "b.json")
    assert code == 2 and "b.json" in err


def test_baseline_write_never_overwrites_a_migration(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "0002.sql").write_text("SELECT 1;\n")
    # FILE forgotten: the first migration would have been replaced by JSON
    code, _, err = run(capsys, "baseline", "write", "bad.sql", "0002.sql")
    assert code == 2 and "looks like a migration" in err
    (project / "notes.json").write_text('{"mine": true}')
    code, _, err = run(capsys, "baseline", "write", "notes.json", "bad.sql")
    assert code == 2 and "not overwritten" in err
    assert (project / "bad.sql").read_text() == BAD
    assert json.loads((project / "notes.json").read_text()) == {"mine": True}


def test_baseline_write_writes_nothing_when_a_file_cannot_be_read(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "baseline", "write", "b.json", "bad.sql", "missing.sql")
    assert code == 1 and "missing.sql" in err and "Nothing written" in err
    assert not (project / "b.json").exists()
    code, out, _ = run(capsys, "baseline", "write", "b.json", "bad.sql")
    assert code == 0 and "Recorded" in out
    code, _, _ = run(capsys, "baseline", "write", "b.json", "bad.sql")  # its own file: fine
    assert code == 0


# -- other commands ------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["fix"], ["histories"], ["trace"]])
def test_commands_that_need_files_refuse_stdin(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, _, err = run(capsys, *command, "-")
    assert code == 2 and "does not read standard input" in err


def test_a_zero_lock_timeout_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "new-index", "accounts", "name", "--lock-timeout", "0", "--stdout")
    assert code == 2 and "0 turns the timeout off" in err


def test_docs_into_a_path_under_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "afile").write_text("")
    code, _, err = run(capsys, "docs", "--out", "pages", "--lock-model", "afile/lock-model.md")
    assert code == 2 and "afile" in err and "cannot write" in err


# -- output --------------------------------------------------------------------------------
def test_a_long_line_is_clipped_in_text_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = ", ".join(f"({i})" for i in range(50_000))
    (project / "seed.sql").write_text(f"CREATE INDEX i ON t (a); INSERT INTO t VALUES {values};\n")
    code, out, _ = run(capsys, "lint", "seed.sql", "--select", "non-concurrent-index")
    assert code == 1
    source = [line for line in out.splitlines() if line.startswith("      1 | ")]
    assert source and len(source[0]) < 200 and source[0].endswith(" ...")


def test_summary_counts_unreadable_files_apart(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "lint", "missing.sql", "--no-cache")
    assert code == 1
    assert out.strip().splitlines()[-1] == "No findings in 0 files. 1 file could not be read."


def test_rule_page_in_the_terminal_has_no_generated_marker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "rule", "non-concurrent-index")
    assert code == 0 and out.startswith("# non-concurrent-index")


def test_markdown_says_what_a_lock_blocks_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "lint", "bad.sql", "--format", "markdown")
    assert code == 1
    assert "blocks writes" in out and "blocks blocks" not in out


def test_fix_keeps_crlf_line_endings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.sql").unlink()
    (project / "0001_init.sql").write_bytes(b"CREATE TABLE a (id int, n text);\r\n")
    (project / "0002_idx.sql").write_bytes(b"-- x\r\nCREATE INDEX i ON a (n);\r\nSELECT 1;\r\n")
    code, _, _ = run(capsys, "fix", "--write", ".")
    assert code == 0
    fixed = (project / "0002_idx.sql").read_bytes()
    assert b"CONCURRENTLY" in fixed
    assert fixed.count(b"\n") == fixed.count(b"\r\n")


# -- inputs that are not regular files, directories without files ---------------------------
def sqlsafe(
    *args: str, cwd: Path, prefix: Sequence[str] = (), stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``sqlsafe ARGS`` in a subprocess (run by *prefix*), with a timeout: a FIFO must not
    hang the test suite."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "linter", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "SQLSAFE_CACHE_DIR": str(cwd / ".cache")},
    )


def _special(tmp_path: Path, kind: str) -> str:
    if kind == "FIFO":
        os.mkfifo(tmp_path / "pipe.sql")
        return "pipe.sql"
    if kind == "socket":
        import socket

        with socket.socket(socket.AF_UNIX) as sock:  # (its file stays when it is closed)
            sock.bind(str(tmp_path.joinpath("sock.sql").relative_to(Path.cwd())))
        return "sock.sql"
    if not Path(kind).exists():
        pytest.skip(f"no {kind} here")
    return kind


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("FIFO", "FIFO"),
        ("socket", "socket"),
        ("/dev/zero", "character device"),
        ("/dev/null", "character device"),
    ],
)
@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_special_file_named_is_refused_and_the_others_linted(
    project: Path, kind: str, shown: str, cache: list[str]
) -> None:
    # a FIFO was read until a writer came (forever), /dev/zero until a MemoryError, and
    # /dev/null was "All clear"
    name = _special(project, kind)
    proc = sqlsafe("lint", name, "bad.sql", *cache, cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert f"{name}: error not a regular file ({shown})" in proc.stdout
    assert "non-concurrent-index" in proc.stdout  # bad.sql is still linted
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_a_fifo_inside_a_directory_is_reported_not_waited_for(
    project: Path, cache: list[str]
) -> None:
    migrations = project / "migrations"
    migrations.mkdir()
    (migrations / "0001_a.sql").write_text(BAD)
    os.mkfifo(migrations / "0002_b.sql")
    for _ in range(2):  # cold, then warm
        proc = sqlsafe("lint", "migrations", *cache, cwd=project)
        assert proc.returncode == 1, proc.stderr
        assert "migrations/0002_b.sql: error not a regular file (FIFO)" in proc.stdout
        assert "migrations/0001_a.sql:1" in proc.stdout


COMMANDS = [
    ["lint"],
    ["lint", "--format", "json"],
    ["explain"],
    ["fix"],
    ["histories"],
    ["baseline", "write", "b.json"],
    ["trace"],
    ["trace", "--roundtrip"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_fifo(project: Path, command: list[str]) -> None:
    os.mkfifo(project / "pipe.sql")
    proc = sqlsafe(*command, "pipe.sql", cwd=project)
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    assert "pipe.sql" in proc.stdout + proc.stderr
    assert "not a regular file (FIFO)" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project / "b.json").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("name", ["x.sql", "empty"])
def test_a_named_directory_without_migrations_is_an_error(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str], name: str
) -> None:
    (project / name).mkdir()
    (project / name / "notes.txt").write_text("not a migration\n")
    code, out, err = run(capsys, *command, name)
    assert code in (1, 2), out + err
    assert name in out + err and "no migration files found" in out + err
    assert "All clear" not in out
    assert not (project / "b.json").exists()


def test_a_directory_whose_files_are_all_excluded_is_not_an_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "m").mkdir()
    (project / "m" / "1.sql").write_text(BAD)
    code, out, _ = run(capsys, "lint", "m", "--exclude", "m/*", "--no-cache")
    assert code == 0 and "All clear: 0 files checked" in out


def _without_privileges() -> list[str]:
    """A command prefix under which a mode 000 directory cannot be read (root reads it:
    drop the capabilities that let it); skip where there is none."""
    if os.geteuid() != 0:
        return []
    import shutil

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a directory cannot be made unreadable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_an_unreadable_subdirectory_is_an_error(project: Path, cache: list[str]) -> None:
    migrations = project / "migrations"
    (migrations / "sub").mkdir(parents=True)
    (migrations / "0001_a.sql").write_text(BAD)
    (migrations / "sub" / "0002_b.sql").write_text(BAD)
    prefix = _without_privileges()
    (migrations / "sub").chmod(0)
    try:
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "import os; os.listdir('migrations/sub')"],
            cwd=project,
            capture_output=True,
        )
        if probe.returncode == 0:
            pytest.skip("the directory stays readable here")
        proc = sqlsafe("lint", "migrations", *cache, cwd=project, prefix=prefix)
    finally:
        (migrations / "sub").chmod(0o755)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "migrations/sub: error cannot read directory: Permission denied" in proc.stdout
    assert "migrations/0001_a.sql:1" in proc.stdout  # the rest is linted
    assert "All clear" not in proc.stdout


def test_standard_input_is_still_read(project: Path) -> None:
    proc = sqlsafe("lint", "-", "--no-cache", cwd=project, stdin=BAD)
    assert proc.returncode == 1 and "non-concurrent-index" in proc.stdout
