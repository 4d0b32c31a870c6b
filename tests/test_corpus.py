"""The real corpus: no crash, every syntax error located inside its file."""

from __future__ import annotations

import pytest
from conftest import corpus_dir

from linter.api import lint_paths
from linter.config import Config
from linter.parsing import LineIndex


@pytest.mark.skipif(corpus_dir() is None, reason="../shared/corpus is not available")
def test_corpus_lints_without_crash() -> None:
    root = corpus_dir()
    assert root is not None
    for repo in sorted(p for p in root.iterdir() if p.is_dir()):
        result = lint_paths([str(repo)], Config(root=repo))
        assert result.errors == [], result.errors[:3]
        for finding in result.findings:
            if finding.rule != "syntax-error":
                continue
            text = open(finding.path, encoding="utf-8-sig").read()
            lines = LineIndex(text)
            assert 1 <= finding.line <= text.count("\n") + 1
            assert finding.column <= len(lines.line_text(finding.line)) + 1
            assert "syntax error" in finding.message or "unterminated" in finding.message
