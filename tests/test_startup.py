"""What ``sqlsafe lint`` imports on the path a person waits on (one small file: the
pre-commit hook, an editor, ``sqlsafe lint -``), and the click-free way it is run.

No timing here (the machine's load would make it flaky): ``bench/bench.py`` measures.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

import linter.app
from linter.cli import main
from linter.commands.lint_core import fast_arguments

# Modules one small file must not import: the AST classes and enums pglast loads with its
# parser (imported lazily, never executed), plugin discovery's importlib.metadata (and the
# email package it brings) when no installed distribution declares a sqlsafe plugin,
# click (the common command lines are parsed without it), and whatever talks to a server
# or writes files. (``inspect`` is not here: ``dataclasses`` imports it.)
DENIED = (
    "click",
    "importlib.metadata",
    "email",
    "jinja2",
    "psycopg",
    "pgserver",
    "pglast.enums.nodes",
    "pglast.enums.parsenodes",
    "pglast.printers",
    "pglast.stream",
)
DENIED_PARTS = (
    "server",
    "writers",
    "pgserver",
    "trace",
    "scaffold",
    "templating",
    "fixer",
    "plan",
    "doctor",
)

PROBE = textwrap.dedent(
    """
    import io, json, sys, types
    from linter.cli import main
    argv = json.loads(sys.argv[1])
    if "-" in argv:
        sys.stdin = io.TextIOWrapper(io.BytesIO(b"CREATE INDEX i ON accounts (email);\\n"))
    code = main(argv)
    executed = [
        name for name, module in list(sys.modules.items())
        if type(module) is types.ModuleType  # (a lazily loaded module not yet used is not)
    ]
    sys.stdout.write("\\n" + json.dumps({"code": code, "modules": executed}))
    """
)


def imported_by(argv: list[str], cwd: Path, cache: Path) -> tuple[int, set[str]]:
    """The exit code and the modules executed by ``sqlsafe ARGV`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "SQLSAFE_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.stderr == "", proc.stderr
    report = json.loads(proc.stdout.rsplit("\n", 1)[1])
    return report["code"], set(report["modules"])


def denied(modules: set[str]) -> list[str]:
    bad = [m for m in modules if any(m == d or m.startswith(d + ".") for d in DENIED)]
    for name in modules:
        if name.startswith("linter.") and any(
            part.startswith(DENIED_PARTS) for part in name.split(".")[1:]
        ):
            bad.append(name)
    return sorted(bad)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (m / "0002_data.sql").write_text("INSERT INTO accounts VALUES (1, 'a');\n")
    (m / "0003_idx.sql").write_text("CREATE INDEX i ON accounts (email);\n")
    (tmp_path / "alone.sql").write_text("ALTER TABLE accounts DROP COLUMN email;\n")
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "alone.sql", "--no-cache"],
        ["lint", "migrations/0003_idx.sql", "--no-cache"],  # with its history
        ["lint", "migrations/0003_idx.sql"],  # the cache, empty then warm
        ["lint", "-", "--stdin-filename", "migrations/0003_idx.sql", "--format", "gcc"],
        ["lint", "-", "--format=json", "--no-cache"],
    ],
)
def test_one_file_imports_nothing_denied(project: Path, argv: list[str]) -> None:
    for _ in range(2):  # (a cached run, then one answered by the cache)
        code, modules = imported_by(argv, project, project / "cache")
        assert code == 1
        assert denied(modules) == []
        assert "linter.analysis.engine" in modules or "-" not in argv


def test_the_deny_list_catches_what_the_click_path_imports(project: Path) -> None:
    """The probe sees imports: the same run through click (an option the fast path does
    not read) imports click."""
    code, modules = imported_by(
        ["lint", "alone.sql", "--no-cache", "--no-history"], project, project
    )
    assert code == 1 and "click" in denied(modules)


def test_plugin_declarations_are_found_without_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """importlib.metadata is imported only when an ``entry_points.txt`` on ``sys.path``
    names the group (tests/test_plugins.py runs a real plugin); what the scan cannot read
    as importlib.metadata does (a zip file on ``sys.path``) counts as a declaration."""
    from linter.analysis.registry import _may_declare_plugins

    info = tmp_path / "site" / "other-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text("[console_scripts]\nother = other:main\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path / "site")])
    assert _may_declare_plugins() is False
    (info / "entry_points.txt").write_text("[sqlsafe.rules]\nmine = mine\n")
    assert _may_declare_plugins() is True
    (info / "entry_points.txt").unlink()
    (tmp_path / "lib.zip").write_bytes(b"")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), str(tmp_path / "lib.zip")])
    assert _may_declare_plugins() is True


COMMAND_LINES = [
    ["lint", "migrations", "--no-cache"],
    ["lint", "migrations/0003_idx.sql", "alone.sql", "--format", "gcc", "--no-cache"],
    ["lint", "--no-cache", "--format=json", "migrations"],
    ["lint", "-", "--stdin-filename", "migrations/0002_data.sql", "--no-cache"],
    ["lint", "-", "--format", "sarif", "--no-cache"],
    ["lint", "--no-cache"],  # usage error: no files
    ["lint", "missing.sql", "--no-cache"],
    ["lint", "alone.sql", "--format", "xml", "--no-cache"],  # (click refuses it)
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=[" ".join(a) for a in COMMAND_LINES])
def test_the_fast_path_prints_what_click_prints(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(project / "cache"))

    def run(through_click: bool) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"DROP TABLE t;\n")))
        code = linter.app.run_cli(argv) if through_click else main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    assert run(through_click=False) == run(through_click=True)


def test_fast_arguments_leave_other_command_lines_to_click() -> None:
    assert fast_arguments(["lint", "a.sql", "--format", "gcc"]) == {
        "paths": ("a.sql",),
        "output_format": "gcc",
        "stdin_filename": "<stdin>",
        "no_cache": False,
    }
    for argv in (
        ["lint", "a.sql", "--help"],
        ["lint", "--", "a.sql"],
        ["lint", "a.sql", "--select", "drop-table"],
        ["lint", "a.sql", "--format", "gcc", "--format", "json"],
        ["lint", "a.sql", "--format"],
        ["lint", "a.sql", "--format", "--no-cache"],
        ["lint", "a.sql", "--format", "GCC"],
        ["lint", "a.sql", "--no-cache", "--no-cache"],
        ["lint", "a.sql", "-x"],
        ["explain", "a.sql"],
    ):
        assert fast_arguments(argv) is None, argv


EXIT_PROBE = textwrap.dedent(
    """
    import atexit, sys
    from linter.cli import run
    if sys.argv[1] == "with-handler":
        atexit.register(lambda: sys.stderr.write("handler ran\\n"))
    sys.argv = ["sqlsafe", *sys.argv[2:]]
    run()
    """
)


@pytest.mark.parametrize("handler", ["none", "with-handler"])
def test_the_console_script_exit_keeps_output_code_and_exit_handlers(
    tmp_path: Path, handler: str
) -> None:
    """``run`` ends the process without the interpreter's teardown only when nothing
    registered work for the exit; the whole report still reaches a pipe."""
    many = tmp_path / "many.sql"
    many.write_text("".join(f"ALTER TABLE t{i} DROP COLUMN c;\n" for i in range(400)))
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, handler, "lint", str(many), "--no-cache"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("drop-column") >= 400
    assert proc.stdout.rstrip().endswith("in 1 file.")
    assert ("handler ran" in proc.stderr) == (handler == "with-handler")
