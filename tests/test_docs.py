"""Committed documentation equals what the code renders (rule pages and the lock model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.analysis.registry import load_rules
from linter.cli import main
from linter.lockmodel.locks import LockMode
from linter.output.docs import LOCK_MODEL_PAGE, render_lock_model, rule_pages

HINT = "regenerate with `python3 -m linter docs --out docs/rules`"


def test_rule_pages_are_up_to_date(repo: Path) -> None:
    pages = rule_pages(load_rules(plugins=False))
    folder = repo / "docs" / "rules"
    missing = [name for name in pages if not (folder / name).is_file()]
    assert not missing, f"missing pages {missing}: {HINT}"
    stale = [
        name
        for name, content in pages.items()
        if (folder / name).read_text(encoding="utf-8") != content
    ]
    assert not stale, f"stale pages {stale}: {HINT}"
    orphans = sorted(p.name for p in folder.glob("*.md") if p.name not in pages)
    assert not orphans, f"pages without a rule {orphans}: delete them"


def test_lock_model_page_is_up_to_date(repo: Path) -> None:
    committed = repo / "docs" / LOCK_MODEL_PAGE
    assert committed.is_file(), HINT
    assert committed.read_text(encoding="utf-8") == render_lock_model(), HINT


def test_lock_model_page_content() -> None:
    page = render_lock_model()
    for mode in LockMode:
        assert f"`{mode.value}`" in page
    # rows computed by the model, per version where it changes
    assert "| ATTACH PARTITION | 12+ | `events`: `ShareUpdateExclusiveLock`" in page
    assert "| ADD COLUMN ... DEFAULT constant | 10 |" in page
    assert "`accounts`: `ShareRowExclusiveLock`" in page  # a foreign key's referenced table
    assert "| CREATE INDEX CONCURRENTLY | all |" in page and "**no**" in page


def test_docs_command_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, model = tmp_path / "rules", tmp_path / "lock-model.md"
    args = ["docs", "--out", str(out), "--lock-model", str(model)]
    assert main([*args, "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(args) == 0
    assert model.read_text(encoding="utf-8") == render_lock_model()
    assert main([*args, "--check"]) == 0


def _console_session(readme: str, first_line: str) -> list[tuple[str, str]]:
    """``(command, output)`` pairs of the README console block that starts with
    *first_line*."""
    start = readme.index(f"```console\n{first_line}\n")
    block = readme[start + len("```console\n") : readme.index("\n```", start)]
    pairs: list[tuple[str, list[str]]] = []
    for line in block.split("\n"):
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            pairs[-1][1].append(line)
    return [(command, "\n".join(out)) for command, out in pairs]


def test_the_readme_fix_example_is_what_fix_prints(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    session = _console_session(readme, "$ cat 0001_init.sql")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQLSAFE_CACHE_DIR", str(tmp_path / ".cache"))
    for command, expected in session:
        if command.startswith("cat "):
            (tmp_path / command[4:]).write_text(expected + "\n", encoding="utf-8")
            continue
        outputs = []
        for part in command.split(" && "):
            words = part.split()
            assert words[0] == "sqlsafe", command
            main(words[1:])
            outputs.append(capsys.readouterr().out.rstrip("\n"))
        assert "\n".join(o for o in outputs if o) == expected, command
