"""The real corpus: no crash, every syntax error located inside its file, one finding per
place and rule."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import corpus_dir

from linter.analysis.engine import LintResult
from linter.api import lint_paths
from linter.inputs.config import Config
from linter.sql.parsing import LineIndex


@pytest.fixture(scope="module")
def corpus_results() -> list[LintResult]:
    """Each repository of the corpus linted as its own project (once per module)."""
    root = corpus_dir()
    assert root is not None
    repos = sorted(p for p in root.iterdir() if p.is_dir())
    return [lint_paths([str(repo)], Config(root=repo)) for repo in repos]


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_corpus_lints_without_crash(corpus_results: list[LintResult]) -> None:
    for result in corpus_results:
        assert result.errors == [], result.errors[:3]
        for finding in result.findings:
            if finding.rule != "syntax-error":
                continue
            text = open(finding.path, encoding="utf-8-sig").read()
            lines = LineIndex(text)
            assert 1 <= finding.line <= text.count("\n") + 1
            assert finding.column <= len(lines.line_text(finding.line)) + 1
            assert "syntax error" in finding.message or "unterminated" in finding.message


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_corpus_one_finding_per_place_and_rule(corpus_results: list[LintResult]) -> None:
    # a rule reports one hazard once, where it is: several findings of one rule in one
    # statement point at their own column, command or object (before: one in five shared
    # its place and rule with another)
    places = Counter(
        (f.path, f.line, f.column, f.rule) for result in corpus_results for f in result.findings
    )
    shared = {place: n for place, n in places.items() if n > 1}
    assert sum(places.values()) > 10_000
    assert not shared, sorted(shared.items())[:5]


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_repositories_linted_together_equal_each_alone(tmp_path: Path) -> None:
    # each repository's migrations directory is its own history, with its own layout
    root = corpus_dir()
    assert root is not None
    names = ["atuinsh__atuin", "dani-garcia__vaultwarden", "openfga__openfga", "mfts__papermark"]
    for name in names:
        shutil.copytree(root / name, tmp_path / name)  # symbolic links are not followed
    config = Config(root=tmp_path)
    together = lint_paths([str(tmp_path)], config)
    alone = [f for name in names for f in lint_paths([str(tmp_path / name)], config).findings]
    key = lambda f: (f.path, f.line, f.column, f.rule)  # noqa: E731
    assert together.findings and sorted(together.findings, key=key) == sorted(alone, key=key)


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_a_file_named_alone_has_the_findings_of_its_directory_run() -> None:
    """What pre-commit and editors get for one file is what the directory run says of it:
    a history of each layout (sqlx, goose, versioned schema directories, Prisma, diesel)."""
    root = corpus_dir()
    assert root is not None
    for name in (
        "atuinsh__atuin",
        "openfga__openfga",
        "cadence-workflow__cadence",
        "mfts__papermark",
        "dani-garcia__vaultwarden",
    ):
        repo = root / name
        whole = lint_paths([str(repo)], Config(root=repo))
        files = sorted({f.path for f in whole.findings if f.rule != "syntax-error"})
        assert files, name
        for path in files[:: max(1, len(files) // 4)]:
            alone = lint_paths([path], Config(root=repo))
            assert alone.findings == [f for f in whole.findings if f.path == path], path
