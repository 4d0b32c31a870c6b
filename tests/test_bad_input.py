"""Bad input gives a one-line error naming the file and the reason (exit 2), never a
traceback, and nothing is overwritten that was not asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from linter.cli import main
from linter.config import ConfigError, load_config

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


def test_a_fifo_named_on_the_command_line_is_read_once(tmp_path: Path) -> None:
    # the text reporter read the file again to show its source lines, and waited forever
    fifo = tmp_path / "pipe.sql"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "linter", "lint", str(fifo), "--no-cache", "--select", "drop-table"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    with open(fifo, "w") as writer:
        writer.write("DROP TABLE users;\n")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "drop-table" in out and "DROP TABLE users" in out
