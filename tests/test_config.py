from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORE_RULES

from linter.cli import cli
from linter.inputs.config import ConfigError, find_config, load_config

UNSAFE = "CREATE INDEX a_idx ON accounts (a);\nALTER TABLE accounts DROP COLUMN legacy;\n"


def run(args: list[str], cwd: Path) -> tuple[int, str]:
    if args[0] == "lint" and "--select" not in args:
        args = ["lint", "--select", ",".join(CORE_RULES), *args[1:]]
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(cli, args, standalone_mode=False, catch_exceptions=False)
    except Exception as exc:  # click usage errors surface as exceptions without standalone mode
        from click import ClickException

        if isinstance(exc, ClickException):
            return 2, exc.format_message()
        raise
    finally:
        os.chdir(old)
    return int(result.return_value or 0), result.output


def test_pyproject_table_is_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sqlsafe]\ntarget-version = 11\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == tmp_path / "pyproject.toml"
    assert load_config(start=sub).settings.target_version == 11


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(tmp_path) is None


def test_a_pyproject_that_cannot_name_sqlsafe_is_skipped_unparsed(tmp_path: Path) -> None:
    """Without the word or an escape that could spell it, no TOML key is sqlsafe: the
    search does not import the TOML parser. Spelled with an escape, the table is found."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.black]\n')
    probe = (
        "import sys; from pathlib import Path; "
        "from linter.inputs.configsearch import find_config; "
        f"print(find_config(Path({str(tmp_path)!r})), 'tomllib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["None", "False"]
    (tmp_path / "pyproject.toml").write_text('[tool."\\u0073qlsafe"]\ntarget-version = 12\n')
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(start=tmp_path).settings.target_version == 12


def test_sqlsafe_toml_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / ".sqlsafe.toml").write_text(
        'assume-in-transaction = true\nselect = ["SS0"]\nignore = ["drop-column"]\n'
        'exclude = ["old/*"]\n[per-file-ignores]\n"m/*.sql" = ["SS001"]\n'
    )
    config = load_config(start=tmp_path)
    s = config.settings
    assert s.assume_in_transaction and s.select == ("SS0",) and s.ignore == ("drop-column",)
    assert s.exclude == ("old/*",) and s.per_file_ignores == {"m/*.sql": ("SS001",)}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("targt-version = 12", "unknown key `targt-version`"),
        ("target-version = 99", "target-version"),
        ("assume-in-transaction = 'yes'", "`assume-in-transaction` must be true or false"),
        ("select = 3", "`select` must be a string or a list"),
        ("per-file-ignores = 1", "`per-file-ignores` must be a table"),
        ("[severity]\ndrop-column = 'fatal'", "`severity.drop-column` must be one of"),
        ("target-version = ", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / ".sqlsafe.toml"
    path.write_text(body + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path)
    assert str(path) in str(info.value) and needle in str(info.value)
    (tmp_path / "m.sql").write_text("SELECT 1;")
    code, output = run(["lint", "m.sql"], tmp_path)
    assert code == 2 and needle in output


def test_unknown_rule_name_in_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / ".sqlsafe.toml").write_text('ignore = ["no-such-rule"]\n')
    (tmp_path / "m.sql").write_text("SELECT 1;")
    code, output = run(["lint", "m.sql"], tmp_path)
    assert code == 2 and "no-such-rule" in output and ".sqlsafe.toml" in output


def test_cli_overrides_file(tmp_path: Path) -> None:
    (tmp_path / ".sqlsafe.toml").write_text(
        'ignore = ["non-concurrent-index"]\ntarget-version = 10\n'
    )
    (tmp_path / "m.sql").write_text(
        "ALTER TABLE accounts ADD COLUMN plan text DEFAULT 'x';\n" + UNSAFE
    )
    code, output = run(["lint", "--format", "json", "m.sql"], tmp_path)
    rules = {f["rule"] for f in json.loads(output)["findings"]}
    assert rules == {"volatile-default", "drop-column"}  # PG 10 rewrites for any default
    code, output = run(["lint", "--format", "json", "--target-version", "15", "m.sql"], tmp_path)
    assert {f["rule"] for f in json.loads(output)["findings"]} == {"drop-column"}
    code, output = run(
        [
            "lint",
            "--format",
            "json",
            "--target-version",
            "15",
            "--select",
            "non-concurrent-index",
            "m.sql",
        ],
        tmp_path,
    )
    assert {f["rule"] for f in json.loads(output)["findings"]} == set()  # ignore still applies


def test_select_by_code_prefix_and_ignore_by_alias(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text(UNSAFE)
    code, output = run(["lint", "--format", "json", "--select", "SS00", "m.sql"], tmp_path)
    assert {f["rule"] for f in json.loads(output)["findings"]} == {
        "non-concurrent-index",
        "drop-column",
    }
    code, output = run(
        ["lint", "--format", "json", "--ignore", "ban-drop-column", "m.sql"], tmp_path
    )
    assert {f["rule"] for f in json.loads(output)["findings"]} == {"non-concurrent-index"}


def test_per_file_ignores_and_exclude(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sqlsafe]\nexclude = ["skip/*"]\n'
        '[tool.sqlsafe.per-file-ignores]\n"keep/*.sql" = ["drop-column"]\n'
    )
    for d in ("skip", "keep"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "1.sql").write_text(UNSAFE)
    code, output = run(["lint", "--format", "json", "."], tmp_path)
    doc = json.loads(output)
    assert {(Path(f["path"]).parent.name, f["rule"]) for f in doc["findings"]} == {
        ("keep", "non-concurrent-index")
    }


def test_explicit_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "custom.toml"
    cfg.write_text('ignore = ["drop-column", "non-concurrent-index"]\n')
    (tmp_path / "m.sql").write_text(UNSAFE)
    code, _ = run(["lint", "--config", str(cfg), "m.sql"], tmp_path)
    assert code == 0
    code, output = run(["lint", "--config", str(tmp_path / "missing.toml"), "m.sql"], tmp_path)
    assert code == 2 and "missing.toml" in output
