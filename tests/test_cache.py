"""The per-file result cache: same results warm or cold, never stale, never corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORE_RULES

from linter.cache import ResultCache, config_key, default_cache_dir
from linter.cli import main
from linter.context import Settings
from linter.engine import lint_sources
from linter.registry import load_rules
from linter.source import Source

RULES = load_rules(plugins=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "cache"))
    m = tmp_path / "migrations"
    m.mkdir()
    (m / "0001_init.sql").write_text("CREATE TABLE accounts (id bigint, email text);\n")
    (m / "0002_idx.sql").write_text(
        "CREATE INDEX i ON accounts (email);\nALTER TABLE x ADD COLUM y int;\n"
    )
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(["lint", "migrations", "--format", "json", "--select", ",".join(CORE_RULES), *args])
    return capsys.readouterr().out


def cache_files(project: Path) -> list[Path]:
    return sorted((project / "cache").glob("results-*.json"))


def test_warm_equals_cold(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cold = lint(capsys, "--no-cache")
    assert not (project / "cache").exists()
    first = lint(capsys)
    assert cache_files(project)
    warm = lint(capsys)
    assert cold == first == warm
    assert json.loads(warm)["summary"]["findings"] == 2


def test_warm_run_does_not_parse(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lint(capsys)
    import linter.engine

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("parsed on a warm run")

    monkeypatch.setattr(linter.engine, "parse", boom)
    assert json.loads(lint(capsys))["summary"]["findings"] == 2


def test_changing_an_earlier_file_invalidates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lint(capsys)
    # the index is now on a table created in the same file... of an earlier file: still
    # existing; but dropping the table from history changes what the model knows
    (project / "migrations" / "0001_init.sql").write_text("CREATE TABLE other (id int);\n")
    warm = lint(capsys)
    assert warm == lint(capsys, "--no-cache")


def test_settings_and_rules_are_part_of_the_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lint(capsys)
    out = lint(capsys, "--ignore", "non-concurrent-index")
    assert json.loads(out)["summary"]["findings"] == 1
    a = config_key(RULES, Settings())
    assert a == config_key(RULES, Settings())
    assert a != config_key(RULES, Settings(target_version=12))
    assert a != config_key(RULES[:-1], Settings())


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"key": "x"}', "\x00\x01"])
def test_corrupt_cache_is_ignored(
    project: Path, capsys: pytest.CaptureFixture[str], garbage: str
) -> None:
    expected = lint(capsys, "--no-cache")
    lint(capsys)
    for f in cache_files(project):
        f.write_text(garbage)
    assert lint(capsys) == expected
    assert lint(capsys) == expected


def test_tampered_entry_is_ignored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = lint(capsys, "--no-cache")
    lint(capsys)
    for f in cache_files(project):
        data = json.loads(f.read_text())
        for key in data["entries"]:
            data["entries"][key] = [{"bogus": 1}]
        f.write_text(json.dumps(data))
    assert lint(capsys) == expected


def test_unwritable_cache_dir_only_costs_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ResultCache(blocker / "sub")
    sources = [Source("a.sql", "CREATE INDEX i ON t (a);")]
    got = cache.lint(sources, RULES, Settings(), report=["a.sql"])
    assert got.findings == lint_sources(sources, RULES, Settings(), report=["a.sql"]).findings


def test_api_round_trip_is_exact(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    sources = [
        Source("h.sql", "CREATE TABLE t (a int);"),
        Source("a.sql", "CREATE INDEX i ON t (a);\nALTER TABLE t DROP COLUMN a;"),
    ]
    cold = cache.lint(sources, RULES, Settings(), report=["a.sql"])
    warm = cache.lint(sources, RULES, Settings(), report=["a.sql"])
    assert cold.findings == warm.findings and cold.files == warm.files == 1


def test_default_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQLSAFE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(None) == tmp_path / "xdg" / "sqlsafe"
    assert default_cache_dir(tmp_path / "pyproject.toml") == tmp_path.resolve() / ".sqlsafe_cache"
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir(None) == tmp_path / "c"
